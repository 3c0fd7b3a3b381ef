package regulator

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// ImportHeader is the header row a registry import file must start with,
// exactly these columns in this order (API.md, `beian import registry`).
var ImportHeader = []string{"subject_number", "unit_name", "nature", "province", "website_number",
	"website_name", "domains", "home_url", "approved_on", "providers"}

// DefaultImportBatch is the number of rows the importer writes per transaction.
const DefaultImportBatch = 5000

// ErrImportHeader is the error of a file whose first row is not ImportHeader.
var ErrImportHeader = errors.New("the first row must be the header " + strings.Join(ImportHeader, ",") +
	" (exactly these columns, in this order, UTF-8 with or without BOM)")

// ImportCodes returns the problem codes only the import produces, mapped to
// their rule IDs. They appear in the import's report file (an operator's
// CSV); the other reasons there are the validate (num.*, web.*) and
// registry.* codes the catalogues already hold.
func ImportCodes() map[string]string {
	return map[string]string{
		"import.row_malformed":       "",      // the CSV syntax of the row is broken
		"import.row_fields":          "",      // not the header's number of columns
		"import.subject_number_site": "NUM-1", // the subject number carries a "-n" suffix
		"import.website_number_site": "NUM-1", // the website number has no "-n" suffix
		"import.number_mismatch":     "NUM-1", // website number is not the subject number + "-n"
		"import.province_mismatch":   "SUBJ-4",
		"import.date_invalid":        "",      // approved_on is not YYYY-MM-DD
		"import.subject_mismatch":    "",      // unit name, nature or province differ from the subject's
		"import.website_duplicate":   "NUM-1", // the website number appears twice in one batch
	}
}

// Importer loads existing filings from a CSV stream into the registry. It
// is resumable without a progress table: each batch is one transaction
// that reads which of its website numbers, subjects and domains the
// registry holds, then writes the rest with set-based multi-row INSERTs; a
// website number already held is skipped, so rerunning the same file after
// a crash imports only the rows that are missing.
type Importer struct {
	Registry *Registry
	Batch    int                 // rows per transaction; 0 means DefaultImportBatch
	Report   io.Writer           // bad rows as CSV: the row, a reason and its line; nil discards
	Progress func(done, bad int) // called after each batch with the rows read and found bad so far
	Source   string              // names the file in the audit records
}

// ImportStats counts one import: Rows = Imported + Skipped + Bad.
type ImportStats struct {
	Rows     int // data rows read (the header not counted)
	Imported int // websites written
	Skipped  int // websites the registry already held
	Bad      int // rows written to the report
	Subjects int // subjects written
}

// importRow is one row of the file, parsed.
type importRow struct {
	line                         int
	raw                          []string
	subj, site                   validate.FilingNumber
	subjNum, siteNum             string
	province, nature, unit, name string
	home                         string
	domains, providers           []string
	approved                     int64
	ps                           beian.Problems
	parseBad                     bool
}

// Import reads the CSV stream and imports its good rows (Rules NUM-1, SUBJ-4,
// WEB-4). A bad row (any problem, or a domain held by another active
// website) goes to the report with its reasons and does not stop the
// import; a row whose website number the registry already holds is skipped.
// Subjects are created active without a certificate (an empty cert_key), each
// subject's next_site is advanced past its highest imported suffix, and the
// province's 10-digit serial counter past the highest imported sequence, so
// new numbers never collide with imported ones. Each batch that writes
// something appends one audit record (action registry.import, counts only).
// A header other than ImportHeader is ErrImportHeader; a cancelled context
// stops after the last committed batch.
func (im *Importer) Import(ctx context.Context, in io.Reader) (st ImportStats, err error) {
	defer beian.Wrap(&err, "import registry")
	size := im.Batch
	if size <= 0 {
		size = DefaultImportBatch
	}
	br := bufio.NewReaderSize(in, 1<<16)
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	head, err := cr.Read()
	if err != nil && !errors.Is(err, io.EOF) {
		return st, fmt.Errorf("%w: %v", ErrImportHeader, err)
	}
	if !slices.Equal(head, ImportHeader) {
		return st, fmt.Errorf("%w; got %q", ErrImportHeader, strings.Join(head, ","))
	}
	var out io.Writer = io.Discard
	if im.Report != nil {
		out = im.Report
	}
	rep := csv.NewWriter(out)
	if err := rep.Write(append(slices.Clone(ImportHeader), "reason", "line")); err != nil {
		return st, err
	}
	// The next batch is read and checked while this one is written.
	batches, readErr, stop := make(chan []*importRow, 1), make(chan error, 1), make(chan struct{})
	go func() { readErr <- im.read(cr, size, batches, stop) }()
	defer func() { // the reader stops and closes batches
		close(stop)
		for range batches {
		}
	}()
	for batch := range batches {
		if err := im.flush(ctx, batch, &st); err != nil {
			return st, err
		}
		for _, r := range batch {
			if len(r.ps) > 0 {
				raw := make([]string, len(ImportHeader))
				copy(raw, r.raw)
				_ = rep.Write(append(raw, reasons(r.ps), strconv.Itoa(r.line)))
			}
		}
		if rep.Flush(); rep.Error() != nil {
			return st, rep.Error()
		}
		if im.Progress != nil {
			im.Progress(st.Rows, st.Bad)
		}
	}
	if err := <-readErr; err != nil || st.Imported == 0 || im.Registry.DB.Driver != sqlstore.Postgres {
		return st, err
	}
	// Tables that just grew need fresh statistics before autovacuum gets
	// to them, or the planner picks poor plans for the public query.
	_, err = im.Registry.DB.SQL.ExecContext(ctx, `ANALYZE registry_subjects, registry_websites, registry_website_domains`)
	return st, err
}

// read parses the CSV records into batches of size rows and sends them on
// out until the input ends or stop is closed; it closes out.
func (im *Importer) read(cr *csv.Reader, size int, out chan<- []*importRow, stop <-chan struct{}) error {
	defer close(out)
	natures := im.natureKeys()
	batch := make([]*importRow, 0, size)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		switch {
		case errors.Is(err, csv.ErrFieldCount):
			batch = append(batch, badRow(line, rec, "import.row_fields", "", "columns", strconv.Itoa(len(ImportHeader))))
		case errors.As(err, &pe):
			batch = append(batch, badRow(pe.StartLine, rec, "import.row_malformed", ""))
		case err != nil:
			return err
		default:
			batch = append(batch, im.parse(rec, line, natures))
		}
		if len(batch) == size {
			select {
			case out <- batch:
				batch = make([]*importRow, 0, size)
			case <-stop:
				return nil
			}
		}
	}
	if len(batch) > 0 {
		select {
		case out <- batch:
		case <-stop:
		}
	}
	return nil
}

// flush writes one batch in its own transaction and counts it.
func (im *Importer) flush(ctx context.Context, batch []*importRow, st *ImportStats) error {
	if len(batch) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var c ImportStats
	if slices.ContainsFunc(batch, func(r *importRow) bool { return !r.parseBad }) {
		var err error
		for try := 0; try == 0 || errors.Is(err, errImportRaced) && try < 3; try++ {
			err = im.Registry.DB.InTx(ctx, func(tx *sqlstore.Tx) (err error) {
				c, err = im.write(ctx, tx, batch)
				return err
			})
		}
		if err != nil {
			return err
		}
	}
	for _, r := range batch {
		if len(r.ps) > 0 {
			st.Bad++
		}
	}
	st.Rows += len(batch)
	st.Imported += c.Imported
	st.Skipped += c.Skipped
	st.Subjects += c.Subjects
	return nil
}

func badRow(line int, raw []string, code, rule string, args ...string) *importRow {
	r := &importRow{line: line, raw: raw, parseBad: true}
	r.ps.Add(code, rule, "", args...)
	return r
}

// reasons renders problems for the report: "field: code [RULE]; …".
func reasons(ps beian.Problems) string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		s := p.Code
		if p.Field != "" {
			s = p.Field + ": " + s
		}
		if p.Rule != "" {
			s += " [" + p.Rule + "]"
		}
		if n := p.Args["number"]; n != "" {
			s += " (" + n + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

// natureKeys maps each nature's code and zh-CN name to its code.
func (im *Importer) natureKeys() map[string]string {
	m := map[string]string{}
	for _, n := range im.Registry.Ref.Natures() {
		m[n.Code], m[n.Name] = n.Code, n.Code
	}
	return m
}

// parse checks one row on its own, without the database.
func (im *Importer) parse(rec []string, line int, natures map[string]string) *importRow {
	ref := im.Registry.Ref
	f := func(i int) string { return strings.TrimSpace(rec[i]) }
	r := &importRow{line: line, raw: rec, unit: f(1), name: f(5)}
	ps := &r.ps
	var nps beian.Problems
	r.subj, nps = validate.ParseFilingNumber(ref, f(0))
	ps.Extend("subject_number", nps)
	if len(nps) == 0 && r.subj.Site != 0 {
		ps.Add("import.subject_number_site", "NUM-1", "subject_number")
	}
	r.site, nps = validate.ParseFilingNumber(ref, f(4))
	ps.Extend("website_number", nps)
	switch {
	case len(nps) > 0:
	case r.site.Site == 0:
		ps.Add("import.website_number_site", "NUM-1", "website_number")
	case len(*ps) == 0 && r.site.SubjectNumber() != r.subj:
		ps.Add("import.number_mismatch", "NUM-1", "website_number", "number", r.subj.String())
	}
	r.subjNum, r.siteNum = r.subj.String(), r.site.String()
	if p, ok := ref.Province(f(3)); !ok {
		ps.Add("registry.province_unknown", "SUBJ-4", "province", "province", f(3))
	} else if r.province = p.Code; r.subj.Abbr != "" && p.Abbr != r.subj.Abbr {
		ps.Add("import.province_mismatch", "SUBJ-4", "province", "abbr", r.subj.Abbr)
	}
	var ok bool
	if r.nature, ok = natures[f(2)]; !ok {
		ps.Add("registry.nature_unknown", "", "nature", "nature", f(2))
	}
	if r.unit == "" {
		ps.Add("registry.required", "", "unit_name", "field", "unit_name")
	}
	if r.name == "" {
		ps.Add("registry.required", "", "website_name", "field", "website_name")
	}
	doms, dps := validate.Domains(ref, split(f(6)), 0)
	ps.Extend("domains", dps)
	for _, d := range doms {
		r.domains = append(r.domains, d.ASCII)
	}
	r.home = f(7)
	for _, scheme := range []string{"http://", "https://"} {
		if len(r.home) >= len(scheme) && strings.EqualFold(r.home[:len(scheme)], scheme) {
			r.home = r.home[len(scheme):]
		}
	}
	if t, err := time.ParseInLocation(time.DateOnly, f(8), beian.CST); err != nil {
		ps.Add("import.date_invalid", "", "approved_on")
	} else {
		r.approved = sqlstore.Micro(t)
	}
	r.providers = split(f(9))
	if len(r.providers) == 0 {
		ps.Add("registry.required", "OTH-1", "providers", "field", "providers")
	}
	for i, p := range r.providers {
		if len([]rune(p)) > MaxProviderName {
			ps.Add("registry.provider_invalid", "OTH-1", "providers["+strconv.Itoa(i)+"]", "max", strconv.Itoa(MaxProviderName))
		}
	}
	r.providers = slices.Compact(slices.Sorted(slices.Values(r.providers)))
	r.parseBad = len(*ps) > 0
	return r
}

// split splits a ';'-separated list, trimming entries and dropping empty ones.
func split(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ";") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
