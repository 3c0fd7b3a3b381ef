package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// VacuumInto is SQLite's online snapshot; on PostgreSQL it refuses and
// points to pg_dump, and CheckIntegrity has nothing to check.
func TestVacuumInto(t *testing.T) {
	clock := beian.NewManualClock(time.Date(2026, 11, 30, 9, 0, 0, 0, beian.CST))
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		out := filepath.Join(t.TempDir(), "snap.db")
		err := db.VacuumInto(ctx, out)
		if db.Driver == sqlstore.Postgres {
			if err == nil || !strings.Contains(err.Error(), "pg_dump") {
				t.Fatalf("PostgreSQL: %v, want a pointer to pg_dump", err)
			}
			if err := db.CheckIntegrity(ctx); err != nil {
				t.Fatal(err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		snap, err := sqlstore.OpenFile(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		defer snap.Close()
		if err := snap.CheckIntegrity(ctx); err != nil {
			t.Fatal(err)
		}
		v, known, err := snap.SchemaVersion(ctx)
		if err != nil || v != known {
			t.Fatalf("snapshot schema %d of %d: %v", v, known, err)
		}
		// Read-only and immutable: nothing written beside the file.
		if _, err := snap.SQL.ExecContext(ctx, `CREATE TABLE x (id INTEGER)`); err == nil {
			t.Error("OpenFile allowed a write")
		}
		for _, s := range []string{"-wal", "-shm", "-journal"} {
			if _, err := os.Stat(out + s); err == nil {
				t.Errorf("%s left beside the snapshot", s)
			}
		}
	})
}

// CheckIntegrity reports rows whose foreign keys point nowhere.
func TestCheckIntegrityForeignKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fk.db")
	db := openSQLite(t, path)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckIntegrity(ctx); err != nil {
		t.Fatalf("fresh database: %v", err)
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA foreign_keys = OFF`,
		`INSERT INTO resources (account_id, external_id, billing, mainland, term_start, term_end, created_at) VALUES (999, 'r-1', 'prepaid', 1, 1, 2, 1)`,
		`PRAGMA foreign_keys = ON`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	err = db.CheckIntegrity(ctx)
	if err == nil || !strings.Contains(err.Error(), "resources row 1 refers to a missing provider_accounts row") {
		t.Fatalf("got %v", err)
	}
}

// Quiesce refuses a database another connection holds open, and leaves a
// closed one as a single file.
func TestQuiesce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	db := openSQLite(t, path)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sqlstore.Quiesce(ctx, path); !errors.Is(err, sqlstore.ErrInUse) {
		t.Fatalf("open database: %v, want ErrInUse", err)
	}
	db.Close()
	if err := sqlstore.Quiesce(ctx, path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Error("-wal left after Quiesce")
	}
	if err := sqlstore.Quiesce(ctx, filepath.Join(t.TempDir(), "none.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func openSQLite(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.DSN{Driver: sqlstore.SQLite, Path: path}, beian.NewManualClock(time.Date(2026, 11, 30, 9, 0, 0, 0, beian.CST)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
