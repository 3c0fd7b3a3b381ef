package notify

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
)

// Worker defaults, used where a field is zero.
const (
	DefaultBatch = 20
	DefaultLease = 5 * time.Minute
	DefaultPoll  = 5 * time.Second
)

// releaseTimeout bounds the bookkeeping done after the worker's context ends.
const releaseTimeout = 5 * time.Second

// markSentTimeout bounds the tries to mark a delivered message sent. It is
// longer than releaseTimeout: under heavy write load (SQLite's single
// writer) a mark can wait its turn for seconds, and giving up means the
// message goes out again once its lease ends.
const markSentTimeout = 60 * time.Second

// Worker delivers an outbox: it claims due messages of the channels it has a
// sender for, renders and sends them, and marks them sent or failed with
// backoff (Rule NOTE-1, at least once). A channel without a sender is never
// claimed: its messages stay queued until a sender is configured. Several
// workers may run on one outbox, in one process or many.
//
// A claim leases messages for Lease. The worker starts no send after half
// the lease has passed (it releases the rest at once), so Lease/2 must
// exceed the senders' timeouts; a worker that dies leaves its messages to be
// claimed again when the lease runs out.
type Worker struct {
	DB        *sqlstore.DB
	Outbox    *outbox.Outbox
	Templates *Templates
	Senders   []Sender                        // at most one per channel; the first wins
	Log       *slog.Logger                    // default slog.Default()
	Batch     int                             // messages per claim; default DefaultBatch
	Lease     time.Duration                   // default DefaultLease
	Poll      time.Duration                   // idle wait between claims; default DefaultPoll
	Backoff   func(attempt int) time.Duration // delay after a failed attempt; default DefaultBackoff

	once sync.Once
	wake chan struct{}
}

func (w *Worker) init() {
	w.once.Do(func() { w.wake = make(chan struct{}, 1) })
}

// Wake makes a running Run claim at once instead of waiting for Poll, e.g.
// after a transaction that enqueued a message committed. It never blocks.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done: it claims again at once while full
// batches come back, and otherwise waits for Poll or Wake. It logs once at
// start how many messages are held by channels that have no sender.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	// A transaction that enqueues a message wakes this worker once it
	// commits (outbox.Enqueue signals it), so a message leaves within
	// moments rather than at the next poll.
	w.DB.OnSignal(outbox.SignalTopic(w.Outbox), w.Wake)
	if unserved, err := w.Unserved(ctx); err != nil {
		w.log().Error("outbox: cannot count queued messages", "err", err)
	} else {
		for _, ch := range outbox.Channels {
			if n, ok := unserved[ch]; ok {
				w.log().Warn("outbox: no sender for this channel; its messages stay queued until one is configured",
					"channel", ch, "queued", n)
			}
		}
	}
	poll := w.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	timer := time.NewTimer(poll)
	defer timer.Stop()
	for {
		claimed, _, _, err := w.runOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.log().Error("outbox: delivery round failed", "err", err)
		} else if claimed >= w.batch() {
			continue // more may be due
		}
		timer.Reset(poll)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
	}
}

// RunOnce claims one batch of due messages of the channels that have a
// sender, sends them (one goroutine per channel, in order within it) and
// marks each sent or failed. Messages of a channel without a sender are not
// touched. err reports a failed claim or failed bookkeeping; failed sends
// are counted in failed and retried later.
func (w *Worker) RunOnce(ctx context.Context) (sent, failed int, err error) {
	_, sent, failed, err = w.runOnce(ctx)
	return sent, failed, err
}

// Unserved counts the queued messages of the channels that have no sender
// (channels with none queued are left out), for the start-up warning and
// /readyz.
func (w *Worker) Unserved(ctx context.Context) (map[string]int, error) {
	pending, err := w.Outbox.Pending(ctx, w.DB)
	if err != nil {
		return nil, err
	}
	senders := w.senders()
	out := map[string]int{}
	for ch, n := range pending {
		if _, ok := senders[ch]; !ok && n > 0 {
			out[ch] = n
		}
	}
	return out, nil
}

func (w *Worker) runOnce(ctx context.Context) (claimed, sent, failed int, err error) {
	senders := w.senders()
	if len(senders) == 0 {
		return 0, 0, 0, nil
	}
	channels := make([]string, 0, len(senders))
	for ch := range senders {
		channels = append(channels, ch)
	}
	sort.Strings(channels)
	lease := w.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	if due, err := w.Outbox.AnyDue(ctx, w.DB, channels); err != nil || !due {
		return 0, 0, 0, err
	}
	if n, ok, err := w.runOnceInDB(ctx, senders, channels, lease); ok {
		return n, n, 0, err
	}
	start := w.DB.Clock.Now()
	msgs, err := w.Outbox.Claim(ctx, w.DB, channels, w.batch(), lease)
	if err != nil {
		return 0, 0, 0, err
	}
	if len(msgs) == 0 {
		return 0, 0, 0, nil
	}
	deadline := start.Add(lease / 2)
	byChannel := map[string][]outbox.Message{}
	for _, m := range msgs {
		byChannel[m.Channel] = append(byChannel[m.Channel], m)
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for ch, list := range byChannel {
		wg.Go(func() {
			s, f, e := w.deliver(ctx, senders[ch], list, deadline)
			mu.Lock()
			defer mu.Unlock()
			sent += s
			failed += f
			errs = append(errs, e...)
		})
	}
	wg.Wait()
	return len(msgs), sent, failed, errors.Join(errs...)
}

// logAttrs are a message's log attributes: never its body, its recipient
// masked (Rule NOTE-1).
func logAttrs(m outbox.Message) []any {
	return []any{"id", m.ID, "template", m.Template, "channel", m.Channel, "to", MaskRecipient(m.To), "attempt", m.Attempts}
}

// errRenderLater ends runOnceInDB's transaction when a message does not
// render: the round is left to the ordinary path, which records the failure.
var errRenderLater = errors.New("a message does not render")

// runOnceInDB is a round for a worker whose every sender delivers into its
// own database (the sandbox mailbox, txSender): the batch is claimed,
// delivered and marked sent in one transaction, instead of a claim and one
// transaction a message. ok is false when the senders are not all such,
// or when a message of the batch does not render (nothing is committed,
// and runOnce goes the ordinary way).
func (w *Worker) runOnceInDB(ctx context.Context, senders map[string]Sender, channels []string, lease time.Duration) (n int, ok bool, err error) {
	in := make(map[string]txSender, len(senders))
	for ch, s := range senders {
		ts, isTx := s.(txSender)
		if !isTx || ts.database() != w.DB {
			return 0, false, nil
		}
		in[ch] = ts
	}
	var sent []outbox.Message
	err = w.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		msgs, err := w.Outbox.ClaimTx(ctx, tx, channels, w.batch(), lease)
		if err != nil {
			return err
		}
		sent = sent[:0]
		for _, m := range msgs {
			r, err := w.Templates.Render(m)
			if err != nil {
				return errRenderLater
			}
			if err := in[m.Channel].sendTx(ctx, tx, m, r); err != nil {
				return err
			}
			if err := w.Outbox.MarkSentTx(ctx, tx, m.ID); err != nil {
				return err
			}
			sent = append(sent, m)
		}
		return nil
	})
	if errors.Is(err, errRenderLater) {
		return 0, false, nil
	}
	if err != nil {
		return 0, true, err
	}
	for _, m := range sent {
		w.log().Info("outbox: sent", logAttrs(m)...)
	}
	return len(sent), true, nil
}

// deliver sends one channel's messages in order. Once ctx is done or the
// lease is half gone, the rest are released unsent, due at once.
func (w *Worker) deliver(ctx context.Context, s Sender, msgs []outbox.Message, deadline time.Time) (sent, failed int, errs []error) {
	for i, m := range msgs {
		if ctx.Err() != nil || w.DB.Clock.Now().After(deadline) {
			errs = append(errs, w.release(ctx, msgs[i:])...)
			return sent, failed, errs
		}
		ok, err := w.sendOne(ctx, s, m)
		if ok {
			sent++
		} else {
			failed++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return sent, failed, errs
}

// sendOne renders, sends and marks one message; ok reports delivery, err a
// failure to record the outcome.
func (w *Worker) sendOne(ctx context.Context, s Sender, m outbox.Message) (ok bool, err error) {
	attrs := logAttrs(m)
	// Bookkeeping outlives a cancelled ctx: a delivered message must be marked.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	r, sendErr := w.Templates.Render(m)
	if ts, ok := s.(txSender); ok && sendErr == nil && ts.database() == w.DB {
		if sendErr = w.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
			if err := ts.sendTx(ctx, tx, m, r); err != nil {
				return err
			}
			return w.Outbox.MarkSentTx(ctx, tx, m.ID)
		}); sendErr == nil {
			w.log().Info("outbox: sent", attrs...)
			return true, nil
		}
	} else if sendErr != nil {
		sendErr = Permanent(sendErr)
	} else if sendErr = s.Send(ctx, m, r); sendErr == nil {
		if err := w.markSent(ctx, m.ID); err != nil {
			w.log().Error("outbox: sent, but cannot mark it sent (it will be sent again)", append(attrs, "err", err)...)
			return true, err
		}
		w.log().Info("outbox: sent", attrs...)
		return true, nil
	}
	attempt := m.Attempts
	if IsPermanent(sendErr) {
		attempt = PermanentAttempt
	}
	delay := w.backoff(attempt)
	if ctx.Err() != nil {
		delay = 0 // interrupted by shutdown, not by the receiver: due again at once
	}
	text := redact(sendErr.Error(), m, r)
	attrs = append(attrs, "permanent", IsPermanent(sendErr), "retry_in", delay.Round(time.Millisecond).String(), "err", text)
	if err := w.Outbox.MarkFailed(bctx, w.DB, m.ID, text, w.DB.Clock.Now().Add(delay)); err != nil {
		w.log().Error("outbox: failed, and cannot record the failure (retried after the lease)", append(attrs, "mark_err", err)...)
		return false, err
	}
	w.log().Warn("outbox: failed, will retry", attrs...)
	return false, nil
}

// markSent marks a delivered message sent, trying again (within
// markSentTimeout, whatever happens to ctx) while the database is busy.
func (w *Worker) markSent(ctx context.Context, id string) error {
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markSentTimeout)
	defer cancel()
	wait := 50 * time.Millisecond
	for {
		err := w.Outbox.MarkSent(mctx, w.DB, id)
		if err == nil || beian.KindOf(err) == beian.KindNotFound || mctx.Err() != nil {
			return err
		}
		select {
		case <-mctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// release gives unsent claimed messages back, due at once.
func (w *Worker) release(ctx context.Context, msgs []outbox.Message) (errs []error) {
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	now := w.DB.Clock.Now()
	for _, m := range msgs {
		if err := w.Outbox.MarkFailed(bctx, w.DB, m.ID, "released unsent: worker stopping or lease running out", now); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (w *Worker) senders() map[string]Sender {
	m := make(map[string]Sender, len(w.Senders))
	for _, s := range w.Senders {
		if s == nil {
			continue
		}
		if _, dup := m[s.Channel()]; !dup {
			m[s.Channel()] = s
		}
	}
	return m
}

func (w *Worker) batch() int {
	if w.Batch > 0 {
		return w.Batch
	}
	return DefaultBatch
}

func (w *Worker) backoff(attempt int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(attempt)
	}
	return DefaultBackoff(attempt)
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}
