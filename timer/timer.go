// Package timer keeps durable timers: deadlines stored in the database that
// survive restarts and fire once across instances (PRODUCT.md, "Shape":
// review SLAs, the 24-hour SMS window, the 45-day lapse, the empty-shell
// sweep, sandbox decisions). It is context-neutral: each bounded context has
// its own table, <context>_timers, and its own Timers value.
//
// A timer is named by (kind, ref), e.g. ("supplement_overdue", an order ID).
// Callers schedule and cancel timers inside their own transactions, so a
// state change and its deadline commit together. A Runner fires due timers,
// each in one transaction together with its handler's effects.
//
// Time is always the injected clock (CONVENTIONS.md, habit 5): the
// transaction's Now, or the database's Clock, never the machine's.
package timer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// The contexts that own a timers table.
const (
	Provider = "provider"
	Registry = "registry"
)

// Timer is one durable timer as stored.
type Timer struct {
	ID       int64
	Kind     string    // what the deadline is for, e.g. "supplement_overdue"
	Ref      string    // what it concerns, e.g. an order ID
	Due      time.Time // when it fires (moved forward after a failed attempt)
	Payload  string    // free data for the handler, e.g. JSON
	Attempts int       // failed attempts since it was last (re-)armed

	LastError string    // the error of the last failed attempt, "" if none
	Created   time.Time // when (kind, ref) was first scheduled
	Fired     time.Time // when it fired; zero while pending
	Cancelled time.Time // when it was cancelled; zero unless cancelled
}

// Pending reports whether the timer will still fire: neither fired nor
// cancelled.
func (tm Timer) Pending() bool { return tm.Fired.IsZero() && tm.Cancelled.IsZero() }

// maxErrorLen bounds the error text kept in last_error.
const maxErrorLen = 2000

// Timers schedules, cancels and reads the timers of one context's table.
// It holds no connection and is safe for concurrent use.
type Timers struct {
	context string
	table   string

	upsertSQL, cancelSQL, getSQL string
}

// New returns the timers of the context, "provider" or "registry", kept in
// the table <context>_timers. Any other context is an error.
func New(context string) (*Timers, error) {
	if context != Provider && context != Registry {
		return nil, fmt.Errorf("timer: unknown context %q (want %q or %q)", context, Provider, Registry)
	}
	t := &Timers{context: context, table: context + "_timers"}
	t.upsertSQL = `INSERT INTO ` + t.table + ` (kind, ref, due_at, payload, created_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (kind, ref) DO UPDATE SET due_at = excluded.due_at, payload = excluded.payload,
  fired_at = 0, cancelled_at = 0, attempts = 0, last_error = ''`
	t.cancelSQL = `UPDATE ` + t.table + ` SET cancelled_at = $1
WHERE kind = $2 AND ref = $3 AND fired_at = 0 AND cancelled_at = 0`
	t.getSQL = `SELECT ` + columns + ` FROM ` + t.table + ` WHERE kind = $1 AND ref = $2`
	return t, nil
}

// Context returns the context the timers belong to.
func (t *Timers) Context() string { return t.context }

// Table returns the name of the table the timers are kept in.
func (t *Timers) Table() string { return t.table }

// Schedule arms the timer (kind, ref) to fire at due, in the caller's
// transaction, so that it exists exactly when the caller's change commits.
// (kind, ref) is unique: scheduling it again re-arms it with the new due
// time and payload, clears any fired or cancelled mark and resets the
// attempts, whatever state it was in. A handler may re-arm its own timer
// (a recurring sweep): the re-armed timer fires again at its new time.
func (t *Timers) Schedule(ctx context.Context, tx *sqlstore.Tx, kind, ref string, due time.Time, payload string) (err error) {
	defer beian.Wrap(&err, "schedule %s timer %s/%s", t.context, kind, ref)
	if kind == "" || ref == "" {
		return errors.New("kind and ref must not be empty")
	}
	if due.IsZero() {
		return errors.New("due time is zero")
	}
	_, err = tx.ExecContext(ctx, t.upsertSQL, kind, ref, sqlstore.Micro(due), payload, sqlstore.Micro(tx.Now))
	return sqlstore.MapErr(err)
}

// Cancel cancels the pending timer (kind, ref) in the caller's transaction.
// A missing, fired or already cancelled timer is not an error: the timer
// then stays as it is.
func (t *Timers) Cancel(ctx context.Context, tx *sqlstore.Tx, kind, ref string) (err error) {
	defer beian.Wrap(&err, "cancel %s timer %s/%s", t.context, kind, ref)
	_, err = tx.ExecContext(ctx, t.cancelSQL, sqlstore.Micro(tx.Now), kind, ref)
	return sqlstore.MapErr(err)
}

// Get returns the timer (kind, ref) in whatever state it is, and false when
// it was never scheduled.
func (t *Timers) Get(ctx context.Context, db *sqlstore.DB, kind, ref string) (tm Timer, ok bool, err error) {
	defer beian.Wrap(&err, "get %s timer %s/%s", t.context, kind, ref)
	return t.get(ctx, db.SQL, kind, ref)
}

// GetTx is Get inside the caller's transaction.
func (t *Timers) GetTx(ctx context.Context, tx *sqlstore.Tx, kind, ref string) (tm Timer, ok bool, err error) {
	defer beian.Wrap(&err, "get %s timer %s/%s", t.context, kind, ref)
	return t.get(ctx, tx, kind, ref)
}

// querier is what *sql.DB and *sql.Tx (so *sqlstore.Tx) have in common.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (t *Timers) get(ctx context.Context, q querier, kind, ref string) (Timer, bool, error) {
	tm, err := scanTimer(q.QueryRowContext(ctx, t.getSQL, kind, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return Timer{}, false, nil
	}
	if err != nil {
		return Timer{}, false, err
	}
	return tm, true, nil
}

// columns are the columns scanTimer reads, in its order.
const columns = `id, kind, ref, due_at, payload, attempts, last_error, created_at, fired_at, cancelled_at`

type scanner interface{ Scan(dest ...any) error }

func scanTimer(row scanner) (Timer, error) {
	var tm Timer
	var due, created, fired, cancelled int64
	err := row.Scan(&tm.ID, &tm.Kind, &tm.Ref, &due, &tm.Payload, &tm.Attempts, &tm.LastError, &created, &fired, &cancelled)
	if err != nil {
		return Timer{}, err
	}
	tm.Due = sqlstore.FromMicro(due)
	tm.Created = sqlstore.FromMicro(created)
	tm.Fired = sqlstore.FromMicro(fired)
	tm.Cancelled = sqlstore.FromMicro(cancelled)
	return tm, nil
}

// DefaultBackoff is the delay before retrying a timer whose handler failed
// for the attempts-th time: 1 s, doubling, at most 10 minutes.
func DefaultBackoff(attempts int) time.Duration {
	const max = 10 * time.Minute
	if attempts < 1 {
		attempts = 1
	}
	if attempts > 10 { // 2^10 s already exceeds the cap; avoids overflow
		return max
	}
	return min(time.Second<<(attempts-1), max)
}
