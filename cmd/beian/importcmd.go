package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
)

// importRegistryCommand is `beian import registry --db URL [--report FILE]
// [--batch N] FILE.csv` (API.md): existing filings into the registry, bad
// rows to a report. The file may also be named with --file, and flags may
// follow it.
func importRegistryCommand() *command {
	var db, file, report string
	var batch int
	const name, usage = "import registry", "--db URL [--report FILE] [--batch N] FILE.csv"
	return &command{
		name:    name,
		summary: "import existing filings from CSV",
		usage:   usage,
		args:    "FILE.csv",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", "sqlite://./beian.db", "database `URL`: sqlite://PATH or postgres://…")
			fs.StringVar(&file, "file", "", "the CSV `file` to import (or give it as the argument); header: "+strings.Join(regulator.ImportHeader, ","))
			fs.StringVar(&report, "report", "", "`file` for the bad rows with their reasons (default FILE.bad.csv beside the input)")
			fs.IntVar(&batch, "batch", regulator.DefaultImportBatch, "rows per transaction")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			args, err := positionalArgs(e, fs, name, usage)
			if err != nil {
				return err
			}
			switch {
			case len(args) > 1:
				return usagef("beian %s: one file at a time; got %q", name, args)
			case len(args) == 1 && file != "" && file != args[0]:
				return usagef("beian %s: two files named: --file %q and %q; give one", name, file, args[0])
			case len(args) == 1:
				file = args[0]
			case file == "":
				return usagef("beian %s: name the CSV file to import: beian %s %s", name, name, usage)
			}
			if batch < 1 {
				return usagef("beian %s: --batch must be at least 1", name)
			}
			if report == "" {
				report = strings.TrimSuffix(file, ".csv") + ".bad.csv"
			}
			return runImport(e, db, file, report, batch)
		},
	}
}

// runImport opens the database and the files and runs the import with a
// progress display on stderr and a summary on stdout.
func runImport(e *env, dbURL, file, report string, batch int) error {
	in, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open the import file: %w", err)
	}
	defer in.Close()
	var size int64
	if fi, err := in.Stat(); err == nil {
		size = fi.Size()
	}
	d, err := openMigrated(e, "import registry", dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	r, err := regulator.New(d)
	if err != nil {
		return err
	}
	out, err := os.Create(report)
	if err != nil {
		return fmt.Errorf("create the report file: %w", err)
	}
	defer out.Close()
	cr := &countingReader{r: in}
	p := newProgress(e.stderr, size, cr)
	im := &regulator.Importer{Registry: r, Batch: batch, Report: out, Progress: p.update, Source: file}
	st, err := im.Import(regulator.WithActor(e.ctx, "import"), cr)
	p.finish()
	elapsed := time.Since(p.start)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write the report file: %w", cerr)
	}
	if errors.Is(err, regulator.ErrImportHeader) {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(e.stdout, "rows      %d\nimported  %d\nskipped   %d (already present)\nbad       %d\nrate      %.0f rows/s (%s)\nreport    %s\n",
		st.Rows, st.Imported, st.Skipped, st.Bad, float64(st.Rows)/max(elapsed.Seconds(), 1e-9), elapsed.Round(time.Millisecond), report)
	if err != nil {
		return fmt.Errorf("%w; the batches before this point are saved: run the same command again to import the rest (rows already present are skipped)", err)
	}
	return nil
}

// openMigrated opens the database and checks that its schema is current.
func openMigrated(e *env, cmd, url string) (*sqlstore.DB, error) {
	d, err := openDB(e.ctx, cmd, url)
	if err != nil {
		return nil, err
	}
	applied, known, err := d.SchemaVersion(e.ctx)
	if err == nil && applied < known {
		err = fmt.Errorf("the database schema is at version %d of %d: run 'beian migrate --db …' first", applied, known)
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// positionalArgs returns the command's positional arguments and parses the
// flags that follow them too: the flag package stops at the first
// argument, so `beian import registry FILE.csv --db URL` would otherwise
// leave --db unread.
func positionalArgs(e *env, fs *flag.FlagSet, name, usage string) ([]string, error) {
	var out []string
	for fs.NArg() > 0 {
		out = append(out, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(e.stdout, "usage: beian %s %s\n\nflags (flag > environment > config file > default):\n", name, usage)
			printFlags(e.stdout, fs)
			return nil, err
		} else if err != nil {
			return nil, usagef("beian %s: %v; run 'beian %s --help' to see its flags", name, err, name)
		}
	}
	return out, nil
}

// countingReader counts the bytes read through it, for the progress display.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// progress shows an import's advance: one line rewritten with \r when w is
// a terminal, otherwise a line every few seconds.
type progress struct {
	w           io.Writer
	tty         bool
	size        int64 // bytes of the input; 0 when unknown
	in          *countingReader
	start, last time.Time
	done, bad   int
}

func newProgress(w io.Writer, size int64, in *countingReader) *progress {
	f, ok := w.(*os.File)
	tty := false
	if ok {
		if fi, err := f.Stat(); err == nil {
			tty = fi.Mode()&os.ModeCharDevice != 0
		}
	}
	now := time.Now()
	return &progress{w: w, tty: tty, size: size, in: in, start: now, last: now}
}

// update is the Importer's Progress callback.
func (p *progress) update(done, bad int) {
	p.done, p.bad = done, bad
	now := time.Now()
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if now.Sub(p.last) >= every {
		p.last = now
		p.print(now)
	}
}

func (p *progress) print(now time.Time) {
	pct := ""
	if p.size > 0 {
		pct = fmt.Sprintf("%5.1f%%  ", 100*float64(min(p.in.n, p.size))/float64(p.size))
	}
	line := fmt.Sprintf("%s%d rows, %d bad, %.0f rows/s", pct, p.done, p.bad, float64(p.done)/max(now.Sub(p.start).Seconds(), 1e-9))
	if p.tty {
		fmt.Fprintf(p.w, "\r%-60s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// finish prints the final state and ends the terminal line.
func (p *progress) finish() {
	p.print(time.Now())
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
