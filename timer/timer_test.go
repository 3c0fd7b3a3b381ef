package timer_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/timer"
)

// t0 is where every test's clock starts.
var t0 = time.Date(2026, 9, 28, 10, 0, 0, 0, beian.CST)

// manualClock is a clock that moves only when told to.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *manualClock { return &manualClock{now: t0} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// each runs fn per engine on a fresh database, with the clock reset to t0.
func each(t *testing.T, fn func(t *testing.T, db *sqlstore.DB, clk *manualClock)) {
	t.Helper()
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		clk.Set(t0)
		fn(t, db, clk)
	})
}

func newTimers(tb testing.TB) *timer.Timers {
	tb.Helper()
	tms, err := timer.New(timer.Provider)
	if err != nil {
		tb.Fatal(err)
	}
	return tms
}

func schedule(tb testing.TB, db *sqlstore.DB, tms *timer.Timers, kind, ref string, due time.Time, payload string) {
	tb.Helper()
	err := db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		return tms.Schedule(context.Background(), tx, kind, ref, due, payload)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func cancel(tb testing.TB, db *sqlstore.DB, tms *timer.Timers, kind, ref string) {
	tb.Helper()
	err := db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		return tms.Cancel(context.Background(), tx, kind, ref)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func get(tb testing.TB, db *sqlstore.DB, tms *timer.Timers, kind, ref string) timer.Timer {
	tb.Helper()
	tm, ok, err := tms.Get(context.Background(), db, kind, ref)
	if err != nil || !ok {
		tb.Fatalf("get %s/%s: ok=%v err=%v", kind, ref, ok, err)
	}
	return tm
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, context, table string }{
		{"OKProvider", "provider", "provider_timers"},
		{"OKRegistry", "registry", "registry_timers"},
		{"ErrUnknownContext", "regulator", ""},
		{"ErrEmptyContext", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tms, err := timer.New(c.context)
			if c.table == "" {
				if err == nil {
					t.Fatalf("New(%q) = nil error", c.context)
				}
				return
			}
			if err != nil || tms.Table() != c.table || tms.Context() != c.context {
				t.Fatalf("New(%q) = %v, %v", c.context, tms, err)
			}
		})
	}
}

func TestScheduleRearmCancel(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		ctx := context.Background()
		tms := newTimers(t)
		var fired []string
		r := &timer.Runner{DB: db, Timers: tms, Handlers: map[string]timer.Handler{
			"k": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
				fired = append(fired, tm.Ref+"="+tm.Payload)
				return nil
			},
		}}
		fire := func(t *testing.T, want int) {
			t.Helper()
			if n, err := r.FireDue(ctx); err != nil || n != want {
				t.Fatalf("FireDue = %d, %v; want %d", n, err, want)
			}
		}

		t.Run("OKMissing", func(t *testing.T) {
			if _, ok, err := tms.Get(ctx, db, "k", "none"); ok || err != nil {
				t.Fatalf("Get missing = %v, %v", ok, err)
			}
		})
		t.Run("ErrBadArguments", func(t *testing.T) {
			for _, c := range []struct {
				kind, ref string
				due       time.Time
			}{{"", "r", t0}, {"k", "", t0}, {"k", "r", time.Time{}}} {
				err := db.InTx(ctx, func(tx *sqlstore.Tx) error { return tms.Schedule(ctx, tx, c.kind, c.ref, c.due, "") })
				if err == nil {
					t.Errorf("Schedule(%q, %q, %v) = nil", c.kind, c.ref, c.due)
				}
			}
		})
		t.Run("RolledBackScheduleLeavesNothing", func(t *testing.T) {
			boom := errors.New("boom")
			err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
				if err := tms.Schedule(ctx, tx, "k", "rolled", t0, ""); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			if _, ok, _ := tms.Get(ctx, db, "k", "rolled"); ok {
				t.Fatal("a rolled-back Schedule left a timer")
			}
		})
		t.Run("RearmMovesDueAndPayload", func(t *testing.T) {
			schedule(t, db, tms, "k", "a", t0.Add(time.Hour), "one")
			first := get(t, db, tms, "k", "a")
			schedule(t, db, tms, "k", "a", t0.Add(2*time.Hour), "two")
			tm := get(t, db, tms, "k", "a")
			if tm.ID != first.ID || !tm.Due.Equal(t0.Add(2*time.Hour)) || tm.Payload != "two" || !tm.Pending() || !tm.Created.Equal(t0) {
				t.Fatalf("re-armed timer = %+v", tm)
			}
			clk.Advance(time.Hour)
			fire(t, 0)
			clk.Advance(time.Hour)
			fire(t, 1)
			if len(fired) != 1 || fired[0] != "a=two" {
				t.Fatalf("fired %v", fired)
			}
		})
		t.Run("RearmAfterFiredFiresAgain", func(t *testing.T) {
			schedule(t, db, tms, "k", "a", clk.Now().Add(time.Minute), "three")
			tm := get(t, db, tms, "k", "a")
			if !tm.Pending() || tm.Attempts != 0 || !tm.Fired.IsZero() {
				t.Fatalf("re-armed fired timer = %+v", tm)
			}
			clk.Advance(time.Minute)
			fire(t, 1)
			if len(fired) != 2 || fired[1] != "a=three" {
				t.Fatalf("fired %v", fired)
			}
		})
		t.Run("CancelledNeverFires", func(t *testing.T) {
			schedule(t, db, tms, "k", "b", clk.Now(), "")
			cancel(t, db, tms, "k", "b")
			tm := get(t, db, tms, "k", "b")
			if tm.Pending() || !tm.Cancelled.Equal(clk.Now()) {
				t.Fatalf("cancelled timer = %+v", tm)
			}
			clk.Advance(time.Hour)
			fire(t, 0)
		})
		t.Run("CancelMissingOK", func(t *testing.T) {
			cancel(t, db, tms, "k", "never")
			if _, ok, _ := tms.Get(ctx, db, "k", "never"); ok {
				t.Fatal("Cancel created a timer")
			}
		})
		t.Run("CancelFiredKeepsFired", func(t *testing.T) {
			cancel(t, db, tms, "k", "a")
			if tm := get(t, db, tms, "k", "a"); tm.Fired.IsZero() || !tm.Cancelled.IsZero() {
				t.Fatalf("fired timer after Cancel = %+v", tm)
			}
		})
		t.Run("RearmAfterCancelFires", func(t *testing.T) {
			schedule(t, db, tms, "k", "b", clk.Now(), "again")
			if tm := get(t, db, tms, "k", "b"); !tm.Pending() {
				t.Fatalf("re-armed cancelled timer = %+v", tm)
			}
			fire(t, 1)
			if fired[len(fired)-1] != "b=again" {
				t.Fatalf("fired %v", fired)
			}
		})
		t.Run("GetTxSeesUncommitted", func(t *testing.T) {
			err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
				if err := tms.Schedule(ctx, tx, "k", "c", clk.Now().Add(time.Hour), "p"); err != nil {
					return err
				}
				tm, ok, err := tms.GetTx(ctx, tx, "k", "c")
				if err != nil || !ok || tm.Payload != "p" {
					t.Errorf("GetTx = %+v, %v, %v", tm, ok, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestContextsAreSeparate(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		prov := newTimers(t)
		reg, err := timer.New(timer.Registry)
		if err != nil {
			t.Fatal(err)
		}
		schedule(t, db, reg, "k", "r", t0, "")
		if _, ok, _ := prov.Get(context.Background(), db, "k", "r"); ok {
			t.Fatal("a registry timer is visible to the provider")
		}
		get(t, db, reg, "k", "r")
	})
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		attempts int
		want     time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {10, 512 * time.Second}, {11, 10 * time.Minute}, {1000, 10 * time.Minute}} {
		if got := timer.DefaultBackoff(c.attempts); got != c.want {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", c.attempts, got, c.want)
		}
	}
}
