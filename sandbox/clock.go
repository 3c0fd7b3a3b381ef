// Package sandbox is the sandbox of API.md: the shared sandbox clock, and
// the /api/v1/sandbox/… surface that exists only with --sandbox or demo
// (the clock, the mailbox, and the routes later features add through
// Surface.Handle).
package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/sqlstore"
)

// OffsetKey is the kv key that holds the sandbox clock's offset from the
// base clock, in microseconds, as decimal text.
const OffsetKey = "sandbox.clock_offset_us"

// DefaultRefresh is how often Run reloads the offset, so that every
// instance follows another's change within a second.
const DefaultRefresh = 500 * time.Millisecond

// Clock is the sandbox clock: a base clock (the machine's, by default) plus
// one offset kept in the database and shared by every instance and both
// contexts (API.md, "Sandbox surface"). Now reads a cached offset; Refresh
// and Run reload it; Set, Advance and AdvanceBusinessDays move it for every
// instance. The clock never moves backwards through this type: timers and
// deadlines assume time moves forward. It is safe for concurrent use.
//
// The wiring makes it the database's own clock (db.Clock = c), so its
// bookkeeping uses plain SQL on db.SQL and the base clock, never db.Clock.
type Clock struct {
	db     *sqlstore.DB
	base   beian.Clock
	offset atomic.Int64 // microseconds

	// Log receives Run's refresh failures; nil means slog.Default().
	Log *slog.Logger

	mu sync.Mutex // serializes this process's moves, so its cache never steps back
}

// NewClock returns the sandbox clock of the database over base (nil means
// beian.SystemClock). It starts with a zero offset: call Refresh (or Run)
// to load the shared one.
func NewClock(db *sqlstore.DB, base beian.Clock) *Clock {
	if base == nil {
		base = beian.SystemClock
	}
	return &Clock{db: db, base: base}
}

// Now returns the base clock's time plus the cached offset. It does not
// touch the database.
func (c *Clock) Now() time.Time {
	return c.base.Now().Add(time.Duration(c.offset.Load()) * time.Microsecond)
}

// Offset returns the cached offset from the base clock.
func (c *Clock) Offset() time.Duration {
	return time.Duration(c.offset.Load()) * time.Microsecond
}

// Refresh reloads the offset from the database; a database without one
// means a zero offset.
func (c *Clock) Refresh(ctx context.Context) (err error) {
	defer beian.Wrap(&err, "refresh the sandbox clock")
	us, err := readOffset(ctx, c.db.SQL, false)
	if err != nil {
		return err
	}
	c.offset.Store(us)
	return nil
}

// Run refreshes the offset every interval (DefaultRefresh when every <= 0)
// until ctx is done, starting at once. Failures are logged, once until the
// next success, and the cached offset is kept meanwhile.
func (c *Clock) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultRefresh
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		err := c.Refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil && !failing:
			c.log().Error("reading the sandbox clock failed; keeping the last offset", "err", err)
		case err == nil && failing:
			c.log().Info("reading the sandbox clock works again")
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Set moves the clock to t for every instance. Moving it before the current
// sandbox time is an error of kind invalid, code "sandbox.clock_backwards".
func (c *Clock) Set(ctx context.Context, t time.Time) (err error) {
	defer beian.Wrap(&err, "set the sandbox clock")
	return c.move(ctx, func(time.Time) (time.Time, error) { return t, nil })
}

// Advance moves the clock forward by d for every instance. A negative d is
// an error of kind invalid, code "sandbox.clock_backwards".
func (c *Clock) Advance(ctx context.Context, d time.Duration) (err error) {
	defer beian.Wrap(&err, "advance the sandbox clock")
	return c.move(ctx, func(now time.Time) (time.Time, error) { return now.Add(d), nil })
}

// AdvanceBusinessDays moves the clock to the same time of day (China
// Standard Time) n business days later by cal (calendar.Default() when nil),
// for every instance (Rules CAL-0, CAL-1), and reports whether that date is
// an estimate. A negative n is an error of kind invalid, code
// "sandbox.clock_backwards".
func (c *Clock) AdvanceBusinessDays(ctx context.Context, n int, cal *calendar.Calendar) (estimated bool, err error) {
	defer beian.Wrap(&err, "advance the sandbox clock by %d business days", n)
	if cal == nil {
		cal = calendar.Default()
	}
	err = c.move(ctx, func(now time.Time) (time.Time, error) {
		now = now.In(beian.CST)
		day, est := cal.AddBusinessDays(now, n)
		estimated = est
		return day.Add(now.Sub(beian.DateOf(now))), nil
	})
	return estimated, err
}

// move computes the target time from the current shared sandbox time and
// stores the new offset, in one transaction that locks the offset against
// concurrent moves, then updates this process's cache at once.
func (c *Clock) move(ctx context.Context, target func(now time.Time) (time.Time, error)) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tx, err := c.db.SQL.BeginTx(ctx, nil) // SQLite: BEGIN IMMEDIATE, a writer from the start
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	base := c.base.Now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, '0', $2)
		ON CONFLICT (key) DO NOTHING`, OffsetKey, sqlstore.Micro(base)); err != nil {
		return err
	}
	cur, err := readOffset(ctx, tx, c.db.Driver == sqlstore.Postgres)
	if err != nil {
		return err
	}
	now := base.Add(time.Duration(cur) * time.Microsecond)
	t, err := target(now)
	if err != nil {
		return err
	}
	if t.Before(now) {
		return beian.Errorf(beian.KindInvalid, "sandbox.clock_backwards", "now", now.In(beian.CST).Format(time.RFC3339))
	}
	us := ceilMicro(t.Sub(base))
	if _, err := tx.ExecContext(ctx, `UPDATE kv SET value = $1, updated_at = $2 WHERE key = $3`,
		strconv.FormatInt(us, 10), sqlstore.Micro(base), OffsetKey); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	c.offset.Store(us)
	return nil
}

// ceilMicro rounds d up to whole microseconds, so that the clock stands at
// or after the time it was moved to and timers due at that time fire.
func ceilMicro(d time.Duration) int64 {
	us := int64(d / time.Microsecond)
	if time.Duration(us)*time.Microsecond < d {
		us++
	}
	return us
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readOffset reads the stored offset, 0 when none is stored; forUpdate
// locks the row (PostgreSQL; SQLite's writer lock already covers it).
func readOffset(ctx context.Context, q queryRower, forUpdate bool) (int64, error) {
	query := `SELECT value FROM kv WHERE key = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var v string
	err := q.QueryRowContext(ctx, query, OffsetKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	us, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("kv %s holds %q, not microseconds: %w", OffsetKey, v, err)
	}
	return us, nil
}

func (c *Clock) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
