package gate

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/beian/beian"
)

// Metrics are the gate's Prometheus metrics on a private registry
// (CONVENTIONS.md habit 11): lookups by outcome, index size and memory,
// staleness, snapshot build time, applied changes and feed errors.
type Metrics struct {
	// Registry holds the gate's collectors only; `beian gate` adds the Go
	// and process collectors when it serves /metrics alone.
	Registry *prometheus.Registry

	lookups    *lookupCounts // beian_gate_lookups_total{outcome}
	build      prometheus.Gauge
	snapshots  prometheus.Counter
	changes    prometheus.Counter
	feedErrors prometheus.Counter
}

func newMetrics(g *Gate) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry(), lookups: newLookupCounts()}
	lookups := lookupCollector{m.lookups, prometheus.NewDesc("beian_gate_lookups_total",
		"Gate lookups, by outcome (the API.md gate reason).", []string{"outcome"}, nil)}
	m.build = prometheus.NewGauge(prometheus.GaugeOpts{Name: "beian_gate_snapshot_build_seconds", Help: "Time the last full snapshot took to read and index."})
	m.snapshots = prometheus.NewCounter(prometheus.CounterOpts{Name: "beian_gate_snapshots_total", Help: "Full snapshots loaded."})
	m.changes = prometheus.NewCounter(prometheus.CounterOpts{Name: "beian_gate_changes_applied_total", Help: "Domain changes applied to the index, in process and from the change feed."})
	m.feedErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "beian_gate_feed_errors_total", Help: "Failed reads of the database (the gate answers from its last index meanwhile)."})
	m.Registry.MustRegister(lookups, m.build, m.snapshots, m.changes, m.feedErrors,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "beian_gate_index_domains", Help: "Domains in the index."},
			func() float64 { n, _ := g.Size(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "beian_gate_index_bytes", Help: "Memory of the index (table and arena)."},
			func() float64 { _, b := g.Size(); return float64(b) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "beian_gate_staleness_seconds", Help: "Seconds since the gate last read the database."},
			func() float64 { return g.Staleness().Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "beian_gate_ready", Help: "1 once the first snapshot has loaded."},
			func() float64 {
				if g.Ready() {
					return 1
				}
				return 0
			}),
	)
	return m
}

func (m *Metrics) count(code uint8) { m.lookups.add(code) }

// lookupCollector exports lookupCounts as beian_gate_lookups_total; codes
// 0, 6 and 7 are all unfiled and share one series.
type lookupCollector struct {
	c    *lookupCounts
	desc *prometheus.Desc
}

func (l lookupCollector) Describe(ch chan<- *prometheus.Desc) { ch <- l.desc }

func (l lookupCollector) Collect(ch chan<- prometheus.Metric) {
	unfiled := l.c.total(codeEmpty) + l.c.total(6) + l.c.total(7)
	ch <- prometheus.MustNewConstMetric(l.desc, prometheus.CounterValue, float64(unfiled), string(beian.GateUnfiled))
	for code := codeServed; code <= codeLapsed; code++ {
		ch <- prometheus.MustNewConstMetric(l.desc, prometheus.CounterValue, float64(l.c.total(code)), string(reasons[code]))
	}
}

// Metrics returns the gate's metrics.
func (g *Gate) Metrics() *Metrics { return g.metrics }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
