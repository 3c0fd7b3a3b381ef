package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

// Migration is one versioned schema step: migrations/<driver>/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the driver's steps in order. The SQLite and PostgreSQL
// trees hold the same versions and names (a test keeps them in step).
func Migrations(driver string) ([]Migration, error) {
	dir := "migrations/" + driver
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", driver, err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: name it NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations for %s: expected version %d, found %d (%s): versions must run 1, 2, 3 … without gaps", driver, i+1, m.Version, m.Name)
		}
	}
	return out, nil
}

// Migrate applies every pending step, each in its own transaction, and
// returns the steps it applied. Several processes may migrate at once: on
// PostgreSQL an advisory lock serialises them, on SQLite the write lock does.
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	steps, err := Migrations(db.Driver)
	if err != nil {
		return nil, err
	}
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		// Two processes creating the table at once on PostgreSQL: one wins.
		if _, again := db.SQL.ExecContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`); again != nil {
			return nil, fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	var applied []Migration
	for _, m := range steps {
		did := false
		err := db.InTx(ctx, func(tx *Tx) error {
			if db.Driver == Postgres {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7201001)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, Micro(tx.Now)); err != nil {
				return err
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, err
		}
		if did {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

// SchemaVersion returns the highest applied version and the highest known one.
func (db *DB) SchemaVersion(ctx context.Context) (applied, known int, err error) {
	steps, err := Migrations(db.Driver)
	if err != nil {
		return 0, 0, err
	}
	known = len(steps)
	err = db.SQL.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied)
	if err != nil {
		return 0, known, fmt.Errorf("read schema version (has 'beian migrate' run?): %w", err)
	}
	return applied, known, nil
}
