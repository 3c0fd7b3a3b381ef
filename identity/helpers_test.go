package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// fastParams keep argon2id cheap in tests; TestDefaultParams covers the defaults.
var fastParams = HashParams{Memory: 64, Time: 1, Threads: 1}

// start is a window boundary of every rate-limit rule, so counts never
// straddle one while the manual clock stands still.
var start = time.Date(2026, 9, 28, 10, 0, 0, 0, beian.CST)

const goodPassword = "correct horse battery"

// env is one test's service, database, clock and server.
type env struct {
	s     *Service
	db    *sqlstore.DB
	clock *beian.ManualClock
	srv   *httptest.Server
}

// each runs fn per engine with a fresh database, a manual clock at start and
// a server of s.Routes (plus extra routes) wrapped by s.Authenticate.
func each(t *testing.T, configure func(*Service), extra func(*http.ServeMux), fn func(t *testing.T, e *env)) {
	t.Helper()
	clock := beian.NewManualClock(start)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start)
		s := &Service{DB: db, Params: fastParams}
		if configure != nil {
			configure(s)
		}
		mux := http.NewServeMux()
		s.Routes(mux)
		if extra != nil {
			extra(mux)
		}
		srv := httptest.NewServer(s.Authenticate(mux))
		t.Cleanup(srv.Close)
		fn(t, &env{s: s, db: db, clock: clock, srv: srv})
	})
}

// create makes an account with goodPassword, failing tb on error.
func (e *env) create(tb testing.TB, login string, role beian.Role, province string) Principal {
	tb.Helper()
	p, err := e.s.CreateAccount(context.Background(), NewAccount{Login: login, Password: goodPassword, Role: role, Province: province}, "test")
	if err != nil {
		tb.Fatalf("create %s: %v", login, err)
	}
	return p
}

// reply is an HTTP answer.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// code is the error body's code (the kind), or "".
func (r reply) code() string { s, _ := r.body["code"].(string); return s }

// opt adjusts a request.
type opt func(*http.Request)

func withCookie(v string) opt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: CookieName, Value: v}) }
}
func withBearer(v string) opt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+v) }
}
func withCSRF(v string) opt { return func(r *http.Request) { r.Header.Set(CSRFHeader, v) } }
func withLang(v string) opt { return func(r *http.Request) { r.Header.Set("Accept-Language", v) } }

// do sends a request with an optional JSON body, failing tb on a transport error.
func (e *env) do(tb testing.TB, method, path string, body any, opts ...opt) reply {
	tb.Helper()
	r, err := e.try(method, path, body, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// try sends a request with an optional JSON body (safe in any goroutine).
func (e *env) try(method, path string, body any, opts ...opt) (reply, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		return reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r, nil
}

// login logs in over HTTP and returns the session cookie's value and the CSRF token.
func (e *env) login(tb testing.TB, login string) (cookie, csrf string) {
	tb.Helper()
	r := e.do(tb, "POST", "/api/v1/sessions", map[string]string{"login": login, "password": goodPassword})
	if r.status != http.StatusCreated {
		tb.Fatalf("login %s: %d %s", login, r.status, r.raw)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == CookieName {
			cookie = c.Value
		}
	}
	csrf, _ = r.body["csrf"].(string)
	if cookie == "" || csrf == "" {
		tb.Fatalf("login %s: no cookie or csrf: %v %s", login, r.header, r.raw)
	}
	return cookie, csrf
}

// problems returns the problems of an *beian.Error in err's chain.
func problems(err error) beian.Problems {
	var e *beian.Error
	if errors.As(err, &e) {
		return e.Problems
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// asError is errors.As for *beian.Error.
func asError(err error, target **beian.Error) bool { return errors.As(err, target) }
