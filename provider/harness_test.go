package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/blob"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/web"
)

// The shared test harness of package provider. Each area's test file adds
// its routes and timer handlers from an init function:
//
//	func init() { routeMounts = append(routeMounts, (*Service).ResourceRoutes) }
//	func init() { timerMounts = append(timerMounts, (*Service).reviewTimerHandlers) }
var (
	routeMounts []func(s *Service, mux *http.ServeMux)
	timerMounts []func(s *Service) map[string]timer.Handler
)

// t0 is 2026-03-02 10:00 CST, a Monday.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, beian.CST)

// testProvider is the provider's name at the built-in registry.
const testProvider = "beian"

// env is the provider context and the built-in regulator on one fresh
// database, served over HTTP, with a manual clock.
type env struct {
	svc      *Service
	reg      *regulator.Registry
	ident    *identity.Service
	db       *sqlstore.DB
	clock    *beian.ManualClock
	srv      *httptest.Server
	runners  []*timer.Runner
	ctx      context.Context
	accounts int
}

// each runs fn on a fresh env per engine (sqltest.Each).
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	clock := beian.NewManualClock(t0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		fn(t, newEnv(t, db, clock))
	})
}

// newEnv composes the env on db.
func newEnv(t *testing.T, db *sqlstore.DB, clock *beian.ManualClock) *env {
	t.Helper()
	ctx := context.Background()
	reg, err := regulator.New(db)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.Open(t.TempDir(), 20<<20, blob.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(db, &regulator.Connector{Registry: reg, Provider: testProvider}, blobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	lim := &ratelimit.Limiter{DB: db}
	ident := &identity.Service{DB: db, Limiter: lim, Contexts: []string{identity.ContextProvider, identity.ContextRegistry},
		Params: identity.HashParams{Memory: 64, Time: 1, Threads: 1}}
	mux := http.NewServeMux()
	ident.Routes(mux)
	reg.Routes(mux, lim)
	reg.SMSRoutes(mux)
	reg.BureauRoutes(mux)
	for _, m := range routeMounts {
		m(svc, mux)
	}
	idem := &web.Idempotency{DB: db, Scope: func(r *http.Request) string {
		if p, ok := identity.FromContext(r.Context()); ok {
			return p.Context + ":" + p.Login
		}
		return "client:" + identity.ClientAddr(r)
	}}
	srv := httptest.NewServer(web.Chain(mux, web.RequestID, ident.Authenticate, idem.Middleware))
	t.Cleanup(srv.Close)
	e := &env{svc: svc, reg: reg, ident: ident, db: db, clock: clock, srv: srv, ctx: ctx}
	provHandlers := map[string]timer.Handler{}
	for _, m := range timerMounts {
		for k, h := range m(svc) {
			provHandlers[k] = h
		}
	}
	for c, hs := range map[string]map[string]timer.Handler{"provider": provHandlers, "registry": reg.TimerHandlers()} {
		tm, err := timer.New(c)
		if err != nil {
			t.Fatal(err)
		}
		e.runners = append(e.runners, &timer.Runner{DB: db, Timers: tm, Handlers: hs})
	}
	return e
}

// advance moves the clock by d and fires every timer due by then, in both
// contexts, until none is left.
func (e *env) advance(tb testing.TB, d time.Duration) {
	tb.Helper()
	e.clock.Advance(d)
	e.fire(tb)
}

// advanceBusinessDays moves the clock n business days ahead (CAL-1), at
// the same time of day, and fires timers.
func (e *env) advanceBusinessDays(tb testing.TB, n int) {
	tb.Helper()
	now := e.clock.Now().In(beian.CST)
	to, _ := e.svc.Calendar.AddBusinessDays(now, n)
	// Keep the time of day: the calendar answers dates.
	e.clock.Set(time.Date(to.Year(), to.Month(), to.Day(), now.Hour(), now.Minute(), now.Second(), 0, beian.CST))
	e.fire(tb)
}

// fire fires the due timers of both contexts until none is left.
func (e *env) fire(tb testing.TB) {
	tb.Helper()
	for range 10 {
		total := 0
		for _, r := range e.runners {
			n, err := r.FireDue(e.ctx)
			if err != nil {
				tb.Fatalf("fire timers: %v", err)
			}
			total += n
		}
		if total == 0 {
			return
		}
	}
}

// client is an API caller with a bearer token.
type client struct {
	e     *env
	token string
	login string
	id    int64
	lang  string
}

// account creates an account of the role (provider or registry context by
// role; province for bureau reviewers) and returns its API client.
func (e *env) account(tb testing.TB, role beian.Role, province string) *client {
	tb.Helper()
	e.accounts++
	login := strings.ReplaceAll(string(role), "_", "") + string(rune('a'+e.accounts%26)) + time.Duration(e.accounts).String()
	login = strings.NewReplacer("ns", "", "µs", "").Replace(login)
	p, err := e.ident.CreateAccount(e.ctx, identity.NewAccount{Login: login, Password: "correct horse battery", Role: role, Province: province}, "test")
	if err != nil {
		tb.Fatalf("create %s: %v", role, err)
	}
	tok, err := e.ident.CreateToken(e.ctx, p, "test", 24*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return &client{e: e, token: tok, login: p.Login, id: p.AccountID}
}

// customer creates a customer account.
func (e *env) customer(tb testing.TB) *client { return e.account(tb, beian.RoleCustomer, "") }

// do sends a request; body is marshalled as JSON unless it is a []byte or
// an io.Reader. hdr holds header name/value pairs.
func (c *client) do(tb testing.TB, method, path string, body any, hdr ...string) (int, []byte, http.Header) {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// call sends a request, checks the status and decodes the answer into out (when not nil).
func (c *client) call(tb testing.TB, want int, method, path string, body, out any, hdr ...string) http.Header {
	tb.Helper()
	code, b, h := c.do(tb, method, path, body, hdr...)
	if code != want {
		tb.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return h
}

// anonymous is a caller without credentials.
func (e *env) anonymous() *client { return &client{e: e} }
