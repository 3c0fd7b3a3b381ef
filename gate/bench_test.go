package gate

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian/sqlstore"
)

// benchN is the number of domains of the benchmarks: BEIAN_BENCH_N, or
// 100000 so that `go test -bench` stays quick (CONVENTIONS.md habit 8);
// the 10-million figures come from BEIAN_BENCH_N=10000000 or `beian bench
// gate` (docs/performance.md, "The gate").
func benchN(b *testing.B) int {
	if s := os.Getenv("BEIAN_BENCH_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("BEIAN_BENCH_N=%q", s)
		}
		return n
	}
	return 100000
}

var benchGates sync.Map // n -> *Gate, built once per process

func benchGate(b *testing.B) (*Gate, []string) {
	n := benchN(b)
	g, ok := benchGates.Load(n)
	if !ok {
		gg := New(Options{})
		gg.LoadSynthetic(1, n)
		g, _ = benchGates.LoadOrStore(n, gg)
	}
	return g.(*Gate), SyntheticHosts(1, n, 1<<20)
}

// BenchmarkCheck is the in-process host check (target: ≤ 250 ns/op and no
// allocation over 10 million domains).
func BenchmarkCheck(b *testing.B) {
	g, hosts := benchGate(b)
	b.ReportAllocs()
	b.ResetTimer()
	served := 0
	for i := 0; b.Loop(); i++ {
		if g.Check(hosts[i&(len(hosts)-1)]).Allowed {
			served++
		}
	}
	if served == 0 {
		b.Fatal("nothing served")
	}
	n, bytes := g.Size()
	b.ReportMetric(float64(bytes)/float64(n), "index-B/domain")
}

// BenchmarkMatch is the index's label walk alone: no normalising, no
// counting (the synthetic hosts are normalised already).
func BenchmarkMatch(b *testing.B) {
	g, hosts := benchGate(b)
	ix := g.ix.Load()
	b.ReportAllocs()
	b.ResetTimer()
	found := 0
	for i := 0; b.Loop(); i++ {
		if code, _, _ := ix.match(hosts[i&(len(hosts)-1)]); code != codeEmpty {
			found++
		}
	}
	if found == 0 {
		b.Fatal("nothing found")
	}
}

// BenchmarkMapBaseline is the anchor of the issue: a map[string]struct{}
// with the same label walk.
func BenchmarkMapBaseline(b *testing.B) {
	n := benchN(b)
	m := make(map[string]struct{}, n)
	for i := range n {
		d, _, reason := SyntheticRow(1, i)
		if reason == "served" {
			m[d] = struct{}{}
		}
	}
	hosts := SyntheticHosts(1, n, 1<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		h, _ := normalizeHost(hosts[i&(len(hosts)-1)])
		for j := len(h) - 1; j >= -1; j-- {
			if j == -1 || h[j] == '.' {
				if _, ok := m[h[j+1:]]; ok {
					break
				}
			}
		}
	}
}

// BenchmarkAuthHandler is /gate/auth through net/http's handler, without
// the network.
func BenchmarkAuthHandler(b *testing.B) {
	g, hosts := benchGate(b)
	mux := http.NewServeMux()
	g.Routes(mux)
	req := httptest.NewRequest("GET", "/gate/auth", nil)
	req.RemoteAddr = "127.0.0.1:5000"
	w := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req.Header.Set("X-Original-Host", hosts[i&(len(hosts)-1)])
		w.Body.Reset()
		mux.ServeHTTP(w, req)
	}
}

// BenchmarkSnapshot is a gate's cold start from the database of
// BEIAN_BENCH_DB (e.g. one that `beian bench gate --db sqlite:///tmp/g.db
// --keep` filled); it is skipped without it.
func BenchmarkSnapshot(b *testing.B) {
	raw := os.Getenv("BEIAN_BENCH_DB")
	if raw == "" {
		b.Skip("BEIAN_BENCH_DB is not set")
	}
	dsn, err := sqlstore.ParseDSN(raw)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlstore.Open(b.Context(), dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := New(Options{DB: db})
	for b.Loop() {
		f := &follower{g: g, gaps: map[int64]time.Time{}}
		if err := f.snapshot(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	n, bytes := g.Size()
	b.ReportMetric(float64(n), "domains")
	b.ReportMetric(float64(bytes)/float64(max(n, 1)), "index-B/domain")
}
