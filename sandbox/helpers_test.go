package sandbox_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/timer"
)

// t0 is Monday 2026-09-21 10:00 CST, a business day before 中秋 and 国庆.
var t0 = time.Date(2026, 9, 21, 10, 0, 0, 0, beian.CST)

// env is one sandbox instance: a database handle whose clock is the
// sandbox clock over a manual base clock, and an enabled surface on a mux.
type env struct {
	db      *sqlstore.DB
	base    *beian.ManualClock
	clock   *sandbox.Clock
	surface *sandbox.Surface
	mux     *http.ServeMux
}

// newEnv wires a sandbox over db, as the serve wiring does: the DB's clock
// is the sandbox clock.
func newEnv(tb testing.TB, db *sqlstore.DB, base *beian.ManualClock, runners ...*timer.Runner) *env {
	tb.Helper()
	clk := sandbox.NewClock(db, base)
	if err := clk.Refresh(context.Background()); err != nil {
		tb.Fatal(err)
	}
	db.Clock = clk
	s := &sandbox.Surface{Enabled: true, DB: db, Clock: clk, Runners: runners}
	mux := http.NewServeMux()
	s.Routes(mux)
	return &env{db: db, base: base, clock: clk, surface: s, mux: mux}
}

// openEnv opens a fresh migrated database of the engine with a sandbox at start.
func openEnv(tb testing.TB, eng string, start time.Time) *env {
	tb.Helper()
	return newEnv(tb, sqltest.Open(tb, eng, nil), beian.NewManualClock(start))
}

// secondHandle opens another handle on db's database, like another instance.
func secondHandle(tb testing.TB, db *sqlstore.DB) *sqlstore.DB {
	tb.Helper()
	db2, err := sqlstore.Open(context.Background(), db.DSN(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db2.Close() })
	return db2
}

// do sends a request to h in English, with the header name, value pairs,
// and returns the recorded answer.
func do(tb testing.TB, h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Accept-Language", "en")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// wantError checks an error answer: the status, the JSON error shape with
// the kind as its code, and the English message of the code (the kind's
// generic message when code is "").
func wantError(tb testing.TB, w *httptest.ResponseRecorder, status int, kind beian.Kind, code string, args ...string) {
	tb.Helper()
	if w.Code != status {
		tb.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type %q, want JSON", ct)
	}
	var body i18n.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		tb.Fatalf("body %q: %v", w.Body, err)
	}
	if body.Code != string(kind) {
		tb.Errorf("code %q, want %q", body.Code, kind)
	}
	if code == "" {
		code = i18n.KindCode(kind)
	}
	want := i18n.Default().Message(i18n.EN, code, beian.NewProblem("", "", "", args...).Args)
	if body.Message != want {
		tb.Errorf("message %q, want the one of %s: %q", body.Message, code, want)
	}
}

// clockAnswer is the JSON of GET and POST /api/v1/sandbox/clock.
type clockAnswer struct {
	Now           string  `json:"now"`
	OffsetSeconds float64 `json:"offset_seconds"`
	Estimated     bool    `json:"estimated"`
	Fired         *int    `json:"fired"`
}

func decodeClock(tb testing.TB, w *httptest.ResponseRecorder) clockAnswer {
	tb.Helper()
	if w.Code != http.StatusOK {
		tb.Fatalf("status %d, want 200; body %s", w.Code, w.Body)
	}
	var a clockAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		tb.Fatalf("body %q: %v", w.Body, err)
	}
	return a
}

// countFired is a timer handler that counts its calls in the kv table, in
// the firing transaction (so only committed fires count).
func countFired(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
	n := kvInt(ctx, tx, "fired/"+tm.Ref)
	_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		"fired/"+tm.Ref, strconv.Itoa(n+1), sqlstore.Micro(tx.Now))
	return err
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func kvInt(ctx context.Context, q queryRower, key string) int {
	var v string
	if err := q.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = $1`, key).Scan(&v); errors.Is(err, sql.ErrNoRows) {
		return 0
	} else if err != nil {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}
