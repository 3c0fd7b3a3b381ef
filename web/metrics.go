package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Metrics holds beian's Prometheus metrics on a private registry
// (CONVENTIONS.md habit 11), so that several servers in one process (tests,
// `beian serve` beside a gate) never share or clash over global collectors.
type Metrics struct {
	// Registry holds the collectors below plus the Go and process collectors.
	Registry *prometheus.Registry

	requests *prometheus.CounterVec   // beian_http_requests_total{route,method,status}
	errors   *prometheus.CounterVec   // beian_http_errors_total{code}
	gate     *prometheus.CounterVec   // beian_gate_decisions_total{reason}
	duration *prometheus.HistogramVec // beian_http_request_duration_seconds{route}
	stmts    *prometheus.CounterVec   // beian_http_db_statements_total{route}
}

// RouteUnmatched is the route label of requests no pattern matched. Labels
// never hold the raw path, whose values (numbers, domains) would make
// unbounded series.
const RouteUnmatched = "unmatched"

// gateReasons are the gate outcomes of API.md, created at zero so that
// dashboards and alerts see every series from the start.
var gateReasons = []string{"served", "unfiled", "pending", "access_cancelled", "cancelled", "lapsed"}

// NewMetrics returns the metrics on a new private registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "beian_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "beian_http_errors_total",
			Help: "Error answers, by error kind code.",
		}, []string{"code"}),
		gate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "beian_gate_decisions_total",
			Help: "Gate decisions, by reason.",
		}, []string{"reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "beian_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		stmts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "beian_http_db_statements_total",
			Help: "Statements sent to PostgreSQL while answering HTTP requests (each a round trip, BEGIN and COMMIT included), by route pattern; divide by the route's requests for statements per request. Not counted on SQLite.",
		}, []string{"route"}),
	}
	m.Registry.MustRegister(m.requests, m.errors, m.gate, m.duration, m.stmts,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, k := range beian.Kinds {
		m.errors.WithLabelValues(string(k))
	}
	for _, r := range gateReasons {
		m.gate.WithLabelValues(r)
	}
	return m
}

type metricsKey struct{}

// Middleware counts each request under its route pattern (r.Pattern as the
// ServeMux set it, or "unmatched"), method and status, and observes its
// duration. The pattern is found when next is the *http.ServeMux itself or
// a chain around one built by Chain, whatever the middleware between them
// do to the request. It also puts m in the request's
// context, where observeError finds it.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	mux, _ := next.(*http.ServeMux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // wall time of the server, not the domain clock
		rec := &recorder{ResponseWriter: w}
		var stmts sqlstore.StatementCount
		ctx := sqlstore.CountStatements(context.WithValue(r.Context(), metricsKey{}, m), &stmts)
		slot, ok := ctx.Value(routeKey{}).(*string)
		if !ok { // no AccessLog outside: a slot of its own for Chain's recorder
			slot = new(string)
			ctx = context.WithValue(ctx, routeKey{}, slot)
		}
		r = r.WithContext(ctx)
		defer func() {
			route := r.Pattern
			if route == "" {
				route = *slot // the mux's, when a middleware below replaced the request
			}
			if route == "" && mux != nil {
				_, route = mux.Handler(r)
			}
			if route == "" {
				route = RouteUnmatched
			}
			*slot = route
			m.requests.WithLabelValues(route, methodLabel(r.Method), strconv.Itoa(rec.Status())).Inc()
			m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
			if n := stmts.Load(); n > 0 {
				m.stmts.WithLabelValues(route).Add(float64(n))
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// methodLabel bounds the method label: clients choose the method freely.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return method
	}
	return "OTHER"
}

// ObserveError counts one error answer of the kind ("not_found", …); a
// string that is not a kind of API.md counts as "internal", which keeps the
// label set bounded.
func (m *Metrics) ObserveError(kind string) {
	known := false
	for _, k := range beian.Kinds {
		if string(k) == kind {
			known = true
			break
		}
	}
	if !known {
		kind = string(beian.KindInternal)
	}
	m.errors.WithLabelValues(kind).Inc()
}

// observeError counts err's kind on the Metrics that Middleware put in the
// request's context, if any. WriteError calls it once per error answer.
func observeError(r *http.Request, err error) {
	if m, ok := r.Context().Value(metricsKey{}).(*Metrics); ok && err != nil {
		m.ObserveError(string(beian.KindOf(err)))
	}
}

// GateDecision counts one gate decision by its reason ("served",
// "unfiled", … as in API.md). Reasons come from code, never from clients.
func (m *Metrics) GateDecision(reason string) {
	m.gate.WithLabelValues(reason).Inc()
}

// Handler serves the registry in the Prometheus text format, for GET /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
