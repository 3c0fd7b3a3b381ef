package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
)

// API.md: `beian provider add --db URL --name NAME` prints the credential
// once, alone on standard output; --rotate replaces a lost one.
func TestProviderAdd(t *testing.T) {
	db := migratedDB(t)
	authenticate := func(cred string) (string, error) {
		t.Helper()
		d, err := sqlstore.Open(context.Background(), dsnOf(t, db), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		reg, err := regulator.New(d)
		if err != nil {
			t.Fatal(err)
		}
		return reg.AuthenticateProvider(context.Background(), cred)
	}
	code, stdout, stderr := invoke(t, nil, "provider", "add", "--db", db, "--name", "甲云")
	first := strings.TrimSpace(stdout)
	if code != 0 || stdout != first+"\n" || !strings.HasPrefix(first, regulator.CredentialPrefix) || strings.Contains(stderr, first) {
		t.Fatalf("add: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if name, err := authenticate(first); err != nil || name != "甲云" {
		t.Fatalf("the printed credential: %q, %v", name, err)
	}
	t.Run("ErrExistsSuggestsRotate", func(t *testing.T) {
		code, stdout, stderr := invoke(t, map[string]string{"BEIAN_DB": db}, "provider", "add", "--name", "甲云")
		if code != 1 || stdout != "" || !strings.Contains(stderr, "already registered") || !strings.Contains(stderr, "--rotate") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("Rotate", func(t *testing.T) {
		code, stdout, stderr := invoke(t, nil, "provider", "add", "--db", db, "--name", "甲云", "--rotate")
		second := strings.TrimSpace(stdout)
		if code != 0 || second == first || !strings.HasPrefix(second, regulator.CredentialPrefix) {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if _, err := authenticate(first); !beian.IsKind(err, beian.KindUnauthenticated) {
			t.Fatalf("the old credential: %v", err)
		}
		if name, err := authenticate(second); err != nil || name != "甲云" {
			t.Fatalf("the new credential: %q, %v", name, err)
		}
	})
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		errHas string
	}{
		{"ErrNoName", []string{"--db", db}, 2, "--name is required"},
		{"ErrLongName", []string{"--db", db, "--name", strings.Repeat("云", 101)}, 2, "1 to 100 characters"},
		{"ErrRotateUnknown", []string{"--db", db, "--name", "乙云", "--rotate"}, 1, "乙云"},
		{"ErrNotMigrated", []string{"--db", "sqlite://" + filepath.Join(t.TempDir(), "new.db"), "--name", "乙云"}, 1, "beian migrate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := invoke(t, nil, append([]string{"provider", "add"}, tc.args...)...)
			if code != tc.code || stdout != "" || !strings.Contains(stderr, tc.errHas) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d and %q", code, stdout, stderr, tc.code, tc.errHas)
			}
		})
	}
}
