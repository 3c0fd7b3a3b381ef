package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// AfterCommit runs its functions in order once the transaction has
// committed, and never for a rolled-back one (the gate hears only of
// committed changes, Rule GATE-1).
func TestAfterCommit(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		var got []string
		err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
			tx.AfterCommit(func() { got = append(got, "first") })
			tx.AfterCommit(func() { got = append(got, "second") })
			if len(got) != 0 {
				t.Errorf("ran before the commit: %v", got)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('a', 'v', $1)`, sqlstore.Micro(tx.Now))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] != "first" || got[1] != "second" {
			t.Fatalf("after commit: %v, want [first second]", got)
		}
		boom := errors.New("boom")
		ran := false
		err = db.InTx(ctx, func(tx *sqlstore.Tx) error {
			tx.AfterCommit(func() { ran = true })
			return boom
		})
		if !errors.Is(err, boom) || ran {
			t.Fatalf("rolled back: err %v, hook ran %v", err, ran)
		}
		// A commit that fails (a constraint) runs nothing either.
		err = db.InTx(ctx, func(tx *sqlstore.Tx) error {
			tx.AfterCommit(func() { ran = true })
			_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('a', 'v', $1)`, sqlstore.Micro(tx.Now))
			return sqlstore.MapErr(err)
		})
		if err == nil || ran {
			t.Fatalf("failed insert: err %v, hook ran %v", err, ran)
		}
	})
}

// Signal wakes the DB's OnSignal functions once per committed transaction
// and topic, never for a rolled-back one, and only those of its topic.
func TestSignal(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		var a, b int
		db.OnSignal("a", func() { a++ })
		db.OnSignal("b", func() { b++ })
		err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
			tx.Signal("a")
			tx.Signal("a")
			if a != 0 {
				t.Error("signalled before the commit")
			}
			return nil
		})
		if err != nil || a != 1 || b != 0 {
			t.Fatalf("after commit: a=%d b=%d err=%v, want 1 0", a, b, err)
		}
		_ = db.InTx(ctx, func(tx *sqlstore.Tx) error {
			tx.Signal("b")
			return errors.New("roll back")
		})
		if b != 0 {
			t.Fatalf("a rolled-back transaction signalled b %d times", b)
		}
	})
}

// QueryRow answers like SQL.QueryRowContext, reusing its statement
// (SQLite), also after an error and from many goroutines at once.
func TestQueryRowCached(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if _, err := db.SQL.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('q', 'v1', 1)`); err != nil {
			t.Fatal(err)
		}
		const q = `SELECT value FROM kv WHERE key = $1`
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var v string
				key := "q"
				if i%2 == 1 {
					key = "missing"
				}
				err := db.QueryRow(ctx, q, key).Scan(&v)
				if (key == "q" && (err != nil || v != "v1")) || (key == "missing" && !errors.Is(err, sql.ErrNoRows)) {
					t.Errorf("%s: %q %v", key, v, err)
				}
			}()
		}
		wg.Wait()
		if _, err := db.SQL.ExecContext(ctx, `UPDATE kv SET value = 'v2' WHERE key = 'q'`); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := db.QueryRow(ctx, q, "q").Scan(&v); err != nil || v != "v2" {
			t.Fatalf("after an update: %q %v", v, err)
		}
		if err := db.QueryRow(ctx, `SELECT nope FROM kv`).Scan(&v); err == nil {
			t.Fatal("a bad query answered")
		}
	})
}

// BenchmarkQueryRow: a one-row read by key through the kept statement
// against a fresh prepare per call (SQLite; PostgreSQL's driver caches).
func BenchmarkQueryRow(b *testing.B) {
	db := sqltest.Open(b, sqlstore.SQLite, nil)
	ctx := context.Background()
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('q', 'v1', 1)`); err != nil {
		b.Fatal(err)
	}
	const q = `SELECT value, updated_at FROM kv WHERE key = $1 AND updated_at > $2`
	var v string
	var at int64
	b.Run("kept", func(b *testing.B) {
		for b.Loop() {
			if err := db.QueryRow(ctx, q, "q", 0).Scan(&v, &at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("prepared-each-call", func(b *testing.B) {
		for b.Loop() {
			if err := db.SQL.QueryRowContext(ctx, q, "q", 0).Scan(&v, &at); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BeforeCommit functions run before the commit in rank order, then in
// registration order (the audit head before the registry's event heads:
// one lock order for every transaction); one registered while they run
// runs too; an error rolls the whole transaction back.
func TestBeforeCommitRank(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		var got []string
		add := func(s string) func(context.Context) error {
			return func(context.Context) error { got = append(got, s); return nil }
		}
		err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
			tx.BeforeCommit(add("default 1"))
			tx.BeforeCommitRank(sqlstore.RankAudit, func(context.Context) error {
				got = append(got, "audit")
				tx.BeforeCommit(add("late"))
				return nil
			})
			tx.BeforeCommit(add("default 2"))
			if len(got) != 0 {
				t.Errorf("ran before the end: %v", got)
			}
			return nil
		})
		if want := "[audit default 1 default 2 late]"; err != nil || fmt.Sprint(got) != want {
			t.Fatalf("ran %v, %v; want %s", got, err, want)
		}
		boom := errors.New("boom")
		err = db.InTx(ctx, func(tx *sqlstore.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('b', 'v', $1)`, sqlstore.Micro(tx.Now)); err != nil {
				return err
			}
			tx.BeforeCommit(func(context.Context) error { return boom })
			return nil
		})
		var n int
		if qerr := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM kv WHERE key = 'b'`).Scan(&n); !errors.Is(err, boom) || qerr != nil || n != 0 {
			t.Fatalf("failing BeforeCommit: err %v, rows %d (%v); want boom and nothing written", err, n, qerr)
		}
	})
}

// ReadTx reads beside an open writing transaction without waiting for it
// (SQLite: no write lock; PostgreSQL: no row lock), sees only committed
// data, and on PostgreSQL refuses to write.
func TestReadTx(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('r', 'old', $1)`, sqlstore.Micro(tx.Now))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		writing, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- db.InTx(ctx, func(tx *sqlstore.Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE kv SET value = 'new' WHERE key = 'r'`); err != nil {
					return err
				}
				close(writing)
				<-release
				return nil
			})
		}()
		<-writing
		var v string
		err := db.ReadTx(ctx, func(tx *sqlstore.Tx) error {
			if !tx.ReadOnly {
				t.Error("ReadTx's Tx is not marked read-only")
			}
			return tx.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = 'r'`).Scan(&v)
		})
		close(release)
		if err != nil || v != "old" {
			t.Fatalf("ReadTx beside an open write: %q, %v; want the committed 'old'", v, err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if db.Driver == sqlstore.Postgres {
			err := db.ReadTx(ctx, func(tx *sqlstore.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE kv SET value = 'x' WHERE key = 'r'`)
				return err
			})
			if err == nil {
				t.Fatal("a write in a ReadTx succeeded on PostgreSQL")
			}
		}
	})
}

// On SQLite a transaction waits for the process's writer slot, not in
// SQLite's sleeping busy handler; a cancelled context ends the wait with
// its error, and the slot goes to the next writer once the holder ends.
func TestSQLiteWriterSlot(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		if db.Driver != sqlstore.SQLite {
			return // PostgreSQL's writers do not share one lock
		}
		ctx := context.Background()
		holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- db.InTx(ctx, func(tx *sqlstore.Tx) error { close(holding); <-release; return nil })
		}()
		<-holding
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		ran := false
		if err := db.InTx(short, func(*sqlstore.Tx) error { ran = true; return nil }); !errors.Is(err, context.DeadlineExceeded) || ran {
			t.Fatalf("waiting writer with a cancelled context: %v, ran %v; want context.DeadlineExceeded", err, ran)
		}
		next := make(chan error, 1)
		go func() {
			next <- db.InTx(ctx, func(tx *sqlstore.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('w', 'v', $1)`, sqlstore.Micro(tx.Now))
				return err
			})
		}()
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := <-next; err != nil {
			t.Fatalf("the next writer: %v", err)
		}
	})
}

// A panic inside a transaction's function rolls it back and frees the
// writer: the next transaction runs at once and the panicking one wrote
// nothing.
func TestInTxPanic(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the panic did not come through")
				}
			}()
			_ = db.InTx(ctx, func(tx *sqlstore.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('p', 'v', $1)`, sqlstore.Micro(tx.Now)); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		short, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var n int
		err := db.InTx(short, func(tx *sqlstore.Tx) error {
			return tx.QueryRowContext(short, `SELECT count(*) FROM kv WHERE key = 'p'`).Scan(&n)
		})
		if err != nil || n != 0 {
			t.Fatalf("after a panic: %v, %d rows; want the next transaction to run and see nothing", err, n)
		}
	})
}

// Autocommit's statements commit one by one, its error is fn's, and on
// SQLite it holds the writer slot while fn runs: a transaction begun
// meanwhile waits for it (and a cancelled one gives up).
func TestAutocommit(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		var got string
		err := db.Autocommit(ctx, func(q sqlstore.Querier) error {
			if _, err := q.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('a', 'one', 1)`); err != nil {
				return err
			}
			return q.QueryRowContext(ctx, `UPDATE kv SET value = 'two' WHERE key = 'a' RETURNING value`).Scan(&got)
		})
		if err != nil || got != "two" {
			t.Fatalf("Autocommit = %q, %v", got, err)
		}
		boom := errors.New("boom")
		err = db.Autocommit(ctx, func(q sqlstore.Querier) error {
			if _, err := q.ExecContext(ctx, `UPDATE kv SET value = 'three' WHERE key = 'a'`); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("fn's error: %v", err)
		}
		if err := db.SQL.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = 'a'`).Scan(&got); err != nil || got != "three" {
			t.Fatalf("a statement before fn's error stays committed (no transaction): %q, %v", got, err)
		}
		if db.Driver != sqlstore.SQLite {
			return
		}
		holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- db.Autocommit(ctx, func(sqlstore.Querier) error { close(holding); <-release; return nil })
		}()
		<-holding
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		ran := false
		if err := db.InTx(short, func(*sqlstore.Tx) error { ran = true; return nil }); !errors.Is(err, context.DeadlineExceeded) || ran {
			t.Fatalf("a transaction beside Autocommit: %v, ran %v; want it to wait (context.DeadlineExceeded)", err, ran)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(*sqlstore.Tx) error { return nil }); err != nil {
			t.Fatalf("the slot after Autocommit: %v", err)
		}
	})
}
