package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newWorker(db *sqlstore.DB, o *outbox.Outbox, senders ...notify.Sender) *notify.Worker {
	return &notify.Worker{DB: db, Outbox: o, Templates: notify.New(), Senders: senders, Log: quiet,
		Batch: 10, Lease: time.Minute, Poll: 10 * time.Millisecond}
}

func runOnce(tb testing.TB, w *notify.Worker) (sent, failed int) {
	tb.Helper()
	sent, failed, err := w.RunOnce(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return sent, failed
}

func TestWorkerEnqueueInTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, newClock(), func(t *testing.T, db *sqlstore.DB) {
		o := mustOutbox(t, "provider")
		w := newWorker(db, o, notify.NewMailbox(db, "provider", outbox.SMS))
		t.Run("RolledBackIsNeverDelivered", func(t *testing.T) {
			err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
				if _, err := o.Enqueue(ctx, tx, hello(outbox.SMS, "13812345678")); err != nil {
					return err
				}
				return errors.New("the cause failed")
			})
			if err == nil {
				t.Fatal("InTx succeeded")
			}
			if sent, failed := runOnce(t, w); sent+failed != 0 {
				t.Fatalf("sent %d, failed %d", sent, failed)
			}
			if p := pending(t, db, o); p[outbox.SMS] != 0 {
				t.Fatalf("Pending = %v", p)
			}
		})
		t.Run("CommittedIsDeliveredOnce", func(t *testing.T) {
			ids := enqueue(t, db, o, hello(outbox.SMS, "13812345678"))
			if sent, failed := runOnce(t, w); sent != 1 || failed != 0 {
				t.Fatalf("sent %d, failed %d", sent, failed)
			}
			if sent, failed := runOnce(t, w); sent+failed != 0 {
				t.Fatalf("second round: sent %d, failed %d", sent, failed)
			}
			got, err := notify.Mailbox(ctx, db, "13812345678")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].ID != ids[0] || got[0].Body != "【ICP备案】张三，您好！这是一条测试短信。" {
				t.Fatalf("mailbox %+v", got)
			}
			if p := pending(t, db, o); p[outbox.SMS] != 0 {
				t.Fatalf("Pending = %v", p)
			}
		})
	})
}

// TestWorkerChannelWithoutSender: without an SMS sender, SMS messages stay
// queued, untouched (never claimed), and Pending and Unserved count them.
func TestWorkerChannelWithoutSender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		o := mustOutbox(t, "registry")
		email := &fakeSender{channel: outbox.Email}
		w := newWorker(db, o, email)
		ids := enqueue(t, db, o, hello(outbox.SMS, "13812345678"), hello(outbox.Email, "a@example.com"))
		for range 3 {
			runOnce(t, w)
			clk.Advance(time.Hour)
		}
		if got := email.sentIDs(); len(got) != 1 || got[ids[1]] != 1 {
			t.Fatalf("email sent %v", got)
		}
		if p := pending(t, db, o); p[outbox.SMS] != 1 || p[outbox.Email] != 0 {
			t.Fatalf("Pending = %v", p)
		}
		u, err := w.Unserved(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(u) != 1 || u[outbox.SMS] != 1 {
			t.Fatalf("Unserved = %v", u)
		}
		var attempts int
		var lease int64
		if err := db.SQL.QueryRow(`SELECT attempts, lease_until FROM registry_outbox WHERE id = $1`, ids[0]).Scan(&attempts, &lease); err != nil {
			t.Fatal(err)
		}
		if attempts != 0 || lease != 0 {
			t.Errorf("SMS message touched: attempts %d, lease_until %d", attempts, lease)
		}
		t.Run("DeliveredOnceASenderIsConfigured", func(t *testing.T) {
			sms := &fakeSender{channel: outbox.SMS}
			w.Senders = append(w.Senders, sms)
			if sent, _ := runOnce(t, w); sent != 1 || sms.sentIDs()[ids[0]] != 1 {
				t.Fatalf("sent %d: %v", sent, sms.sentIDs())
			}
		})
	})
}

// TestWorkerConcurrent: two workers on one outbox never send the same
// message at the same time, and every message goes out exactly once when
// nothing fails.
func TestWorkerConcurrent(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		t.Parallel() // the system clock: engines need not take turns
		o := mustOutbox(t, "provider")
		var msgs []outbox.Message
		for i := range 60 {
			msgs = append(msgs, hello(outbox.SMS, phone(i)), hello(outbox.Email, fmt.Sprintf("u%d@example.com", i)))
		}
		ids := enqueue(t, db, o, msgs...)
		sms := &fakeSender{channel: outbox.SMS, delay: time.Millisecond}
		email := &fakeSender{channel: outbox.Email, delay: time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 2 {
			w := newWorker(db, o, sms, email)
			w.Batch = 5
			wg.Go(func() { w.Run(ctx) })
		}
		waitFor(t, 20*time.Second, "an empty outbox", func() bool {
			p := pending(t, db, o)
			return p[outbox.SMS]+p[outbox.Email] == 0
		})
		cancel()
		wg.Wait()
		if len(sms.overlaps)+len(email.overlaps) != 0 {
			t.Errorf("sent concurrently: %v %v", sms.overlaps, email.overlaps)
		}
		all := sms.sentIDs()
		for id, n := range email.sentIDs() {
			all[id] += n
		}
		if len(all) != len(ids) {
			t.Errorf("%d distinct messages sent, want %d", len(all), len(ids))
		}
		for id, n := range all {
			if n != 1 {
				t.Errorf("message %s sent %d times", id, n)
			}
		}
	})
}

// TestWorkerLeaseExpiry: a message claimed by a worker that died is sent by
// another once the lease has run out, not before.
func TestWorkerLeaseExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		o := mustOutbox(t, "provider")
		ids := enqueue(t, db, o, hello(outbox.Email, "a@example.com"))
		if got, err := o.Claim(ctx, db, []string{outbox.Email}, 10, time.Minute); err != nil || len(got) != 1 {
			t.Fatalf("dead worker's claim: %v %v", got, err)
		}
		email := &fakeSender{channel: outbox.Email}
		w := newWorker(db, o, email)
		if sent, _ := runOnce(t, w); sent != 0 {
			t.Fatalf("sent %d under the dead worker's lease", sent)
		}
		clk.Advance(time.Minute)
		if sent, _ := runOnce(t, w); sent != 1 {
			t.Fatalf("sent %d after the lease", sent)
		}
		if got := email.sent; len(got) != 1 || got[0].ID != ids[0] || got[0].Attempts != 2 {
			t.Fatalf("sent %+v", got)
		}
	})
}

// TestWorkerLeaseDeadline: a worker whose lease is half gone sends no more
// of its batch; the rest is released, due at once, and sent next round.
func TestWorkerLeaseDeadline(t *testing.T) {
	t.Parallel()
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		o := mustOutbox(t, "provider")
		enqueue(t, db, o, hello(outbox.SMS, phone(1)), hello(outbox.SMS, phone(2)), hello(outbox.SMS, phone(3)))
		slow := &fakeSender{channel: outbox.SMS, fail: func(outbox.Message, notify.Rendered) error {
			clk.Advance(31 * time.Second) // a slow gateway, on the clock's time
			return nil
		}}
		w := newWorker(db, o, slow)
		if sent, failed := runOnce(t, w); sent != 1 || failed != 0 {
			t.Fatalf("first round: sent %d, failed %d", sent, failed)
		}
		if p := pending(t, db, o); p[outbox.SMS] != 2 {
			t.Fatalf("Pending = %v", p)
		}
		slow.fail = nil
		if sent, _ := runOnce(t, w); sent != 2 {
			t.Fatalf("second round sent %d, want the 2 released", sent)
		}
	})
}

// TestWorkerRenderFailure: a message whose data lacks a template key is not
// sent; it is failed with the longest backoff and an error naming the key.
func TestWorkerRenderFailure(t *testing.T) {
	t.Parallel()
	clk := newClock()
	sqltest.Each(t, clk, func(t *testing.T, db *sqlstore.DB) {
		o := mustOutbox(t, "provider")
		ids := enqueue(t, db, o, outbox.Message{Channel: outbox.SMS, To: "13812345678", Template: "notice",
			Data: map[string]string{"title": "初始密码 Pa55word!"}})
		sms := &fakeSender{channel: outbox.SMS}
		w := newWorker(db, o, sms)
		var attempts []int
		w.Backoff = func(a int) time.Duration { attempts = append(attempts, a); return time.Hour }
		if sent, failed := runOnce(t, w); sent != 0 || failed != 1 {
			t.Fatalf("sent %d, failed %d", sent, failed)
		}
		if len(sms.sent) != 0 {
			t.Fatalf("sender called: %+v", sms.sent)
		}
		if len(attempts) != 1 || attempts[0] != notify.PermanentAttempt {
			t.Errorf("backoff asked for attempts %v, want [%d]", attempts, notify.PermanentAttempt)
		}
		var last string
		var next int64
		if err := db.SQL.QueryRow(`SELECT last_error, next_attempt_at FROM provider_outbox WHERE id = $1`, ids[0]).Scan(&last, &next); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(last, `"body"`) || strings.Contains(last, "Pa55word") {
			t.Errorf("last_error %q", last)
		}
		if want := sqlstore.Micro(clk.Now().Add(time.Hour)); next != want {
			t.Errorf("next attempt %d, want %d", next, want)
		}
		if p := pending(t, db, o); p[outbox.SMS] != 1 {
			t.Errorf("Pending = %v: a failed message stays queued", p)
		}
	})
}

// TestWorkerWake: Wake makes a waiting Run claim at once.
func TestWorkerWake(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		t.Parallel() // the system clock: engines need not take turns
		o := mustOutbox(t, "provider")
		sms := &fakeSender{channel: outbox.SMS}
		w := newWorker(db, o, sms)
		w.Poll = time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		time.Sleep(50 * time.Millisecond) // let Run reach its wait
		enqueue(t, db, o, hello(outbox.SMS, phone(7)))
		w.Wake()
		waitFor(t, 5*time.Second, "the woken worker to send", func() bool { return len(sms.sentIDs()) == 1 })
		cancel()
		<-done
	})
}

// A committed enqueue wakes the running worker by itself (outbox signals
// it through sqlstore): the message leaves long before the hour's poll.
func TestWorkerWokenByCommittedEnqueue(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		t.Parallel()
		o := mustOutbox(t, "provider")
		sms := &fakeSender{channel: outbox.SMS}
		w := newWorker(db, o, sms)
		w.Poll = time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		time.Sleep(50 * time.Millisecond) // let Run reach its wait
		enqueue(t, db, o, hello(outbox.SMS, phone(8)))
		waitFor(t, 5*time.Second, "the signalled worker to send", func() bool { return len(sms.sentIDs()) == 1 })
		cancel()
		<-done
	})
}
