package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// benchAPIResult is the JSON of one `beian bench api` run.
type benchAPIResult struct {
	Engine          string  `json:"engine"`
	Instances       int     `json:"instances"` // servers on the one database
	Clients         int     `json:"clients"`
	Reviewers       int     `json:"reviewers"`
	Verifiers       int     `json:"verifiers"`
	BureauReviewers int     `json:"bureau_reviewers"`
	DurationSecs    float64 `json:"duration_seconds"`
	PollMs          float64 `json:"poll_ms"`
	RampSecs        float64 `json:"ramp_seconds"` // the customers joined one by one over this time
	Bureau          string  `json:"bureau"`
	SetupSecs       float64 `json:"setup_seconds"` // sign-ups, logins, servers, domains (before the load)

	Steps            int            `json:"steps"` // state transitions made through the API within the duration
	StepsPerSec      float64        `json:"steps_per_second"`
	StepsByKind      map[string]int `json:"steps_by_kind"`
	Lifecycles       int            `json:"lifecycles"` // orders walked draft → approved within the duration
	LifecyclesPerSec float64        `json:"lifecycles_per_second"`
	LifecycleP50Ms   float64        `json:"lifecycle_p50_ms"`
	LifecycleP99Ms   float64        `json:"lifecycle_p99_ms"`
	ServerApproved   int            `json:"server_approved_orders"` // orders in approved in the database at the end
	Requests         int            `json:"requests"`               // during the load
	RequestsPerSec   float64        `json:"requests_per_second"`
	Errors           benchErrors    `json:"errors"`
	Routes           []routeStat    `json:"routes"`       // during the load
	SetupRoutes      []routeStat    `json:"setup_routes"` // before it
	Waits            []waitStat     `json:"waits"`        // customers' waits for the others and the server's background work

	Pgbench *pgbenchResult `json:"pgbench,omitempty"`
	Ratio   *float64       `json:"steps_per_tps,omitempty"` // StepsPerSec ÷ Pgbench.TPS
	Targets []targetStat   `json:"targets"`
	Pass    bool           `json:"pass"` // every target met
	Machine machineInfo    `json:"machine"`
}

// benchErrors counts what went wrong during the load.
type benchErrors struct {
	Status5xx      int      `json:"status_5xx"`
	Status4xx      int      `json:"status_4xx"` // claim conflicts aside
	Transport      int      `json:"transport"`  // no answer
	ClaimConflicts int      `json:"claim_conflicts"`
	Failures       int      `json:"failed_walks"` // a customer's, reviewer's, verifier's or bureau's step that failed
	First          []string `json:"first_failures,omitempty"`
}

// routeStat is the latency of one route pattern.
type routeStat struct {
	Route     string   `json:"route"`
	Count     int      `json:"count"`
	P50Ms     float64  `json:"p50_ms"`
	P99Ms     float64  `json:"p99_ms"`
	MaxMs     float64  `json:"max_ms"`
	Status4xx int      `json:"status_4xx"`
	Status5xx int      `json:"status_5xx"`
	TargetMs  *float64 `json:"target_p99_ms,omitempty"` // none for login and uploads
	// Statements is the statements sent to PostgreSQL per request of the
	// route, BEGIN and COMMIT included (the server's count); none on SQLite.
	Statements *float64 `json:"statements_per_request,omitempty"`
	Met        *bool    `json:"met,omitempty"`
}

// waitStat is how long customers waited at one point of the walk.
type waitStat struct {
	What   string  `json:"what"`
	Count  int     `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
}

// targetStat is one target and whether the run met it.
type targetStat struct {
	Target string `json:"target"`
	Figure string `json:"figure"`
	Met    bool   `json:"met"`
}

// machineInfo says where the figures come from.
type machineInfo struct {
	CPUs       int    `json:"cpus"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GoVersion  string `json:"go_version"`
	LoadBefore string `json:"load_average_before"`
	LoadAfter  string `json:"load_average_after"`
	// During the load, from the kernel's scheduler statistics of this
	// process's threads (Linux): time on a CPU, and time runnable but
	// waiting for one (a busy, shared machine shows here).
	CPUSecs     float64 `json:"process_cpu_seconds,omitempty"`
	RunWaitSecs float64 `json:"process_runqueue_wait_seconds,omitempty"`
}

func machineNow() machineInfo {
	return machineInfo{CPUs: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version(), LoadBefore: loadAverage()}
}

// loadAverage is the 1, 5 and 15 minute load average (Linux), or "".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

// schedTotals sums the scheduler statistics of the process's threads
// (/proc/self/task/*/schedstat: ns on a CPU, ns waiting on a run queue);
// zero where the kernel has none.
func schedTotals() (onCPU, waiting time.Duration) {
	paths, _ := filepath.Glob("/proc/self/task/*/schedstat")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		f := strings.Fields(string(b))
		if err != nil || len(f) < 2 {
			continue
		}
		run, _ := strconv.ParseInt(f[0], 10, 64)
		wait, _ := strconv.ParseInt(f[1], 10, 64)
		onCPU, waiting = onCPU+time.Duration(run), waiting+time.Duration(wait)
	}
	return onCPU, waiting
}

// millis is d in milliseconds.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchRoutePatterns are the routes the benchmark calls, as the server
// registers them: latencies are reported by pattern, not by raw path.
var benchRoutePatterns = []string{
	"POST /api/v1/signup", "POST /api/v1/sessions", "POST /api/v1/resources", "POST /api/v1/precheck",
	"POST /api/v1/orders", "GET /api/v1/orders/{id}", "PATCH /api/v1/orders/{id}", "POST /api/v1/orders/{id}/submit",
	"POST /api/v1/orders/{id}/documents", "GET /api/v1/orders/{id}/timeline", "POST /api/v1/orders/{id}/verification",
	"POST /api/v1/orders/{id}/abandon", "GET /api/v1/filings",
	"GET /api/v1/review/queue", "POST /api/v1/review/orders/{id}/claim", "POST /api/v1/review/orders/{id}/decision",
	"POST /api/v1/review/orders/{id}/verification-photo",
	"POST /api/v1/registry/sms-confirmations",
	"GET /api/v1/bureau/queue", "GET /api/v1/bureau/orders/{id}", "POST /api/v1/bureau/orders/{id}/decision",
	"GET /api/v1/sandbox/clock", "PUT /api/v1/sandbox/bureau-policy", "POST /api/v1/sandbox/domains", "GET /api/v1/sandbox/messages",
}

// untargeted are the routes the p99 target leaves out: login (argon2id by
// design) and uploads (documents and photos, checked and stored).
var untargeted = []string{"POST /api/v1/sessions", "POST /api/v1/signup", "POST /api/v1/orders/{id}/documents",
	"POST /api/v1/orders/{id}/verification", "POST /api/v1/review/orders/{id}/verification-photo"}

// claimRoute is where a lost race between reviewers shows (409).
const claimRoute = "POST /api/v1/review/orders/{id}/claim"

// routeSamples are one route's observations.
type routeSamples struct {
	took                      []time.Duration
	s4xx, s5xx, s409, noReply int
}

// benchRecorder collects the observations of a run; safe for concurrent use.
type benchRecorder struct {
	mux *http.ServeMux // pattern lookup only

	mu         sync.Mutex
	start, end time.Time // the load's window; zero before it begins
	setup      map[string]*routeSamples
	load       map[string]*routeSamples
	steps      map[string]int
	waits      map[string][]time.Duration
	lifecycles []time.Duration
	failures   []string
	failed     int
}

func newBenchRecorder() *benchRecorder {
	r := &benchRecorder{mux: http.NewServeMux(), setup: map[string]*routeSamples{}, load: map[string]*routeSamples{},
		steps: map[string]int{}, waits: map[string][]time.Duration{}}
	for _, p := range benchRoutePatterns {
		r.mux.Handle(p, http.NotFoundHandler())
	}
	return r
}

// pattern is the route pattern of a request, or METHOD PATH when the
// benchmark does not know it.
func (r *benchRecorder) pattern(method, path string) string {
	req, err := http.NewRequest(method, "http://bench"+path, nil)
	if err != nil {
		return method + " " + path
	}
	if _, p := r.mux.Handler(req); p != "" {
		return p
	}
	return method + " " + req.URL.Path
}

// observe is apiClient.observe: one request.
func (r *benchRecorder) observe(method, path string, status int, took time.Duration) {
	route := r.pattern(method, path)
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.setup
	if !r.start.IsZero() {
		m = r.load
	}
	s := m[route]
	if s == nil {
		s = &routeSamples{}
		m[route] = s
	}
	switch {
	case status == 0:
		s.noReply++
		return
	case status >= 500:
		s.s5xx++
	case status == http.StatusConflict && route == claimRoute:
		s.s409++
	case status >= 400:
		s.s4xx++
	}
	s.took = append(s.took, took)
}

// begin starts the load's window of length d.
func (r *benchRecorder) begin(start time.Time, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.start, r.end = start, start.Add(d)
}

// within reports whether now is inside the window; r.mu is held.
func (r *benchRecorder) within() bool {
	now := time.Now()
	return !r.start.IsZero() && !now.Before(r.start) && now.Before(r.end)
}

// step counts a state transition made through the API (within the window).
func (r *benchRecorder) step(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.within() {
		r.steps[kind]++
	}
}

// wait records a customer's wait (within the window).
func (r *benchRecorder) wait(what string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.within() {
		r.waits[what] = append(r.waits[what], d)
	}
}

// lifecycle counts an order walked draft → approved (within the window).
func (r *benchRecorder) lifecycle(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.within() {
		r.lifecycles = append(r.lifecycles, d)
	}
}

// failure records a failed step; the first few are kept with their error.
func (r *benchRecorder) failure(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	if len(r.failures) < 10 {
		r.failures = append(r.failures, what)
	}
}

// quantile is the q-quantile of sorted durations, in milliseconds.
func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return millis(sorted[min(len(sorted)-1, int(q*float64(len(sorted))))])
}

// routeStats turns samples into figures, busiest route first.
func routeStats(m map[string]*routeSamples) []routeStat {
	var out []routeStat
	for route, s := range m {
		slices.Sort(s.took)
		rs := routeStat{Route: route, Count: len(s.took) + s.noReply, P50Ms: quantile(s.took, 0.5), P99Ms: quantile(s.took, 0.99),
			Status4xx: s.s4xx, Status5xx: s.s5xx}
		if len(s.took) > 0 {
			rs.MaxMs = millis(s.took[len(s.took)-1])
		}
		out = append(out, rs)
	}
	slices.SortFunc(out, func(a, b routeStat) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Route, b.Route)) })
	return out
}

// fill writes the window's figures into res.
func (r *benchRecorder) fill(res *benchAPIResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	secs := r.end.Sub(r.start).Seconds()
	res.StepsByKind = map[string]int{}
	for k, n := range r.steps {
		res.StepsByKind[k] = n
		res.Steps += n
	}
	res.StepsPerSec = float64(res.Steps) / secs
	slices.Sort(r.lifecycles)
	res.Lifecycles, res.LifecyclesPerSec = len(r.lifecycles), float64(len(r.lifecycles))/secs
	res.LifecycleP50Ms, res.LifecycleP99Ms = quantile(r.lifecycles, 0.5), quantile(r.lifecycles, 0.99)
	res.Routes, res.SetupRoutes = routeStats(r.load), routeStats(r.setup)
	for _, s := range r.load {
		res.Requests += len(s.took) + s.noReply
		res.Errors.Status5xx += s.s5xx
		res.Errors.Status4xx += s.s4xx
		res.Errors.ClaimConflicts += s.s409
		res.Errors.Transport += s.noReply
	}
	res.RequestsPerSec = float64(res.Requests) / secs
	res.Errors.Failures, res.Errors.First = r.failed, slices.Clone(r.failures)
	for what, ds := range r.waits {
		slices.Sort(ds)
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		res.Waits = append(res.Waits, waitStat{What: what, Count: len(ds), MeanMs: millis(sum) / float64(len(ds)),
			P50Ms: quantile(ds, 0.5), P99Ms: quantile(ds, 0.99)})
	}
	slices.SortFunc(res.Waits, func(a, b waitStat) int { return strings.Compare(a.What, b.What) })
}

// judge marks the targets met or missed.
func (res *benchAPIResult) judge() {
	res.Pass = true
	target := millis(targetRouteP99)
	var missed []string
	for i := range res.Routes {
		rt := &res.Routes[i]
		if slices.Contains(untargeted, rt.Route) {
			continue
		}
		met := rt.P99Ms < target
		rt.TargetMs, rt.Met = &target, &met
		if !met {
			missed = append(missed, fmt.Sprintf("%s %.0f ms", rt.Route, rt.P99Ms))
		}
	}
	name := fmt.Sprintf("p99 < %.0f ms for every route but login and uploads, at %d clients", target, targetClients)
	if res.Clients != targetClients {
		name += fmt.Sprintf(" (this run: %d)", res.Clients)
	}
	fig := "all met"
	if len(missed) > 0 {
		fig = "missed: " + strings.Join(missed, "; ")
	}
	res.Targets = append(res.Targets, targetStat{Target: name, Figure: fig, Met: len(missed) == 0})
	if res.Pgbench != nil && res.Pgbench.TPS > 0 {
		ratio := res.StepsPerSec / res.Pgbench.TPS
		res.Ratio = &ratio
		res.Targets = append(res.Targets, targetStat{Target: fmt.Sprintf("order steps/s ÷ pgbench TPC-B tps ≥ %.1f (PostgreSQL)", targetStepsPerTPS),
			Figure: fmt.Sprintf("%.1f ÷ %.1f = %.3f", res.StepsPerSec, res.Pgbench.TPS, ratio), Met: ratio >= targetStepsPerTPS})
	}
	res.Targets = append(res.Targets, targetStat{Target: "no 5xx answer", Figure: fmt.Sprint(res.Errors.Status5xx), Met: res.Errors.Status5xx == 0})
	for _, t := range res.Targets {
		res.Pass = res.Pass && t.Met
	}
}

// printBenchAPI writes the figures as tables.
func printBenchAPI(w io.Writer, res benchAPIResult) {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "beian bench api — %s × %d server(s), %d customers, %d reviewers, %d verifiers, %d bureau reviewers, %.0f s (setup %.1f s)\n",
		res.Engine, max(1, res.Instances), res.Clients, res.Reviewers, res.Verifiers, res.BureauReviewers, res.DurationSecs, res.SetupSecs)
	fmt.Fprintf(w, "bureau: %s; customers re-read a waiting order every %.0f ms, and joined one by one over the first %.1f s\n", res.Bureau, res.PollMs, res.RampSecs)
	fmt.Fprintf(w, "machine: %d CPUs, %s; load average before %s, after %s; during the load this process ran %.1f s on a CPU and waited %.1f s for one\n\n",
		res.Machine.CPUs, res.Machine.GoVersion, res.Machine.LoadBefore, res.Machine.LoadAfter, res.Machine.CPUSecs, res.Machine.RunWaitSecs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	kinds := make([]string, 0, len(res.StepsByKind))
	for k, n := range res.StepsByKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(kinds)
	fmt.Fprintf(tw, "order steps\t%d, %.1f/s\t(%s)\n", res.Steps, res.StepsPerSec, strings.Join(kinds, ", "))
	fmt.Fprintf(tw, "lifecycles (draft → approved)\t%d, %.2f/s\tp50 %.1f s, p99 %.1f s; %d orders approved in the database\n",
		res.Lifecycles, res.LifecyclesPerSec, res.LifecycleP50Ms/1000, res.LifecycleP99Ms/1000, res.ServerApproved)
	fmt.Fprintf(tw, "requests\t%d, %.0f/s\t\n", res.Requests, res.RequestsPerSec)
	fmt.Fprintf(tw, "errors\t5xx %d, 4xx %d, no answer %d\tclaim conflicts %d, failed steps %d\n", res.Errors.Status5xx, res.Errors.Status4xx,
		res.Errors.Transport, res.Errors.ClaimConflicts, res.Errors.Failures)
	if pb := res.Pgbench; pb != nil {
		fmt.Fprintf(tw, "pgbench TPC-B\t%.1f tps\tscale %d, -c %d -j %d -T %d (%s)\n", pb.TPS, pb.Scale, pb.Clients, pb.Threads, pb.Seconds, pb.Version)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "route\tcount\tp50 ms\tp99 ms\tmax ms\t4xx\t5xx\tp99 < 50 ms\tstatements\t")
	for _, rt := range res.Routes {
		mark, stmts := "—", "—"
		if rt.Met != nil {
			mark = verdict(*rt.Met)
		}
		if rt.Statements != nil {
			stmts = fmt.Sprintf("%.1f", *rt.Statements)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.0f\t%d\t%d\t%s\t%s\t\n", rt.Route, rt.Count, rt.P50Ms, rt.P99Ms, rt.MaxMs, rt.Status4xx, rt.Status5xx, mark, stmts)
	}
	for _, rt := range res.SetupRoutes {
		fmt.Fprintf(tw, "setup: %s\t%d\t%.1f\t%.1f\t%.0f\t%d\t%d\t\t\t\n", rt.Route, rt.Count, rt.P50Ms, rt.P99Ms, rt.MaxMs, rt.Status4xx, rt.Status5xx)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "customers waited for\tcount\tmean\tp50\tp99\t")
	for _, ws := range res.Waits {
		fmt.Fprintf(tw, "%s\t%d\t%.2f s\t%.2f s\t%.2f s\t\n", ws.What, ws.Count, ws.MeanMs/1000, ws.P50Ms/1000, ws.P99Ms/1000)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, t := range res.Targets {
		fmt.Fprintf(w, "target %s: %s — %s\n", t.Target, t.Figure, verdict(t.Met))
	}
	for _, f := range res.Errors.First {
		fmt.Fprintf(w, "failed: %s\n", f)
	}
	fmt.Fprintf(w, "all targets met: %v\n", res.Pass)
}

// writeJSONFile writes v as indented JSON.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the figures: %w", err)
	}
	return nil
}
