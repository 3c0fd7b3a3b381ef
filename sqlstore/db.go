package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/beian/beian"
)

// DB is an open database of either engine, with the clock that every
// transaction reads its time from (CONVENTIONS.md: time comes from an
// injected clock, carried by the transaction).
type DB struct {
	SQL    *sql.DB
	Driver string // SQLite or Postgres
	Clock  beian.Clock
	dsn    DSN

	sigMu   sync.RWMutex
	signals map[string][]func()

	// writer is SQLite's write lock as seen in this process (writer.go):
	// a transaction takes it before BEGIN IMMEDIATE (inTx). Nil on
	// PostgreSQL.
	writer *writerSlot
	ckpt   *checkpointer // SQLite's checkpoints (checkpoint.go); nil on PostgreSQL
}

// writerWait is how long inTx waits for the process's SQLite writer slot
// before it goes on to SQLite's own busy handling (as long as the busy
// timeout): a transaction begun inside another's function must not wait
// for ever, as it would with the slot alone.
const writerWait = 15 * time.Second

// QueryRow runs a one-row query outside a transaction, as
// SQL.QueryRowContext does. (It once kept prepared statements for SQLite;
// every SQLite connection now keeps its statements itself, stmtcache.go.)
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.SQL.QueryRowContext(ctx, query, args...)
}

// OnSignal registers fn to run after every committed transaction of this
// DB that called Signal(topic): an in-process worker sleeping on a poll
// interval (the outbox, the provider's event pull) wakes at once instead.
// fn must not block. Other processes still see the change on their next
// poll.
func (db *DB) OnSignal(topic string, fn func()) {
	db.sigMu.Lock()
	defer db.sigMu.Unlock()
	if db.signals == nil {
		db.signals = map[string][]func(){}
	}
	db.signals[topic] = append(db.signals[topic], fn)
}

// signal runs the functions registered for topic.
func (db *DB) signal(topic string) {
	db.sigMu.RLock()
	fns := db.signals[topic]
	db.sigMu.RUnlock()
	for _, fn := range fns {
		fn()
	}
}

// Open opens the database of the URL; it does not migrate (see Migrate).
// SQLite runs in WAL mode with full fsync, foreign keys on, a busy timeout
// and BEGIN IMMEDIATE transactions, so that writers queue instead of failing
// on a lock upgrade.
func Open(ctx context.Context, dsn DSN, clock beian.Clock) (*DB, error) {
	if clock == nil {
		clock = beian.SystemClock
	}
	db := &DB{Driver: dsn.Driver, Clock: clock, dsn: dsn}
	var err error
	switch dsn.Driver {
	case SQLite:
		if dir := filepath.Dir(dsn.Path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("database folder %s: %w", dir, err)
			}
		}
		q := url.Values{}
		for _, p := range []string{"busy_timeout(15000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
			q.Add("_pragma", p)
		}
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cmp.Or(dsn.CacheMB, DefaultSQLiteCacheMB)*1024)) // negative: KiB
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", sqliteAutoCheckpoint))
		q.Set("_txlock", "immediate")
		var conn driver.Connector
		if conn, err = newSQLiteConnector("file:" + escapePath(dsn.Path) + "?" + q.Encode()); err == nil {
			db.SQL = sql.OpenDB(conn) // each connection keeps its statements (stmtcache.go)
			// One writer at a time is SQLite's model; a few connections let
			// readers run beside it under WAL. All of them stay open when
			// idle (database/sql keeps 2 by default): a connection closed
			// and opened again under load loses its page cache and its
			// prepared statements, and runs its pragmas again.
			db.SQL.SetMaxOpenConns(SQLiteConns)
			db.SQL.SetMaxIdleConns(SQLiteConns)
			db.writer = &writerSlot{}
		}
	case Postgres:
		var cfg *pgx.ConnConfig
		if cfg, err = pgx.ParseConfig(dsn.URL); err == nil {
			cfg.Tracer = statementTracer{} // StatementCount
			db.SQL = stdlib.OpenDB(*cfg)
			n := cmp.Or(dsn.MaxConns, DefaultPostgresConns)
			db.SQL.SetMaxOpenConns(n)
			db.SQL.SetMaxIdleConns(n)
			db.SQL.SetConnMaxIdleTime(5 * time.Minute)
		}
	default:
		return nil, fmt.Errorf("unknown database driver %q", dsn.Driver)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	err = db.SQL.PingContext(pctx)
	// Several processes opening a new SQLite file at once race to switch it
	// to WAL; the loser gets SQLITE_BUSY without the busy handler. Retry.
	for i := 0; err != nil && dsn.Driver == SQLite && strings.Contains(err.Error(), "SQLITE_BUSY") && i < 50 && pctx.Err() == nil; i++ {
		time.Sleep(time.Duration(20+i*10) * time.Millisecond)
		err = db.SQL.PingContext(pctx)
	}
	if err != nil {
		db.SQL.Close()
		return nil, fmt.Errorf("cannot reach the database %s: %w (is it running, and does the URL name the right host, user and database?)", dsn, err)
	}
	if dsn.Driver == SQLite {
		db.startCheckpointer()
	}
	return db, nil
}

// escapePath makes a file path safe inside a file: URI.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(p)
}

// Close closes the database.
func (db *DB) Close() error {
	db.ckpt.close()
	return db.SQL.Close()
}

// DSN returns the URL the database was opened with.
func (db *DB) DSN() DSN { return db.dsn }

// Tx is one transaction with the time it started at, read once from the
// clock so every row it writes agrees.
type Tx struct {
	*sql.Tx
	Driver   string
	Now      time.Time
	ReadOnly bool // a ReadTx: read without row locks (no FOR UPDATE)

	afterCommit  []func()
	beforeCommit []beforeCommitFn
	db           *DB
	signalled    map[string]bool
	stash        map[any]any
}

// BeforeCommit registers fn to run at the end of the transaction, just
// before its commit, in registration order; an error rolls the transaction
// back and is InTx's error. Work that takes a lock many transactions queue
// on (e.g. the head of an ordered feed) goes here so that the lock is held
// only for that work and the commit, not for the whole transaction.
func (tx *Tx) BeforeCommit(fn func(context.Context) error) { tx.BeforeCommitRank(RankDefault, fn) }

// Ranks of BeforeCommitRank: the audit chain's head is taken before any
// other lock taken at commit (e.g. the registry's event heads), so that
// every transaction takes them in the same order and none deadlocks.
const (
	RankAudit   = 0
	RankDefault = 10
)

// BeforeCommitRank is BeforeCommit with a rank: the functions run in rank
// order, and in registration order within a rank. A function registered
// while they run runs after the ones registered before it.
func (tx *Tx) BeforeCommitRank(rank int, fn func(context.Context) error) {
	tx.beforeCommit = append(tx.beforeCommit, beforeCommitFn{rank, fn})
}

type beforeCommitFn struct {
	rank int
	fn   func(context.Context) error
}

// Stash returns the value the transaction keeps under key, made by mk on
// first use: per-transaction state of a store (e.g. what a BeforeCommit
// function will write).
func (tx *Tx) Stash(key any, mk func() any) any {
	if v, ok := tx.stash[key]; ok {
		return v
	}
	if tx.stash == nil {
		tx.stash = map[any]any{}
	}
	v := mk()
	tx.stash[key] = v
	return v
}

// Signal asks that the DB's OnSignal functions of topic run once this
// transaction has committed (once per topic, however often it is called).
func (tx *Tx) Signal(topic string) {
	if tx.db == nil || tx.signalled[topic] {
		return
	}
	if tx.signalled == nil {
		tx.signalled = map[string]bool{}
	}
	tx.signalled[topic] = true
	tx.AfterCommit(func() { tx.db.signal(topic) })
}

// AfterCommit registers fn to run once the transaction has committed, in
// registration order, after InTx's commit succeeds; it never runs when the
// transaction rolls back (nor for an attempt that InTx retries). Stores use
// it to tell in-process followers of a change (e.g. the gate, Rule GATE-1)
// only about committed data.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// Micro returns t as the integer microseconds since the epoch that every
// time column holds (portable between the engines, sortable, zone-free).
func Micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicro is the inverse of Micro; 0 is the zero time. Times come back in
// China Standard Time (Rule CAL-0).
func FromMicro(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).In(beian.CST)
}

// InTx runs fn in a transaction and commits it when fn returns nil. On
// PostgreSQL a serialization failure or deadlock is retried (fn must be safe
// to run again); on SQLite a busy database waits up to the busy timeout.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := db.inTx(ctx, fn)
		if err == nil || attempt >= 4 || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
}

// ReadTx runs fn in a read-only transaction: one consistent view of the
// data (REPEATABLE READ on PostgreSQL; on SQLite a deferred transaction,
// whose first read fixes its snapshot under WAL) that takes no write lock
// and waits for no writer. fn must not write (PostgreSQL refuses; the
// Tx's ReadOnly tells readers shared with writers to skip FOR UPDATE);
// no BeforeCommit, AfterCommit or Signal function runs.
func (db *DB) ReadTx(ctx context.Context, fn func(tx *Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Driver == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	sqlTx, err := db.SQL.BeginTx(ctx, opts)
	if err != nil {
		return mapErr(err)
	}
	defer func() { _ = sqlTx.Rollback() }()
	if err := fn(&Tx{Tx: sqlTx, Driver: db.Driver, Now: db.Clock.Now(), ReadOnly: true}); err != nil {
		return err
	}
	return mapErr(sqlTx.Commit())
}

// Querier is what Autocommit's function runs its statements on.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Autocommit runs fn, whose statements each commit on their own (no
// transaction around them), for writes that are whole in one statement: an
// upsert, a conditional update. On PostgreSQL each statement is one round
// trip instead of three (BEGIN and COMMIT saved); on SQLite fn runs under
// the process's writer slot, as a transaction of InTx would, so that it
// queues there and not in SQLite's busy handler. fn reads the time from
// db.Clock; a *sql.Row it gets must be scanned before fn returns.
func (db *DB) Autocommit(ctx context.Context, fn func(q Querier) error) error {
	release, err := db.takeWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	err = fn(db.SQL)
	db.ckpt.committed() // whether fn wrote or not: a checkpoint's pass is cheap
	return err
}

func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	release, err := db.takeWriter(ctx)
	if err != nil {
		return err
	}
	sqlTx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		release()
		return mapErr(err)
	}
	tx := &Tx{Tx: sqlTx, Driver: db.Driver, Now: db.Clock.Now(), db: db}
	committed := false
	defer func() { // also when fn panics: the transaction and the writer slot are not left held
		if !committed {
			_ = sqlTx.Rollback()
			release()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	slices.SortStableFunc(tx.beforeCommit, func(a, b beforeCommitFn) int { return a.rank - b.rank })
	for i := 0; i < len(tx.beforeCommit); i++ { // a function may register another
		if err = tx.beforeCommit[i].fn(ctx); err != nil {
			return err
		}
	}
	if err = mapErr(sqlTx.Commit()); err != nil {
		return err
	}
	committed = true
	release()
	db.ckpt.committed()
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// takeWriter takes the process's SQLite writer slot (DB.writer) and
// returns its release, which is safe to call more than once. Past
// writerWait it gives up the slot and lets SQLite's busy handler decide;
// a cancelled ctx is an error.
func (db *DB) takeWriter(ctx context.Context) (release func(), err error) {
	if db.writer == nil {
		return func() {}, nil
	}
	ok, err := db.writer.take(ctx, isBackground(ctx), writerWait)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return func() {}, nil
	}
	var once sync.Once
	return func() { once.Do(db.writer.release) }, nil
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// mapErr turns constraint violations into KindConflict, keeping the cause;
// other errors pass unchanged (they become internal at the edge).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "23503", "23514", "23P01": // unique, foreign key, check, exclusion
			return &beian.Error{Kind: beian.KindConflict, Code: "store.constraint", Args: map[string]string{"constraint": pgErr.ConstraintName}, Err: err}
		case "22021", "22P05": // a NUL or an untranslatable character in text
			return &beian.Error{Kind: beian.KindBadRequest, Code: "request.nul_character", Err: err}
		}
		return err
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
			sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK,
			sqlite3.SQLITE_CONSTRAINT_TRIGGER, sqlite3.SQLITE_CONSTRAINT:
			return &beian.Error{Kind: beian.KindConflict, Code: "store.constraint", Args: map[string]string{"constraint": sqliteConstraint(sqErr.Error())}, Err: err}
		}
	}
	return err
}

// MapErr is mapErr for the store packages that run their own statements.
func MapErr(err error) error { return mapErr(err) }

// sqliteConstraint extracts "table.column" from SQLite's constraint message.
func sqliteConstraint(msg string) string {
	if i := strings.LastIndex(msg, "failed: "); i >= 0 {
		rest := msg[i+len("failed: "):]
		if j := strings.IndexAny(rest, " ("); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	return ""
}
