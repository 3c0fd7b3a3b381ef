package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// testNow is the pinned clock of these tests.
var testNow = time.Date(2026, 11, 30, 9, 0, 0, 0, beian.CST)

// newSQLiteDB returns a migrated SQLite database file in a temp folder,
// open on a pinned clock; it is closed when t ends.
func newSQLiteDB(t *testing.T) (*sqlstore.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "beian.db")
	d, err := sqlstore.Open(context.Background(), sqlstore.DSN{Driver: sqlstore.SQLite, Path: path}, beian.NewManualClock(testNow))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d, path
}

// appendBoth appends one record to each audit chain in one transaction:
// in any consistent snapshot both chains have the same length.
func appendBoth(ctx context.Context, d *sqlstore.DB, i int) error {
	return d.InTx(ctx, func(tx *sqlstore.Tx) error {
		for _, name := range []string{"provider", "registry"} {
			ch, err := audit.New(name)
			if err != nil {
				return err
			}
			if err := ch.Append(ctx, tx, audit.Entry{Actor: "system", Action: "backup.test", Entity: "test", EntityID: strconv.Itoa(i), After: map[string]int{"i": i}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// chainLengths counts the records of both chains in d.
func chainLengths(t *testing.T, d *sqlstore.DB) (provider, registry int64) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []struct {
		table string
		n     *int64
	}{{"provider_audit", &provider}, {"registry_audit", &registry}} {
		if err := d.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+q.table).Scan(q.n); err != nil {
			t.Fatal(err)
		}
	}
	return provider, registry
}

var headLine = regexp.MustCompile(`(?m)^provider audit: (\d+) records intact, head (\d+) ([0-9a-f]{64})$`)

// A backup taken while a writer commits is one point in time: both chains
// (written in the same transactions) have the same length, that length lies
// between what was committed before and after the backup, the audit chains
// verify, and the restored database opens, migrates and verifies too.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	d, src := newSQLiteDB(t)
	for i := 0; i < 20; i++ {
		if err := appendBoth(ctx, d, i); err != nil {
			t.Fatal(err)
		}
	}
	var committed atomic.Int64
	committed.Store(20)
	stop := make(chan struct{})
	done := make(chan error, 1) // the writer's end: nil when stopped
	go func() {
		for i := 20; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := appendBoth(ctx, d, i); err != nil {
				done <- err
				return
			}
			committed.Add(1)
		}
	}()
	// waitFor waits until the writer has committed n transactions; false
	// when it has stopped first.
	waitFor := func(n int64) bool {
		for committed.Load() < n {
			select {
			case err := <-done:
				done <- err
				return false
			case <-time.After(time.Millisecond):
			}
		}
		return true
	}
	// Let the writer get going, so the backup runs while it writes.
	waitFor(40)
	before := committed.Load()
	out := filepath.Join(t.TempDir(), "snap.db")
	code, stdout, stderr := invoke(t, nil, "backup", "--db", "sqlite://"+src, "--out", out)
	after := committed.Load()
	// The writer keeps committing after the backup: it was never blocked.
	waitFor(after + 10)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer failed beside the backup: %v", err)
	}
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"backup " + out + " written", "size ", "schema version ", "registry audit: ", "blob folder"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("backup output lacks %q:\n%s", want, stdout)
		}
	}
	m := headLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no provider head in the output:\n%s", stdout)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	t.Logf("committed before the backup %d, in it %d, after it %d", before, n, after)
	if n < before || n > after {
		t.Errorf("backup holds %d transactions; committed before %d, after %d", n, before, after)
	}

	snap, err := sqlstore.OpenFile(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	p, r := chainLengths(t, snap)
	snap.Close()
	if p != n || r != n {
		t.Errorf("snapshot chains: provider %d, registry %d; the output said %d", p, r, n)
	}
	if _, err := os.Stat(out + "-wal"); err == nil {
		t.Error("the backup left a -wal file: it must be one self-contained file")
	}

	// Restore into a new path; open it as a server would.
	target := filepath.Join(t.TempDir(), "sub", "restored.db")
	code, stdout, stderr = invoke(t, nil, "restore", "--db", "sqlite://"+target, "--from", out)
	if code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "restored "+out+" into "+target) || headLine.FindStringSubmatch(stdout)[3] != m[3] {
		t.Errorf("restore output:\n%s\nwant the backup's head %s", stdout, m[3])
	}
	rd, err := sqlstore.Open(ctx, sqlstore.DSN{Driver: sqlstore.SQLite, Path: target}, beian.NewManualClock(testNow))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if p, r := chainLengths(t, rd); p != n || r != n {
		t.Errorf("restored chains: provider %d, registry %d; want %d", p, r, n)
	}
	for name, kept := range map[string]string{"provider": m[3], "registry": ""} {
		ch, _ := audit.New(name)
		rep, err := ch.Verify(ctx, rd, kept)
		if err != nil {
			t.Fatalf("%s chain of the restored database: %v", name, err)
		}
		if rep.Records != n {
			t.Errorf("%s: %d records verified, want %d", name, rep.Records, n)
		}
	}
	// The restored database takes writes and its chain carries on.
	if err := appendBoth(ctx, rd, 1e6); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := invoke(t, nil, "audit", "verify", "--db", "sqlite://"+target, "--head", m[3]); code != 0 {
		t.Errorf("audit verify of the restored database: exit %d: %s", code, stderr)
	}
	assertNoPartials(t, filepath.Dir(out), filepath.Dir(target))
}

// assertNoPartials fails when a temporary file of backup or restore is left.
func assertNoPartials(t *testing.T, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.Contains(e.Name(), ".partial-") {
				t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
			}
		}
	}
}

// backupOf writes a backup of a small database with a few audit records
// and returns its path.
func backupOf(t *testing.T) string {
	t.Helper()
	d, src := newSQLiteDB(t)
	for i := 0; i < 3; i++ {
		if err := appendBoth(context.Background(), d, i); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "b.db")
	if code, _, stderr := invoke(t, nil, "backup", "--db", "sqlite://"+src, "--out", out); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	return out
}

// PostgreSQL is refused with the pg_dump / pg_restore procedure; missing
// flags and missing files are named.
func TestBackupRefusals(t *testing.T) {
	pg := "postgres://beian@127.0.0.1:5432/beian?sslmode=disable"
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"ErrBackupPostgres", []string{"backup", "--db", pg, "--out", filepath.Join(dir, "x")}, 2, "pg_dump --format=custom"},
		{"ErrRestorePostgres", []string{"restore", "--db", pg, "--from", filepath.Join(dir, "x")}, 2, "pg_restore"},
		{"ErrBackupNoOut", []string{"backup", "--db", "sqlite://" + filepath.Join(dir, "a.db")}, 2, "--out FILE is required"},
		{"ErrRestoreNoFrom", []string{"restore", "--db", "sqlite://" + filepath.Join(dir, "a.db")}, 2, "--from FILE is required"},
		{"ErrBackupNoDatabase", []string{"backup", "--db", "sqlite://" + filepath.Join(dir, "none.db"), "--out", filepath.Join(dir, "x")}, 1, "none.db"},
		{"ErrRestoreNoBackup", []string{"restore", "--db", "sqlite://" + filepath.Join(dir, "a.db"), "--from", filepath.Join(dir, "none.db")}, 1, "none.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := invoke(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d with %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	// A refused backup never creates the database it was pointed at.
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Error("backup of a missing database created it")
	}
}

// Neither command overwrites a file without --force; with it they do, and
// restore still refuses a database another process holds open.
func TestBackupOverwrite(t *testing.T) {
	ctx := context.Background()
	d, src := newSQLiteDB(t)
	out := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(out, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrBackupOutExists", func(t *testing.T) {
		code, _, stderr := invoke(t, nil, "backup", "--db", "sqlite://"+src, "--out", out)
		if code != 1 || !strings.Contains(stderr, "--force") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if b, _ := os.ReadFile(out); string(b) != "keep me" {
			t.Fatal("the existing file was changed")
		}
	})
	t.Run("OKBackupForce", func(t *testing.T) {
		if err := appendBoth(ctx, d, 1); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := invoke(t, nil, "backup", "--db", "sqlite://"+src, "--out", out, "--force")
		if code != 0 || !strings.Contains(stdout, "provider audit: 1 records intact") {
			t.Fatalf("exit %d: %s%s", code, stdout, stderr)
		}
	})
	target := filepath.Join(t.TempDir(), "live.db")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrRestoreTargetExists", func(t *testing.T) {
		code, _, stderr := invoke(t, nil, "restore", "--db", "sqlite://"+target, "--from", out)
		if code != 1 || !strings.Contains(stderr, "--force") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if b, _ := os.ReadFile(target); string(b) != "old" {
			t.Fatal("the existing database was changed")
		}
	})
	t.Run("OKRestoreForce", func(t *testing.T) {
		code, _, stderr := invoke(t, nil, "restore", "--db", "sqlite://"+target, "--from", out, "--force")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if code, stdout, _ := invoke(t, nil, "audit", "verify", "--db", "sqlite://"+target); code != 0 || !strings.Contains(stdout, "provider: 1 records intact") {
			t.Fatalf("restored database: exit %d: %s", code, stdout)
		}
	})
	t.Run("ErrRestoreTargetInUse", func(t *testing.T) {
		live, err := sqlstore.Open(ctx, sqlstore.DSN{Driver: sqlstore.SQLite, Path: target}, beian.NewManualClock(testNow))
		if err != nil {
			t.Fatal(err)
		}
		defer live.Close()
		if err := appendBoth(ctx, live, 2); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := invoke(t, nil, "restore", "--db", "sqlite://"+target, "--from", out, "--force")
		if code != 1 || !strings.Contains(stderr, "open in another process") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		// The live database is untouched and still works.
		if err := appendBoth(ctx, live, 3); err != nil {
			t.Fatal(err)
		}
		if p, _ := chainLengths(t, live); p != 3 {
			t.Fatalf("live database has %d records, want 3", p)
		}
	})
	assertNoPartials(t, filepath.Dir(out), filepath.Dir(target))
}
