// Package sqlstore implements beian's stores on SQLite (embedded, the
// default) and PostgreSQL. This file parses the database URLs of API.md.
package sqlstore

import (
	"fmt"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// Drivers.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DSN is a parsed database URL.
type DSN struct {
	Driver string // SQLite or Postgres
	Path   string // SQLite: the file path (everything after "sqlite://")
	URL    string // PostgreSQL: the URL as given, for the driver (without max_conns)
	// MaxConns caps the process's connections to PostgreSQL (the URL's
	// max_conns parameter; 0 = DefaultPostgresConns). Several instances on
	// one server share its max_connections (docs/operations.md).
	MaxConns int
	// CacheMB is SQLite's page cache per connection in MiB (the URL's
	// cache_mb parameter, sqlite://PATH?cache_mb=N; 0 = SQLite's default of
	// about 2 MiB). Large registries import and query faster with a cache
	// sized for their indexes (docs/performance.md).
	CacheMB int
}

// DefaultPostgresConns is a process's connection cap on PostgreSQL when
// the URL sets no max_conns: PostgresConnsFor this machine's CPUs.
var DefaultPostgresConns = PostgresConnsFor(runtime.NumCPU())

// PostgresConnsFor is the default connection cap of a process on a
// machine with cpus CPUs: four a CPU, at least 8 and at most 32. More
// connections than a process can keep busy only add backends that compete
// for the CPUs (with PostgreSQL on the same machine, with the process
// itself): under beian bench api on 2 CPUs, alternated runs made 77.3 and
// 73.2 order steps/s with 8 against 73.2 and 71.9 with 32, the writes' p99
// about halved, the reads' rose (they queue for a connection;
// docs/performance.md, run 9).
func PostgresConnsFor(cpus int) int {
	return min(32, max(8, 4*cpus))
}

// SQLiteConns is a process's connections to a SQLite file, all kept open.
const SQLiteConns = 8

// DefaultSQLiteCacheMB is SQLite's page cache per connection in MiB when
// the URL sets no cache_mb: 16 MiB, against SQLite's own 2 MiB, which sent
// a provider's working set to the operating system a page at a time (a
// pread system call each; 5 % of the server's CPU under bench api). It is
// a ceiling, used only as pages are read: SQLiteConns × 16 MiB at most.
const DefaultSQLiteCacheMB = 16

// String returns the URL with any password replaced, safe for logs.
func (d DSN) String() string {
	if d.Driver == SQLite {
		if d.CacheMB > 0 {
			return "sqlite://" + d.Path + "?cache_mb=" + strconv.Itoa(d.CacheMB)
		}
		return "sqlite://" + d.Path
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return "postgres://…"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// ParseDSN parses a database URL (API.md): sqlite://PATH, where everything
// after "sqlite://" up to an optional "?cache_mb=N" is a file path
// (sqlite://./beian.db, sqlite:///var/lib/beian/beian.db), or postgres://…
// (postgresql:// too).
// The error says what a valid URL looks like.
func ParseDSN(s string) (DSN, error) {
	s = strings.TrimSpace(s)
	scheme, rest, ok := strings.Cut(s, "://")
	if s == "" {
		return DSN{}, fmt.Errorf("no database URL given; use sqlite://PATH (e.g. sqlite://./beian.db) or postgres://USER@HOST:PORT/DB")
	}
	if !ok {
		return DSN{}, fmt.Errorf("database URL %q has no scheme; use sqlite://PATH (e.g. sqlite://./beian.db) or postgres://USER@HOST:PORT/DB", redact(s))
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		if rest == "" {
			return DSN{}, fmt.Errorf("database URL sqlite:// names no file; write the path after it, e.g. sqlite://./beian.db or sqlite:///var/lib/beian/beian.db")
		}
		if strings.ContainsRune(rest, 0) {
			return DSN{}, fmt.Errorf("database URL: the SQLite path contains a NUL byte; give a plain file path")
		}
		d := DSN{Driver: SQLite, Path: rest}
		if path, query, ok := strings.Cut(rest, "?"); ok {
			q, err := url.ParseQuery(query)
			if err != nil || len(q) != 1 || !q.Has("cache_mb") {
				return DSN{}, fmt.Errorf("database URL: the only parameter a sqlite:// URL takes is cache_mb (the page cache in MiB), e.g. sqlite://./beian.db?cache_mb=512")
			}
			n, err := strconv.Atoi(q.Get("cache_mb"))
			if err != nil || n < 1 || n > 1<<20 {
				return DSN{}, fmt.Errorf("database URL: cache_mb=%q is not a number of MiB from 1 to 1048576; e.g. sqlite://./beian.db?cache_mb=512", q.Get("cache_mb"))
			}
			d.Path, d.CacheMB = path, n
		}
		if d.Path == "" {
			return DSN{}, fmt.Errorf("database URL sqlite:// names no file; write the path after it, e.g. sqlite://./beian.db or sqlite:///var/lib/beian/beian.db")
		}
		return d, nil
	case "postgres", "postgresql":
		u, err := url.Parse(s)
		if err != nil {
			return DSN{}, fmt.Errorf("database URL is not a valid postgres:// URL (%v); use postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable]", redactErr(err))
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return DSN{}, fmt.Errorf("database URL names no PostgreSQL host; use postgres://USER@HOST:PORT/DB")
		}
		d := DSN{Driver: Postgres, URL: s}
		if q := u.Query(); q.Has("max_conns") {
			n, err := strconv.Atoi(q.Get("max_conns"))
			if err != nil || n < 1 || n > 10000 {
				return DSN{}, fmt.Errorf("database URL: max_conns=%q is not a number of connections from 1 to 10000; e.g. postgres://USER@HOST/DB?max_conns=16", q.Get("max_conns"))
			}
			q.Del("max_conns")
			u.RawQuery = q.Encode()
			d.URL, d.MaxConns = u.String(), n
		}
		return d, nil
	default:
		if !plainScheme.MatchString(scheme) {
			return DSN{}, fmt.Errorf("database URL scheme is not supported; use sqlite://PATH or postgres://…")
		}
		return DSN{}, fmt.Errorf("database URL scheme %q is not supported; use sqlite://PATH or postgres://…", scheme)
	}
}

// plainScheme is a URL scheme worth echoing in an error (RFC 3986, short).
var plainScheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]{0,19}$`)

// redact hides anything that looks like a password in a URL-ish string.
func redact(s string) string {
	if at := strings.LastIndex(s, "@"); at >= 0 {
		return "…" + s[at:]
	}
	return s
}

func redactErr(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return "malformed URL"
}
