package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

var idemStart = time.Date(2026, 9, 28, 10, 0, 0, 0, beian.CST)

// thingServer counts its runs and answers 201 with a Location, echoing the
// body; a body of "fail" answers 500, "panic" panics, "binary" answers bytes.
type thingServer struct {
	runs    atomic.Int64
	gate    chan struct{} // when set, each run waits for it
	entered chan struct{}
}

func (s *thingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.runs.Add(1)
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.gate != nil {
		<-s.gate
	}
	b, _ := io.ReadAll(r.Body)
	switch string(b) {
	case "fail":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "panic":
		panic("handler panic")
	case "secret":
		w.Header().Set("Cache-Control", "no-store")
		NoReplay(r)
		_ = WriteJSON(w, http.StatusCreated, map[string]any{"token": fmt.Sprintf("tok-%d", n)})
		return
	case "page":
		// An ordinary answer that caches must not keep (every page and most
		// API answers say so): it is replayed all the same.
		w.Header().Set("Cache-Control", "no-store")
		_ = WriteJSON(w, http.StatusCreated, map[string]any{"run": n})
		return
	case "binary":
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte{0, 0xff, 0xfe, 'x'})
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/things/%d", n))
	w.Header().Set("X-Not-Replayed", "1")
	_ = WriteJSON(w, http.StatusCreated, map[string]any{"run": n, "got": string(b)})
}

func idemHandler(i *Idempotency, s http.Handler) http.Handler {
	return Chain(s, i.Middleware, Recover(slog.New(slog.NewTextHandler(io.Discard, nil))))
}

func post(t testing.TB, h http.Handler, key, body string, opts ...func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", "/things?x=1", strings.NewReader(body))
	r.Header.Set("Accept-Language", "en")
	if key != "" {
		r.Header.Set(HeaderIdempotencyKey, key)
	}
	for _, o := range opts {
		o(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func errCode(t testing.TB, w *httptest.ResponseRecorder) (kind, message string) {
	t.Helper()
	var b i18n.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("not an error body: %d %q", w.Code, w.Body)
	}
	return b.Code, b.Message
}

func msg(code string) string { return i18n.Default().Message(i18n.EN, code, nil) }

func TestIdempotency(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		t.Run("RepeatReplayed", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db}, s)
			first := post(t, h, "k-replay", `{"a":1}`)
			again := post(t, h, "k-replay", `{"a":1}`)
			if first.Code != 201 || again.Code != 201 || first.Body.String() != again.Body.String() || s.runs.Load() != 1 {
				t.Fatalf("first %d %q, again %d %q, runs %d", first.Code, first.Body, again.Code, again.Body, s.runs.Load())
			}
			if again.Header().Get(HeaderReplayed) != "true" || first.Header().Get(HeaderReplayed) != "" {
				t.Error("Idempotency-Replayed missing on the repeat, or set on the first answer")
			}
			if again.Header().Get("Location") != "/things/1" || again.Header().Get("Content-Type") != first.Header().Get("Content-Type") ||
				again.Header().Get("X-Not-Replayed") != "" {
				t.Errorf("replayed headers %v", again.Header())
			}
		})
		t.Run("WithoutKeyRunsEachTime", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db}, s)
			post(t, h, "", "x")
			post(t, h, "", "x")
			if s.runs.Load() != 2 {
				t.Errorf("runs %d", s.runs.Load())
			}
		})
		t.Run("ErrKeyInvalid", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db}, s)
			for _, key := range []string{strings.Repeat("k", 256), "tab\there", "中文"} {
				w := post(t, h, key, "x")
				if kind, m := errCode(t, w); w.Code != 400 || kind != "bad_request" || m != msg("request.idempotency_key_invalid") {
					t.Errorf("key %q: %d %s %s", key, w.Code, kind, m)
				}
			}
			if s.runs.Load() != 0 {
				t.Error("handler ran")
			}
		})
		t.Run("ErrKeyReused", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db}, s)
			post(t, h, "k-reused", "one")
			w := post(t, h, "k-reused", "two")
			if kind, m := errCode(t, w); w.Code != 409 || kind != "conflict" || m != msg("request.idempotency_key_reused") || s.runs.Load() != 1 {
				t.Errorf("%d %s %s, runs %d", w.Code, kind, m, s.runs.Load())
			}
		})
		t.Run("ScopesKeptApart", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db, Scope: func(r *http.Request) string { return r.Header.Get("X-Account") }}, s)
			post(t, h, "k-scope", "x", func(r *http.Request) { r.Header.Set("X-Account", "1") })
			post(t, h, "k-scope", "x", func(r *http.Request) { r.Header.Set("X-Account", "2") })
			post(t, h, "k-scope", "x", func(r *http.Request) { r.RemoteAddr = "192.0.2.7:1234" }) // "" → the address
			if s.runs.Load() != 3 {
				t.Errorf("runs %d", s.runs.Load())
			}
		})
		t.Run("ServerErrorNotStored", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db}, s)
			for _, body := range []string{"fail", "panic"} {
				key := "k-5xx-" + body
				if w := post(t, h, key, body); w.Code != 500 {
					t.Fatalf("%s: status %d", body, w.Code)
				}
				if w := post(t, h, key, body); w.Code != 500 || w.Header().Get(HeaderReplayed) != "" {
					t.Errorf("%s: repeat %d %v", body, w.Code, w.Header())
				}
			}
			if s.runs.Load() != 4 {
				t.Errorf("runs %d, want 4", s.runs.Load())
			}
		})
		t.Run("NoStoreNotStored", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db}, s)
			first, again := post(t, h, "k-secret", "secret"), post(t, h, "k-secret", "secret")
			if first.Code != 201 || again.Header().Get(HeaderReplayed) != "" || s.runs.Load() != 2 {
				t.Errorf("%d %v, runs %d", again.Code, again.Header(), s.runs.Load())
			}
			var n int
			if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM idempotency_keys WHERE body LIKE '%tok-%'`).Scan(&n); err != nil || n != 0 {
				t.Errorf("a token rests in the table: %d %v", n, err)
			}
		})
		t.Run("NoStoreAnswerReplayed", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db}, s)
			first, again := post(t, h, "k-page", "page"), post(t, h, "k-page", "page")
			if first.Code != 201 || again.Header().Get(HeaderReplayed) != "true" || again.Body.String() != first.Body.String() || s.runs.Load() != 1 {
				t.Errorf("no-store answer not replayed: %d %v %q, runs %d", again.Code, again.Header(), again.Body, s.runs.Load())
			}
		})
		t.Run("BinaryBodyReplayed", func(t *testing.T) {
			h := idemHandler(&Idempotency{DB: db}, &thingServer{})
			first, again := post(t, h, "k-bin", "binary"), post(t, h, "k-bin", "binary")
			if again.Body.String() != first.Body.String() || again.Header().Get("Content-Type") != "application/octet-stream" {
				t.Errorf("replayed %q, want %q", again.Body, first.Body)
			}
		})
		t.Run("ErrInFlight", func(t *testing.T) {
			s := &thingServer{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
			h := idemHandler(&Idempotency{DB: db}, s)
			done := make(chan *httptest.ResponseRecorder)
			go func() { done <- post(t, h, "k-flight", "x") }()
			<-s.entered
			w := post(t, h, "k-flight", "x")
			if kind, m := errCode(t, w); w.Code != 409 || kind != "conflict" || m != msg("request.idempotency_in_flight") || w.Header().Get("Retry-After") == "" {
				t.Errorf("%d %s %s", w.Code, kind, m)
			}
			close(s.gate)
			if first := <-done; first.Code != 201 {
				t.Errorf("first %d", first.Code)
			}
		})
		t.Run("OtherMethodsPass", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db}, s)
			for range 2 {
				r := httptest.NewRequest("PUT", "/things", strings.NewReader("x"))
				r.Header.Set(HeaderIdempotencyKey, "k-put")
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
			if s.runs.Load() != 2 {
				t.Errorf("runs %d", s.runs.Load())
			}
		})
		t.Run("ErrTooLarge", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db, MaxBody: 8}, s)
			if w := post(t, h, "k-big", "123456789"); w.Code != 413 || s.runs.Load() != 0 {
				t.Errorf("%d, runs %d", w.Code, s.runs.Load())
			}
		})
	})
}

// Concurrent identical requests run the handler once; the others replay its
// answer or are told it is in flight.
func TestIdempotencyConcurrent(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		s := &thingServer{}
		h := idemHandler(&Idempotency{DB: db}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(20 * time.Millisecond)
			s.ServeHTTP(w, r)
		}))
		var wg sync.WaitGroup
		codes := make([]int, 12)
		for n := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[n] = post(t, h, "k-race", `{"same":true}`).Code
			}()
		}
		wg.Wait()
		if s.runs.Load() != 1 {
			t.Errorf("handler ran %d times", s.runs.Load())
		}
		for _, c := range codes {
			if c != 201 && c != 409 {
				t.Errorf("status %d in %v", c, codes)
			}
		}
	})
}

// Keys live in the database: a new process (a new handle on the same
// database, a new Idempotency) still replays.
func TestIdempotencyAcrossRestart(t *testing.T) {
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			dsn := sqltest.DSN(t, eng)
			open := func() *sqlstore.DB {
				db, err := sqlstore.Open(ctx, dsn, nil)
				if err != nil {
					t.Fatal(err)
				}
				return db
			}
			db := open()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			s := &thingServer{}
			first := post(t, idemHandler(&Idempotency{DB: db}, s), "k-restart", "x")
			db.Close()

			db = open()
			defer db.Close()
			again := post(t, idemHandler(&Idempotency{DB: db}, s), "k-restart", "x")
			if again.Code != first.Code || again.Body.String() != first.Body.String() || again.Header().Get(HeaderReplayed) != "true" || s.runs.Load() != 1 {
				t.Errorf("after restart: %d %q (first %d %q), runs %d", again.Code, again.Body, first.Code, first.Body, s.runs.Load())
			}
		})
	}
}

// Keys expire after the TTL by the database's clock; an answer never
// completed frees its key after InFlight; Sweep deletes expired rows.
func TestIdempotencyExpiry(t *testing.T) {
	clock := beian.NewManualClock(idemStart)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(idemStart)
		t.Run("ExpiredRunsAgain", func(t *testing.T) {
			s := &thingServer{}
			h := idemHandler(&Idempotency{DB: db, TTL: time.Hour}, s)
			post(t, h, "k-ttl", "x")
			clock.Advance(59 * time.Minute)
			post(t, h, "k-ttl", "x")
			if s.runs.Load() != 1 {
				t.Fatalf("runs %d before the TTL", s.runs.Load())
			}
			clock.Advance(2 * time.Minute)
			if w := post(t, h, "k-ttl", "other body, new request"); w.Code != 201 || s.runs.Load() != 2 {
				t.Errorf("after the TTL: %d, runs %d", w.Code, s.runs.Load())
			}
		})
		t.Run("AbandonedTakenOver", func(t *testing.T) {
			s := &thingServer{gate: make(chan struct{}), entered: make(chan struct{}, 2)}
			h := idemHandler(&Idempotency{DB: db, InFlight: time.Minute}, s)
			done := make(chan *httptest.ResponseRecorder)
			go func() { done <- post(t, h, "k-abandoned", "x") }()
			<-s.entered
			clock.Advance(2 * time.Minute)
			go func() { done <- post(t, h, "k-abandoned", "x") }()
			<-s.entered // the second took the key over and runs
			close(s.gate)
			<-done
			<-done
			w := post(t, h, "k-abandoned", "x")
			if w.Header().Get(HeaderReplayed) != "true" || s.runs.Load() != 2 {
				t.Errorf("third: %d %v, runs %d", w.Code, w.Header(), s.runs.Load())
			}
		})
		t.Run("Sweep", func(t *testing.T) {
			i := &Idempotency{DB: db}
			post(t, idemHandler(i, &thingServer{}), "k-sweep", "x")
			if n, err := i.SweepExpired(context.Background()); err != nil || n != 0 {
				t.Fatalf("swept %d fresh keys, %v", n, err)
			}
			n, err := i.Sweep(context.Background(), clock.Now().Add(time.Second))
			if err != nil || n < 1 {
				t.Fatalf("swept %d, %v", n, err)
			}
			var left int
			if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM idempotency_keys`).Scan(&left); err != nil || left != 0 {
				t.Errorf("left %d, %v", left, err)
			}
		})
	})
}
