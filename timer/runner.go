package timer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Handler does what a timer of its kind is for. It runs inside the
// transaction that marks the timer fired, so its effects and the fired mark
// commit together or not at all (an effect happens exactly once). It must
// use tx for every write and tx.Now for the time. Returning an error rolls
// both back; the timer is then retried after a backoff, without limit, so
// a handler that finds nothing left to do (the order moved on) returns nil.
// A handler may schedule timers, including re-arming its own.
type Handler func(ctx context.Context, tx *sqlstore.Tx, tm Timer) error

// DefaultPoll is how long Run sleeps at most when it has no reason to wake
// sooner.
const DefaultPoll = time.Second

// lockWait is how long FireDue waits for a due timer that another runner
// holds before it looks again.
const lockWait = 5 * time.Millisecond

// maxPace bounds the pause between two fires on SQLite (see FireDue).
const maxPace = 25 * time.Millisecond

// Runner fires the due timers of one Timers table. Several runners, in one
// process or in several, may fire the same table at once: each timer fires
// once. A Runner must not be copied after first use.
type Runner struct {
	DB       *sqlstore.DB
	Timers   *Timers
	Handlers map[string]Handler // by kind; a kind without a handler is left alone
	Log      *slog.Logger       // nil: slog.Default()
	Poll     time.Duration      // Run's longest sleep; 0: DefaultPoll
	// Backoff is the delay before retrying a timer whose handler failed
	// for the attempts-th time (1, 2, …); nil: DefaultBackoff.
	Backoff func(attempts int) time.Duration

	wakeOnce sync.Once
	wake     chan struct{}

	mu        sync.Mutex
	unhandled map[string]bool // kinds already logged as having no handler
}

// queries are the statements of one FireDue or NextDue call, which filter on
// the kinds the runner has handlers for.
type queries struct {
	kinds      []any
	due        string // $1 cutoff: is any handled timer due?
	claim      string // $1 cutoff: the earliest handled due timer
	next       string // the earliest pending handled timer's due time
	unhandled  string // $1 cutoff: kinds of due timers without a handler
	mark, fail string
}

func (r *Runner) queries() queries {
	var q queries
	names := make([]string, 0, len(r.Handlers))
	for k := range r.Handlers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		q.kinds = append(q.kinds, k)
	}
	t := r.Timers.table
	pending := ` FROM ` + t + ` WHERE fired_at = 0 AND cancelled_at = 0`
	handled := pending + ` AND due_at <= $1 AND kind IN (` + placeholders(2, len(names)) + `)`
	q.due = `SELECT 1` + handled + ` LIMIT 1`
	q.claim = `SELECT ` + columns + handled + ` ORDER BY due_at, id LIMIT 1`
	q.next = `SELECT MIN(due_at)` + pending + ` AND kind IN (` + placeholders(1, len(names)) + `)`
	q.unhandled = `SELECT DISTINCT kind` + pending + ` AND due_at <= $1`
	if len(names) > 0 {
		q.unhandled += ` AND kind NOT IN (` + placeholders(2, len(names)) + `)`
	}
	q.mark = `UPDATE ` + t + ` SET fired_at = $1 WHERE id = $2 AND fired_at = 0 AND cancelled_at = 0`
	q.fail = `UPDATE ` + t + ` SET attempts = attempts + 1, last_error = $1, due_at = $2
WHERE id = $3 AND fired_at = 0 AND cancelled_at = 0 AND due_at = $4 AND attempts = $5`
	return q
}

// placeholders returns "$from, $from+1, …", n of them.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// FireDue fires every timer due at r.DB.Clock.Now() whose kind has a
// handler, earliest due first, each in its own transaction, and returns how
// many fired. Timers a handler schedules due by that time fire in the same
// call. It returns only when no such timer is left due, waiting for those
// another runner is firing at that moment, so that afterwards every timer
// due by the clock's time has fired or failed (the sandbox clock relies on
// this).
//
// On PostgreSQL a timer is claimed with SELECT … FOR UPDATE SKIP LOCKED, so
// concurrent runners fire different timers; on SQLite every transaction
// holds the write lock from its start, and FireDue pauses between two fires
// so that other writers get their turn. A failed handler is rolled back,
// then the timer's attempts, error and due time (moved past the clock by
// the backoff) are recorded in a separate transaction, so FireDue does not
// retry it in the same call. Due timers of kinds without a handler are left
// alone and logged once per kind.
func (r *Runner) FireDue(ctx context.Context) (fired int, err error) {
	defer beian.Wrap(&err, "fire due %s timers", r.Timers.context)
	cutoff := sqlstore.Micro(r.DB.Clock.Now())
	q := r.queries()
	if err := r.logUnhandled(ctx, q, cutoff); err != nil {
		return 0, err
	}
	if len(q.kinds) == 0 {
		return 0, nil
	}
	args := append([]any{cutoff}, q.kinds...)
	// probe: look with a plain read whether anything is due before taking
	// the write lock, so that an idle runner never takes it. Right after a
	// claim there is no need to look.
	probe := true
	for {
		if err := ctx.Err(); err != nil {
			return fired, err
		}
		if probe {
			var one int
			switch err := r.DB.SQL.QueryRowContext(ctx, q.due, args...).Scan(&one); {
			case errors.Is(err, sql.ErrNoRows):
				return fired, nil
			case err != nil:
				return fired, err
			}
		}
		began := time.Now() // real time, for pacing only
		tm, claimed, err := r.fireOne(ctx, q, args)
		if !claimed {
			if err != nil {
				return fired, err
			}
			if probe { // due, yet not claimable: another runner holds it
				if err := sleep(ctx, lockWait); err != nil {
					return fired, err
				}
			}
			probe = true
			continue
		}
		probe = false
		if err == nil {
			fired++
		} else {
			if ctx.Err() != nil {
				return fired, ctx.Err()
			}
			if err := r.recordFailure(ctx, q, tm, cutoff, err); err != nil {
				return fired, err
			}
		}
		if r.DB.Driver == sqlstore.SQLite {
			// SQLite has one write lock, and writers waiting for it poll
			// (busy timeout) rather than queue: back-to-back transactions
			// would starve other writers (requests, other runners) until
			// they fail. Leave the lock free for half as long as we held
			// it: a third of the time, enough for every waiter's next poll
			// to have a fair chance, for a third of a lone runner's throughput.
			if err := sleep(ctx, min(time.Since(began)/2, maxPace)); err != nil {
				return fired, err
			}
		}
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// fireOne claims the earliest due timer, marks it fired and runs its handler
// in one transaction. claimed reports whether a timer was claimed; err is
// then the handler's (or the commit's) error.
func (r *Runner) fireOne(ctx context.Context, q queries, args []any) (tm Timer, claimed bool, err error) {
	err = r.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		claimed = false
		claim := q.claim
		if tx.Driver == sqlstore.Postgres {
			claim += ` FOR UPDATE SKIP LOCKED`
		}
		var err error
		tm, err = scanTimer(tx.QueryRowContext(ctx, claim, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		claimed = true
		// Mark first: a handler that re-arms its own timer clears the mark.
		res, err := tx.ExecContext(ctx, q.mark, sqlstore.Micro(tx.Now), tm.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("timer %d changed while claimed (%d rows, %v)", tm.ID, n, err)
		}
		return r.call(ctx, tx, tm)
	})
	return tm, claimed, err
}

// call runs the handler, turning a panic into an error so that one bad
// timer cannot stop the runner.
func (r *Runner) call(ctx context.Context, tx *sqlstore.Tx, tm Timer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log().Error("timer handler panicked", "context", r.Timers.context, "kind", tm.Kind, "ref", tm.Ref, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return r.Handlers[tm.Kind](ctx, tx, tm)
}

// recordFailure counts a failed attempt and moves the timer past cutoff by
// the backoff, unless it was re-armed, cancelled or fired meanwhile.
func (r *Runner) recordFailure(ctx context.Context, q queries, tm Timer, cutoff int64, cause error) (err error) {
	defer beian.Wrap(&err, "record failure of timer %s/%s", tm.Kind, tm.Ref)
	backoff := r.Backoff
	if backoff == nil {
		backoff = DefaultBackoff
	}
	attempts := tm.Attempts + 1
	msg := cause.Error()
	if len(msg) > maxErrorLen {
		msg = strings.ToValidUTF8(msg[:maxErrorLen], "")
	}
	var due int64
	err = r.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		due = sqlstore.Micro(tx.Now.Add(backoff(attempts)))
		if due <= cutoff { // a zero backoff or a clock set back: never again in this FireDue
			due = cutoff + 1
		}
		_, err := tx.ExecContext(ctx, q.fail, msg, due, tm.ID, sqlstore.Micro(tm.Due), tm.Attempts)
		return err
	})
	if err == nil {
		r.log().Warn("timer handler failed", "context", r.Timers.context, "kind", tm.Kind, "ref", tm.Ref,
			"attempts", attempts, "retry_at", sqlstore.FromMicro(due), "err", msg)
	}
	return err
}

// logUnhandled logs, once per kind and runner, the kinds of due timers that
// have no handler.
func (r *Runner) logUnhandled(ctx context.Context, q queries, cutoff int64) error {
	rows, err := r.DB.SQL.QueryContext(ctx, q.unhandled, append([]any{cutoff}, q.kinds...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		if err := rows.Scan(&kind); err != nil {
			return err
		}
		r.mu.Lock()
		if r.unhandled == nil {
			r.unhandled = map[string]bool{}
		}
		first := !r.unhandled[kind]
		r.unhandled[kind] = true
		r.mu.Unlock()
		if first {
			r.log().Warn("due timers of a kind without a handler are left alone", "context", r.Timers.context, "kind", kind)
		}
	}
	return rows.Err()
}

// NextDue returns the earliest due time of the pending timers whose kind
// has a handler (possibly in the past), and false when there is none.
func (r *Runner) NextDue(ctx context.Context) (due time.Time, ok bool, err error) {
	defer beian.Wrap(&err, "next due %s timer", r.Timers.context)
	q := r.queries()
	if len(q.kinds) == 0 {
		return time.Time{}, false, nil
	}
	var us sql.NullInt64
	if err := r.DB.SQL.QueryRowContext(ctx, q.next, q.kinds...).Scan(&us); err != nil {
		return time.Time{}, false, err
	}
	if !us.Valid {
		return time.Time{}, false, nil
	}
	return sqlstore.FromMicro(us.Int64), true, nil
}

// Run fires due timers until ctx is done: FireDue, then sleep until the
// earliest due time or Poll, whichever comes first, or until Wake. Errors
// are logged, not returned; the next round tries again.
func (r *Runner) Run(ctx context.Context) {
	wake := r.wakeChan()
	poll := r.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	for {
		fired, err := r.FireDue(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := poll
		if err != nil {
			r.log().Error("firing timers failed", "context", r.Timers.context, "err", err)
		} else if next, ok, err := r.NextDue(ctx); err != nil {
			r.log().Error("reading the next timer failed", "context", r.Timers.context, "err", err)
		} else if ok {
			wait = min(wait, next.Sub(r.DB.Clock.Now()))
		}
		if wait <= 0 {
			if fired > 0 {
				continue
			}
			// Due but not fired: it fell due after FireDue read the clock.
			wait = min(poll, 10*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Wake makes Run look for due timers now instead of at the end of its
// sleep, e.g. after a commit that scheduled a timer due soon. It never
// blocks; wakes while Run is busy merge into one.
func (r *Runner) Wake() {
	select {
	case r.wakeChan() <- struct{}{}:
	default:
	}
}

func (r *Runner) wakeChan() chan struct{} {
	r.wakeOnce.Do(func() { r.wake = make(chan struct{}, 1) })
	return r.wake
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}
