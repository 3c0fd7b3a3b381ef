package timer_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/timer"
)

// TestExactlyOnceAcrossInstances runs several runners, each on its own
// database handle like separate `serve` processes, over one table of due
// timers: every timer must fire exactly once.
func TestExactlyOnceAcrossInstances(t *testing.T) {
	// Not parallel: it measures contention, so it runs alone first.
	const instances, timers = 4, 300
	ctx := context.Background()
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			clk := newClock()
			first := sqltest.Open(t, eng, clk)
			dbs := []*sqlstore.DB{first}
			for range instances - 1 {
				db, err := sqlstore.Open(ctx, first.DSN(), clk)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
			}
			tms := newTimers(t)
			err := first.InTx(ctx, func(tx *sqlstore.Tx) error {
				for i := range timers {
					if err := tms.Schedule(ctx, tx, "sweep", fmt.Sprintf("o-%03d", i), t0.Add(-time.Duration(i)*time.Second), ""); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}

			var invoked, committed [instances]atomic.Int64
			start := time.Now()
			var wg sync.WaitGroup
			for i, db := range dbs {
				r := &timer.Runner{DB: db, Timers: tms, Handlers: map[string]timer.Handler{
					"sweep": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
						invoked[i].Add(1)
						return putKV(ctx, tx, tm, fmt.Sprint(i))
					},
				}}
				wg.Go(func() {
					for {
						n, err := r.FireDue(ctx)
						if err != nil {
							t.Errorf("runner %d: %v", i, err)
							return
						}
						committed[i].Add(int64(n))
						if n == 0 {
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)

			var sumInvoked, sumCommitted int64
			var per [instances]int64
			for i := range instances {
				sumInvoked += invoked[i].Load()
				sumCommitted += committed[i].Load()
				per[i] = committed[i].Load()
			}
			t.Logf("%s: %d timers fired by %d instances in %v: per instance %v, handler invocations %d",
				eng, sumCommitted, instances, elapsed.Round(time.Millisecond), per, sumInvoked)
			if sumCommitted != timers || sumInvoked != timers {
				t.Fatalf("committed %d fires from %d handler invocations; want %d of each", sumCommitted, sumInvoked, timers)
			}
			if n := kvCount(t, first, "sweep/"); n != timers {
				t.Fatalf("%d effects, want %d", n, timers)
			}
			var pending, retried int
			err = first.SQL.QueryRow(`SELECT
  COALESCE(SUM(CASE WHEN fired_at = 0 THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0)
FROM provider_timers`).Scan(&pending, &retried)
			if err != nil || pending != 0 || retried != 0 {
				t.Fatalf("pending %d, retried %d, err %v", pending, retried, err)
			}
			// Each kv row names the instance that fired it; they agree with
			// the committed counts, so no fire was counted twice.
			for i := range instances {
				var n int64
				if err := first.SQL.QueryRow(`SELECT COUNT(*) FROM kv WHERE value = $1`, fmt.Sprint(i)).Scan(&n); err != nil || n != per[i] {
					t.Fatalf("instance %d: %d effects, %d committed fires (%v)", i, n, per[i], err)
				}
			}
		})
	}
}

// TestFireDueWaitsForInFlight: a FireDue that finds a due timer being fired
// by another runner returns only after that runner has committed, so that
// "every timer due by the new time has fired" holds across instances.
func TestFireDueWaitsForInFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		other, err := sqlstore.Open(ctx, db.DSN(), clk)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		tms := newTimers(t)
		entered, release := make(chan struct{}), make(chan struct{})
		slow := &timer.Runner{DB: db, Timers: tms, Handlers: map[string]timer.Handler{
			"k": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
				close(entered)
				<-release
				return putKV(ctx, tx, tm, "slow")
			},
		}}
		fast := &timer.Runner{DB: other, Timers: tms, Handlers: map[string]timer.Handler{
			"k": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error { return putKV(ctx, tx, tm, "fast") },
		}}
		schedule(t, db, tms, "k", "r", t0, "")
		slowDone := make(chan int, 1)
		go func() { n, _ := slow.FireDue(ctx); slowDone <- n }()
		<-entered
		fastDone := make(chan int, 1)
		go func() { n, _ := fast.FireDue(ctx); fastDone <- n }()
		select {
		case n := <-fastDone:
			t.Fatalf("FireDue returned %d while another runner was firing a due timer", n)
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		if n := <-slowDone; n != 1 {
			t.Fatalf("slow runner fired %d", n)
		}
		if n := <-fastDone; n != 0 {
			t.Fatalf("fast runner fired %d", n)
		}
		if tm := get(t, db, tms, "k", "r"); tm.Pending() {
			t.Fatalf("timer %+v", tm)
		}
	})
}
