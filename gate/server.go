package gate

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/beian/beian/web"
)

// Mux returns the routes of `beian gate` alone: the gate's routes (Routes)
// plus GET /healthz, GET /readyz (Readiness) and GET /metrics (the gate's
// registry with the Go and process collectors).
func (g *Gate) Mux() *http.ServeMux {
	mux := http.NewServeMux()
	g.Routes(mux)
	mux.HandleFunc("GET /healthz", web.Healthz)
	mux.HandleFunc("GET /readyz", web.Readyz(g.Readiness))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux.Handle("GET /metrics", promhttp.HandlerFor(prometheus.Gatherers{g.metrics.Registry, reg}, promhttp.HandlerOpts{}))
	return mux
}
