package sqlstore

// This file holds the SQLite side of `beian backup` and `beian restore`
// (docs/operations.md): an online snapshot with VACUUM INTO, a read-only
// opener for backup files, the integrity checks run on them, and a test for
// "is another process using this database".

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/beian/beian"
)

// sqliteHeader is the first 16 bytes of every SQLite 3 database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// VacuumInto writes a consistent snapshot of the SQLite database into the
// file path, which must not exist or be empty, and flushes it to disk. The
// snapshot is one read transaction: under WAL, writers carry on beside it and
// the copy holds exactly the transactions committed before it began. The
// copy is a single self-contained file in rollback-journal mode (no -wal).
func (db *DB) VacuumInto(ctx context.Context, path string) error {
	if db.Driver != SQLite {
		return fmt.Errorf("VACUUM INTO is SQLite only; back PostgreSQL up with pg_dump (docs/operations.md)")
	}
	if _, err := db.SQL.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("snapshot into %s: %w", path, err)
	}
	// SQLite does not fsync the file VACUUM INTO writes.
	return SyncFile(path)
}

// SyncFile flushes the file and the folder that names it to stable storage.
func SyncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("flush %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir flushes a folder so a rename or a new file in it survives a crash.
// Some systems cannot sync a folder; that is not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}

// OpenFile opens the SQLite database file at path read-only and immutable:
// for checking a file that no process writes, such as a backup. Nothing is
// written beside it (no -wal, no -shm). A file that is not an SQLite
// database is refused with an error that says so.
func OpenFile(ctx context.Context, path string) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, len(sqliteHeader))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || !bytes.Equal(head, sqliteHeader) {
		return nil, fmt.Errorf("%s is not an SQLite database file", path)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("immutable", "1")
	sdb, err := sql.Open("sqlite", "file:"+escapePath(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(2)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &DB{SQL: sdb, Driver: SQLite, Clock: beian.SystemClock, dsn: DSN{Driver: SQLite, Path: path}}, nil
}

// CheckIntegrity runs SQLite's integrity_check and foreign_key_check and
// returns an error naming the first problems found; nil means the file is
// sound. On PostgreSQL it does nothing.
func (db *DB) CheckIntegrity(ctx context.Context) error {
	if db.Driver != SQLite {
		return nil
	}
	var problems []string
	rows, err := db.SQL.QueryContext(ctx, `PRAGMA integrity_check(20)`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return fmt.Errorf("integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) == 0 {
		rows, err := db.SQL.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
		for rows.Next() && len(problems) < 20 {
			var table, parent string
			var rowid sql.NullInt64
			var fkid int
			if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
				rows.Close()
				return fmt.Errorf("foreign key check: %w", err)
			}
			problems = append(problems, fmt.Sprintf("%s row %d refers to a missing %s row", table, rowid.Int64, parent))
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the database is damaged: %s", strings.Join(problems, "; "))
	}
	return nil
}

// ErrInUse is returned by Quiesce when another connection or process has
// the database open.
var ErrInUse = errors.New("the database is in use by another process")

// Quiesce checks that no other connection has the SQLite file at path open
// and, when none has, switches it out of WAL mode so that it is one
// self-contained file (SQLite folds the -wal back in and removes it). Every
// beian process holds its database open in WAL mode, so a running server
// makes this fail with ErrInUse. The file must exist.
func Quiesce(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	sdb, err := sql.Open("sqlite", "file:"+escapePath(path)+"?_pragma=busy_timeout(1000)")
	if err != nil {
		return err
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	var mode string
	err = sdb.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode)
	if err != nil {
		if strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "locked") {
			return ErrInUse
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if mode != "delete" {
		return fmt.Errorf("%s: could not leave journal mode %s", path, mode)
	}
	return nil
}
