package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// API.md: login 5 failures per login per 15 minutes — the 6th is refused
// until the window ends.
func TestLimitAndWindow(t *testing.T) {
	clock := beian.NewManualClock(time.Date(2026, 11, 29, 10, 0, 0, 0, beian.CST))
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := &ratelimit.Limiter{DB: db}
		r := ratelimit.LoginFailures
		for i := 1; i <= 5; i++ {
			if d, err := l.Allow(ctx, r, "alice"); err != nil || !d.Allowed || d.Count != i {
				t.Fatalf("attempt %d: %+v %v", i, d, err)
			}
		}
		d, err := l.Allow(ctx, r, "alice")
		if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 15*time.Minute {
			t.Fatalf("6th: %+v %v", d, err)
		}
		if e := ratelimit.Error(d); !beian.IsKind(e, beian.KindRateLimited) {
			t.Fatalf("error kind: %v", e)
		}
		if d, _ := l.Allow(ctx, r, "bob"); !d.Allowed {
			t.Fatal("another key shares the count")
		}
		if d, _ := l.Peek(ctx, r, "alice"); d.Allowed || d.RetryAfter <= 0 {
			t.Fatalf("peek past the limit: %+v", d)
		}
		clock.Advance(15 * time.Minute)
		if d, _ := l.Allow(ctx, r, "alice"); !d.Allowed || d.Count != 1 {
			t.Fatalf("new window: %+v", d)
		}
		if err := l.Reset(ctx, r, "alice"); err != nil {
			t.Fatal(err)
		}
		if d, _ := l.Peek(ctx, r, "alice"); !d.Allowed || d.Count != 0 {
			t.Fatalf("after reset: %+v", d)
		}
	})
}

// Several instances share one count: 40 concurrent attempts from 4 database
// handles against a limit of 30 allow exactly 30.
func TestSharedAcrossInstances(t *testing.T) {
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			dsn := sqltest.DSN(t, eng)
			var handles []*ratelimit.Limiter
			for i := range 4 {
				db, err := sqlstore.Open(ctx, dsn, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if i == 0 {
					if _, err := db.Migrate(ctx); err != nil {
						t.Fatal(err)
					}
				}
				handles = append(handles, &ratelimit.Limiter{DB: db})
			}
			var mu sync.Mutex
			allowed := 0
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, err := handles[i%4].Allow(ctx, ratelimit.LoginClient, "127.0.0.1")
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if allowed != ratelimit.LoginClient.Limit {
				t.Fatalf("%d allowed, want %d", allowed, ratelimit.LoginClient.Limit)
			}
		})
	}
}
