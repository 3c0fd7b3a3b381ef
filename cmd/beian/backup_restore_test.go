package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beian/beian/sqlstore"
)

// A damaged or foreign file is refused and nothing is put in place.
func TestRestoreRefusesBadBackups(t *testing.T) {
	good := backupOf(t)
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	sqlOn := func(stmts ...string) func(t *testing.T, p string) {
		return func(t *testing.T, p string) {
			d, err := sqlstore.Open(context.Background(), sqlstore.DSN{Driver: sqlstore.SQLite, Path: p}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			for _, s := range stmts {
				if _, err := d.SQL.Exec(s); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	known := len(mustMigrations(t))
	tests := []struct {
		name string
		make func(t *testing.T, p string)
		want string
	}{
		{"ErrNotSQLite", func(t *testing.T, p string) { write(t, p, []byte("id,name\n1,x\n")) }, "not an SQLite database"},
		{"ErrTruncated", func(t *testing.T, p string) { write(t, p, raw[:len(raw)/2]) }, "refused"},
		{"ErrGarbagePage", func(t *testing.T, p string) {
			b := append([]byte(nil), raw...)
			for i := 8192; i < 8192+4096; i++ {
				b[i] = byte(i * 7)
			}
			write(t, p, b)
		}, "refused"},
		{"ErrTamperedAudit", func(t *testing.T, p string) {
			write(t, p, raw)
			sqlOn(`UPDATE provider_audit SET actor = 'intruder' WHERE seq = 2`)(t, p)
		}, "provider audit chain broken: record 2"},
		{"ErrNewerSchema", func(t *testing.T, p string) {
			write(t, p, raw)
			sqlOn(fmt.Sprintf(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, 'future', 0)`, known+1))(t, p)
		}, "newer than this binary's"},
		{"ErrNotBeian", sqlOn(`CREATE TABLE notes (id INTEGER PRIMARY KEY)`), "not a beian database"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			from := filepath.Join(dir, "bad.db")
			tc.make(t, from)
			target := filepath.Join(dir, "target.db")
			code, _, stderr := invoke(t, nil, "restore", "--db", "sqlite://"+target, "--from", from)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 with %q", code, stderr, tc.want)
			}
			t.Log(strings.TrimSpace(stderr))
			if _, err := os.Stat(target); err == nil {
				t.Error("a refused restore put a database in place")
			}
			assertNoPartials(t, dir)
		})
	}
}

func write(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustMigrations(t *testing.T) []sqlstore.Migration {
	t.Helper()
	m, err := sqlstore.Migrations(sqlstore.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
