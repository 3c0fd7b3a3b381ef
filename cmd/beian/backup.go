package main

// `beian backup` and `beian restore` (API.md, issue 9; procedure in
// docs/operations.md). SQLite is backed up online with VACUUM INTO, checked,
// and restored through a checked, migrated copy. PostgreSQL has pg_dump and
// pg_restore, and these commands say so instead of half-doing their work.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

const pgBackupHint = "PostgreSQL is backed up with pg_dump: pg_dump --format=custom --file=beian.dump 'postgres://…'; see docs/operations.md"
const pgRestoreHint = "PostgreSQL is restored with pg_restore: pg_restore --clean --if-exists --no-owner --dbname='postgres://…' beian.dump, then 'beian migrate' and 'beian audit verify'; see docs/operations.md"

func backupCommand() *command {
	var db, out string
	var force bool
	return &command{
		name:    "backup",
		summary: "write a consistent online snapshot of a SQLite database, and check it",
		usage:   "--db sqlite://PATH --out FILE [--force]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", "sqlite://./beian.db", "database `URL` (sqlite://PATH; for PostgreSQL use pg_dump)")
			fs.StringVar(&out, "out", "", "backup `file` to write (refused if it exists, unless --force)")
			fs.BoolVar(&force, "force", false, "replace an existing --out file")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			path, err := sqlitePath("backup", db, pgBackupHint)
			if err != nil {
				return err
			}
			if out == "" {
				return usagef("beian backup: --out FILE is required")
			}
			rep, err := runBackup(e.ctx, path, out, force)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "backup %s written\n", out)
			printReport(e.stdout, rep)
			fmt.Fprintf(e.stdout, "documents and photos are not in the database: copy the blob folder (--blob-dir; default %s) too\n", path+".blobs")
			return nil
		},
	}
}

func restoreCommand() *command {
	var db, from string
	var force bool
	return &command{
		name:    "restore",
		summary: "put a checked SQLite backup in place, migrated to this version",
		usage:   "--db sqlite://PATH --from FILE [--force]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", "sqlite://./beian.db", "database `URL` to restore into (sqlite://PATH; for PostgreSQL use pg_restore)")
			fs.StringVar(&from, "from", "", "backup `file` written by 'beian backup'")
			fs.BoolVar(&force, "force", false, "replace an existing database (stop every beian process using it first)")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			path, err := sqlitePath("restore", db, pgRestoreHint)
			if err != nil {
				return err
			}
			if from == "" {
				return usagef("beian restore: --from FILE is required")
			}
			before, rep, err := runRestore(e.ctx, from, path, force)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "restored %s into %s (schema version %d → %d)\n", from, path, before, rep.Schema)
			printReport(e.stdout, rep)
			fmt.Fprintf(e.stdout, "put the blob folder of the same backup in place too (--blob-dir; default %s)\n", path+".blobs")
			return nil
		},
	}
}

// sqlitePath returns the file path of a sqlite:// URL; a PostgreSQL URL is
// refused with the hint to its own tools.
func sqlitePath(cmd, url, pgHint string) (string, error) {
	dsn, err := sqlstore.ParseDSN(url)
	if err != nil {
		return "", usagef("beian %s: --db: %v", cmd, err)
	}
	if dsn.Driver != sqlstore.SQLite {
		return "", usagef("beian %s: works on SQLite only. %s", cmd, pgHint)
	}
	if dsn.Path == "" || strings.HasPrefix(dsn.Path, ":memory:") {
		return "", usagef("beian %s: --db must name a database file", cmd)
	}
	return dsn.Path, nil
}

// fileReport is what the checks of a database file found.
type fileReport struct {
	Size   int64
	Schema int // applied schema version
	Known  int // the newest version this binary knows
	Chains []audit.Report
	Names  []string // the chains' contexts, in Chains' order
}

func printReport(w io.Writer, r fileReport) {
	fmt.Fprintf(w, "size %d bytes\nschema version %d (this binary knows %d)\n", r.Size, r.Schema, r.Known)
	for i, c := range r.Chains {
		fmt.Fprintf(w, "%s audit: %d records intact, head %d %s\n", r.Names[i], c.Records, c.HeadSeq, c.Head)
	}
}

// runBackup snapshots the SQLite database at path into out. The snapshot is
// written to a temporary file beside out, checked (checkDB), and only then
// given its name, so a failed backup never leaves a file that looks good.
func runBackup(ctx context.Context, path, out string, force bool) (rep fileReport, err error) {
	if _, err := os.Stat(path); err != nil {
		return rep, fmt.Errorf("database %s: %w", path, err)
	}
	if _, err := os.Stat(out); err == nil && !force {
		return rep, fmt.Errorf("%s exists: choose another --out, or pass --force to replace it", out)
	}
	src, err := sqlstore.Open(ctx, sqlstore.DSN{Driver: sqlstore.SQLite, Path: path}, nil)
	if err != nil {
		return rep, err
	}
	defer src.Close()
	if _, _, err := src.SchemaVersion(ctx); err != nil {
		return rep, fmt.Errorf("%s is not a migrated beian database: %w", path, err)
	}
	tmp, err := tempBeside(out)
	if err != nil {
		return rep, err
	}
	defer os.Remove(tmp) // gone already once renamed
	if err := src.VacuumInto(ctx, tmp); err != nil {
		return rep, err
	}
	snap, err := sqlstore.OpenFile(ctx, tmp)
	if err != nil {
		return rep, err
	}
	rep, err = checkDB(ctx, snap)
	snap.Close()
	if err != nil {
		return rep, fmt.Errorf("the snapshot failed its checks, no backup written: %w", err)
	}
	if rep.Size, err = fileSize(tmp); err != nil {
		return rep, err
	}
	return rep, place(tmp, out, force)
}

// runRestore checks the backup at from, copies it beside path, migrates and
// checks the copy, and puts it in place as path. It returns the backup's
// schema version and the report on the restored database.
func runRestore(ctx context.Context, from, path string, force bool) (before int, rep fileReport, err error) {
	if _, err := os.Stat(from); err != nil {
		return 0, rep, fmt.Errorf("backup %s: %w", from, err)
	}
	exists := false
	for _, p := range []string{path, path + "-wal"} {
		if _, err := os.Stat(p); err == nil {
			exists = true
		}
	}
	if exists && !force {
		return 0, rep, fmt.Errorf("%s exists: restore into another path, or pass --force to replace it (stop every beian process using it first)", path)
	}
	// The backup itself: an SQLite file, sound, of a schema this binary knows.
	snap, err := sqlstore.OpenFile(ctx, from)
	if err != nil {
		return 0, rep, fmt.Errorf("backup %s refused: %w", from, err)
	}
	err = snap.CheckIntegrity(ctx)
	if err == nil {
		before, rep.Known, err = snap.SchemaVersion(ctx)
		if err != nil {
			err = fmt.Errorf("%s is not a beian database (no schema_migrations): %w", from, err)
		}
	}
	snap.Close()
	switch {
	case err != nil:
		return 0, rep, fmt.Errorf("backup %s refused: %w", from, err)
	case before < 1:
		return 0, rep, fmt.Errorf("backup %s refused: it has no schema version (an empty database?)", from)
	case before > rep.Known:
		return 0, rep, fmt.Errorf("backup %s refused: schema version %d is newer than this binary's %d; restore it with the beian version that wrote it, or a newer one", from, before, rep.Known)
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return 0, rep, err
	}
	tmp, err := tempBeside(path)
	if err != nil {
		return 0, rep, err
	}
	defer removeDB(tmp) // gone already once renamed
	if err := copyFile(from, tmp); err != nil {
		return 0, rep, err
	}
	rep, err = migrateAndCheck(ctx, tmp)
	if err != nil {
		return 0, rep, fmt.Errorf("backup %s refused: %w", from, err)
	}
	if exists {
		// A running server keeps its database open in WAL mode; replacing the
		// file under it would lose its writes and confuse it.
		if err := sqlstore.Quiesce(ctx, path); errors.Is(err, sqlstore.ErrInUse) {
			return 0, rep, fmt.Errorf("%s is open in another process: stop every beian process using it, then restore again", path)
		}
		// Quiesce folded any -wal into the old file; stale -wal or -shm
		// files must never meet the restored one.
		for _, p := range []string{path + "-wal", path + "-shm"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return 0, rep, err
			}
		}
	}
	return before, rep, place(tmp, path, force)
}

// migrateAndCheck opens the copy at path, migrates it to this binary's
// schema, checks it, and leaves it as one self-contained file.
func migrateAndCheck(ctx context.Context, path string) (rep fileReport, err error) {
	d, err := sqlstore.Open(ctx, sqlstore.DSN{Driver: sqlstore.SQLite, Path: path}, nil)
	if err != nil {
		return rep, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return rep, fmt.Errorf("migrate: %w", err)
	}
	rep, err = checkDB(ctx, d)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rep, err
	}
	if err := sqlstore.Quiesce(ctx, path); err != nil {
		return rep, err
	}
	if rep.Size, err = fileSize(path); err != nil {
		return rep, err
	}
	return rep, sqlstore.SyncFile(path)
}

// checkDB proves d a sound beian database: SQLite's integrity and foreign
// key checks, a known schema version, and both audit chains intact.
func checkDB(ctx context.Context, d *sqlstore.DB) (rep fileReport, err error) {
	if err := d.CheckIntegrity(ctx); err != nil {
		return rep, err
	}
	if rep.Schema, rep.Known, err = d.SchemaVersion(ctx); err != nil {
		return rep, err
	}
	if rep.Schema < 1 || rep.Schema > rep.Known {
		return rep, fmt.Errorf("schema version %d is not one this binary knows (1…%d)", rep.Schema, rep.Known)
	}
	chains, err := auditContexts("")
	if err != nil {
		return rep, err
	}
	for _, ch := range chains {
		r, err := ch.Verify(ctx, d, "")
		if err != nil {
			return rep, err
		}
		rep.Chains = append(rep.Chains, r)
		rep.Names = append(rep.Names, ch.Context())
	}
	return rep, nil
}
