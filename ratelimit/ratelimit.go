// Package ratelimit counts attempts in fixed windows stored in the database,
// so every instance of beian shares one count (API.md, "Rate limits"). A
// rule names a limit per window; a key says whose attempts (a login, a
// client address, a filing number).
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Rule is one limit: at most Limit attempts per Window.
type Rule struct {
	Name   string
	Limit  int
	Window time.Duration
}

// The defaults of API.md; all configurable by the caller.
var (
	LoginFailures           = Rule{"login_failures", 5, 15 * time.Minute}          // per login
	LoginClient             = Rule{"login_client", 30, time.Minute}                // per client address
	PasswordRetrievalNumber = Rule{"password_retrieval_number", 5, 24 * time.Hour} // per filing number
	PasswordRetrievalClient = Rule{"password_retrieval_client", 10, time.Hour}     // per client
	PublicQuery             = Rule{"public_query", 60, time.Minute}                // per client
)

// Decision is the outcome of one check.
type Decision struct {
	Allowed    bool
	Count      int           // attempts counted in the current window
	RetryAfter time.Duration // until the window ends, once the limit is reached
}

// Limiter keeps the counters in the database's rate_limits table.
type Limiter struct {
	DB *sqlstore.DB
}

// bucket names the counter without storing the raw key (it may be a login
// or an address: personal data stays out of the table).
func bucket(r Rule, key string) string {
	sum := sha256.Sum256([]byte(r.Name + "\x00" + key))
	return r.Name + ":" + hex.EncodeToString(sum[:12])
}

// Allow counts one attempt under the rule and key and says whether it is
// within the limit. The count and the window are updated atomically in one
// statement, so concurrent instances never exceed the limit together.
func (l *Limiter) Allow(ctx context.Context, r Rule, key string) (Decision, error) {
	return l.add(ctx, r, key, 1)
}

// Peek says whether one more attempt would be allowed, without counting it.
func (l *Limiter) Peek(ctx context.Context, r Rule, key string) (Decision, error) {
	d, err := l.add(ctx, r, key, 0)
	if err == nil && d.Count >= r.Limit {
		d.Allowed = false
	}
	return d, err
}

// Reset clears the counter (e.g. after a successful login).
func (l *Limiter) Reset(ctx context.Context, r Rule, key string) error {
	_, err := l.DB.SQL.ExecContext(ctx, `DELETE FROM rate_limits WHERE bucket = $1`, bucket(r, key))
	return err
}

func (l *Limiter) add(ctx context.Context, r Rule, key string, n int) (d Decision, err error) {
	b := bucket(r, key)
	now := l.DB.Clock.Now()
	start := now.Truncate(r.Window) // fixed windows aligned to the epoch
	// One statement, atomic on both engines: a new bucket, or the window's
	// count plus n, or n when the stored window has ended. Concurrent
	// instances add to the one row in turn; no BEGIN or COMMIT round trip.
	var count int
	err = l.DB.Autocommit(ctx, func(q sqlstore.Querier) error {
		return q.QueryRowContext(ctx, `INSERT INTO rate_limits (bucket, window_start, count, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (bucket) DO UPDATE SET count = CASE WHEN rate_limits.window_start = excluded.window_start
				THEN rate_limits.count + excluded.count ELSE excluded.count END,
				window_start = excluded.window_start, updated_at = excluded.updated_at
			RETURNING count`, b, sqlstore.Micro(start), n, sqlstore.Micro(now)).Scan(&count)
	})
	if err != nil {
		return d, err
	}
	d = Decision{Allowed: count <= r.Limit, Count: count}
	if count >= r.Limit { // refused now, or the next attempt would be (Peek)
		d.RetryAfter = start.Add(r.Window).Sub(now)
	}
	return d, nil
}

// Error is the rate_limited error for a refused decision; its Args carry
// "retry_after" in whole seconds (at least 1) for the Retry-After header.
func Error(d Decision) error {
	secs := int(d.RetryAfter.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return beian.Errorf(beian.KindRateLimited, "", "retry_after", strconv.Itoa(secs))
}

// Sweep deletes counters whose window ended before the cutoff.
func (l *Limiter) Sweep(ctx context.Context, before time.Time) (int64, error) {
	res, err := l.DB.SQL.ExecContext(ctx, `DELETE FROM rate_limits WHERE updated_at < $1`, sqlstore.Micro(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
