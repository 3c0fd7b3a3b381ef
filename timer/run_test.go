package timer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/timer"
)

func TestRunAndWake(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		tms := newTimers(t)
		fired := make(chan string, 10)
		r := &timer.Runner{DB: db, Timers: tms, Poll: time.Minute, Handlers: map[string]timer.Handler{
			"k": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error { fired <- tm.Ref; return nil },
		}}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		defer func() { stop(); <-done }()

		expect := func(t *testing.T, ref string) {
			t.Helper()
			select {
			case got := <-fired:
				if got != ref {
					t.Fatalf("fired %q, want %q", got, ref)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%q did not fire", ref)
			}
		}
		t.Run("FiresOnStart", func(t *testing.T) {
			schedule(t, db, tms, "k", "first", clk.Now(), "")
			r.Wake()
			expect(t, "first")
		})
		t.Run("WakeFiresWhileAsleep", func(t *testing.T) {
			time.Sleep(50 * time.Millisecond) // Run is now asleep for a minute
			schedule(t, db, tms, "k", "second", clk.Now(), "")
			start := time.Now()
			r.Wake()
			expect(t, "second")
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("fired %v after Wake", d)
			}
		})
		t.Run("CancelStopsRun", func(t *testing.T) {
			stop()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
	})
}

func TestRunSleepsUntilDue(t *testing.T) {
	t.Parallel()
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			db := sqltest.Open(t, eng, beian.SystemClock)
			tms := newTimers(t)
			fired := make(chan time.Time, 1)
			r := &timer.Runner{DB: db, Timers: tms, Poll: time.Minute, Handlers: map[string]timer.Handler{
				"k": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error { fired <- tx.Now; return nil },
			}}
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { r.Run(ctx) })
			defer func() { stop(); wg.Wait() }()
			time.Sleep(50 * time.Millisecond) // Run sleeps for its Poll
			due := time.Now().Add(300 * time.Millisecond)
			schedule(t, db, tms, "k", "soon", due, "")
			r.Wake() // Run learns of the timer, then sleeps until it is due
			select {
			case at := <-fired:
				if at.Before(due) {
					t.Fatalf("fired at %v, before its due time %v", at, due)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not wake for the due time")
			}
		})
	}
}
