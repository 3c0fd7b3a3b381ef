package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// HeaderIdempotencyKey names the client's key on a POST; HeaderReplayed
// marks an answer repeated from the store.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderReplayed       = "Idempotency-Replayed"
)

// replayHeaders are the headers a replay repeats with the stored status and body.
var replayHeaders = []string{"Content-Type", "Location", "Retry-After"}

// bodyEncodingKey marks, among the stored headers, a body kept as base64
// because it was not text the TEXT column can hold. It is never replayed.
const bodyEncodingKey = "X-Beian-Body-Encoding"

// Idempotency makes POST requests that carry an Idempotency-Key safe to
// repeat (API.md): the first answer is stored in the idempotency_keys table
// and a repeat of the same request under the same key gets that answer
// again, across restarts and instances. The zero TTL, Scope and limits take
// their defaults.
type Idempotency struct {
	DB *sqlstore.DB
	// TTL is how long a key is remembered (default 24h); older rows count as
	// absent and Sweep deletes them.
	TTL time.Duration
	// Scope says whose key it is, so that two callers' keys never meet:
	// typically the signed-in account (install the middleware after
	// authentication); by default, and when it returns "", the client address.
	Scope func(*http.Request) string
	// InFlight is how long an unfinished first request holds its key
	// (default 5 minutes); after that a repeat takes the key over, so a key
	// whose first request died with its process is not blocked for the TTL.
	InFlight time.Duration
	// MaxBody bounds the body read to hash the request (default
	// DefaultBodyLimit); a longer body is answered 413.
	MaxBody int64
}

// Middleware applies the key to POST requests; other requests, and POSTs
// without the header, pass unchanged. A key of 1 to 255 printable ASCII
// characters is required when the header is present (else 400). Repeats:
// the same request completed → the stored status, replayHeaders and body with
// Idempotency-Replayed: true; still running → 409
// request.idempotency_in_flight with Retry-After; another request (method,
// path, query or body differ) under a used key → 409
// request.idempotency_key_reused. 5xx and 429 answers are not kept: the key
// is freed so that a retry runs again. Neither are answers whose handler
// called NoReplay (a new session, an API token, a provider credential):
// credentials never rest in the idempotency table. (Cache-Control: no-store
// is no such mark: every page and most API answers carry it.)
func (i *Idempotency) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys := r.Header.Values(HeaderIdempotencyKey)
		if r.Method != http.MethodPost || len(keys) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if len(keys) != 1 || !validKey(keys[0]) {
			Fail(w, r, beian.Errorf(beian.KindBadRequest, "request.idempotency_key_invalid"))
			return
		}
		body, err := i.readBody(r)
		if err != nil {
			Fail(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c := claim{scope: i.scope(r), key: keys[0], method: r.Method, path: r.URL.Path, hash: requestHash(r, body)}
		prior, err := i.claim(r.Context(), &c)
		switch {
		case err != nil:
			Fail(w, r, err)
			return
		case prior == nil: // ours: run below
		case prior.hash != c.hash:
			Fail(w, r, beian.Errorf(beian.KindConflict, "request.idempotency_key_reused"))
			return
		case prior.status == 0:
			w.Header().Set("Retry-After", "1")
			Fail(w, r, beian.Errorf(beian.KindConflict, "request.idempotency_in_flight"))
			return
		default:
			prior.replay(w)
			return
		}

		rec := &recorder{ResponseWriter: w, tee: &bytes.Buffer{}}
		noReplay := new(atomic.Bool)
		r = r.WithContext(context.WithValue(r.Context(), noReplayKey{}, noReplay))
		// The row must not stay in flight when the handler panics: free it
		// in a defer that leaves the panic (and its stack) to Recover.
		finished := false
		ctx := context.WithoutCancel(r.Context()) // store the answer even if the client left
		defer func() {
			if !finished {
				i.logErr(r, i.release(ctx, &c))
			}
		}()
		next.ServeHTTP(rec, r)
		finished = true
		if status := rec.Status(); status >= 500 || status == http.StatusTooManyRequests || noReplay.Load() {
			i.logErr(r, i.release(ctx, &c))
			return
		}
		i.logErr(r, i.complete(ctx, &c, rec))
	})
}

type noReplayKey struct{}

// NoReplay marks the answer to r as one the idempotency store must neither
// keep nor replay, because it carries a secret that must exist in one
// answer only (a session, an API token, a credential): a retry under the
// same key runs the handler again. Outside an idempotent request it does
// nothing.
func NoReplay(r *http.Request) {
	if f, ok := r.Context().Value(noReplayKey{}).(*atomic.Bool); ok {
		f.Store(true)
	}
}

// Sweep deletes the keys created before the cutoff (typically now minus the
// TTL) and returns how many it deleted.
func (i *Idempotency) Sweep(ctx context.Context, before time.Time) (int64, error) {
	res, err := i.DB.SQL.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, sqlstore.Micro(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SweepExpired deletes the keys older than the TTL by the database's clock;
// run it now and then (e.g. hourly).
func (i *Idempotency) SweepExpired(ctx context.Context) (int64, error) {
	return i.Sweep(ctx, i.DB.Clock.Now().Add(-i.ttl()))
}

// validKey reports whether k is 1 to 255 printable ASCII characters.
func validKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for j := 0; j < len(k); j++ {
		if k[j] < 0x20 || k[j] > 0x7e {
			return false
		}
	}
	return true
}

func (i *Idempotency) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	limit := i.MaxBody
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge(mbe.Limit, err)
	case err != nil:
		return nil, &beian.Error{Kind: beian.KindBadRequest, Code: "request.body_unreadable", Err: err}
	case int64(len(body)) > limit:
		return nil, tooLarge(limit, nil)
	}
	return body, nil
}

// scope returns the stored scope: a hash, so that client addresses (personal
// data) stay out of the table, as in package ratelimit.
func (i *Idempotency) scope(r *http.Request) string {
	s := ""
	if i.Scope != nil {
		s = i.Scope(r)
	}
	if s == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		s = "addr:" + host
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// requestHash identifies the request a key was first used for.
func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	for _, s := range []string{r.Method, r.URL.Path, r.URL.RawQuery} {
		h.Write([]byte(strconv.Itoa(len(s)) + ":" + s))
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// claim is one request's hold on a key; created is the row's created_at,
// which identifies the hold (a takeover writes a later one).
type claim struct {
	scope, key, method, path, hash string
	created                        int64
}

// stored is the row found under a key held by another request.
type stored struct {
	hash    string
	status  int
	headers string
	body    string
}

func (i *Idempotency) ttl() time.Duration {
	if i.TTL > 0 {
		return i.TTL
	}
	return 24 * time.Hour
}

func (i *Idempotency) inFlight() time.Duration {
	if i.InFlight > 0 {
		return i.InFlight
	}
	return 5 * time.Minute
}

// claim inserts the key's row in flight and returns nil, or returns the row
// already there. An expired row, or one in flight for longer than InFlight,
// is taken over by the same statement. ON CONFLICT makes the insert atomic
// on both engines: on PostgreSQL a concurrent insert of the same key waits
// for the first to commit, then finds its row.
func (i *Idempotency) claim(ctx context.Context, c *claim) (prior *stored, err error) {
	defer beian.Wrap(&err, "claim idempotency key")
	for attempt := 0; ; attempt++ {
		prior, err = i.claimOnce(ctx, c)
		if !errors.Is(err, sql.ErrNoRows) {
			return prior, err
		}
		if attempt == 2 {
			return nil, &beian.Error{Kind: beian.KindConflict, Code: "request.idempotency_in_flight", Err: err}
		}
	}
}

func (i *Idempotency) claimOnce(ctx context.Context, c *claim) (prior *stored, err error) {
	// Each statement stands alone (the claim is the upsert; the read after
	// a refused one sees what won): no transaction, so on PostgreSQL no
	// BEGIN and COMMIT round trips before the handler runs.
	err = i.DB.Autocommit(ctx, func(q sqlstore.Querier) error {
		prior = nil
		now := i.DB.Clock.Now()
		c.created = sqlstore.Micro(now)
		res, err := q.ExecContext(ctx, `INSERT INTO idempotency_keys
				(scope, key, method, path, request_hash, status, headers, body, created_at, completed_at)
			VALUES ($1, $2, $3, $4, $5, 0, '{}', '', $6, 0)
			ON CONFLICT (scope, key) DO UPDATE SET method = excluded.method, path = excluded.path,
				request_hash = excluded.request_hash, status = 0, headers = '{}', body = '',
				created_at = excluded.created_at, completed_at = 0
			WHERE idempotency_keys.created_at < $7
				OR (idempotency_keys.status = 0 AND idempotency_keys.created_at < $8)`,
			c.scope, c.key, c.method, c.path, c.hash, c.created,
			sqlstore.Micro(now.Add(-i.ttl())), sqlstore.Micro(now.Add(-i.inFlight())))
		if err != nil {
			return sqlstore.MapErr(err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var p stored
		err = q.QueryRowContext(ctx, `SELECT request_hash, status, headers, body FROM idempotency_keys
			WHERE scope = $1 AND key = $2`, c.scope, c.key).Scan(&p.hash, &p.status, &p.headers, &p.body)
		if err != nil {
			return err // sql.ErrNoRows: released or swept between the statements; claim again
		}
		prior = &p
		return nil
	})
	return prior, err
}

// complete stores the answer under the key, if the key is still ours.
func (i *Idempotency) complete(ctx context.Context, c *claim, rec *recorder) (err error) {
	defer beian.Wrap(&err, "store idempotent answer")
	h := map[string]string{}
	for k, v := range rec.header {
		h[k] = v[0]
	}
	body := rec.tee.String()
	if !utf8.ValidString(body) || bytes.IndexByte(rec.tee.Bytes(), 0) >= 0 {
		body = base64.StdEncoding.EncodeToString(rec.tee.Bytes())
		h[bodyEncodingKey] = "base64"
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return i.DB.Autocommit(ctx, func(q sqlstore.Querier) error {
		_, err := q.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, headers = $2, body = $3, completed_at = $4
			WHERE scope = $5 AND key = $6 AND status = 0 AND created_at = $7`,
			rec.Status(), string(hj), body, sqlstore.Micro(i.DB.Clock.Now()), c.scope, c.key, c.created)
		return err
	})
}

// release deletes the key's row, if it is still ours, so a retry runs again.
func (i *Idempotency) release(ctx context.Context, c *claim) error {
	_, err := i.DB.SQL.ExecContext(ctx, `DELETE FROM idempotency_keys
		WHERE scope = $1 AND key = $2 AND status = 0 AND created_at = $3`, c.scope, c.key, c.created)
	if err != nil {
		return errors.Join(errors.New("release idempotency key"), err)
	}
	return nil
}

func (i *Idempotency) logErr(r *http.Request, err error) {
	if err != nil && Logger != nil {
		Logger.ErrorContext(r.Context(), "idempotency", "path", Redact(r.URL.Path), "err", err)
	}
}

// replay answers the stored status, headers and body.
func (p *stored) replay(w http.ResponseWriter) {
	var h map[string]string
	_ = json.Unmarshal([]byte(p.headers), &h)
	body := []byte(p.body)
	if h[bodyEncodingKey] == "base64" {
		if b, err := base64.StdEncoding.DecodeString(p.body); err == nil {
			body = b
		}
	}
	for _, k := range replayHeaders {
		if v, ok := h[k]; ok {
			w.Header().Set(k, v)
		}
	}
	w.Header().Set(HeaderReplayed, "true")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.status)
	_, _ = w.Write(body)
}
