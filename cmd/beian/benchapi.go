package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
)

// `beian bench api` (issue 9, item 3): the real server (`beian serve`'s
// wiring, sandbox on, production settings) on a scratch database, driven
// over HTTP by concurrent customers, provider reviewers, verification
// points and bureau reviewers for a fixed time. See docs/performance.md,
// "API under load".

// Targets of the API benchmark (issue 9, PRODUCT.md "Growing past one machine").
const (
	targetStepsPerTPS = 1.0                   // order steps per second ÷ pgbench TPC-B tps, PostgreSQL
	targetRouteP99    = 50 * time.Millisecond // every route but login and uploads
	targetClients     = 50                    // the p99 target is set at 50 concurrent customers
)

// benchAPIOptions are the flags of `beian bench api` beside --db, --json
// and --keep.
type benchAPIOptions struct {
	clients   int
	reviewers int
	duration  time.Duration
	svgPath   string
	pgbench   bool
	log       string // the server's log level
	poll      time.Duration
	ramp      time.Duration // customers join one by one over this time
	cpuprof   string        // a CPU profile of the process during the load (go tool pprof)
	instances int           // servers on the one database, the clients spread over them (PostgreSQL)
}

// benchAPIFlags registers the flags of `beian bench api`.
func benchAPIFlags(fs *flag.FlagSet, a *benchAPIOptions) {
	fs.IntVar(&a.clients, "clients", 50, "api: concurrent customers, each with its own account, server and orders")
	fs.IntVar(&a.reviewers, "reviewers", 4, "api: provider reviewers (half as many verification-point operators, at least one)")
	fs.DurationVar(&a.duration, "duration", 60*time.Second, "api: how long the load runs (setup and pgbench come on top)")
	fs.StringVar(&a.svgPath, "svg", "", "api: draw p50/p99 per route as an SVG chart to this `file`")
	fs.BoolVar(&a.pgbench, "pgbench", true, "api: on PostgreSQL, also measure pgbench TPC-B (-i -s 10, then -c CLIENTS -j 2 -T DURATION/2)")
	fs.StringVar(&a.log, "server-log", "error", "api: the server's log `level` on standard error")
	fs.DurationVar(&a.poll, "poll", 500*time.Millisecond, "api: how often a waiting customer reads its order again (the console's refresh)")
	fs.DurationVar(&a.ramp, "ramp", 5*time.Second, "api: the customers join one by one over this time (at most a quarter of --duration) at the start of the load, not all in the same instant")
	fs.IntVar(&a.instances, "instances", 1, "api: run this many servers on the one PostgreSQL database and spread the clients over them (docs/operations.md, several instances)")
	fs.StringVar(&a.cpuprof, "cpuprofile", "", "api: write a CPU profile of the load (server and clients, one process) to this `file`, for go tool pprof, and the goroutines half-way to FILE.goroutines")
}

// checkBenchAPI validates the flags of `beian bench api`.
func checkBenchAPI(o benchOptions, a benchAPIOptions) error {
	switch {
	case o.db == "":
		return usagef("beian bench api: needs --db sqlite://NEW-FILE or --db postgres://… (a scratch database is created there and dropped)")
	case a.clients < 1 || a.clients > 5000:
		return usagef("beian bench api: --clients %d: give 1 to 5000 customers", a.clients)
	case a.reviewers < 1 || a.reviewers > 200:
		return usagef("beian bench api: --reviewers %d: give 1 to 200 reviewers", a.reviewers)
	case a.duration < time.Second:
		return usagef("beian bench api: --duration %s: give at least 1s (e.g. 60s)", a.duration)
	case a.poll < 10*time.Millisecond:
		return usagef("beian bench api: --poll %s: give at least 10ms", a.poll)
	case a.ramp < 0:
		return usagef("beian bench api: --ramp %s: give 0 (all customers at once) or more", a.ramp)
	case a.instances < 1 || a.instances > 16:
		return usagef("beian bench api: --instances %d: give 1 to 16 servers", a.instances)
	case a.instances > 1 && !strings.HasPrefix(o.db, "postgres"):
		return usagef("beian bench api: --instances %d needs --db postgres://…: several servers share one PostgreSQL, not one SQLite file", a.instances)
	}
	return nil
}

// benchAPIRun is one run: the server, its staff and what they measure.
type benchAPIRun struct {
	opts     benchAPIOptions
	m        *Main   // the first server: staff accounts, the final count
	ms       []*Main // every server; clients are spread over them
	next     atomic.Int64
	rec      *benchRecorder
	admin    *apiClient // registry_admin: sandbox surface (domains, mailbox, policy)
	provider *apiClient // provider_admin: resources
	now      time.Time  // the sandbox clock at the start
	ips      ipPool
	people   struct {
		sync.Mutex
		demoPeople
	}
	visits chan int64 // orders whose customer asked for a verification-point visit
	photo  []byte     // a sharp verification photo (Rule VER-1), also the documents' scan
}

// benchAPI is `beian bench api`.
func benchAPI(ctx context.Context, e *env, o benchOptions, a benchAPIOptions) error {
	if err := checkBenchAPI(o, a); err != nil {
		return err
	}
	a.ramp = min(a.ramp, a.duration/4)
	dsn, err := sqlstore.ParseDSN(o.db)
	if err != nil {
		return usagef("beian bench api: --db: %v", err)
	}
	if dsn.Driver == sqlstore.Postgres && a.pgbench {
		if err := checkPgbenchClients(ctx, dsn, a.clients); err != nil {
			return err
		}
	}
	scratch, err := newAPIScratch(ctx, dsn, o.db, o.keep)
	if err != nil {
		return err
	}
	defer scratch.cleanup(e)
	fmt.Fprintf(e.stderr, "beian bench api: %s, %d customers, %d reviewers, %s\n", scratch.describe, a.clients, a.reviewers, a.duration)

	res := benchAPIResult{Engine: dsn.Driver, Instances: a.instances, Clients: a.clients, Reviewers: a.reviewers, Verifiers: verifiersFor(a.reviewers),
		BureauReviewers: len(demoProvinces), DurationSecs: a.duration.Seconds(), PollMs: millis(a.poll), RampSecs: a.ramp.Seconds(), Bureau: "manual: bureau reviewers of 4 provinces decide through the bureau API",
		Machine: machineNow()}
	if err := runAPILoad(ctx, e, scratch, a, &res); err != nil {
		return err
	}
	res.Machine.LoadAfter = loadAverage()
	var pgErr error
	if dsn.Driver == sqlstore.Postgres && a.pgbench {
		fmt.Fprintf(e.stderr, "pgbench TPC-B: -i -s 10, then -c %d -j %d -T %d …\n", a.clients, min(2, a.clients), pgbenchSeconds(a.duration))
		pb, err := runPgbench(ctx, dsn, o.db, a.clients, pgbenchSeconds(a.duration), o.keep)
		if err != nil {
			// The load's figures are printed all the same.
			pgErr = fmt.Errorf("pgbench: %w", err)
		} else {
			res.Pgbench = &pb
		}
	}
	res.judge()
	printBenchAPI(e.stdout, res)
	if o.jsonPath != "" {
		if err := writeJSONFile(o.jsonPath, res); err != nil {
			return err
		}
	}
	if a.svgPath != "" {
		if err := os.WriteFile(a.svgPath, []byte(benchAPISVG(res)), 0o644); err != nil {
			return fmt.Errorf("write the chart: %w", err)
		}
	}
	return pgErr
}

// checkPgbenchClients refuses, before any load, a pgbench comparison that
// would need more connections than the server allows: pgbench opens one a
// client, and learning it after the load lost nothing but the time.
func checkPgbenchClients(ctx context.Context, dsn sqlstore.DSN, clients int) error {
	db, err := sql.Open("pgx", dsn.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	var limit, reserved int
	if err := db.QueryRowContext(ctx, `SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int`).Scan(&limit, &reserved); err != nil {
		return fmt.Errorf("read the server's max_connections: %w", err)
	}
	return pgbenchFits(clients, limit, reserved)
}

// pgbenchFits is checkPgbenchClients' rule: clients connections, and a
// few for whatever else is connected, within max less the reserved ones.
func pgbenchFits(clients, limit, reserved int) error {
	if room := limit - reserved - 5; clients > room {
		return usagef("beian bench api: --clients %d: pgbench opens a connection a client, and the server allows %d (max_connections %d, %d reserved, 5 kept for others): give --clients %d or fewer, raise max_connections, or pass --pgbench=false",
			clients, room, limit, reserved, max(room, 1))
	}
	return nil
}

// runAPILoad starts the server on the scratch database, creates the staff,
// signs the customers up, runs the load for a.duration and fills res.
func runAPILoad(ctx context.Context, e *env, scratch *apiScratch, a benchAPIOptions, res *benchAPIResult) (err error) {
	// The server exactly as `beian serve --sandbox` builds it from its flags.
	ss := &serveSettings{serverSettings: serverSettings{cmd: "serve", addr: "127.0.0.1:0", db: scratch.db, sandbox: true,
		logLevel: a.log, blobDir: scratch.blobs}, providerName: DefaultProviderName}
	m, err := ss.main(e)
	if err != nil {
		return err
	}
	if err := m.Run(ctx); err != nil {
		return fmt.Errorf("start the server: %w", err)
	}
	defer func() {
		if cerr := m.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("shut the server down: %w", cerr)
		}
	}()
	run := &benchAPIRun{opts: a, m: m, ms: []*Main{m}, rec: newBenchRecorder(), visits: make(chan int64, a.clients), photo: demoPhoto()}
	for range a.instances - 1 {
		mi, err := ss.main(e)
		if err != nil {
			return err
		}
		if err := mi.Run(ctx); err != nil {
			return fmt.Errorf("start another server: %w", err)
		}
		defer mi.Close()
		run.ms = append(run.ms, mi)
	}
	run.people.last6 = map[string]string{}
	staff, err := run.createStaff(ctx, verifiersFor(a.reviewers))
	if err != nil {
		return fmt.Errorf("create the staff accounts: %w", err)
	}
	// Manual bureau decisions: every decision is a bureau reviewer's call
	// through the bureau API, measured like the others; the automatic
	// policy decides only at the REV-2 due date, weeks of sandbox clock away.
	if run.now, err = run.admin.setBureauPolicy(ctx, regulator.PolicyManual); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "signing up %d customers (argon2id, a server and a domain each) …\n", a.clients)
	setup := time.Now()
	customers, err := run.signUpCustomers(ctx, a.clients)
	if err != nil {
		return fmt.Errorf("sign the customers up: %w", err)
	}
	res.SetupSecs = time.Since(setup).Seconds()
	fmt.Fprintf(e.stderr, "running the load for %s …\n", a.duration)
	if a.cpuprof != "" {
		f, err := os.Create(a.cpuprof)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
		// Half-way, where every goroutine waits (off-CPU time the CPU
		// profile does not show: locks, fsync, the network).
		snap := time.AfterFunc(a.duration/2, func() {
			if g, err := os.Create(a.cpuprof + ".goroutines"); err == nil {
				_ = pprof.Lookup("goroutine").WriteTo(g, 1)
				g.Close()
			}
		})
		defer snap.Stop()
	}
	run.load(ctx, staff, customers, a.duration, res)
	return nil
}

// benchStaff are the signed-in staff of a run.
type benchStaff struct {
	reviewers []*apiClient
	verifiers []*apiClient
	bureaus   []*apiClient
}

// verifiersFor is how many verification-point operators work beside the reviewers.
func verifiersFor(reviewers int) int { return max(1, reviewers/2) }

// createStaff creates the staff accounts as `beian user add` does (the
// server's identity service, production argon2id parameters) and signs
// each in through the API, each from its own client address.
func (run *benchAPIRun) createStaff(ctx context.Context, verifiers int) (benchStaff, error) {
	var st benchStaff
	sign := func(role beian.Role, login, province string) (*apiClient, error) {
		pw := demoPassword()
		if _, err := run.m.platform.identity.CreateAccount(ctx, identity.NewAccount{Login: login, Password: pw, Role: role,
			Province: province, Name: login}, "bench"); err != nil {
			return nil, fmt.Errorf("%s %s: %w", role, login, err)
		}
		c := run.client(run.ips.next())
		c.login, c.password = login, pw
		return c, c.signIn(ctx)
	}
	var err error
	if run.admin, err = sign(beian.RoleRegistryAdmin, "bench-registry", ""); err != nil {
		return st, err
	}
	if run.provider, err = sign(beian.RoleProviderAdmin, "bench-admin", ""); err != nil {
		return st, err
	}
	for i := range run.opts.reviewers {
		c, err := sign(beian.RoleProviderReviewer, fmt.Sprintf("bench-reviewer-%d", i+1), "")
		if err != nil {
			return st, err
		}
		st.reviewers = append(st.reviewers, c)
	}
	for i := range verifiers {
		c, err := sign(beian.RoleVerifier, fmt.Sprintf("bench-verifier-%d", i+1), "")
		if err != nil {
			return st, err
		}
		st.verifiers = append(st.verifiers, c)
	}
	for _, p := range demoProvinces {
		c, err := sign(beian.RoleBureauReviewer, "bench-bureau-"+p.tag, p.code)
		if err != nil {
			return st, err
		}
		st.bureaus = append(st.bureaus, c)
	}
	return st, nil
}

// client is an API client of the run's server from the loopback address
// ip, its requests recorded.
func (run *benchAPIRun) client(ip net.IP) *apiClient {
	m := run.ms[int(run.next.Add(1)-1)%len(run.ms)]
	return &apiClient{base: m.URL(), http: clientFrom(ip, 2*time.Minute), observe: run.rec.observe}
}

// ipPool hands out loopback addresses 127.1.0.1, 127.1.0.2, …: one per
// simulated user (Linux routes all of 127.0.0.0/8 to the loopback device).
type ipPool struct {
	mu sync.Mutex
	n  int
}

func (p *ipPool) next() net.IP {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return net.IPv4(127, 1, byte(p.n>>8), byte(p.n))
}

// apiScratch is where a run keeps its data: a new SQLite file or a
// scratch PostgreSQL database, and a folder for the documents and photos.
type apiScratch struct {
	db, blobs, describe string
	cleanup             func(e *env)
}

// newAPIScratch prepares the scratch database and blob folder; cleanup
// removes both unless keep is set (it then prints where they are).
func newAPIScratch(ctx context.Context, dsn sqlstore.DSN, raw string, keep bool) (*apiScratch, error) {
	blobs, err := os.MkdirTemp("", "beian-bench-api-")
	if err != nil {
		return nil, fmt.Errorf("create a temporary folder for the documents: %w (set TMPDIR to a writable folder)", err)
	}
	s := &apiScratch{blobs: blobs}
	if dsn.Driver == sqlstore.SQLite {
		if strings.HasPrefix(dsn.Path, ":memory:") {
			os.RemoveAll(blobs)
			return nil, usagef("beian bench api: --db sqlite://%s: give a file path (the benchmark measures the real, fsynced file)", dsn.Path)
		}
		if _, err := os.Stat(dsn.Path); !errors.Is(err, os.ErrNotExist) {
			os.RemoveAll(blobs)
			return nil, usagef("beian bench api: --db sqlite://%s already exists: the benchmark needs a new file; remove it or name another", dsn.Path)
		}
		s.db, s.describe = "sqlite://"+dsn.Path, "SQLite "+dsn.Path
		s.cleanup = func(e *env) {
			if keep {
				fmt.Fprintf(e.stderr, "kept %s and %s\n", dsn.Path, blobs)
				return
			}
			for _, suffix := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(dsn.Path + suffix)
			}
			_ = os.RemoveAll(blobs)
		}
		return s, nil
	}
	name := "beian_bench_api_" + strings.ToLower(rand.Text()[:8])
	drop, dbURL, err := scratchDatabase(ctx, dsn, raw, name)
	if err != nil {
		os.RemoveAll(blobs)
		return nil, err
	}
	s.db, s.describe = dbURL, "PostgreSQL scratch database "+name
	s.cleanup = func(e *env) {
		if keep {
			fmt.Fprintf(e.stderr, "kept the database %s and %s\n", name, blobs)
			return
		}
		if err := drop(); err != nil {
			fmt.Fprintf(e.stderr, "could not drop the scratch database %s: %v (drop it with: DROP DATABASE %s)\n", name, err, name)
		}
		_ = os.RemoveAll(filepath.Clean(blobs))
	}
	return s, nil
}

// scratchDatabase creates the database name on dsn's server and returns
// its URL (raw, the --db URL as given, with the database replaced) and how
// to drop it. Existing databases are never touched.
func scratchDatabase(ctx context.Context, dsn sqlstore.DSN, raw, name string) (drop func() error, dbURL string, err error) {
	admin, err := sql.Open("pgx", dsn.URL)
	if err != nil {
		return nil, "", err
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		return nil, "", fmt.Errorf("create the scratch database %s: %w (the --db user needs the CREATEDB privilege)", name, err)
	}
	drop = func() error {
		defer admin.Close()
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := admin.ExecContext(c, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		return err
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		_ = drop()
		return nil, "", err
	}
	u.Path = "/" + name
	return drop, u.String(), nil
}
