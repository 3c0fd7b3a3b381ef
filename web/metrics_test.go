package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

func scrape(t testing.TB, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	return w.Body.String()
}

func TestMetrics(t *testing.T) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mux.Handle("GET /broken", Handle(func(w http.ResponseWriter, r *http.Request) error {
		err := beian.Errorf(beian.KindNotFound, "")
		return err
	}))
	mux.Handle("GET /metrics", m.Handler())
	var logBuf bytes.Buffer
	h := Chain(mux, RequestID, AccessLog(slog.New(slog.NewJSONHandler(&logBuf, nil))), m.Middleware)
	for _, p := range []string{"/things/13812345678", "/things/2", "/nowhere/13900001111", "/broken"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/things/3", nil))
	m.GateDecision("served")
	m.ObserveError("no such kind")

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	text := w.Body.String()
	for _, want := range []string{
		`beian_http_requests_total{method="GET",route="GET /things/{id}",status="200"} 2`,
		`beian_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`beian_http_requests_total{method="OTHER",route="unmatched",status="405"} 1`,
		`beian_http_requests_total{method="GET",route="GET /broken",status="404"} 1`,
		`beian_http_request_duration_seconds_count{route="GET /things/{id}"} 2`,
		`beian_http_errors_total{code="not_found"} 1`,
		`beian_http_errors_total{code="internal"} 1`,
		`beian_http_errors_total{code="stale"} 0`,
		`beian_gate_decisions_total{reason="served"} 1`,
		`beian_gate_decisions_total{reason="lapsed"} 0`,
		"go_goroutines", "process_",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "13812345678") || strings.Contains(text, "/things/2") {
		t.Error("a raw path made it into a label")
	}

	// AccessLog outside Metrics logs the route Metrics found.
	var first map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(logBuf.String(), "\n", 2)[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["route"] != "GET /things/{id}" {
		t.Errorf("access log route %v", first["route"])
	}
}

// Each Metrics has its own registry: two never share counts.
func TestMetricsPrivateRegistry(t *testing.T) {
	a, b := NewMetrics(), NewMetrics()
	a.GateDecision("unfiled")
	if !strings.Contains(scrape(t, a), `beian_gate_decisions_total{reason="unfiled"} 1`) ||
		!strings.Contains(scrape(t, b), `beian_gate_decisions_total{reason="unfiled"} 0`) {
		t.Error("registries are shared")
	}
}

// Requests answered by Recover still count with status 500, and the pattern
// is found when the handler below the mux replaced the request.
func TestMetricsPanicAndReplacedRequest(t *testing.T) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /boom", func(http.ResponseWriter, *http.Request) { panic("x") })
	h := Chain(mux, m.Middleware, Recover(slog.New(slog.NewTextHandler(io.Discard, nil))))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/boom", nil))
	if text := scrape(t, m); !strings.Contains(text, `beian_http_requests_total{method="POST",route="POST /boom",status="500"} 1`) {
		t.Errorf("metrics:\n%s", grep(text, "beian_http_requests_total"))
	}
}

func grep(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A middleware between Metrics and the mux that replaces the request (as
// authentication does, to carry the caller) must not hide the pattern: the
// mux sets it on the request it gets, and Chain's recorder passes it out.
func TestMetricsRouteThroughReplacingMiddleware(t *testing.T) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/orders/{id}", func(http.ResponseWriter, *http.Request) {})
	type k struct{}
	replace := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), k{}, "caller")))
		})
	}
	var logBuf bytes.Buffer
	for _, h := range []http.Handler{
		Chain(mux, m.Middleware, replace),
		Chain(mux, AccessLog(slog.New(slog.NewJSONHandler(&logBuf, nil))), m.Middleware, replace),
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/orders/7", nil))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/nowhere", nil))
	}
	text := scrape(t, m)
	for _, want := range []string{
		`beian_http_requests_total{method="GET",route="GET /api/v1/orders/{id}",status="200"} 2`,
		`beian_http_requests_total{method="GET",route="unmatched",status="404"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grep(text, "beian_http_requests_total"))
		}
	}
	if !strings.Contains(logBuf.String(), `"route":"GET /api/v1/orders/{id}"`) {
		t.Errorf("access log: %s", logBuf.String())
	}
}

// Statements run for a request count under its route on PostgreSQL (a
// transaction's BEGIN and COMMIT included); SQLite's are not counted.
func TestMetricsStatements(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		m := NewMetrics()
		mux := http.NewServeMux()
		mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			var n int
			if err := db.SQL.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
				t.Error(err)
			}
			if err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('k', 'v', 1)`)
				return err
			}); err != nil {
				t.Error(err)
			}
		})
		h := Chain(mux, m.Middleware)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/work", nil))
		text := scrape(t, m)
		want := `beian_http_db_statements_total{route="GET /work"} 4` // SELECT, BEGIN, INSERT, COMMIT
		if db.Driver == sqlstore.SQLite {
			if strings.Contains(text, "beian_http_db_statements_total{") {
				t.Errorf("SQLite's statements counted:\n%s", grep(text, "beian_http_db_statements_total"))
			}
			return
		}
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grep(text, "beian_http_db_statements_total"))
		}
	})
}
