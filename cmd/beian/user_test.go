package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
)

// invokeStdin is invoke with standard input (user add reads the password there).
func invokeStdin(tb testing.TB, environ map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errb syncBuffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return environ[k] }}
	code = run(context.Background(), args, e)
	return code, out.String(), errb.String()
}

// migratedDB returns the URL of a migrated SQLite file in a temp folder.
func migratedDB(t *testing.T) string {
	t.Helper()
	url := "sqlite://" + filepath.Join(t.TempDir(), "beian.db")
	if code, _, stderr := invoke(t, nil, "migrate", "--db", url); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	return url
}

// API.md: `beian user add --db URL --role ROLE [--province P] --login LOGIN --password-stdin`.
func TestUserAdd(t *testing.T) {
	db := migratedDB(t)
	const pw = "correct horse battery"
	t.Run("OKCustomer", func(t *testing.T) {
		code, stdout, stderr := invokeStdin(t, nil, pw+"\n", "user", "add", "--db", db, "--role", "customer", "--login", "alice", "--password-stdin", "--name", "Alice")
		if code != 0 || stdout != "created customer alice (provider account 1)\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("OKBureauReviewerByProvinceName", func(t *testing.T) {
		code, stdout, stderr := invokeStdin(t, map[string]string{"BEIAN_DB": db}, pw+"\r\n", "user", "add", "--role", "bureau_reviewer", "--province", "浙江", "--login", "zj-bureau", "--password-stdin")
		if code != 0 || stdout != "created bureau_reviewer zj-bureau (registry account 1)\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("OKTheAccountsLogIn", func(t *testing.T) {
		dsn, _ := sqlstore.ParseDSN(db)
		d, err := sqlstore.Open(context.Background(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		s := &identity.Service{DB: d}
		sess, err := s.Login(context.Background(), "zj-bureau", pw, "192.0.2.1") // the line ending is not part of the password
		if err != nil || sess.Principal.Province != "330000" {
			t.Fatalf("login: %+v %v", sess.Principal, err)
		}
		if _, err := s.Login(context.Background(), "alice", pw, "192.0.2.1"); err != nil {
			t.Fatalf("login: %v", err)
		}
	})
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"ErrUnknownRole", pw, []string{"--role", "root", "--login", "bob", "--password-stdin"}, 2, "customer, provider_reviewer, verifier, provider_admin, bureau_reviewer, registry_admin"},
		{"ErrNoRole", pw, []string{"--login", "bob", "--password-stdin"}, 2, "--role is required"},
		{"ErrBureauReviewerWithoutProvince", pw, []string{"--role", "bureau_reviewer", "--login", "bob", "--password-stdin"}, 2, "add --province"},
		{"ErrUnknownProvince", pw, []string{"--role", "bureau_reviewer", "--province", "Atlantis", "--login", "bob", "--password-stdin"}, 2, "浙江"},
		{"ErrProvinceForOtherRole", pw, []string{"--role", "customer", "--province", "浙", "--login", "bob", "--password-stdin"}, 2, "drop --province"},
		{"ErrNoPasswordStdin", pw, []string{"--role", "customer", "--login", "bob"}, 2, "--password-stdin"},
		{"ErrEmptyStdin", "", []string{"--role", "customer", "--login", "bob", "--password-stdin"}, 2, "standard input held no password"},
		{"ErrShortPassword", "short\n", []string{"--role", "customer", "--login", "bob", "--password-stdin"}, 1, "at least 10 characters"},
		{"ErrLoginTakenInTheOtherContext", pw, []string{"--role", "registry_admin", "--login", "alice", "--password-stdin"}, 1, "already in use"},
		{"ErrBadLogin", pw, []string{"--role", "customer", "--login", "a b", "--password-stdin"}, 1, "--login:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"user", "add", "--db", db}, tc.args...)
			code, stdout, stderr := invokeStdin(t, nil, tc.stdin, args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.code, stdout, stderr, tc.want)
			}
		})
	}
	t.Run("ErrChineseMessages", func(t *testing.T) {
		code, _, stderr := invokeStdin(t, map[string]string{"LANG": "zh_CN.UTF-8"}, "short\n", "user", "add", "--db", db, "--role", "customer", "--login", "bob", "--password-stdin")
		if code != 1 || !strings.Contains(stderr, "请至少使用 10 个字符") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("ErrNotMigrated", func(t *testing.T) {
		fresh := "sqlite://" + filepath.Join(t.TempDir(), "fresh.db")
		code, _, stderr := invokeStdin(t, nil, pw, "user", "add", "--db", fresh, "--role", "customer", "--login", "bob", "--password-stdin")
		if code != 1 || !strings.Contains(stderr, "run 'beian migrate --db sqlite://") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}
