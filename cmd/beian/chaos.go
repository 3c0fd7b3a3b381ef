package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/beian/beian/sqlstore"
)

// chaosOptions are the settings of one `beian chaos` run (issue 9, item 4).
type chaosOptions struct {
	DB       string        // "" = a temporary SQLite file; postgres://… = a scratch database created and dropped
	Kills    int           // SIGKILLs of the crash scenario
	Clients  int           // customer clients of the crash scenario (×4 goroutines in the concurrency scenario)
	Fuzz     time.Duration // length of the bad-input scenario
	JSON     string        // also write the report here
	Keep     bool          // keep the temporary folder (SQLite file, server logs)
	SlowBody bool          // check that a slow body is cut off at the server's ReadTimeout
	Exe      string        // the beian binary to run `serve` from; "" = os.Executable()
	Out      io.Writer     // progress and the summary
	// childEnv is added to the children's environment (the test binary
	// uses it to behave as `beian`).
	childEnv []string
}

func chaosCommand() *command {
	var o chaosOptions
	return &command{
		name:    "chaos",
		summary: "crash, concurrency, bad-input and rate-limit abuse of real 'serve' processes, with counts",
		usage:   "[--db URL] [--kills 10] [--clients 50] [--fuzz 20s] [--json FILE] [--slow-body=true] [--keep]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.DB, "db", "", "database `URL`: empty = a temporary SQLite file; postgres://… = the server where a scratch database is created and dropped")
			fs.IntVar(&o.Kills, "kills", 10, "how many times the crash scenario kills 'serve' with SIGKILL")
			fs.IntVar(&o.Clients, "clients", 50, "customer clients under load (the concurrency scenario runs 4× as many goroutines)")
			fs.DurationVar(&o.Fuzz, "fuzz", 20*time.Second, "how long the bad-input scenario sends mutated bodies")
			fs.StringVar(&o.JSON, "json", "", "also write the counts as JSON to this `file`")
			fs.BoolVar(&o.Keep, "keep", false, "keep the temporary folder (the SQLite database and the servers' log) and print its path")
			fs.BoolVar(&o.SlowBody, "slow-body", true, "also check that a slow request body is cut off at the server's read timeout (8 s in this run)")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			if o.Kills < 0 || o.Clients < 1 || o.Fuzz < 0 {
				return usagef("beian chaos: --kills must be 0 or more, --clients 1 or more and --fuzz 0s or more")
			}
			o.Out = e.stdout
			rep, err := runChaos(e.ctx, o)
			if err != nil {
				return err
			}
			if len(rep.Failures) > 0 {
				return fmt.Errorf("chaos: %d invariant(s) failed (see the list above); fix the first one and run 'beian chaos' again", len(rep.Failures))
			}
			return nil
		},
	}
}

// chaosReport holds the counts of a run; printed at the end and written
// with --json.
type chaosReport struct {
	Engine      string        `json:"engine"`
	Seconds     float64       `json:"seconds"`
	Crash       crashCounts   `json:"crash"`
	Concurrency concCounts    `json:"concurrency"`
	BadInput    fuzzCounts    `json:"bad_input"`
	RateLimits  []limitCounts `json:"rate_limits"`
	Failures    []string      `json:"failures"`
	Notes       []string      `json:"notes"`
	mu          sync.Mutex
	seen        map[string]int
	started     time.Time
	out         io.Writer
}

// fail records a broken invariant (at most 10 of each kind are kept; the
// rest are counted).
func (r *chaosReport) fail(kind, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]int{}
	}
	r.seen[kind]++
	if r.seen[kind] <= 10 {
		msg := kind + ": " + strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
		r.Failures = append(r.Failures, msg)
		fmt.Fprintf(r.out, "  FAIL %s\n", msg)
	}
}

// note records something the run could not check, to say plainly.
func (r *chaosReport) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *chaosReport) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.out, "[%5.1fs] %s\n", time.Since(r.started).Seconds(), fmt.Sprintf(format, args...))
}

// runChaos runs the four scenarios one after the other on one scratch
// database and returns the counts; an error means the run itself could not
// go on (no server, no database), a broken invariant is in rep.Failures.
func runChaos(ctx context.Context, o chaosOptions) (rep *chaosReport, err error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	rep = &chaosReport{started: time.Now(), out: o.Out}
	dir, err := os.MkdirTemp("", "beian-chaos-")
	if err != nil {
		return rep, fmt.Errorf("create a temporary folder: %w (set TMPDIR to a writable folder)", err)
	}
	defer func() {
		if o.Keep {
			fmt.Fprintf(o.Out, "kept %s\n", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	dsn, drop, err := chaosScratch(ctx, o.DB, dir)
	if err != nil {
		return rep, err
	}
	defer drop()
	rep.Engine = dsn.Driver
	if o.Exe == "" {
		if o.Exe, err = os.Executable(); err != nil {
			return rep, fmt.Errorf("find the beian binary to run 'serve': %w", err)
		}
	}
	rep.logf("beian chaos on %s (%s); server logs in %s", dsn.Driver, dsn.String(), dir)
	w, err := newChaosWorld(ctx, o, dsn, dir, rep)
	if err != nil {
		return rep, err
	}
	defer w.close()

	if err := w.crash(ctx); err != nil {
		return rep, fmt.Errorf("crash scenario: %w", err)
	}
	if err := w.concurrency(ctx); err != nil {
		return rep, fmt.Errorf("concurrency scenario: %w", err)
	}
	if err := w.badInput(ctx); err != nil {
		return rep, fmt.Errorf("bad-input scenario: %w", err)
	}
	if err := w.rateLimits(ctx); err != nil {
		return rep, fmt.Errorf("rate-limit scenario: %w", err)
	}
	if err := w.finishSlow(ctx); err != nil {
		return rep, err
	}
	if err := w.srv.stop(); err != nil {
		rep.fail("shutdown", "the server did not stop cleanly on SIGTERM: %v", err)
	}
	rep.Seconds = time.Since(rep.started).Seconds()
	rep.print(o.Out)
	if o.JSON != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.JSON, append(b, '\n'), 0o644); err != nil {
			return rep, fmt.Errorf("write --json %s: %w", o.JSON, err)
		}
	}
	return rep, ctx.Err()
}

// chaosScratch makes the run's database: a SQLite file in dir, or a new
// PostgreSQL database on the server of raw, dropped by the returned func.
func chaosScratch(ctx context.Context, raw, dir string) (sqlstore.DSN, func(), error) {
	none := func() {}
	if raw == "" {
		return sqlstore.DSN{Driver: sqlstore.SQLite, Path: filepath.Join(dir, "chaos.db")}, none, nil
	}
	dsn, err := sqlstore.ParseDSN(raw)
	if err != nil {
		return dsn, none, usagef("beian chaos: --db: %v", err)
	}
	if dsn.Driver == sqlstore.SQLite {
		if _, err := os.Stat(dsn.Path); err == nil {
			return dsn, none, usagef("beian chaos: --db %s exists: chaos needs a new file (it kills the server on it); name one that does not exist", raw)
		}
		return dsn, func() { os.Remove(dsn.Path); os.Remove(dsn.Path + "-wal"); os.Remove(dsn.Path + "-shm") }, nil
	}
	admin, err := sql.Open("pgx", dsn.URL)
	if err != nil {
		return dsn, none, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "beian_chaos_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		return dsn, none, fmt.Errorf("create the scratch database %s: %w (the --db role needs CREATEDB)", name, err)
	}
	u, err := url.Parse(dsn.URL)
	if err != nil {
		admin.Close()
		return dsn, none, err
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		admin.Close()
	}
	return sqlstore.DSN{Driver: sqlstore.Postgres, URL: u.String()}, drop, nil
}

// print writes the counts and the failures.
func (r *chaosReport) print(w io.Writer) {
	fmt.Fprintf(w, "\nbeian chaos on %s: %.0f s\n", r.Engine, r.Seconds)
	c := r.Crash
	fmt.Fprintf(w, "  crash        kills survived %d/%d · orders checked %d (acknowledged %d) · numbers checked %d · due timers fired after restart %d · outbox messages drained %d · owed passwords issued %d · requests %d (5xx %d, cut by kills %d)\n",
		c.KillsSurvived, c.Kills, c.OrdersChecked, c.AcksChecked, c.NumbersChecked, c.TimersFired, c.OutboxDrained, c.PasswordsPaid, c.Requests, c.FiveXX, c.Dropped)
	k := r.Concurrency
	fmt.Fprintf(w, "  concurrency  %d goroutines on %d orders · PATCH %d ok / %d stale / %d other · submits %d ok of %d · decisions %d ok of %d · uploads %d ok of %d · registry submissions %d · idempotent repeats %d identical of %d\n",
		k.Goroutines, k.Orders, k.PatchOK, k.PatchStale, k.PatchOther, k.SubmitOK, k.Submits, k.DecisionOK, k.Decisions, k.UploadOK, k.Uploads, k.RegistrySubmissions, k.IdemIdentical, k.IdemRepeats)
	f := r.BadInput
	classes := make([]string, 0, len(f.ByClass))
	for c := range f.ByClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	var parts []string
	for _, c := range classes {
		parts = append(parts, fmt.Sprintf("%s %d", c, f.ByClass[c]))
	}
	fmt.Fprintf(w, "  bad input    %d mutated requests (%s) on %d routes · oversized refused 413: %d/%d · slow clients cut off: %d/%d\n",
		f.Requests, strings.Join(parts, ", "), f.Routes, f.TooLargeOK, f.TooLarge, f.SlowCut, f.Slow)
	for _, l := range r.RateLimits {
		fmt.Fprintf(w, "  rate limit   %-34s limit %3d × %d window(s): %3d sent, %3d allowed, %3d answered 429 (Retry-After ok %d)\n",
			l.Name, l.Limit, l.Windows, l.Sent, l.Allowed, l.Limited, l.RetryAfterOK)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if len(r.Failures) == 0 {
		fmt.Fprintln(w, "  every invariant held")
		return
	}
	fmt.Fprintf(w, "  %d invariant(s) FAILED:\n", len(r.Failures))
	for _, f := range r.Failures {
		fmt.Fprintf(w, "    - %s\n", f)
	}
	for kind, n := range r.seen {
		if n > 10 {
			fmt.Fprintf(w, "    (%s: %d more not shown)\n", kind, n-10)
		}
	}
}
