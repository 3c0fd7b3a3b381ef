package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"

	"github.com/beian/beian"
)

func openCacheTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), DSN{Driver: SQLite, Path: t.TempDir() + "/c.db"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.SQL.ExecContext(t.Context(), `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE); CREATE TABLE u (k INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// cached returns the statement texts one connection of db keeps.
func cached(t *testing.T, conn *sql.Conn) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stmtConn)
		if !ok {
			return fmt.Errorf("connection is %T, not the caching wrapper", dc)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for q := range c.stmts {
			out[q] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// A statement run twice on a connection is prepared once and kept; scripts
// and many-argument texts are not kept.
func TestStmtCacheKeeps(t *testing.T) {
	db := openCacheTest(t)
	ctx := t.Context()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const ins = `INSERT INTO t (k, v) VALUES (?, ?)`
	for i := range 3 {
		if _, err := conn.ExecContext(ctx, ins, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	var v string
	if err := conn.QueryRowContext(ctx, `SELECT v FROM t WHERE k = ?`, 2).Scan(&v); err != nil || v != "v2" {
		t.Fatalf("v = %q, %v", v, err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO u VALUES (1); INSERT INTO u VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	args := make([]any, maxCachedArgs+1)
	q := "SELECT COUNT(*) FROM t WHERE k IN (?"
	for i := range args {
		args[i] = i
		if i > 0 {
			q += ", ?"
		}
	}
	q += ")"
	var n int
	if err := conn.QueryRowContext(ctx, q, args...).Scan(&n); err != nil || n != 3 {
		t.Fatalf("IN list: %d, %v", n, err)
	}
	got := cached(t, conn)
	if !got[ins] || !got[`SELECT v FROM t WHERE k = ?`] || len(got) != 2 {
		t.Fatalf("kept %v; want the insert and the select only", got)
	}
}

// The same text run while a Rows of it is open (a loop over rows that runs
// the query again) goes uncached and both give their own rows.
func TestStmtCacheBusy(t *testing.T) {
	db := openCacheTest(t)
	ctx := t.Context()
	err := db.InTx(ctx, func(tx *Tx) error {
		for i := range 3 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (?, ?)`, i, fmt.Sprint("v", i)); err != nil {
				return err
			}
		}
		const q = `SELECT k, v FROM t WHERE k >= ? ORDER BY k`
		rows, err := tx.QueryContext(ctx, q, 0)
		if err != nil {
			return err
		}
		defer rows.Close()
		seen := 0
		for rows.Next() {
			var k int
			var v string
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			inner, err := tx.QueryContext(ctx, q, k)
			if err != nil {
				return err
			}
			m := 0
			for inner.Next() {
				m++
			}
			inner.Close()
			if m != 3-k {
				return fmt.Errorf("inner query from %d saw %d rows, want %d", k, m, 3-k)
			}
			seen++
		}
		if seen != 3 {
			return fmt.Errorf("outer saw %d rows", seen)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A constraint violation through a kept statement is the usual conflict,
// and the next run of the text works.
func TestStmtCacheErrors(t *testing.T) {
	db := openCacheTest(t)
	ctx := t.Context()
	const ins = `INSERT INTO t (k, v) VALUES (?, ?)`
	for i, want := range []beian.Kind{"", beian.KindConflict, ""} {
		err := db.InTx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, ins, i, map[int]string{0: "a", 1: "a", 2: "b"}[i])
			return mapErr(err)
		})
		if want == "" && err != nil || want != "" && beian.KindOf(err) != want {
			t.Fatalf("insert %d: %v, want kind %q", i, err, want)
		}
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows = %d, %v", n, err)
	}
}

// Past maxCachedStmts a connection starts again; every answer stays right.
func TestStmtCacheBound(t *testing.T) {
	db := openCacheTest(t)
	ctx := t.Context()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range maxCachedStmts + 10 {
		var n int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + ?`, i), 1).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("%d: %d, %v", i, n, err)
		}
	}
	if got := len(cached(t, conn)); got > maxCachedStmts || got == 0 {
		t.Fatalf("kept %d statements, bound %d", got, maxCachedStmts)
	}
}

// Many goroutines on the pool, reading and writing the same texts.
func TestStmtCacheConcurrent(t *testing.T) {
	db := openCacheTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				k := g*1000 + i
				err := db.InTx(ctx, func(tx *Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (?, ?)`, k, fmt.Sprint("v", k))
					return err
				})
				var v string
				if err == nil {
					err = db.QueryRow(ctx, `SELECT v FROM t WHERE k = ?`, k).Scan(&v)
				}
				if err == nil && v != fmt.Sprint("v", k) {
					err = fmt.Errorf("read %q for %d", v, k)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
