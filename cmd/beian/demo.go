package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// demoSessionTTL is the demo's session lifetime. The demo's clock moves a
// business day (often several calendar days) every few seconds, so the
// 12-hour default would sign everyone out at every tick.
const demoSessionTTL = 100 * 365 * 24 * time.Hour

// demoOptions are the settings of one `beian demo` run.
type demoOptions struct {
	Addr  string        // listen address
	Speed time.Duration // wall time per business day of the sandbox clock
	Keep  bool          // keep the temporary folder on exit
	Out   io.Writer     // the printed desks, logins and clock
	Log   *slog.Logger
	// ready, when set, is called once the demo is seeded and printed,
	// before the clock starts; the clock waits for it to return (tests).
	ready func(*demoRun)
}

// demoRun is a seeded demo: where it answers and what it holds.
type demoRun struct {
	URL      string
	Dir      string // the temporary folder of the database and blobs
	Accounts []demoAccount
	Orders   []demoOrder
	main     *Main
}

// demoAccount is a printed login.
type demoAccount struct {
	Role     beian.Role
	Login    string
	Password string
	Province string // bureau reviewers' province code
	Note     string
	id       int64
}

// demoOrder is a seeded order and the stage it was left in.
type demoOrder struct {
	ID       int64
	Number   string
	Stage    beian.Stage
	Province string
	Customer string // the customer's login
}

func demoCommand() *command {
	var addr, logLevel string
	var speed float64
	var keep bool
	return &command{
		name:    "demo",
		summary: "sandbox on a fresh SQLite file, seeded, with an accelerated clock",
		usage:   "[--addr 127.0.0.1:8080] [--speed N] [--keep]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", "127.0.0.1:8080", "listen `address`")
			fs.Float64Var(&speed, "speed", 10, "one business day of the sandbox clock passes in `N` seconds of wall time")
			fs.BoolVar(&keep, "keep", false, "keep the temporary folder (database and documents) on exit")
			fs.StringVar(&logLevel, "log-level", "warn", "server log `level` on standard error: debug, info, warn, error")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			if speed <= 0 || math.IsInf(speed, 0) || math.IsNaN(speed) || speed > 86400 {
				return usagef("beian demo: --speed %v: give the seconds of wall time per business day, more than 0 (e.g. 10)", speed)
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return usagef("beian demo: --log-level %q: use debug, info, warn or error", logLevel)
			}
			return runDemo(e.ctx, demoOptions{Addr: addr, Speed: time.Duration(speed * float64(time.Second)), Keep: keep, Out: e.stdout,
				Log: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))})
		},
	}
}

// runDemo runs the demo until ctx ends: a fresh SQLite database in a
// temporary folder, the real server with the sandbox on, accounts of every
// role, filings seeded through the HTTP API in every stage, and the
// sandbox clock advanced one business day every o.Speed with the sandbox
// bureaus on auto (API.md, `beian demo`). It shuts down cleanly and
// removes the folder unless o.Keep.
func runDemo(ctx context.Context, o demoOptions) (err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "beian-demo-")
	if err != nil {
		return fmt.Errorf("create the demo's temporary folder: %w (set TMPDIR to a writable folder)", err)
	}
	defer func() {
		if o.Keep {
			fmt.Fprintf(o.Out, "\nkept %s (database: sqlite://%s)\n", dir, filepath.Join(dir, "demo.db"))
			return
		}
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("remove the demo's folder: %w", rerr)
		}
	}()
	m := &Main{Addr: o.Addr, DB: sqlstore.DSN{Driver: sqlstore.SQLite, Path: filepath.Join(dir, "demo.db")}, Sandbox: true,
		BlobDir: filepath.Join(dir, "blobs"), Log: o.Log, SessionTTL: demoSessionTTL}
	if err := m.Run(ctx); err != nil {
		return err
	}
	defer func() {
		if cerr := m.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("shut down: %w", cerr)
		}
	}()
	run := &demoRun{URL: m.URL(), Dir: dir, main: m}
	fmt.Fprintf(o.Out, "beian demo: sandbox on a fresh SQLite database in %s (%s on exit)\n\n", dir, map[bool]string{true: "kept", false: "removed"}[o.Keep])
	if err := run.createAccounts(ctx); err != nil {
		return fmt.Errorf("create the demo accounts: %w", err)
	}
	s := newDemoSeeder(run)
	if err := s.seed(ctx); err != nil {
		return fmt.Errorf("seed the demo: %w", err)
	}
	run.print(ctx, o.Out, o.Speed)
	if o.ready != nil {
		o.ready(run)
	}
	s.tick(ctx, o.Out, o.Speed)
	fmt.Fprintln(o.Out, "\nstopping…")
	return nil
}

// demoPassword is a random password (60 bits), new on every run.
func demoPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:8]) + "-" + string(b[8:])
}

// desks are the web desks of the product (API.md, pages) and the API
// description, printed with whether this build serves them.
var desks = []struct{ path, what string }{
	{"/login", "sign in (every role)"},
	{"/console", "customer console (客户控制台)"},
	{"/review", "provider review desk (初审/复审)"},
	{"/bureau", "bureau desk (管局)"},
	{"/ops", "operations (provider admin)"},
	{"/query", "public filing query (备案查询)"},
	{"/sms-verify", "registry SMS confirmation (短信核验)"},
	{"/password", "filing password retrieval (找回备案密码)"},
	{"/api/v1/openapi.json", "the JSON API's description"},
}

// print writes the desks, the logins and the seeded orders.
func (run *demoRun) print(ctx context.Context, w io.Writer, speed time.Duration) {
	fmt.Fprintf(w, "Desks at %s:\n", run.URL)
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, d := range desks {
		mark := "ready"
		if code := run.status(ctx, client, d.path); code == http.StatusNotFound || code == 0 {
			mark = "not built yet (404)"
		}
		fmt.Fprintf(w, "  %-45s %-20s %s\n", run.URL+d.path, mark, d.what)
	}
	fmt.Fprintln(w, "\nLogins (passwords are new on every run; sign in at /login or POST /api/v1/sessions):")
	for _, a := range run.Accounts {
		fmt.Fprintf(w, "  %-18s %-16s %-16s %s\n", a.Role, a.Login, a.Password, a.Note)
	}
	fmt.Fprintln(w, "\nOrders seeded through the API (stage, order number, province, customer):")
	for _, o := range run.Orders {
		fmt.Fprintf(w, "  %-18s %-24s %-8s %s\n", o.Stage, o.Number, provinceName(o.Province), o.Customer)
	}
	fmt.Fprintf(w, "\nThe sandbox clock moves one business day every %s; the sandbox bureaus decide each order at its due date (Rule REV-2).\n", speed)
	fmt.Fprintln(w, "Messages (SMS codes, passwords): GET /api/v1/sandbox/messages?to=PHONE as registry_admin. Ctrl-C stops the demo.")
	fmt.Fprintln(w)
}

// status is the status of an anonymous GET of the path; 0 when it fails.
func (run *demoRun) status(ctx context.Context, c *http.Client, path string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, run.URL+path, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// tick advances the sandbox clock one business day every speed, through
// POST /api/v1/sandbox/clock as the registry admin (which returns once
// every timer due — the bureaus' decisions among them — has fired), until
// ctx ends. It prints each new date.
func (s *demoSeeder) tick(ctx context.Context, w io.Writer, speed time.Duration) {
	t := time.NewTicker(speed)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var st struct {
			Now   string `json:"now"`
			Fired *int   `json:"fired"`
		}
		err := s.admin.call(ctx, "POST", "/api/v1/sandbox/clock", map[string]int{"advance_business_days": 1}, &st)
		if errors.Is(err, errUnauthenticated) { // the token outlived: sign in again
			if err = s.admin.signIn(ctx); err == nil {
				err = s.admin.call(ctx, "POST", "/api/v1/sandbox/clock", map[string]int{"advance_business_days": 1}, &st)
			}
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			fmt.Fprintf(w, "clock: %v\n", err)
			continue
		}
		fired := 0
		if st.Fired != nil {
			fired = *st.Fired
		}
		day := st.Now
		if t, err := time.Parse(time.RFC3339, st.Now); err == nil {
			day = t.In(beian.CST).Format("2006-01-02 Mon 15:04")
		}
		fmt.Fprintf(w, "clock: %s (CST), %d timer(s) fired\n", day, fired)
		s.printMoves(ctx, w)
	}
}

// printMoves prints the seeded orders whose stage changed since the last
// call (the bureaus' decisions, an SMS window closing).
func (s *demoSeeder) printMoves(ctx context.Context, w io.Writer) {
	for i, o := range s.run.Orders {
		var stage beian.Stage
		err := s.run.main.db.SQL.QueryRowContext(ctx, `SELECT stage FROM orders WHERE id = $1`, o.ID).Scan(&stage)
		last, ok := s.moved[i]
		if !ok {
			last = o.Stage
		}
		if err != nil || stage == last {
			continue
		}
		fmt.Fprintf(w, "  order %s (%s, %s): %s → %s\n", o.Number, provinceName(o.Province), o.Customer, last, stage)
		s.moved[i] = stage
	}
}
