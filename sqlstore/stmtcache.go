package sqlstore

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// SQLite parses every statement it runs: modernc's driver prepares and
// finalizes a statement per ExecContext and QueryContext. Under the API
// load (`beian bench api`) SQLite's parser was a fifth of the server's CPU
// time, more than running the statements. So each SQLite connection keeps
// the statements it ran, by query text, and runs the same text again
// through its prepared statement. This is a driver-level wrapper (modernc's
// NewConnector, as its documentation describes), so every query — through a
// transaction, the pool or a prepared statement — benefits without the
// stores changing. PostgreSQL's driver (pgx) caches statements itself.

// Limits of a connection's statement cache. A query text with many
// arguments is usually built for one call (an IN list of n values, a
// multi-row INSERT of an import batch) and is not worth keeping; past
// maxCachedStmts a connection drops what it kept and starts again, which
// bounds the memory of a process that builds many distinct texts.
const (
	maxCachedStmts    = 256
	maxCachedArgs     = 64
	maxCachedQueryLen = 4096
)

// cachingConnector opens modernc connections wrapped in stmtConn.
type cachingConnector struct{ driver.Connector }

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &stmtConn{Conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

// newSQLiteConnector is sql.Open("sqlite", dsn) with the statement cache.
func newSQLiteConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return cachingConnector{c}, nil
}

// stmtConn is a modernc connection with its statement cache. database/sql
// uses a connection from one goroutine at a time; the mutex only guards
// against a Rows closed from elsewhere.
type stmtConn struct {
	driver.Conn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

// cachedStmt is a kept statement; busy while a Rows of it is open (the same
// text run meanwhile, e.g. inside a loop over those rows, goes uncached).
type cachedStmt struct {
	st   driver.Stmt
	busy bool
}

// Unwrap returns the modernc connection (sqlite.Limit and friends look
// through wrappers with it).
func (c *stmtConn) Unwrap() driver.Conn { return c.Conn }

// take returns the cached statement of query, preparing it when it is new,
// marked busy; nil when query should not be cached or is busy.
func (c *stmtConn) take(ctx context.Context, query string, nargs int) *cachedStmt {
	if nargs > maxCachedArgs || len(query) > maxCachedQueryLen || strings.Contains(query, ";") {
		return nil // scripts (migrations) and one-off texts go straight through
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs := c.stmts[query]; cs != nil {
		if cs.busy {
			return nil
		}
		cs.busy = true
		return cs
	}
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil // the uncached path reports the same error
	}
	if len(c.stmts) >= maxCachedStmts {
		for q, cs := range c.stmts {
			if !cs.busy {
				_ = cs.st.Close()
				delete(c.stmts, q)
			}
		}
	}
	cs := &cachedStmt{st: st, busy: true}
	c.stmts[query] = cs
	return cs
}

// give returns cs to the cache; a statement that failed is dropped (it
// stays valid in SQLite, but a fresh one costs little and rules out any
// state an interrupted step left).
func (c *stmtConn) give(query string, cs *cachedStmt, failed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.busy = false
	if failed && c.stmts[query] == cs {
		delete(c.stmts, query)
		_ = cs.st.Close()
	}
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs := c.take(ctx, query, len(args))
	if cs == nil {
		return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	res, err := cs.st.(driver.StmtExecContext).ExecContext(ctx, args)
	c.give(query, cs, err != nil)
	return res, err
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs := c.take(ctx, query, len(args))
	if cs == nil {
		return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	rows, err := cs.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		c.give(query, cs, true)
		return nil, err
	}
	return &stmtRows{Rows: rows, c: c, query: query, cs: cs}, nil
}

// Close finalizes the kept statements, then closes the connection.
func (c *stmtConn) Close() error {
	c.mu.Lock()
	for q, cs := range c.stmts {
		_ = cs.st.Close()
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// The optional interfaces modernc's connection implements, forwarded.

func (c *stmtConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *stmtConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *stmtConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *stmtConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *stmtConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

// stmtRows gives its statement back to the cache when closed. It forwards
// the column-type interfaces of modernc's rows.
type stmtRows struct {
	driver.Rows
	c      *stmtConn
	query  string
	cs     *cachedStmt
	closed bool
}

func (r *stmtRows) Close() error {
	err := r.Rows.Close() // resets the statement for its next use
	if !r.closed {
		r.closed = true
		r.c.give(r.query, r.cs, err != nil)
	}
	return err
}

func (r *stmtRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *stmtRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *stmtRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
