package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
)

// Targets printed beside the figures (PRODUCT.md, "Growing past one machine").
const (
	targetImportShare = 0.5 // the import reaches half the engine's own bulk-load rate
	targetLookupP99   = 2 * time.Millisecond
)

// benchOptions are the flags of `beian bench registry`.
type benchOptions struct {
	db, jsonPath string
	n, queries   int
	batch        int
	seed         int64
	keep         bool
	resumeSecs   float64 // SQLite: the file holds the import already, which took this long
}

// benchCommand is `beian bench registry|gate|api …`; never part of `go test`.
func benchCommand() *command {
	var o benchOptions
	var api benchAPIOptions
	const name, usage = "bench", "registry --db URL [--n 100000] [--queries 2000] [--batch 5000] [--seed 1] [--json FILE] [--keep]\n" +
		"       beian bench api --db URL [--clients 50] [--duration 60s] [--reviewers 4] [--json FILE] [--svg FILE] [--pgbench=true]"
	return &command{
		name:    name,
		summary: "run the benchmarks (gate, registry, api)",
		usage:   usage,
		args:    "KIND",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.db, "db", "", "database `URL`: sqlite://PATH (a new file; the engine's bulk load uses PATH.bulk) or postgres://… (scratch schemas, dropped afterwards)")
			fs.IntVar(&o.n, "n", 100000, "synthetic filings (CSV rows) to generate and import")
			fs.IntVar(&o.queries, "queries", 2000, "lookups of each kind (domain, number, name)")
			fs.IntVar(&o.batch, "batch", regulator.DefaultImportBatch, "import rows per transaction")
			fs.Int64Var(&o.seed, "seed", 1, "seed of the synthetic filings")
			fs.StringVar(&o.jsonPath, "json", "", "also write the figures as JSON to this `file`")
			fs.BoolVar(&o.keep, "keep", false, "keep the scratch schemas or files")
			fs.Float64Var(&o.resumeSecs, "resume-import", 0, "registry, SQLite: the file already holds this benchmark's import (same --n and --seed; e.g. a run stopped in its bulk load), which took this many `seconds`: measure only the bulk load and the lookups")
			benchAPIFlags(fs, &api)
		},
		run: func(e *env, fs *flag.FlagSet) error {
			args, err := positionalArgs(e, fs, name, usage)
			if err != nil {
				return err
			}
			kind := strings.Join(args, " ")
			switch kind {
			case "registry":
			case "gate":
				return benchGate(e.ctx, e, o)
			case "api":
				return benchAPI(e.ctx, e, o, api)
			default:
				return usagef("beian bench: name one benchmark: registry, gate or api (got %q)", kind)
			}
			if o.db == "" || o.n < 1 || o.queries < 1 || o.batch < 1 {
				return usagef("beian bench registry: needs --db URL, and --n, --queries and --batch of at least 1")
			}
			return benchRegistry(e.ctx, e, o)
		},
	}
}

// benchResult is the JSON of one run.
type benchResult struct {
	Engine      string       `json:"engine"`
	Rows        int          `json:"rows"`
	Subjects    int          `json:"subjects"`
	Seed        int64        `json:"seed"`
	Batch       int          `json:"batch"`
	ImportSecs  float64      `json:"import_seconds"`
	ImportRate  float64      `json:"import_rows_per_second"`
	BulkMethod  string       `json:"bulk_method"`
	BulkSecs    float64      `json:"bulk_seconds"`
	BulkRate    float64      `json:"bulk_rows_per_second"`
	ImportShare float64      `json:"import_share"` // ImportRate / BulkRate
	ShareTarget float64      `json:"import_share_target"`
	Lookups     []lookupStat `json:"lookups"`
	Pass        bool         `json:"pass"` // every target met
}

// lookupStat is the latency of one lookup kind.
type lookupStat struct {
	Kind     string   `json:"kind"`
	Queries  int      `json:"queries"`
	Found    int      `json:"found"`
	P50ms    float64  `json:"p50_ms"`
	P99ms    float64  `json:"p99_ms"`
	MaxMs    float64  `json:"max_ms"`
	TargetMs *float64 `json:"target_p99_ms,omitempty"`
}

// benchRegistry generates, imports, bulk-loads and queries; see docs/performance.md.
func benchRegistry(ctx context.Context, e *env, o benchOptions) error {
	dsn, err := sqlstore.ParseDSN(o.db)
	if err != nil {
		return usagef("beian bench: --db: %v", err)
	}
	target, bulk, cleanup, err := benchScratch(ctx, dsn, o.keep)
	if err != nil {
		return err
	}
	defer cleanup()
	d, err := sqlstore.Open(ctx, target, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	var held int
	if err := d.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_subjects`).Scan(&held); err != nil {
		return err
	}
	r, err := regulator.New(d)
	if err != nil {
		return err
	}
	if o.resumeSecs > 0 {
		if dsn.Driver != sqlstore.SQLite || held == 0 {
			return usagef("beian bench registry: --resume-import needs a SQLite file that holds the benchmark's import (%d subjects there)", held)
		}
		return benchResume(ctx, e, o, d, r, bulk, held)
	}
	if held > 0 {
		return fmt.Errorf("the registry at %s already holds %d subjects: the benchmark needs an empty one (a new SQLite file)", target, held)
	}
	f, err := os.CreateTemp("", "beian-bench-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	sample, err := regulator.WriteSynthetic(f, o.n, o.seed, o.queries)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return err
	}
	res := benchResult{Engine: dsn.Driver, Rows: o.n, Seed: o.seed, Batch: o.batch, ShareTarget: targetImportShare}
	fmt.Fprintf(e.stderr, "importing %d synthetic filings into %s …\n", o.n, target)
	cr := &countingReader{r: f}
	p := newProgress(e.stderr, size, cr)
	start := time.Now()
	st, err := (&regulator.Importer{Registry: r, Batch: o.batch, Progress: p.update, Source: "bench"}).Import(ctx, cr)
	res.ImportSecs = time.Since(start).Seconds()
	p.finish()
	if err != nil {
		return err
	}
	if st.Imported != o.n {
		return fmt.Errorf("the import wrote %d of %d rows (%d bad): the generator and the importer disagree", st.Imported, o.n, st.Bad)
	}
	res.Subjects, res.ImportRate = st.Subjects, float64(o.n)/res.ImportSecs
	return benchFinish(ctx, e, o, d, r, bulk, sample, res)
}

// benchResume measures the bulk load and the lookups of a SQLite file that
// holds the import already (--resume-import).
func benchResume(ctx context.Context, e *env, o benchOptions, d *sqlstore.DB, r *regulator.Registry, bulk sqlstore.DSN, subjects int) error {
	fmt.Fprintf(e.stderr, "regenerating the sample of %d synthetic filings (seed %d) …\n", o.n, o.seed)
	sample, err := regulator.WriteSynthetic(io.Discard, o.n, o.seed, o.queries)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	res := benchResult{Engine: d.Driver, Rows: o.n, Subjects: subjects, Seed: o.seed, Batch: o.batch, ShareTarget: targetImportShare,
		ImportSecs: o.resumeSecs, ImportRate: float64(o.n) / o.resumeSecs}
	return benchFinish(ctx, e, o, d, r, bulk, sample, res)
}

// benchFinish runs the bulk load and the lookups after the import and
// reports.
func benchFinish(ctx context.Context, e *env, o benchOptions, d *sqlstore.DB, r *regulator.Registry, bulk sqlstore.DSN, sample regulator.BenchSample, res benchResult) error {
	var err error
	fmt.Fprintf(e.stderr, "bulk-loading the same rows into a fresh copy of the tables …\n")
	if res.BulkMethod, res.BulkSecs, err = bulkLoad(ctx, d, bulk); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	res.BulkRate = float64(o.n) / res.BulkSecs
	res.ImportShare = res.ImportRate / res.BulkRate
	fmt.Fprintf(e.stderr, "looking up …\n")
	res.Pass = res.ImportShare >= targetImportShare
	for _, kind := range []string{"domain", "number", "name prefix"} {
		ls, err := lookups(ctx, r, kind, sample, o.queries)
		if err != nil {
			return err
		}
		if kind != "name prefix" { // PRODUCT.md sets no target for name search
			ms := float64(targetLookupP99) / float64(time.Millisecond)
			ls.TargetMs = &ms
			res.Pass = res.Pass && ls.P99ms < ms && ls.Found == ls.Queries
		}
		res.Lookups = append(res.Lookups, ls)
	}
	printBench(e.stdout, res)
	if o.jsonPath != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// lookups runs queries public queries of one kind, cycling through the
// sample's values of that kind.
func lookups(ctx context.Context, r *regulator.Registry, kind string, sample regulator.BenchSample, queries int) (lookupStat, error) {
	ls := lookupStat{Kind: kind, Queries: queries}
	values, q := sample.Names, func(v string) regulator.QueryRequest { return regulator.QueryRequest{Name: v} }
	switch kind {
	case "domain":
		values, q = sample.Domains, func(v string) regulator.QueryRequest { return regulator.QueryRequest{Domain: v} }
	case "number":
		values, q = sample.Numbers, func(v string) regulator.QueryRequest { return regulator.QueryRequest{Number: v} }
	}
	if len(values) == 0 {
		return ls, fmt.Errorf("no %s values to look up", kind)
	}
	took := make([]time.Duration, 0, queries)
	for i := range queries {
		start := time.Now()
		res, err := r.Query(ctx, q(values[i%len(values)]))
		took = append(took, time.Since(start))
		if err != nil {
			return ls, fmt.Errorf("lookup by %s %q: %w", kind, values[i%len(values)], err)
		}
		if res.Total > 0 {
			ls.Found++
		}
	}
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	ls.P50ms, ls.P99ms, ls.MaxMs = ms(took[len(took)/2]), ms(took[(len(took)*99)/100]), ms(took[len(took)-1])
	return ls, nil
}

// printBench writes the figures with their targets.
func printBench(w io.Writer, res benchResult) {
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "beian bench registry — %s, %d rows (%d subjects), seed %d, batch %d\n\n", res.Engine, res.Rows, res.Subjects, res.Seed, res.Batch)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tfigure\ttarget\t")
	fmt.Fprintf(tw, "import (Importer)\t%.0f rows/s (%.1f s)\t\t\n", res.ImportRate, res.ImportSecs)
	fmt.Fprintf(tw, "engine bulk load (%s)\t%.0f rows/s (%.1f s)\t\t\n", res.BulkMethod, res.BulkRate, res.BulkSecs)
	fmt.Fprintf(tw, "import / bulk load\t%.0f %%\t≥ %.0f %%  %s\t\n", 100*res.ImportShare, 100*res.ShareTarget, verdict(res.ImportShare >= res.ShareTarget))
	for _, l := range res.Lookups {
		target := "—"
		if l.TargetMs != nil {
			target = fmt.Sprintf("p99 < %.0f ms  %s", *l.TargetMs, verdict(l.P99ms < *l.TargetMs && l.Found == l.Queries))
		}
		fmt.Fprintf(tw, "lookup by %s (%d, %d found)\tp50 %.2f ms  p99 %.2f ms  max %.1f ms\t%s\t\n", l.Kind, l.Queries, l.Found, l.P50ms, l.P99ms, l.MaxMs, target)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nall targets met: %v\n", res.Pass)
}

// benchScratch returns where the import and the bulk load run: on SQLite
// the given file and a .bulk file beside it; on PostgreSQL two scratch
// schemas in the given database. cleanup removes them unless keep is set.
func benchScratch(ctx context.Context, dsn sqlstore.DSN, keep bool) (target, bulk sqlstore.DSN, cleanup func(), err error) {
	if dsn.Driver == sqlstore.SQLite {
		bulk = sqlstore.DSN{Driver: sqlstore.SQLite, Path: dsn.Path + ".bulk", CacheMB: dsn.CacheMB}
		rm := func() {
			for _, s := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(bulk.Path + s)
			}
		}
		if rm(); keep {
			rm = func() {}
		}
		return dsn, bulk, rm, nil
	}
	admin, err := sql.Open("pgx", dsn.URL)
	if err != nil {
		return target, bulk, nil, err
	}
	base := "beian_bench_" + strings.ToLower(rand.Text()[:8])
	cleanup = func() {
		if !keep {
			for _, s := range []string{base, base + "_bulk"} {
				_, _ = admin.Exec(`DROP SCHEMA IF EXISTS ` + s + ` CASCADE`)
			}
		}
		admin.Close()
	}
	withSchema := func(schema string) (sqlstore.DSN, error) {
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			return sqlstore.DSN{}, err
		}
		u, err := url.Parse(dsn.URL)
		if err != nil {
			return sqlstore.DSN{}, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return sqlstore.DSN{Driver: sqlstore.Postgres, URL: u.String()}, nil
	}
	if target, err = withSchema(base); err == nil {
		bulk, err = withSchema(base + "_bulk")
	}
	if err != nil {
		cleanup()
		return target, bulk, nil, fmt.Errorf("create the scratch schemas: %w", err)
	}
	return target, bulk, cleanup, nil
}

// benchTables are the tables the import writes (the audit chain aside: one
// record per batch).
var benchTables = []string{"registry_subjects", "registry_websites", "registry_website_domains",
	"registry_access", "registry_status_history", "registry_serials"}

// bulkLoad copies every row the import wrote into a fresh, migrated copy
// of the tables at dst with the engine's own bulk path, in one transaction:
// COPY FROM STDIN (pgx CopyFrom) on PostgreSQL, prepared single-row inserts
// on SQLite; on PostgreSQL it then runs the ANALYZE the import ends with.
// Only the loading is timed, not the reading of the rows.
func bulkLoad(ctx context.Context, src *sqlstore.DB, dst sqlstore.DSN) (method string, secs float64, err error) {
	d, err := sqlstore.Open(ctx, dst, nil)
	if err != nil {
		return "", 0, err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return "", 0, err
	}
	var spent time.Duration
	timed := func(fn func() error) error {
		start := time.Now()
		err := fn()
		spent += time.Since(start)
		return err
	}
	if d.Driver == sqlstore.Postgres {
		conn, err := d.SQL.Conn(ctx)
		if err != nil {
			return "", 0, err
		}
		defer conn.Close()
		err = conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			tx, err := pc.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			for _, t := range benchTables {
				cols, rows, err := readTable(ctx, src, t)
				if err == nil {
					err = timed(func() error { _, err := tx.CopyFrom(ctx, pgx.Identifier{t}, cols, pgx.CopyFromRows(rows)); return err })
				}
				if err != nil {
					return fmt.Errorf("%s: %w", t, err)
				}
			}
			if err := timed(func() error { return tx.Commit(ctx) }); err != nil {
				return err
			}
			// The import ends with ANALYZE so that the public query plans
			// well on the tables it grew; the bulk load does the same.
			return timed(func() error { _, err := pc.Exec(ctx, `ANALYZE `+strings.Join(benchTables[:3], ", ")); return err })
		})
		return "COPY, then ANALYZE as the import", spent.Seconds(), err
	}
	tx, err := d.SQL.BeginTx(ctx, nil)
	if err != nil {
		return "", 0, err
	}
	defer tx.Rollback()
	for _, t := range benchTables {
		// Read in chunks by rowid (not timed), so that ten million filings'
		// status history never has to fit in memory at once.
		var st *sql.Stmt
		for after := int64(0); ; {
			cols, rows, last, err := readChunk(ctx, src, t, after, 200_000)
			if err != nil {
				return "", 0, err
			}
			if len(rows) == 0 {
				break
			}
			after = last
			err = timed(func() error {
				if st == nil {
					if st, err = tx.PrepareContext(ctx, `INSERT INTO `+t+` (`+strings.Join(cols, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(cols)-1)+`)`); err != nil {
						return err
					}
				}
				for _, row := range rows {
					if _, err := st.ExecContext(ctx, row...); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return "", 0, fmt.Errorf("%s: %w", t, err)
			}
		}
		if st != nil {
			st.Close()
		}
	}
	return "prepared inserts", spent.Seconds(), timed(tx.Commit)
}

// readChunk reads up to n rows of a SQLite table after rowid after, in
// rowid order, and returns the last rowid read.
func readChunk(ctx context.Context, db *sqlstore.DB, table string, after int64, n int) ([]string, [][]any, int64, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT rowid, * FROM `+table+` WHERE rowid > ? ORDER BY rowid LIMIT ?`, after, n)
	if err != nil {
		return nil, nil, 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, 0, err
	}
	var out [][]any
	last := after
	for rows.Next() {
		vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
		ptrs[0] = &last
		for i := 1; i < len(vals); i++ {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, 0, err
		}
		out = append(out, vals[1:])
	}
	return cols[1:], out, last, rows.Err()
}

// readTable reads all rows of a table.
func readTable(ctx context.Context, db *sqlstore.DB, table string) ([]string, [][]any, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]any
	for rows.Next() {
		vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		out = append(out, vals)
	}
	return cols, out, rows.Err()
}
