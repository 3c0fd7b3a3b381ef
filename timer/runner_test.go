package timer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/timer"
)

// putKV is a handler's effect: one kv row keyed by the timer. Firing a
// timer twice would break the primary key.
func putKV(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3)`,
		tm.Kind+"/"+tm.Ref, value, sqlstore.Micro(tx.Now))
	return err
}

func kvCount(tb testing.TB, db *sqlstore.DB, prefix string) int {
	tb.Helper()
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM kv WHERE key LIKE $1`, prefix+"%").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func fireDue(tb testing.TB, r *timer.Runner, want int) {
	tb.Helper()
	if n, err := r.FireDue(context.Background()); err != nil || n != want {
		tb.Fatalf("FireDue = %d, %v; want %d", n, err, want)
	}
}

func TestFireDue(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		tms := newTimers(t)
		calls := 0
		r := &timer.Runner{DB: db, Timers: tms, Handlers: map[string]timer.Handler{
			"supplement_overdue": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
				calls++
				return putKV(ctx, tx, tm, tm.Payload)
			},
		}}
		schedule(t, db, tms, "supplement_overdue", "order-1", t0.Add(24*time.Hour), `{"n":1}`)

		t.Run("NotDueNothingFires", func(t *testing.T) {
			clk.Advance(24*time.Hour - time.Microsecond)
			fireDue(t, r, 0)
			if calls != 0 || kvCount(t, db, "supplement_overdue/") != 0 {
				t.Fatalf("calls %d before due", calls)
			}
		})
		t.Run("DueFiresOnce", func(t *testing.T) {
			clk.Advance(time.Microsecond)
			fireDue(t, r, 1)
			tm := get(t, db, tms, "supplement_overdue", "order-1")
			if calls != 1 || tm.Pending() || !tm.Fired.Equal(clk.Now()) || tm.Attempts != 0 {
				t.Fatalf("calls %d, timer %+v", calls, tm)
			}
			var v string
			if err := db.SQL.QueryRow(`SELECT value FROM kv WHERE key = 'supplement_overdue/order-1'`).Scan(&v); err != nil || v != `{"n":1}` {
				t.Fatalf("effect = %q, %v", v, err)
			}
		})
		t.Run("FiredNeverAgain", func(t *testing.T) {
			fireDue(t, r, 0)
			clk.Advance(30 * 24 * time.Hour)
			fireDue(t, r, 0)
			if calls != 1 {
				t.Fatalf("calls %d", calls)
			}
		})
	})
}

func TestHandlerFailure(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		tms := newTimers(t)
		fail, panics, calls := true, false, 0
		r := &timer.Runner{DB: db, Timers: tms, Log: slog.New(slog.DiscardHandler), Handlers: map[string]timer.Handler{
			"k": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
				calls++
				if err := putKV(ctx, tx, tm, "x"); err != nil {
					return err
				}
				if panics {
					panic("kaboom")
				}
				if fail {
					return fmt.Errorf("sender down (attempt %d)", tm.Attempts+1)
				}
				return nil
			},
		}}
		schedule(t, db, tms, "k", "r", t0, "")

		check := func(t *testing.T, attempts int, lastErr string, due time.Time) {
			t.Helper()
			tm := get(t, db, tms, "k", "r")
			if !tm.Pending() || tm.Attempts != attempts || !strings.Contains(tm.LastError, lastErr) || !tm.Due.Equal(due) {
				t.Fatalf("timer = %+v; want attempts %d, error %q, due %v", tm, attempts, lastErr, due)
			}
			if n := kvCount(t, db, "k/"); n != 0 {
				t.Fatalf("a failed handler left %d effects", n)
			}
		}
		t.Run("FailureRollsBackAndBacksOff", func(t *testing.T) {
			fireDue(t, r, 0)
			if calls != 1 {
				t.Fatalf("calls %d: FireDue must not retry in the same call", calls)
			}
			check(t, 1, "sender down (attempt 1)", t0.Add(time.Second))
		})
		t.Run("NotRetriedBeforeBackoff", func(t *testing.T) {
			clk.Advance(999 * time.Millisecond)
			fireDue(t, r, 0)
			if calls != 1 {
				t.Fatalf("calls %d", calls)
			}
		})
		t.Run("SecondFailureDoublesBackoff", func(t *testing.T) {
			clk.Advance(time.Millisecond)
			fireDue(t, r, 0)
			check(t, 2, "sender down (attempt 2)", clk.Now().Add(2*time.Second))
		})
		t.Run("PanicIsAFailure", func(t *testing.T) {
			panics = true
			clk.Advance(2 * time.Second)
			fireDue(t, r, 0)
			check(t, 3, "panicked: kaboom", clk.Now().Add(4*time.Second))
			panics = false
		})
		t.Run("SucceedsAfter", func(t *testing.T) {
			fail = false
			clk.Advance(4 * time.Second)
			fireDue(t, r, 1)
			tm := get(t, db, tms, "k", "r")
			if tm.Pending() || tm.Attempts != 3 || kvCount(t, db, "k/") != 1 || calls != 4 {
				t.Fatalf("timer %+v, calls %d", tm, calls)
			}
		})
		t.Run("CustomBackoff", func(t *testing.T) {
			fail = true
			r.Backoff = func(int) time.Duration { return 0 } // must still not loop
			schedule(t, db, tms, "k", "zero", clk.Now(), "")
			fireDue(t, r, 0)
			if tm := get(t, db, tms, "k", "zero"); tm.Attempts != 1 || !tm.Due.After(clk.Now()) {
				t.Fatalf("timer %+v", tm)
			}
		})
	})
}

func TestDueOrder(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		tms := newTimers(t)
		var order []time.Time
		r := &timer.Runner{DB: db, Timers: tms, Handlers: map[string]timer.Handler{
			"a": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
				order = append(order, tm.Due)
				return nil
			},
			"b": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
				order = append(order, tm.Due)
				return nil
			},
		}}
		rng := rand.New(rand.NewPCG(1, 2))
		err := db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
			for i := range 40 {
				kind := []string{"a", "b"}[i%2]
				due := t0.Add(-time.Duration(rng.IntN(100000)) * time.Second)
				if err := tms.Schedule(context.Background(), tx, kind, fmt.Sprint(i), due, ""); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		schedule(t, db, tms, "a", "later", t0.Add(time.Second), "")
		fireDue(t, r, 40)
		if !sort.SliceIsSorted(order, func(i, j int) bool { return order[i].Before(order[j]) }) {
			t.Fatalf("fired out of due order: %v", order)
		}
		next, ok, err := r.NextDue(context.Background())
		if err != nil || !ok || !next.Equal(t0.Add(time.Second)) {
			t.Fatalf("NextDue = %v, %v, %v", next, ok, err)
		}
	})
}

func TestHandlerSchedulesMore(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		tms := newTimers(t)
		var fired []string
		r := &timer.Runner{DB: db, Timers: tms}
		r.Handlers = map[string]timer.Handler{
			"chain": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
				fired = append(fired, tm.Ref)
				if tm.Ref == "1" {
					return tms.Schedule(ctx, tx, "chain", "2", tx.Now, "")
				}
				return nil
			},
			"sweep": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
				fired = append(fired, "sweep")
				return tms.Schedule(ctx, tx, tm.Kind, tm.Ref, tm.Due.Add(7*24*time.Hour), "")
			},
		}
		schedule(t, db, tms, "chain", "1", t0, "")
		schedule(t, db, tms, "sweep", "all", t0.Add(time.Second), "")
		clk.Advance(time.Second)
		t.Run("FollowUpDueNowFiresInSameCall", func(t *testing.T) {
			fireDue(t, r, 3)
			if strings.Join(fired, ",") != "1,sweep,2" {
				t.Fatalf("fired %v", fired)
			}
		})
		t.Run("SelfRearmStaysPending", func(t *testing.T) {
			tm := get(t, db, tms, "sweep", "all")
			if !tm.Pending() || !tm.Due.Equal(t0.Add(time.Second+7*24*time.Hour)) {
				t.Fatalf("re-armed sweep = %+v", tm)
			}
			clk.Advance(7 * 24 * time.Hour)
			fireDue(t, r, 1)
		})
	})
}

func TestUnhandledKind(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		tms := newTimers(t)
		var logs bytes.Buffer
		r := &timer.Runner{DB: db, Timers: tms, Log: slog.New(slog.NewTextHandler(&logs, nil)), Handlers: map[string]timer.Handler{
			"known": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error { return nil },
		}}
		schedule(t, db, tms, "unknown", "1", t0.Add(-time.Hour), "")
		schedule(t, db, tms, "unknown", "2", t0.Add(-time.Hour), "")
		schedule(t, db, tms, "known", "1", t0, "")
		fireDue(t, r, 1)
		fireDue(t, r, 0)
		if tm := get(t, db, tms, "unknown", "1"); !tm.Pending() || tm.Attempts != 0 {
			t.Fatalf("unhandled timer = %+v", tm)
		}
		if n := strings.Count(logs.String(), "kind=unknown"); n != 1 {
			t.Fatalf("logged the unhandled kind %d times:\n%s", n, logs.String())
		}
		if _, ok, err := r.NextDue(context.Background()); ok || err != nil {
			t.Fatalf("NextDue counts unhandled kinds: %v, %v", ok, err)
		}
		none := &timer.Runner{DB: db, Timers: tms, Log: r.Log}
		fireDue(t, none, 0)
	})
}

func TestSurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			clk := newClock()
			dsn := sqltest.DSN(t, eng)
			db, err := sqlstore.Open(ctx, dsn, clk)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			tms := newTimers(t)
			schedule(t, db, tms, "lapse", "order-9", t0.Add(45*24*time.Hour), "p")
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			clk.Advance(45 * 24 * time.Hour)
			db, err = sqlstore.Open(ctx, dsn, clk)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var got []string
			r := &timer.Runner{DB: db, Timers: tms, Handlers: map[string]timer.Handler{
				"lapse": func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
					got = append(got, tm.Ref+"="+tm.Payload)
					return putKV(ctx, tx, tm, "")
				},
			}}
			fireDue(t, r, 1)
			if len(got) != 1 || got[0] != "order-9=p" {
				t.Fatalf("fired %v after the restart", got)
			}
		})
	}
}

var errBoom = errors.New("boom")

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *sqlstore.DB, clk *manualClock) {
		tms := newTimers(t)
		ctx, stop := context.WithCancel(context.Background())
		r := &timer.Runner{DB: db, Timers: tms, Log: slog.New(slog.DiscardHandler), Handlers: map[string]timer.Handler{
			"k": func(_ context.Context, tx *sqlstore.Tx, tm timer.Timer) error { stop(); return errBoom },
		}}
		schedule(t, db, tms, "k", "r", t0, "")
		if _, err := r.FireDue(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("FireDue after cancel = %v", err)
		}
		if tm := get(t, db, tms, "k", "r"); !tm.Pending() || tm.Attempts != 0 {
			t.Fatalf("an interrupted attempt was counted: %+v", tm)
		}
	})
}
