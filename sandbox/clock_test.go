package sandbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

func TestClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		base := beian.NewManualClock(t0)
		c := sandbox.NewClock(db, base)

		t.Run("StartsAtBase", func(t *testing.T) {
			if err := c.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if !c.Now().Equal(t0) || c.Offset() != 0 {
				t.Errorf("Now %s offset %s, want %s and 0", c.Now(), c.Offset(), t0)
			}
		})
		t.Run("AdvanceMovesAtOnce", func(t *testing.T) {
			if err := c.Advance(ctx, 72*time.Hour); err != nil {
				t.Fatal(err)
			}
			if want := t0.Add(72 * time.Hour); !c.Now().Equal(want) {
				t.Errorf("Now %s, want %s", c.Now(), want)
			}
		})
		t.Run("FollowsBase", func(t *testing.T) {
			base.Advance(time.Hour)
			if want := t0.Add(73 * time.Hour); !c.Now().Equal(want) {
				t.Errorf("Now %s, want %s", c.Now(), want)
			}
		})
		t.Run("SetMovesAtOnce", func(t *testing.T) {
			want := time.Date(2026, 10, 9, 9, 30, 0, 0, beian.CST)
			if err := c.Set(ctx, want); err != nil {
				t.Fatal(err)
			}
			if !c.Now().Equal(want) {
				t.Errorf("Now %s, want %s", c.Now(), want)
			}
		})
		t.Run("SharedWithAnotherHandleAfterRefresh", func(t *testing.T) {
			other := sandbox.NewClock(secondHandle(t, db), base)
			if !other.Now().Equal(base.Now()) {
				t.Fatalf("before Refresh: %s, want the base %s", other.Now(), base.Now())
			}
			if err := other.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if !other.Now().Equal(c.Now()) {
				t.Errorf("after Refresh: %s, want %s", other.Now(), c.Now())
			}
		})
		t.Run("RunFollowsAnotherInstance", func(t *testing.T) {
			other := sandbox.NewClock(secondHandle(t, db), base)
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); other.Run(rctx, 10*time.Millisecond) }()
			defer func() { cancel(); <-done }()
			if err := c.Advance(ctx, 24*time.Hour); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for !other.Now().Equal(c.Now()) {
				if time.Now().After(deadline) {
					t.Fatalf("Run never caught up: %s, want %s", other.Now(), c.Now())
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
		t.Run("ConcurrentAdvancesAllCount", func(t *testing.T) {
			// Two instances advancing at once: no move is lost.
			other := sandbox.NewClock(secondHandle(t, db), base)
			if err := c.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			want := c.Now().Add(20 * time.Hour)
			var wg sync.WaitGroup
			for _, clk := range []*sandbox.Clock{c, other} {
				wg.Go(func() {
					for range 10 {
						if err := clk.Advance(ctx, time.Hour); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			if err := c.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if !c.Now().Equal(want) {
				t.Errorf("Now %s, want %s", c.Now(), want)
			}
		})
		t.Run("ErrBackwards", func(t *testing.T) {
			before := c.Now()
			for name, err := range map[string]error{
				"Set":     c.Set(ctx, before.Add(-time.Second)),
				"Advance": c.Advance(ctx, -time.Minute),
			} {
				var e *beian.Error
				if !beian.IsKind(err, beian.KindInvalid) || !errors.As(err, &e) || e.Code != "sandbox.clock_backwards" {
					t.Errorf("%s backwards: %v, want invalid sandbox.clock_backwards", name, err)
				}
			}
			if _, err := c.AdvanceBusinessDays(ctx, -1, nil); !beian.IsKind(err, beian.KindInvalid) {
				t.Errorf("AdvanceBusinessDays(-1): %v, want invalid", err)
			}
			if !c.Now().Equal(before) {
				t.Errorf("moved to %s, want to stay at %s", c.Now(), before)
			}
		})
		t.Run("ErrBackwardsAgainstAnotherInstance", func(t *testing.T) {
			// A stale instance must not pull the shared clock back.
			stale := sandbox.NewClock(secondHandle(t, db), base)
			if err := stale.Set(ctx, base.Now().Add(time.Hour)); !beian.IsKind(err, beian.KindInvalid) {
				t.Errorf("stale Set: %v, want invalid", err)
			}
		})
	})
}

// A base clock with nanoseconds: the stored offset is whole microseconds,
// rounded so the clock stands at or just after the time it was set to, and
// a timer due at exactly that time is due.
func TestClockSetRoundsUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		base := beian.NewManualClock(t0.Add(123 * time.Nanosecond))
		c := sandbox.NewClock(db, base)
		want := t0.Add(48 * time.Hour)
		if err := c.Set(ctx, want); err != nil {
			t.Fatal(err)
		}
		if got := c.Now(); got.Before(want) || got.Sub(want) >= time.Microsecond {
			t.Errorf("Now %s, want within 1µs at or after %s", got, want)
		}
	})
}

// Rule CAL-1: the same time of day, n business days later, in CST.
func TestClockAdvanceBusinessDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name      string
		from      time.Time
		n         int
		want      time.Time
		estimated bool
	}{
		{"OKOverMidAutumn", time.Date(2026, 9, 24, 10, 0, 0, 0, beian.CST), 1, time.Date(2026, 9, 28, 10, 0, 0, 0, beian.CST), false},
		{"OKOverNationalDay", time.Date(2026, 9, 30, 16, 45, 0, 0, beian.CST), 1, time.Date(2026, 10, 8, 16, 45, 0, 0, beian.CST), false},
		{"OKCSTDateNotUTC", time.Date(2026, 9, 24, 1, 0, 0, 0, time.UTC), 1, time.Date(2026, 9, 28, 9, 0, 0, 0, beian.CST), false},
		{"OKZero", time.Date(2026, 9, 26, 8, 0, 0, 0, beian.CST), 0, time.Date(2026, 9, 26, 8, 0, 0, 0, beian.CST), false},
		{"EstimatedInto2028", time.Date(2027, 12, 31, 10, 0, 0, 0, beian.CST), 1, time.Date(2028, 1, 3, 10, 0, 0, 0, beian.CST), true},
	}
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// A fresh offset per case: the clock only moves forward.
				if _, err := db.SQL.Exec(`DELETE FROM kv WHERE key = $1`, sandbox.OffsetKey); err != nil {
					t.Fatal(err)
				}
				c := sandbox.NewClock(db, beian.NewManualClock(tt.from))
				est, err := c.AdvanceBusinessDays(ctx, tt.n, calendar.Default())
				if err != nil {
					t.Fatal(err)
				}
				if !c.Now().Equal(tt.want) || est != tt.estimated {
					t.Errorf("from %s +%d: %s, %v; want %s, %v", tt.from, tt.n, c.Now().In(beian.CST), est, tt.want, tt.estimated)
				}
			})
		}
	})
}
