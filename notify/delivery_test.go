package notify_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// tracker wraps a sender and records which message IDs saw an error at the
// sender, i.e. whose delivery was refused or interrupted.
type tracker struct {
	notify.Sender
	mu      sync.Mutex
	errored map[string]int
	calls   int
}

func (t *tracker) Send(ctx context.Context, m outbox.Message, r notify.Rendered) error {
	err := t.Sender.Send(ctx, m, r)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls++
	if err != nil {
		if t.errored == nil {
			t.errored = map[string]int{}
		}
		t.errored[m.ID]++
	}
	return err
}

func (t *tracker) failures() (ids, total int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range t.errored {
		total += n
	}
	return len(t.errored), total
}

func (t *tracker) sawError(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.errored[id] > 0
}

// TestDeliveryThroughOutage is the Done-means of the outbox (Rule NOTE-1):
// the SMTP server and the SMS webhook go away mid-run; no message ID is
// lost, delivery resumes when they return, and duplicates happen only for
// messages whose delivery was interrupted (an error at the sender).
func TestDeliveryThroughOutage(t *testing.T) {
	t.Parallel()
	const perChannel = 200
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		t.Parallel() // the system clock: engines need not take turns
		o := mustOutbox(t, "provider")

		mailRec := &smtpRecorder{delay: time.Millisecond}
		smtpSrv, smtpAddr := startSMTP(t, mailRec, "127.0.0.1:0", nil, false)
		host, port := hostPort(t, smtpAddr)
		smtpSender, err := notify.NewSMTP(notify.SMTPConfig{Host: host, Port: port, From: "noreply@beian.test", TLS: notify.TLSNone, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		smsRec := &smsRecorder{delay: time.Millisecond}
		hook := startWebhook(t, smsRec)
		smsSender, err := notify.NewSMSWebhook(notify.WebhookConfig{URL: hook.URL, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		email := &tracker{Sender: smtpSender}
		sms := &tracker{Sender: smsSender}

		// Interleaved, in transactions of 20, so both channels progress together.
		channelOf := map[string]string{}
		for b := 0; b < perChannel/10; b++ {
			var msgs []outbox.Message
			for i := b * 10; i < (b+1)*10; i++ {
				msgs = append(msgs, hello(outbox.SMS, phone(i)), hello(outbox.Email, fmt.Sprintf("u%d@example.com", i)))
			}
			for i, id := range enqueue(t, db, o, msgs...) {
				channelOf[id] = msgs[i].Channel
			}
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		for range 2 {
			w := newWorker(db, o, sms, email)
			w.Lease = 30 * time.Second // half of it far above the senders' 2 s timeouts
			w.Backoff = func(int) time.Duration { return 20 * time.Millisecond }
			wg.Go(func() { w.Run(ctx) })
		}

		waitFor(t, 20*time.Second, "a quarter of each channel delivered", func() bool {
			return len(mailRec.counts()) >= perChannel/4 && len(smsRec.counts()) >= perChannel/4
		})
		// Outage: the SMTP server goes away (listener and open connections
		// closed), the SMS gateway answers 503.
		smtpSrv.Close()
		smsRec.down.Store(true)
		beforeEmail, beforeSMS := len(mailRec.counts()), len(smsRec.counts())
		waitFor(t, 10*time.Second, "failures on both channels during the outage", func() bool {
			_, e := email.failures()
			_, s := sms.failures()
			return e >= 20 && s >= 20 // the worker keeps going, retrying
		})
		if p := pending(t, db, o); p[outbox.SMS] == 0 || p[outbox.Email] == 0 {
			t.Fatalf("the outage came too late: pending %v", p)
		}
		// Recovery on the same address.
		startSMTP(t, mailRec, smtpAddr, nil, false)
		smsRec.down.Store(false)
		waitFor(t, 25*time.Second, "an empty outbox", func() bool {
			p := pending(t, db, o)
			return p[outbox.SMS]+p[outbox.Email] == 0
		})
		cancel()
		wg.Wait()

		received := mailRec.counts()
		for id, n := range smsRec.counts() {
			received[id] += n
		}
		var lost, unknown, dups, dupsUninterrupted int
		for id := range channelOf {
			switch n := received[id]; {
			case n == 0:
				lost++
				t.Errorf("message %s (%s) never arrived", id, channelOf[id])
			case n > 1:
				dups++
				tr := sms
				if channelOf[id] == outbox.Email {
					tr = email
				}
				if !tr.sawError(id) {
					dupsUninterrupted++
					t.Errorf("message %s (%s) arrived %d times without an interrupted delivery", id, channelOf[id], n)
				}
			}
		}
		for id := range received {
			if _, ok := channelOf[id]; !ok {
				unknown++
				t.Errorf("unknown message ID %q arrived", id)
			}
		}
		eIDs, eFails := email.failures()
		sIDs, sFails := sms.failures()
		t.Logf("%s: %d messages (%d per channel); delivered before the outage: %d email, %d SMS; "+
			"sender errors: email %d on %d IDs, SMS %d on %d IDs; lost %d, unknown %d, duplicates %d (all interrupted: %v)",
			db.Driver, len(channelOf), perChannel, beforeEmail, beforeSMS, eFails, eIDs, sFails, sIDs, lost, unknown, dups, dupsUninterrupted == 0)
	})
}
