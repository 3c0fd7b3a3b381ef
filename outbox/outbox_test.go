package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// clock is a settable clock for lease and retry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 9, 28, 10, 0, 0, 0, beian.CST)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mustNew(tb testing.TB, context string) *outbox.Outbox {
	tb.Helper()
	o, err := outbox.New(context)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// enqueue writes the messages in one committed transaction and returns their IDs.
func enqueue(tb testing.TB, db *sqlstore.DB, o *outbox.Outbox, msgs ...outbox.Message) []string {
	tb.Helper()
	var ids []string
	err := db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		ids = ids[:0]
		for _, m := range msgs {
			id, err := o.Enqueue(context.Background(), tx, m)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

func sms(to string) outbox.Message {
	return outbox.Message{Channel: outbox.SMS, To: to, Template: "test.hello", Data: map[string]string{"name": "张三"}}
}

func email(to string) outbox.Message {
	return outbox.Message{Channel: outbox.Email, To: to, Template: "test.hello", Data: map[string]string{"name": "张三"}}
}

func claimIDs(tb testing.TB, db *sqlstore.DB, o *outbox.Outbox, channels []string, limit int, lease time.Duration) []string {
	tb.Helper()
	msgs, err := o.Claim(context.Background(), db, channels, limit, lease)
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}

func TestNew(t *testing.T) {
	for _, c := range []string{"provider", "registry"} {
		t.Run("OK_"+c, func(t *testing.T) {
			if o := mustNew(t, c); o.Table() != c+"_outbox" {
				t.Errorf("table = %q", o.Table())
			}
		})
	}
	t.Run("ErrUnknownContext", func(t *testing.T) {
		if _, err := outbox.New("bureau"); err == nil {
			t.Fatal("no error for an unknown context")
		}
	})
}

func TestEnqueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, newClock(), func(t *testing.T, db *sqlstore.DB) {
		o := mustNew(t, "provider")
		t.Run("RolledBackLeavesNothing", func(t *testing.T) {
			boom := errors.New("cause failed")
			err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
				if _, err := o.Enqueue(ctx, tx, sms("13812345678")); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("InTx = %v", err)
			}
			if got := claimIDs(t, db, o, outbox.Channels, 10, time.Minute); len(got) != 0 {
				t.Fatalf("claimed %v after rollback", got)
			}
		})
		t.Run("CommittedIsClaimedOnce", func(t *testing.T) {
			ids := enqueue(t, db, o, sms("13812345678"))
			if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(ids[0]) {
				t.Errorf("ID %q is not 128-bit hex", ids[0])
			}
			msgs, err := o.Claim(ctx, db, outbox.Channels, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 1 || msgs[0].ID != ids[0] {
				t.Fatalf("claimed %+v, want %s", msgs, ids[0])
			}
			m := msgs[0]
			if m.Channel != outbox.SMS || m.To != "13812345678" || m.Template != "test.hello" || m.Data["name"] != "张三" || m.Attempts != 1 {
				t.Errorf("claimed %+v", m)
			}
			if !m.CreatedAt.Equal(db.Clock.Now()) {
				t.Errorf("CreatedAt = %v, want %v", m.CreatedAt, db.Clock.Now())
			}
			if got := claimIDs(t, db, o, outbox.Channels, 10, time.Minute); len(got) != 0 {
				t.Fatalf("claimed %v again under a live lease", got)
			}
			if err := o.MarkSent(ctx, db, m.ID); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("GivenIDKept", func(t *testing.T) {
			m := email("a@example.com")
			m.ID = "given-1"
			if ids := enqueue(t, db, o, m); ids[0] != "given-1" {
				t.Errorf("ID = %q", ids[0])
			}
		})
		t.Run("ErrDuplicateID", func(t *testing.T) {
			m := email("a@example.com")
			m.ID = "given-1"
			err := db.InTx(ctx, func(tx *sqlstore.Tx) error { _, err := o.Enqueue(ctx, tx, m); return err })
			if !beian.IsKind(err, beian.KindConflict) {
				t.Errorf("err = %v, want conflict", err)
			}
		})
		for _, tc := range []struct {
			name string
			edit func(*outbox.Message)
			code string
		}{
			{"ErrChannel", func(m *outbox.Message) { m.Channel = "fax" }, "outbox.channel"},
			{"ErrRecipient", func(m *outbox.Message) { m.To = " " }, "outbox.recipient"},
			{"ErrTemplate", func(m *outbox.Message) { m.Template = "" }, "outbox.template"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				m := sms("13812345678")
				tc.edit(&m)
				err := db.InTx(ctx, func(tx *sqlstore.Tx) error { _, err := o.Enqueue(ctx, tx, m); return err })
				var e *beian.Error
				if !errors.As(err, &e) || e.Kind != beian.KindInvalid || e.Code != tc.code {
					t.Errorf("err = %v, want invalid %s", err, tc.code)
				}
			})
		}
	})
}

func TestClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		o := mustNew(t, "registry")
		var smsIDs, emailIDs []string
		for i := range 5 {
			smsIDs = append(smsIDs, enqueue(t, db, o, sms(fmt.Sprintf("1381234%04d", i)))...)
			emailIDs = append(emailIDs, enqueue(t, db, o, email(fmt.Sprintf("u%d@example.com", i)))...)
			clk.Advance(time.Second)
		}
		t.Run("OnlyGivenChannelsOldestFirst", func(t *testing.T) {
			got := claimIDs(t, db, o, []string{outbox.Email}, 3, time.Minute)
			if strings.Join(got, ",") != strings.Join(emailIDs[:3], ",") {
				t.Fatalf("claimed %v, want %v", got, emailIDs[:3])
			}
			got = claimIDs(t, db, o, []string{outbox.Email}, 10, time.Minute)
			if strings.Join(got, ",") != strings.Join(emailIDs[3:], ",") {
				t.Fatalf("claimed %v, want %v", got, emailIDs[3:])
			}
		})
		t.Run("NoChannelsClaimsNothing", func(t *testing.T) {
			if got := claimIDs(t, db, o, nil, 10, time.Minute); len(got) != 0 {
				t.Fatalf("claimed %v", got)
			}
		})
		t.Run("PendingCountsUnsent", func(t *testing.T) {
			p, err := o.Pending(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if p[outbox.SMS] != 5 || p[outbox.Email] != 5 {
				t.Fatalf("Pending = %v", p)
			}
		})
		t.Run("SentIsNotClaimedAgain", func(t *testing.T) {
			for _, id := range emailIDs {
				if err := o.MarkSent(ctx, db, id); err != nil {
					t.Fatal(err)
				}
			}
			clk.Advance(2 * time.Minute)
			if got := claimIDs(t, db, o, []string{outbox.Email}, 10, time.Minute); len(got) != 0 {
				t.Fatalf("claimed sent messages %v", got)
			}
			p, err := o.Pending(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if p[outbox.SMS] != 5 || p[outbox.Email] != 0 {
				t.Fatalf("Pending = %v", p)
			}
		})
		t.Run("FailedWaitsForRetryTime", func(t *testing.T) {
			got := claimIDs(t, db, o, []string{outbox.SMS}, 1, time.Minute)
			if len(got) != 1 || got[0] != smsIDs[0] {
				t.Fatalf("claimed %v", got)
			}
			long := strings.Repeat("错", 400)
			if err := o.MarkFailed(ctx, db, got[0], long, clk.Now().Add(30*time.Second)); err != nil {
				t.Fatal(err)
			}
			if again := claimIDs(t, db, o, []string{outbox.SMS}, 10, time.Minute); len(again) != 4 {
				t.Fatalf("claimed %v, want the 4 others", again)
			}
			clk.Advance(31 * time.Second)
			msgs, err := o.Claim(ctx, db, []string{outbox.SMS}, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 1 || msgs[0].ID != smsIDs[0] || msgs[0].Attempts != 2 {
				t.Fatalf("claimed %+v, want %s on attempt 2", msgs, smsIDs[0])
			}
			var last string
			if err := db.SQL.QueryRow(`SELECT last_error FROM registry_outbox WHERE id = $1`, smsIDs[0]).Scan(&last); err != nil {
				t.Fatal(err)
			}
			if len(last) > 520 || !strings.HasPrefix(last, "错错") {
				t.Errorf("last_error has %d bytes: %.30q", len(last), last)
			}
		})
		t.Run("FailedAfterSentStaysSent", func(t *testing.T) {
			if err := o.MarkFailed(ctx, db, emailIDs[0], "late", clk.Now()); err != nil {
				t.Fatal(err)
			}
			clk.Advance(2 * time.Minute)
			for _, id := range claimIDs(t, db, o, outbox.Channels, 100, time.Minute) {
				if id == emailIDs[0] {
					t.Fatal("a sent message became due again")
				}
			}
		})
		t.Run("ErrUnknownID", func(t *testing.T) {
			if err := o.MarkSent(ctx, db, "nope"); !beian.IsKind(err, beian.KindNotFound) {
				t.Errorf("MarkSent = %v", err)
			}
			if err := o.MarkFailed(ctx, db, "nope", "x", clk.Now()); !beian.IsKind(err, beian.KindNotFound) {
				t.Errorf("MarkFailed = %v", err)
			}
		})
	})
}

// TestClaimLeaseExpiry: a worker that claims and dies (never marks) leaves
// the message to be claimed again once the lease has run out.
func TestClaimLeaseExpiry(t *testing.T) {
	t.Parallel()
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		o := mustNew(t, "provider")
		ids := enqueue(t, db, o, sms("13812345678"))
		if got := claimIDs(t, db, o, outbox.Channels, 10, time.Minute); len(got) != 1 {
			t.Fatalf("first claim %v", got)
		}
		clk.Advance(59 * time.Second)
		if got := claimIDs(t, db, o, outbox.Channels, 10, time.Minute); len(got) != 0 {
			t.Fatalf("claimed %v before the lease ran out", got)
		}
		clk.Advance(time.Second)
		msgs, err := o.Claim(context.Background(), db, outbox.Channels, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].ID != ids[0] || msgs[0].Attempts != 2 {
			t.Fatalf("claimed %+v after the lease, want %s on attempt 2", msgs, ids[0])
		}
	})
}

// AnyDue answers from a read what Claim would find: a due message of the
// channels, not one leased, sent, scheduled later or of another channel.
func TestAnyDue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		o := mustNew(t, "provider")
		due := func(want bool, channels []string, when string) {
			t.Helper()
			got, err := o.AnyDue(ctx, db, channels)
			if err != nil || got != want {
				t.Fatalf("%s: AnyDue(%v) = %v, %v; want %v", when, channels, got, err, want)
			}
		}
		due(false, outbox.Channels, "empty")
		ids := enqueue(t, db, o, sms("13812345678"))
		due(true, outbox.Channels, "queued")
		due(true, []string{outbox.SMS}, "queued, its channel")
		due(false, []string{outbox.Email}, "queued, another channel")
		due(false, nil, "no channels")
		if got := claimIDs(t, db, o, outbox.Channels, 10, time.Minute); len(got) != 1 {
			t.Fatalf("claim %v", got)
		}
		due(false, outbox.Channels, "leased")
		if err := o.MarkFailed(ctx, db, ids[0], "down", clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		due(false, outbox.Channels, "failed, retried in an hour")
		clk.Advance(time.Hour)
		due(true, outbox.Channels, "retry due")
		if err := o.MarkSent(ctx, db, ids[0]); err != nil {
			t.Fatal(err)
		}
		due(false, outbox.Channels, "sent")
	})
}

// TestClaimConcurrent: several workers claiming at once never get the same
// message (SKIP LOCKED on PostgreSQL, serial writers on SQLite).
func TestClaimConcurrent(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		t.Parallel() // the system clock: engines need not take turns
		o := mustNew(t, "provider")
		var msgs []outbox.Message
		for i := range 300 {
			if i%2 == 0 {
				msgs = append(msgs, sms(fmt.Sprintf("1390000%04d", i)))
			} else {
				msgs = append(msgs, email(fmt.Sprintf("u%d@example.com", i)))
			}
		}
		ids := enqueue(t, db, o, msgs...)
		var mu sync.Mutex
		claimed := map[string]int{}
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Go(func() {
				for {
					got, err := o.Claim(context.Background(), db, outbox.Channels, 7, time.Hour)
					if err != nil {
						errs <- err
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						claimed[m.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(claimed) != len(ids) {
			t.Errorf("claimed %d distinct messages, want %d", len(claimed), len(ids))
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("message %s claimed %d times", id, n)
			}
		}
	})
}
