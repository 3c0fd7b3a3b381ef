package sandbox_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/web"
)

// Without --sandbox nothing of the sandbox exists: every path, every
// method, even routes added through Handle, answers 404 in the JSON error
// shape, and Require is never asked.
func TestSurfaceDisabled(t *testing.T) {
	t.Parallel()
	called := false
	s := &sandbox.Surface{Require: func(http.Handler) http.Handler {
		called = true
		return http.NotFoundHandler()
	}}
	mux := http.NewServeMux()
	s.Routes(mux)
	s.Handle("POST /api/v1/sandbox/registry", func(w http.ResponseWriter, r *http.Request) error {
		t.Error("a disabled surface ran a handler")
		return nil
	})
	for _, tt := range []struct{ name, method, path, body string }{
		{"NotFoundGetClock", "GET", "/api/v1/sandbox/clock", ""},
		{"NotFoundPostClock", "POST", "/api/v1/sandbox/clock", `{"advance":"72h"}`},
		{"NotFoundMessages", "GET", "/api/v1/sandbox/messages?to=13800138000", ""},
		{"NotFoundHandled", "POST", "/api/v1/sandbox/registry", `{}`},
		{"NotFoundUnknownPath", "GET", "/api/v1/sandbox/nothing/here", ""},
		{"NotFoundRoot", "DELETE", "/api/v1/sandbox", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, do(t, mux, tt.method, tt.path, tt.body), http.StatusNotFound, beian.KindNotFound, "")
		})
	}
	if called {
		t.Error("Require wrapped a disabled surface")
	}
}

// Require wraps every enabled route, including those added through Handle
// and the catch-all.
func TestSurfaceRequire(t *testing.T) {
	t.Parallel()
	deny := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Test-Role") != "registry_admin" {
				web.Fail(w, r, &beian.Error{Kind: beian.KindForbidden})
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	s := &sandbox.Surface{Enabled: true, Require: deny}
	mux := http.NewServeMux()
	s.Routes(mux)
	s.Handle("GET /api/v1/sandbox/bureau-policy", func(w http.ResponseWriter, r *http.Request) error {
		return web.WriteJSON(w, http.StatusOK, map[string]string{"mode": "auto"})
	})
	for _, path := range []string{"/api/v1/sandbox/clock", "/api/v1/sandbox/messages?to=x", "/api/v1/sandbox/bureau-policy", "/api/v1/sandbox/nope"} {
		t.Run("Forbidden"+path, func(t *testing.T) {
			wantError(t, do(t, mux, "GET", path, ""), http.StatusForbidden, beian.KindForbidden, "")
		})
	}
	t.Run("OKHandledRoute", func(t *testing.T) {
		w := do(t, mux, "GET", "/api/v1/sandbox/bureau-policy", "", "X-Test-Role", "registry_admin")
		if w.Code != http.StatusOK || w.Body.String() != "{\"mode\":\"auto\"}\n" {
			t.Errorf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("NotFoundUnknownPathForAdmin", func(t *testing.T) {
		w := do(t, mux, "GET", "/api/v1/sandbox/nope", "", "X-Test-Role", "registry_admin")
		wantError(t, w, http.StatusNotFound, beian.KindNotFound, "")
	})
}

func TestSurfaceClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	max := strconv.Itoa(sandbox.MaxBusinessDays)
	thu := time.Date(2026, 9, 24, 10, 0, 0, 0, beian.CST)
	tests := []struct {
		name      string
		start     time.Time
		body      string
		status    int
		now       string
		offset    float64
		estimated bool
		kind      beian.Kind
		code      string
		args      []string
	}{
		{name: "OKSet", start: t0, body: `{"set":"2026-09-28T10:00:00+08:00"}`, now: "2026-09-28T10:00:00+08:00", offset: 7 * 86400},
		{name: "OKSetOtherZone", start: t0, body: `{"set":"2026-09-28T02:00:00Z"}`, now: "2026-09-28T10:00:00+08:00", offset: 7 * 86400},
		{name: "OKSetNow", start: t0, body: `{"set":"2026-09-21T10:00:00+08:00"}`, now: "2026-09-21T10:00:00+08:00"},
		{name: "OKAdvance", start: t0, body: `{"advance":"72h"}`, now: "2026-09-24T10:00:00+08:00", offset: 3 * 86400},
		{name: "OKAdvanceBusinessDaysOverMidAutumn", start: thu, body: `{"advance_business_days":1}`, now: "2026-09-28T10:00:00+08:00", offset: 4 * 86400},
		{name: "OKAdvanceBusinessDaysEstimated", start: time.Date(2027, 12, 31, 10, 0, 0, 0, beian.CST), body: `{"advance_business_days":1}`, now: "2028-01-03T10:00:00+08:00", offset: 3 * 86400, estimated: true},
		{name: "ErrNoField", body: `{}`, kind: beian.KindBadRequest, code: "sandbox.clock_body", args: []string{"max", max}},
		{name: "ErrTwoFields", body: `{"advance":"1h","advance_business_days":1}`, kind: beian.KindBadRequest, code: "sandbox.clock_body", args: []string{"max", max}},
		{name: "ErrNullField", body: `{"advance":null}`, kind: beian.KindBadRequest, code: "sandbox.clock_body", args: []string{"max", max}},
		{name: "ErrNegativeAdvance", body: `{"advance":"-1h"}`, kind: beian.KindBadRequest, code: "sandbox.clock_body", args: []string{"max", max}},
		{name: "ErrZeroAdvance", body: `{"advance":"0s"}`, kind: beian.KindBadRequest, code: "sandbox.clock_body", args: []string{"max", max}},
		{name: "ErrDaysNotADuration", body: `{"advance":"3d"}`, kind: beian.KindBadRequest, code: "sandbox.clock_body", args: []string{"max", max}},
		{name: "ErrNegativeBusinessDays", body: `{"advance_business_days":-2}`, kind: beian.KindBadRequest, code: "sandbox.clock_body", args: []string{"max", max}},
		{name: "ErrTooManyBusinessDays", body: `{"advance_business_days":1001}`, kind: beian.KindBadRequest, code: "sandbox.clock_body", args: []string{"max", max}},
		{name: "ErrSetWithoutZone", body: `{"set":"2026-09-28T10:00:00"}`, kind: beian.KindBadRequest, code: "sandbox.clock_body", args: []string{"max", max}},
		{name: "ErrUnknownField", body: `{"rewind":"1h"}`, kind: beian.KindBadRequest, code: "request.bad_json", args: []string{"detail", `unknown field "rewind"`}},
		{name: "ErrSetBackwards", body: `{"set":"2026-09-20T10:00:00+08:00"}`, kind: beian.KindInvalid, code: "sandbox.clock_backwards", args: []string{"now", "2026-09-21T10:00:00+08:00"}},
	}
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			db := sqltest.Open(t, eng, nil)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					// A fresh offset per case: the clock only moves forward.
					if _, err := db.SQL.ExecContext(ctx, `DELETE FROM kv WHERE key = $1`, sandbox.OffsetKey); err != nil {
						t.Fatal(err)
					}
					start := tt.start
					if start.IsZero() {
						start = t0
					}
					e := newEnv(t, db, beian.NewManualClock(start))
					w := do(t, e.mux, "POST", "/api/v1/sandbox/clock", tt.body)
					if tt.kind != "" {
						status := web.Status(&beian.Error{Kind: tt.kind})
						wantError(t, w, status, tt.kind, tt.code, tt.args...)
						if !e.clock.Now().Equal(start) {
							t.Errorf("the clock moved to %s on a refused request", e.clock.Now())
						}
						return
					}
					a := decodeClock(t, w)
					if a.Now != tt.now || a.OffsetSeconds != tt.offset || a.Estimated != tt.estimated || a.Fired == nil || *a.Fired != 0 {
						t.Errorf("answer %+v, want now %s offset %v estimated %v fired 0", a, tt.now, tt.offset, tt.estimated)
					}
					// GET reads the same state.
					g := decodeClock(t, do(t, e.mux, "GET", "/api/v1/sandbox/clock", ""))
					if g.Now != tt.now || g.OffsetSeconds != tt.offset || g.Estimated || g.Fired != nil {
						t.Errorf("GET %+v, want now %s offset %v, not estimated, no fired", g, tt.now, tt.offset)
					}
				})
			}
		})
	}
}

func TestSurfaceGetClock(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, beian.NewManualClock(t0.UTC()))
		t.Run("OKInCST", func(t *testing.T) {
			a := decodeClock(t, do(t, e.mux, "GET", "/api/v1/sandbox/clock", ""))
			if a.Now != "2026-09-21T10:00:00+08:00" || a.OffsetSeconds != 0 || a.Estimated || a.Fired != nil {
				t.Errorf("answer %+v", a)
			}
		})
		t.Run("OKSeesAnotherInstance", func(t *testing.T) {
			other := sandbox.NewClock(secondHandle(t, db), e.base)
			if err := other.Advance(context.Background(), 90*time.Minute); err != nil {
				t.Fatal(err)
			}
			a := decodeClock(t, do(t, e.mux, "GET", "/api/v1/sandbox/clock", ""))
			if a.Now != "2026-09-21T11:30:00+08:00" || a.OffsetSeconds != 5400 {
				t.Errorf("answer %+v, want 11:30 and 5400 s", a)
			}
		})
	})
}

// API.md: "a POST returns only after every timer due by the new time has
// fired" — and it fires once, though two instances run the same context.
func TestMovingTheSandboxClockFiresATimerExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			base := beian.NewManualClock(t0)
			db1 := sqltest.Open(t, eng, nil)
			db2 := secondHandle(t, db1)
			tms, err := timer.New(timer.Provider)
			if err != nil {
				t.Fatal(err)
			}
			handlers := map[string]timer.Handler{"sandbox_test": countFired}
			r1 := &timer.Runner{DB: db1, Timers: tms, Handlers: handlers}
			r2 := &timer.Runner{DB: db2, Timers: tms, Handlers: handlers}
			first := newEnv(t, db1, base, r1)
			second := newEnv(t, db2, base, r2)

			err = db1.InTx(ctx, func(tx *sqlstore.Tx) error {
				return tms.Schedule(ctx, tx, "sandbox_test", "t1", tx.Now.Add(48*time.Hour), "")
			})
			if err != nil {
				t.Fatal(err)
			}
			count := func() int { return kvInt(ctx, db2.SQL, "fired/t1") }

			t.Run("NotDueNotFired", func(t *testing.T) {
				a := decodeClock(t, do(t, first.mux, "POST", "/api/v1/sandbox/clock", `{"advance":"24h"}`))
				if *a.Fired != 0 || count() != 0 {
					t.Errorf("fired %d, count %d; want 0, 0", *a.Fired, count())
				}
			})
			t.Run("FiredWhenThePostReturns", func(t *testing.T) {
				a := decodeClock(t, do(t, first.mux, "POST", "/api/v1/sandbox/clock", `{"advance":"72h"}`))
				if a.Now != "2026-09-25T10:00:00+08:00" || *a.Fired != 1 || count() != 1 {
					t.Errorf("answer %+v, count %d; want 2026-09-25T10:00 fired 1, count 1", a, count())
				}
			})
			t.Run("OnceAcrossInstances", func(t *testing.T) {
				if err := second.clock.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
				if !second.clock.Now().Equal(first.clock.Now()) {
					t.Fatalf("second instance at %s, want %s", second.clock.Now(), first.clock.Now())
				}
				for name, r := range map[string]*timer.Runner{"second": r2, "first": r1} {
					if n, err := r.FireDue(ctx); err != nil || n != 0 {
						t.Errorf("%s runner fired %d (%v), want 0", name, n, err)
					}
				}
				if count() != 1 {
					t.Errorf("count %d, want 1", count())
				}
				tm, ok, err := tms.Get(ctx, db2, "sandbox_test", "t1")
				if err != nil || !ok || tm.Pending() {
					t.Errorf("timer %+v %v %v, want fired", tm, ok, err)
				}
			})
			t.Run("SecondSurfaceMovesTheSharedClock", func(t *testing.T) {
				a := decodeClock(t, do(t, second.mux, "POST", "/api/v1/sandbox/clock", `{"advance":"1h"}`))
				if a.Now != "2026-09-25T11:00:00+08:00" {
					t.Errorf("answer %+v", a)
				}
				w := do(t, first.mux, "POST", "/api/v1/sandbox/clock", `{"set":"2026-09-25T10:30:00+08:00"}`)
				wantError(t, w, http.StatusUnprocessableEntity, beian.KindInvalid, "sandbox.clock_backwards", "now", "2026-09-25T11:00:00+08:00")
			})
		})
	}
}

// Every code the package answers with has a message in every language.
func TestCodesHaveMessages(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"sandbox.clock_body", "sandbox.clock_backwards", "sandbox.to_required"} {
		for _, lang := range i18n.Langs {
			if !i18n.Default().Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
}
