package sqlstore_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// The SQLite and PostgreSQL trees hold the same steps and create the same
// tables, columns and indexes (CONVENTIONS.md habit 4).
func TestMigrationTreesInStep(t *testing.T) {
	lite, err := sqlstore.Migrations(sqlstore.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := sqlstore.Migrations(sqlstore.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d steps, postgres %d", len(lite), len(pg))
	}
	obj := regexp.MustCompile(`(?i)CREATE (?:UNIQUE )?(TABLE|INDEX)(?: IF NOT EXISTS)? (\w+)`)
	col := regexp.MustCompile(`(?m)^\s+(\w+) [A-Z]`)
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("step %d: sqlite %04d_%s, postgres %04d_%s", i+1, lite[i].Version, lite[i].Name, pg[i].Version, pg[i].Name)
		}
		for _, re := range []*regexp.Regexp{obj, col} {
			a, b := names(re, lite[i].SQL), names(re, pg[i].SQL)
			if strings.Join(a, "|") != strings.Join(b, "|") {
				t.Errorf("step %04d_%s: the trees differ:\nsqlite:   %v\npostgres: %v", lite[i].Version, lite[i].Name, a, b)
			}
		}
	}
}

// names returns the last submatch of every match: object or column names.
func names(re *regexp.Regexp, sql string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(sql, -1) {
		out = append(out, m[len(m)-1])
	}
	return out
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			dsn := sqltest.DSN(t, eng)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db, err := sqlstore.Open(ctx, dsn, nil)
					if err != nil {
						errs[i] = err
						return
					}
					defer db.Close()
					_, errs[i] = db.Migrate(ctx)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			db, err := sqlstore.Open(ctx, dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			again, err := db.Migrate(ctx)
			if err != nil || len(again) != 0 {
				t.Fatalf("second migrate applied %d steps, err %v", len(again), err)
			}
			applied, known, err := db.SchemaVersion(ctx)
			if err != nil || applied != known || known == 0 {
				t.Fatalf("schema version %d of %d, %v", applied, known, err)
			}
		})
	}
}

// A unique violation is KindConflict on both engines; a failed transaction
// writes nothing.
func TestConstraintIsConflictAndRollsBack(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		put := func(tx *sqlstore.Tx, key string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, 'v', $2)`, key, sqlstore.Micro(tx.Now))
			return sqlstore.MapErr(err)
		}
		if err := db.InTx(ctx, func(tx *sqlstore.Tx) error { return put(tx, "a") }); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
			if err := put(tx, "b"); err != nil {
				return err
			}
			return put(tx, "a")
		})
		if !beian.IsKind(err, beian.KindConflict) {
			t.Fatalf("duplicate key: %v (kind %s), want conflict", err, beian.KindOf(err))
		}
		var n int
		if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("rows = %d, %v; the failed transaction left rows behind", n, err)
		}
		boom := errors.New("boom")
		if err := db.InTx(ctx, func(tx *sqlstore.Tx) error { _ = put(tx, "c"); return boom }); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("rows = %d after rollback", n)
		}
	})
}
