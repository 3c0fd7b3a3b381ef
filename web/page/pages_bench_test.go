package page

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/blob"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

// BenchmarkPages renders each desk page a user sees often through the
// pages' handler chain (security headers, language cookie, the real
// session authentication, the routes) with 100,000 orders in the
// database (issue 7 item 6: p99 under 50 ms), on SQLite and, with
// BEIAN_TEST_POSTGRES, on PostgreSQL. Each sub-benchmark reports the
// median and the 99th percentile of its renders in milliseconds beside
// the target. The seed (pagesSeed) is built once per engine, only when
// the benchmark runs (`go test -bench Pages`); BEIAN_BENCH_N changes the
// number of orders.
//
//	go test -run '^$' -bench Pages -benchtime 200x ./web/page
func BenchmarkPages(b *testing.B) {
	n := pagesBenchN(b)
	for _, eng := range sqltest.Engines(b) {
		env := pagesEnv(b, eng, n)
		for _, pg := range env.pages {
			b.Run(fmt.Sprintf("%s/orders=%d/%s", eng, n, pg.name), func(b *testing.B) {
				env.measure(b, pg)
			})
		}
	}
}

// BenchmarkOpsPage renders /ops alone (the figures of the first
// measurements in docs/performance.md); BenchmarkPages covers it too.
func BenchmarkOpsPage(b *testing.B) {
	n := pagesBenchN(b)
	for _, eng := range sqltest.Engines(b) {
		env := pagesEnv(b, eng, n)
		b.Run(fmt.Sprintf("%s/orders=%d", eng, n), func(b *testing.B) {
			env.measure(b, env.pages[slices.IndexFunc(env.pages, func(p pbPage) bool { return p.name == "ops" })])
		})
	}
}

// pagesTargetMS is issue 7's target for every page: p99 under 50 ms.
const pagesTargetMS = 50

// pagesBenchN is the number of orders: BEIAN_BENCH_N, or issue 7's 100,000.
func pagesBenchN(b *testing.B) int {
	if s := os.Getenv("BEIAN_BENCH_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 {
			b.Fatalf("BEIAN_BENCH_N=%q: want a number of orders of at least 100", s)
		}
		return n
	}
	return 100000
}

// pbPage is one page the benchmark renders.
type pbPage struct {
	name, as, target string // as: the cookie's role
	want             string // a text the answer must hold, proof it is the page asked for
	// before runs ahead of each render, untimed (ops_busy: an order moves
	// between two renders, as on a busy day).
	before func(b *testing.B)
}

// pbEnv is one engine's seeded database and the pages' handler on it.
type pbEnv struct {
	db      *sqlstore.DB
	svc     *provider.Service
	reg     *regulator.Registry
	seed    pbSeeded
	h       http.Handler
	cookies map[string]*http.Cookie // by role
	pages   []pbPage
	waiting []int64 // seeded orders in initial review that moveOne has not moved yet
	client  int     // distinct client addresses for the public query (Rule QRY-1 limits 60 a minute each)
}

var (
	pbMu   sync.Mutex
	pbEnvs = map[string]*pbEnv{} // by engine and size, built once per test binary
)

// pagesEnv returns the engine's seeded environment, building it on first
// use: services, accounts with sessions, pagesSeed, and the probes.
func pagesEnv(b *testing.B, eng string, n int) *pbEnv {
	b.Helper()
	pbMu.Lock()
	defer pbMu.Unlock()
	key := eng + "/" + strconv.Itoa(n)
	if env := pbEnvs[key]; env != nil {
		return env
	}
	start := time.Now()
	ctx := context.Background()
	clock := beian.NewManualClock(pbNow)
	b.Cleanup(func() { // the database closes with b: the next benchmark seeds again
		pbMu.Lock()
		defer pbMu.Unlock()
		delete(pbEnvs, key)
	})
	db := sqltest.Open(b, eng, clock)
	reg, err := regulator.New(db)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{pbProvider, bProvider} {
		if _, _, err := reg.EnsureProvider(ctx, name); err != nil {
			b.Fatal(err)
		}
	}
	blobs, err := blob.Open(b.TempDir(), 20<<20, blob.WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := provider.New(db, &regulator.Connector{Registry: reg, Provider: pbProvider}, blobs, nil)
	if err != nil {
		b.Fatal(err)
	}
	lim := &ratelimit.Limiter{DB: db}
	ident := &identity.Service{DB: db, Limiter: lim, Params: identity.HashParams{Memory: 64, Time: 1, Threads: 1}}
	env := &pbEnv{db: db, svc: svc, reg: reg, cookies: map[string]*http.Cookie{}}
	ids := map[string]int64{}
	for _, a := range []identity.NewAccount{{Login: "pb-customer", Role: beian.RoleCustomer}, {Login: "pb-reviewer", Role: beian.RoleProviderReviewer},
		{Login: "pb-admin", Role: beian.RoleProviderAdmin}, {Login: "pb-zj", Role: beian.RoleBureauReviewer, Province: "330000"}} {
		a.Password = "correct horse battery staple"
		pr, err := ident.CreateAccount(ctx, a, "bench")
		if err != nil {
			b.Fatal(err)
		}
		sess, err := ident.Login(ctx, a.Login, a.Password, "192.0.2.1")
		if err != nil {
			b.Fatal(err)
		}
		env.cookies[string(a.Role)], ids[string(a.Role)] = ident.Cookie(sess), pr.AccountID
	}

	seed := pagesSeed(b, db, svc.Calendar, reg, n, ids[string(beian.RoleCustomer)])
	env.seed = seed

	// The probes made through the services, among the seeded orders: an
	// order submitted for initial review, and one in Zhejiang's bureau
	// review with its SMS codes confirmed.
	re := &rEnv{svc: svc, clock: clock, ctx: ctx}
	reviewed := re.submitted(b, rForm("pb-probe-review.com", "330106199001011234"))
	be := &bEnv{reg: reg, clock: clock, ctx: ctx}
	sub := be.toBureau(b, "BAPROBE-0001", "330000", "杭州探针科技有限公司", "91330100MA0PROBE1X", "pb-probe-bureau.com")
	if db.Driver == sqlstore.Postgres {
		// As autovacuum would have done after so many inserts: statistics,
		// and the visibility map that lets counts read only an index.
		if _, err := db.SQL.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}

	p, err := New(Options{Provider: svc, Registry: reg, Limiter: lim, CSRFCheck: identity.CheckCSRF, Viewer: func(r *http.Request) Viewer {
		pr, ok := identity.FromContext(r.Context())
		if !ok {
			return Viewer{}
		}
		return Viewer{Login: pr.Login, Role: string(pr.Role), Name: pr.Name, Context: pr.Context, CSRF: pr.CSRF, SignedIn: true}
	}})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	p.BureauRoutes(mux)
	p.ReviewRoutes(mux)
	p.ConsoleRoutes(mux, ident)
	p.OpsRoutes(mux)
	env.h = SecurityHeaders(p.LangCookie(ident.Authenticate(mux)))
	env.pages = []pbPage{
		{name: "console", as: "customer", target: "/console", want: seed.consoleOrder.Number},
		{name: "console_order", as: "customer", target: "/console/orders/" + strconv.FormatInt(seed.consoleOrder.ID, 10), want: seed.consoleOrder.Number},
		{name: "review_initial", as: "provider_reviewer", target: "/review?stage=initial_review", want: "<table"},
		{name: "review_photo", as: "provider_reviewer", target: "/review?stage=photo_review", want: "<table"},
		{name: "review_order", as: "provider_reviewer", target: "/review/orders/" + rID(reviewed), want: reviewed.Number},
		{name: "bureau", as: "bureau_reviewer", target: "/bureau", want: "<table"},
		{name: "bureau_order", as: "bureau_reviewer", target: "/bureau/orders/" + sub, want: "BAPROBE-0001"},
		{name: "ops", as: "provider_admin", target: "/ops", want: "<svg"},
		{name: "ops_busy", as: "provider_admin", target: "/ops", want: "<svg", before: env.moveOne},
		{name: "query_domain", target: "/query?by=domain&q=" + seed.queryDomain, want: seed.queryNumber},
	}
	b.Logf("%s: seeded %d orders (%d in initial review, %d in photo review, %d in Zhejiang's bureau review) in %s",
		eng, n, seed.stages[beian.StageInitialReview], seed.stages[beian.StagePhotoReview], seed.zjBureau, time.Since(start).Round(time.Second))
	pbEnvs[key] = env
	return env
}

// measure renders the page b.N times and reports the median and the 99th
// percentile; the first render (cold caches of the process) is not timed.
func (env *pbEnv) measure(b *testing.B, pg pbPage) {
	if w := env.get(pg); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), pg.want) {
		b.Fatalf("%s: status %d, %q not in the page (%s)", pg.target, w.Code, pg.want, w.Body.String())
	}
	times := make([]time.Duration, 0, max(b.N, 1))
	for b.Loop() {
		if pg.before != nil {
			b.StopTimer()
			pg.before(b)
			b.StartTimer()
		}
		start := time.Now()
		w := env.get(pg)
		times = append(times, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("%s: status %d", pg.target, w.Code)
		}
	}
	slices.Sort(times)
	ms := func(q int) float64 {
		return float64(times[min(len(times)-1, len(times)*q/100)].Microseconds()) / 1000
	}
	b.ReportMetric(ms(50), "p50-ms")
	b.ReportMetric(ms(99), "p99-ms")
	b.ReportMetric(pagesTargetMS, "target-p99-ms")
	if ms(99) >= pagesTargetMS {
		b.Logf("%s: p99 %.1f ms misses the target of %d ms", pg.target, ms(99), pagesTargetMS)
	}
}

// moveOne approves the initial review of one of the seeded orders waiting
// for it, through the provider's store.
func (env *pbEnv) moveOne(b *testing.B) {
	ctx := context.Background()
	if len(env.waiting) == 0 {
		rows, err := env.db.SQL.QueryContext(ctx, `SELECT id FROM orders WHERE stage = 'initial_review' ORDER BY id LIMIT 2000`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				b.Fatal(err)
			}
			env.waiting = append(env.waiting, id)
		}
		rows.Close()
		if len(env.waiting) == 0 {
			b.Fatal("no order waits for initial review")
		}
	}
	id := env.waiting[0]
	env.waiting = env.waiting[1:]
	o, err := env.svc.Store.Order(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := env.svc.Store.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.ApproveInitial,
		By: workflow.ProviderReviewer, Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
}

// get renders the page once as its role (public pages from a new client
// address each time, as many visitors would).
func (env *pbEnv) get(pg pbPage) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", pg.target, nil)
	r.Header.Set("Accept", "text/html")
	if c := env.cookies[pg.as]; c != nil {
		r.AddCookie(c)
	} else {
		env.client++
		r.RemoteAddr = fmt.Sprintf("198.51.%d.%d:4000", env.client/250%250, env.client%250+1)
	}
	w := httptest.NewRecorder()
	env.h.ServeHTTP(w, r)
	return w
}
