package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/beian/beian/gate"
	"github.com/beian/beian/sqlstore"
)

// Targets of the gate (issue 8; docs/performance.md, "The gate").
const (
	targetCheckNs       = 250.0 // in-process host check over 10 million domains
	targetBytesPerEntry = 40.0  // index memory per domain, the name included
	targetColdStart     = 10 * time.Second
)

// gateBenchResult is the JSON of `beian bench gate`.
type gateBenchResult struct {
	Domains        int     `json:"domains"`
	Seed           int64   `json:"seed"`
	Lookups        int     `json:"lookups"`
	BuildSecs      float64 `json:"build_seconds"`
	IndexBytes     int     `json:"index_bytes"`
	BytesPerDomain float64 `json:"bytes_per_domain"`
	CheckNs        float64 `json:"check_ns_per_op"`      // thread CPU time per check
	CheckWallNs    float64 `json:"check_wall_ns_per_op"` // wall time per check (shared machines inflate it)
	AllocsPerOp    float64 `json:"allocs_per_op"`
	ServedShare    float64 `json:"served_share"`
	MapNs          float64 `json:"map_baseline_ns_per_op"`
	MapBytes       float64 `json:"map_baseline_bytes_per_domain"`
	Engine         string  `json:"engine,omitempty"`
	BulkSecs       float64 `json:"bulk_load_seconds,omitempty"`
	ColdStartSecs  float64 `json:"cold_start_seconds,omitempty"`
	HostsFile      string  `json:"hosts_file,omitempty"`
	Pass           bool    `json:"pass"`
}

// benchGate is `beian bench gate`: it builds the index from --n synthetic
// domains in process (build time, memory per domain), times the host
// check against the map-and-walk baseline of the issue, and with --db
// bulk-loads the rows into the provider's servable_domains table and
// times a gate's cold start from it. --queries is the number of checks,
// raised to 50 per domain up to 5 million so that the figures are stable. With --keep on SQLite the database is kept and the
// request hosts written beside it (PATH.hosts) for scripts/gate-vs-nginx.sh.
func benchGate(ctx context.Context, e *env, o benchOptions) error {
	seed := uint64(o.seed)
	res := gateBenchResult{Domains: o.n, Seed: o.seed, Lookups: max(o.queries, min(5_000_000, 50*o.n))}
	fmt.Fprintf(e.stderr, "building the index of %d synthetic domains …\n", o.n)
	g := gate.New(gate.Options{})
	start := time.Now()
	g.LoadSynthetic(seed, o.n)
	res.BuildSecs = time.Since(start).Seconds()
	n, bytes := g.Size()
	res.IndexBytes, res.BytesPerDomain = bytes, float64(bytes)/float64(n)
	hosts := gate.SyntheticHosts(seed, o.n, 1<<20)

	fmt.Fprintf(e.stderr, "checking %d hosts in process …\n", res.Lookups)
	served := 0
	for _, h := range hosts {
		if g.Check(h).Allowed {
			served++
		}
	}
	res.ServedShare = float64(served) / float64(len(hosts))
	res.CheckNs, res.CheckWallNs, res.AllocsPerOp = timeLoop(res.Lookups, func(i int) {
		g.Check(hosts[i&(len(hosts)-1)])
	})

	fmt.Fprintf(e.stderr, "the baseline: map[string]struct{} and the same label walk …\n")
	res.MapNs, res.MapBytes = mapBaseline(seed, o.n, hosts, res.Lookups)
	runtime.GC()

	if o.db != "" {
		if err := benchGateDB(ctx, e, o, &res, hosts); err != nil {
			return err
		}
	}
	res.Pass = res.CheckNs <= targetCheckNs && res.AllocsPerOp == 0 && res.BytesPerDomain <= targetBytesPerEntry &&
		(o.db == "" || res.ColdStartSecs <= targetColdStart.Seconds())
	printGateBench(e.stdout, res)
	if o.jsonPath != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		return os.WriteFile(o.jsonPath, append(b, '\n'), 0o644)
	}
	return nil
}

// timeLoop runs fn count times on one locked OS thread and returns the
// thread CPU time, the wall time and the allocations per call.
func timeLoop(count int, fn func(i int)) (cpuNs, wallNs, allocs float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := range min(count, 1<<20) { // warm up caches and branch predictors
		fn(i)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, wall0 := threadCPU(), time.Now()
	for i := range count {
		fn(i)
	}
	cpu, wall := threadCPU()-cpu0, time.Since(wall0)
	runtime.ReadMemStats(&after)
	return float64(cpu) / float64(count), float64(wall) / float64(count), float64(after.Mallocs-before.Mallocs) / float64(count)
}

// mapBaseline is the anchor: the served domains in a
// map[string]struct{}, looked up with the same walk.
func mapBaseline(seed uint64, n int, hosts []string, count int) (ns, bytesPerDomain float64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m := make(map[string]struct{})
	for i := range n {
		d, _, reason := gate.SyntheticRow(seed, i)
		if reason == "served" {
			m[d] = struct{}{}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	found := 0
	ns, _, _ = timeLoop(count, func(i int) {
		h := strings.ToLower(hosts[i&(len(hosts)-1)])
		for j := len(h) - 1; j >= -1; j-- {
			if j == -1 || h[j] == '.' {
				if _, ok := m[h[j+1:]]; ok {
					found++
					break
				}
			}
		}
	})
	runtime.KeepAlive(m)
	return ns, float64(after.HeapAlloc-before.HeapAlloc) / float64(max(len(m), 1))
}

// benchGateDB bulk-loads the rows and times a gate's cold start.
func benchGateDB(ctx context.Context, e *env, o benchOptions, res *gateBenchResult, hosts []string) error {
	dsn, err := sqlstore.ParseDSN(o.db)
	if err != nil {
		return usagef("beian bench gate: --db: %v", err)
	}
	target, _, cleanup, err := benchScratch(ctx, dsn, o.keep)
	if err != nil {
		return err
	}
	defer cleanup()
	res.Engine = dsn.Driver
	fmt.Fprintf(e.stderr, "bulk-loading %d servable-domain rows into %s …\n", o.n, target)
	if res.BulkSecs, err = gateBulkLoad(ctx, target, uint64(o.seed), o.n); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	if o.keep && target.Driver == sqlstore.SQLite {
		res.HostsFile = target.Path + ".hosts"
		if err := os.WriteFile(res.HostsFile, []byte(strings.Join(hosts, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	runtime.GC()
	fmt.Fprintf(e.stderr, "cold start of a gate from the database …\n")
	start := time.Now()
	db, err := sqlstore.Open(ctx, target, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := gate.New(gate.Options{DB: db, Poll: time.Hour})
	g.Start(gctx)
	for !g.Ready() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.ColdStartSecs = time.Since(start).Seconds()
	cancel()
	g.Wait()
	if got, _ := g.Size(); got != o.n {
		return fmt.Errorf("the gate loaded %d of %d domains", got, o.n)
	}
	return nil
}

// printGateBench writes the figures with their targets.
func printGateBench(w io.Writer, r gateBenchResult) {
	ok := func(b bool) string {
		if b {
			return "ok"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "beian bench gate — %d domains, seed %d, %d checks\n\n", r.Domains, r.Seed, r.Lookups)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tfigure\ttarget\t")
	fmt.Fprintf(tw, "index build (in process)\t%.1f s\t\t\n", r.BuildSecs)
	fmt.Fprintf(tw, "index memory\t%.1f B/domain (%d MB)\t≤ %.0f B  %s\t\n", r.BytesPerDomain, r.IndexBytes>>20, targetBytesPerEntry, ok(r.BytesPerDomain <= targetBytesPerEntry))
	fmt.Fprintf(tw, "host check (thread CPU)\t%.0f ns/op, %.2f allocs/op\t≤ %.0f ns, 0 allocs  %s\t\n", r.CheckNs, r.AllocsPerOp, targetCheckNs, ok(r.CheckNs <= targetCheckNs && r.AllocsPerOp == 0))
	fmt.Fprintf(tw, "host check (wall)\t%.0f ns/op\t\t\n", r.CheckWallNs)
	fmt.Fprintf(tw, "served share of the mix\t%.0f %%\t\t\n", 100*r.ServedShare)
	fmt.Fprintf(tw, "baseline: map + walk\t%.0f ns/op, %.0f B/domain\t\t\n", r.MapNs, r.MapBytes)
	if r.Engine != "" {
		fmt.Fprintf(tw, "bulk load (%s)\t%.1f s\t\t\n", r.Engine, r.BulkSecs)
		fmt.Fprintf(tw, "cold start (%s)\t%.1f s\t≤ %.0f s  %s\t\n", r.Engine, r.ColdStartSecs, targetColdStart.Seconds(), ok(r.ColdStartSecs <= targetColdStart.Seconds()))
	}
	tw.Flush()
	if r.HostsFile != "" {
		fmt.Fprintf(w, "\nrequest hosts for wrk: %s\n", r.HostsFile)
	}
	fmt.Fprintf(w, "\nall targets met: %v\n", r.Pass)
}
