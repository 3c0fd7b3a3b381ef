// Package sqltest hands out fresh databases of both engines to tests: SQLite
// in the test's temp folder, and PostgreSQL (when BEIAN_TEST_POSTGRES names
// a server) in a schema of its own that is dropped when the test ends.
// Under CI=true a missing PostgreSQL fails the test instead of skipping it.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// EnvPostgres names the environment variable with the PostgreSQL test DSN.
const EnvPostgres = "BEIAN_TEST_POSTGRES"

// Engines returns the engines to test on: SQLite always, PostgreSQL when
// BEIAN_TEST_POSTGRES is set. Under CI=true, an unset variable fails tb.
func Engines(tb testing.TB) []string {
	tb.Helper()
	if os.Getenv(EnvPostgres) == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: CI must test PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvPostgres)
		}
		tb.Logf("%s not set: PostgreSQL tests skipped", EnvPostgres)
		return []string{sqlstore.SQLite}
	}
	return []string{sqlstore.SQLite, sqlstore.Postgres}
}

// DSN returns the URL of a fresh, empty database of the engine, removed
// when tb ends.
func DSN(tb testing.TB, driver string) sqlstore.DSN {
	tb.Helper()
	switch driver {
	case sqlstore.SQLite:
		return sqlstore.DSN{Driver: sqlstore.SQLite, Path: filepath.Join(tb.TempDir(), "beian.db")}
	case sqlstore.Postgres:
		base := os.Getenv(EnvPostgres)
		if base == "" {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%s is not set", EnvPostgres)
			}
			tb.Skipf("%s not set", EnvPostgres)
		}
		admin, err := sql.Open("pgx", base)
		if err != nil {
			tb.Fatal(err)
		}
		defer admin.Close()
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "t_" + hex.EncodeToString(b[:])
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			tb.Fatalf("PostgreSQL at %s: %v", EnvPostgres, err)
		}
		tb.Cleanup(func() {
			admin, err := sql.Open("pgx", base)
			if err != nil {
				return
			}
			defer admin.Close()
			_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		})
		u, err := url.Parse(base)
		if err != nil {
			tb.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return sqlstore.DSN{Driver: sqlstore.Postgres, URL: u.String()}
	}
	tb.Fatalf("unknown engine %q", driver)
	return sqlstore.DSN{}
}

// Open returns a fresh, migrated database of the engine with the clock,
// closed when tb ends.
func Open(tb testing.TB, driver string, clock beian.Clock) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), DSN(tb, driver), clock)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// Each runs fn as a subtest per engine, each with a fresh migrated database.
func Each(t *testing.T, clock beian.Clock, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	for _, eng := range Engines(t) {
		t.Run(eng, func(t *testing.T) { fn(t, Open(t, eng, clock)) })
	}
}
