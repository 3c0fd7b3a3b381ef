package sqlstore

import (
	"database/sql"
	"strings"
	"testing"
)

// max_conns caps the pool and never reaches the driver, which would refuse it.
func TestParseDSNMaxConns(t *testing.T) {
	d, err := ParseDSN("postgres://u:secret@db:5432/x?sslmode=disable&max_conns=12")
	if err != nil || d.MaxConns != 12 || strings.Contains(d.URL, "max_conns") || !strings.Contains(d.URL, "sslmode=disable") {
		t.Fatalf("got %+v, %v", d, err)
	}
	if d, _ := ParseDSN("postgres://u@db/x"); d.MaxConns != 0 || d.URL != "postgres://u@db/x" {
		t.Fatalf("without max_conns: %+v", d)
	}
}

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		name, in     string
		driver, path string
		errHas       string
	}{
		{"OKRelative", "sqlite://./beian.db", SQLite, "./beian.db", ""},
		{"OKAbsolute", "sqlite:///var/lib/beian/beian.db", SQLite, "/var/lib/beian/beian.db", ""},
		{"OKBare", "sqlite://beian.db", SQLite, "beian.db", ""},
		{"OKSpaces", "sqlite://./my data/b.db", SQLite, "./my data/b.db", ""},
		{"OKPostgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", Postgres, "", ""},
		{"OKPostgresql", "postgresql://u:p@db/x", Postgres, "", ""},
		{"ErrEmpty", "", "", "", "no database URL"},
		{"ErrNoScheme", "./beian.db", "", "", "no scheme"},
		{"ErrNoPath", "sqlite://", "", "", "names no file"},
		{"ErrScheme", "mysql://root@localhost/x", "", "", `"mysql" is not supported`},
		{"ErrNoHost", "postgres:///x", "", "", "no PostgreSQL host"},
		{"ErrMaxConnsWord", "postgres://u@db/x?max_conns=many", "", "", "max_conns=\"many\" is not a number"},
		{"ErrMaxConnsZero", "postgres://u@db/x?max_conns=0", "", "", "from 1 to 10000"},
		{"SQLiteCache", "sqlite://./big.db?cache_mb=512", SQLite, "./big.db", ""},
		{"ErrSQLiteParam", "sqlite://./big.db?mode=ro", "", "", "only parameter a sqlite:// URL takes is cache_mb"},
		{"ErrSQLiteCacheWord", "sqlite://./big.db?cache_mb=lots", "", "", `cache_mb="lots" is not a number`},
		{"ErrSQLiteNoPath", "sqlite://?cache_mb=8", "", "", "names no file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDSN(tc.in)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.errHas)
				}
				return
			}
			if err != nil || d.Driver != tc.driver || d.Path != tc.path {
				t.Fatalf("got %+v, %v", d, err)
			}
		})
	}
}

func TestDSNStringHidesPassword(t *testing.T) {
	for _, in := range []string{"postgres://u:s3cret@db:5432/x", "postgres://u@db/x?password=s3cret"} {
		d, err := ParseDSN(in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(d.String(), "s3cret") {
			t.Errorf("String() leaks the password: %s", d)
		}
	}
	if _, err := ParseDSN("post gres://u:s3cret@db"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks or accepts: %v", err)
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"sqlite://./b.db", "postgres://u:p@h:5432/d?sslmode=disable", "", "x", "sqlite://", "postgres://%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDSN(s)
		if err != nil {
			if strings.Contains(s, "@") && strings.Contains(s, ":") {
				scheme, _, _ := strings.Cut(strings.TrimSpace(s), "://")
				msg := strings.Replace(err.Error(), `"`+scheme+`"`, "", 1)
				if pw := passwordOf(s); len(pw) > 3 && strings.Contains(msg, pw) {
					t.Fatalf("error %q leaks password %q", err, pw)
				}
			}
			return
		}
		again, err := ParseDSN(d.String())
		if d.Driver == SQLite && (err != nil || again != d) {
			t.Fatalf("sqlite DSN does not round-trip: %+v → %q → %+v, %v", d, d.String(), again, err)
		}
	})
}

// passwordOf extracts the text between "://user:" and "@", if any.
func passwordOf(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	userinfo, _, ok := strings.Cut(rest, "@")
	if !ok {
		return ""
	}
	_, pw, _ := strings.Cut(userinfo, ":")
	return pw
}

// cache_mb reaches SQLite as its page cache and shows in the logged form.
func TestSQLiteCacheMB(t *testing.T) {
	d, err := ParseDSN("sqlite://" + t.TempDir() + "/c.db?cache_mb=64")
	if err != nil || d.CacheMB != 64 || !strings.HasSuffix(d.String(), "?cache_mb=64") {
		t.Fatalf("%+v %v", d, err)
	}
	db, err := Open(t.Context(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var kib int
	if err := db.SQL.QueryRowContext(t.Context(), `PRAGMA cache_size`).Scan(&kib); err != nil || kib != -64*1024 {
		t.Fatalf("cache_size = %d, %v; want -65536", kib, err)
	}
}

// Without cache_mb a SQLite connection gets DefaultSQLiteCacheMB, and the
// pool keeps every connection open when idle (a reopened connection loses
// its page cache and its statements).
func TestSQLiteDefaults(t *testing.T) {
	d, err := ParseDSN("sqlite://" + t.TempDir() + "/d.db")
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(t.Context(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var kib int
	if err := db.SQL.QueryRowContext(t.Context(), `PRAGMA cache_size`).Scan(&kib); err != nil || kib != -DefaultSQLiteCacheMB*1024 {
		t.Fatalf("cache_size = %d, %v; want %d", kib, err, -DefaultSQLiteCacheMB*1024)
	}
	// Hold every connection at once, then let them all go idle.
	ctx := t.Context()
	var conns []*sql.Conn
	for range SQLiteConns {
		c, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	if st := db.SQL.Stats(); st.Idle != SQLiteConns || st.MaxIdleClosed != 0 {
		t.Fatalf("pool after use: %d idle, %d closed for want of idle room; want %d and 0", st.Idle, st.MaxIdleClosed, SQLiteConns)
	}
}

// The default connection cap follows the machine: four a CPU, 8 to 32.
func TestPostgresConnsFor(t *testing.T) {
	for cpus, want := range map[int]int{1: 8, 2: 8, 3: 12, 4: 16, 8: 32, 64: 32} {
		if got := PostgresConnsFor(cpus); got != want {
			t.Errorf("PostgresConnsFor(%d) = %d, want %d", cpus, got, want)
		}
	}
}
