package sqlstore_test

import (
	"context"
	"errors"
	"testing"

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
