package provider

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
)

// importBodyLimit bounds the billing system's CSV (about 50 000 rows).
const importBodyLimit = 8 << 20

// ImportReportJSON is the answer of POST /api/v1/resources/import: what was
// created, updated or found unchanged, and every refused row with its line
// number and problems, so that nothing is silently lost.
type ImportReportJSON struct {
	Created   int               `json:"created"`
	Updated   int               `json:"updated"`
	Unchanged int               `json:"unchanged"`
	Rejected  []RejectedRowJSON `json:"rejected"`
}

// RejectedRowJSON is one refused row of an import.
type RejectedRowJSON struct {
	Line       int           `json:"line"`
	ExternalID string        `json:"external_id,omitempty"`
	Errors     []MessageJSON `json:"errors"`
}

// importColumns are the columns of docs/resources-import.md; the account is
// given by account_id or account_login (one of them is required).
var importColumns = []string{"external_id", "billing", "mainland", "public_ips", "term_start", "term_end"}

// importRow is one parsed row.
type importRow struct {
	line int
	res  beian.Resource
	ps   beian.Problems
}

func (s *Service) importResources(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, importBodyLimit)
	rows, err := s.parseImport(r.Context(), body)
	if err != nil {
		return err
	}
	lang := web.Lang(r)
	rep := ImportReportJSON{Rejected: []RejectedRowJSON{}}
	var good []beian.Resource
	for _, row := range rows {
		if len(row.ps) > 0 {
			rep.Rejected = append(rep.Rejected, RejectedRowJSON{Line: row.line, ExternalID: row.res.ExternalID, Errors: renderProblems(lang, row.ps, false)})
			continue
		}
		good = append(good, row.res)
	}
	if len(good) > 0 {
		rep.Created, rep.Updated, err = s.Store.ImportResources(r.Context(), good, p.Actor())
		if err != nil {
			return err
		}
		rep.Unchanged = len(good) - rep.Created - rep.Updated
		if err := s.EnsureTermSweep(r.Context()); err != nil {
			return err
		}
	}
	return web.WriteJSON(w, http.StatusOK, rep)
}

// parseImport reads the CSV and checks each row on its own (Rule ACC-2):
// a row with a problem is set aside with its line number; the others are
// checked for repeated external IDs (the later row is refused).
func (s *Service) parseImport(ctx context.Context, body io.Reader) ([]importRow, error) {
	cr := csv.NewReader(body)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, importError(err, "import.header_invalid", "column", "external_id")
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		col[h] = i
	}
	for _, c := range importColumns {
		if _, ok := col[c]; !ok {
			return nil, importError(nil, "import.header_invalid", "column", c)
		}
	}
	_, byID := col["account_id"]
	_, byLogin := col["account_login"]
	if !byID && !byLogin {
		return nil, importError(nil, "import.header_invalid", "column", "account_id")
	}
	accounts := map[string]int64{} // account key → customer account ID, 0: unknown
	firstLine := map[string]int{}
	var out []importRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(err, csv.ErrFieldCount) {
				out = append(out, importRow{line: pe.Line, ps: beian.Problems{beian.NewProblem("import.row_malformed", "", "")}})
				continue
			}
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, &beian.Error{Kind: beian.KindTooLarge, Err: err}
			}
			return nil, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		row := importRow{line: line}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row.res = s.parseImportRow(get, &row.ps)
		key := "id:" + get("account_id")
		if get("account_id") == "" {
			key = "login:" + identity.NormalizeLogin(get("account_login"))
		}
		id, known := accounts[key]
		if !known {
			if id, err = s.importAccount(ctx, key); err != nil {
				return nil, err
			}
			accounts[key] = id
		}
		if id == 0 {
			row.ps.Add("resource.account_unknown", "", "account")
		}
		row.res.AccountID = id
		row.ps = append(row.ps, providerdb.CheckResource(&row.res)...)
		if len(row.ps) == 0 {
			if first, dup := firstLine[row.res.ExternalID]; dup {
				row.ps.Add("resource.external_id_duplicate", "", "external_id", "external_id", row.res.ExternalID, "line", strconv.Itoa(first))
			} else {
				firstLine[row.res.ExternalID] = line
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// parseImportRow reads the resource fields of one row; a value that does
// not parse is an import.value_invalid problem naming its column.
func (s *Service) parseImportRow(get func(string) string, ps *beian.Problems) beian.Resource {
	res := beian.Resource{ExternalID: get("external_id"), Billing: beian.Billing(strings.ToLower(get("billing"))), Active: true}
	flag := func(name string, def bool) bool {
		switch strings.ToLower(get(name)) {
		case "":
			if def {
				return true
			}
		case "1", "true", "yes", "y", "是":
			return true
		case "0", "false", "no", "n", "否":
			return false
		}
		ps.Add("import.value_invalid", "", name, "column", name)
		return false
	}
	res.Mainland = flag("mainland", false)
	res.Active = flag("active", true)
	for _, ip := range strings.Split(get("public_ips"), ";") {
		if ip = strings.TrimSpace(ip); ip != "" {
			res.PublicIPs = append(res.PublicIPs, ip)
		}
	}
	for i, to := range []*time.Time{&res.TermStart, &res.TermEnd} {
		name := [...]string{"term_start", "term_end"}[i]
		t, ok := parseDate(get(name))
		if !ok || t.IsZero() {
			ps.Add("import.value_invalid", "", name, "column", name)
			continue
		}
		*to = t
	}
	return res
}

// importAccount resolves an account key ("id:N" or "login:L") to a
// customer account's ID; 0 when there is no such customer.
func (s *Service) importAccount(ctx context.Context, key string) (int64, error) {
	var id int64
	var role string
	var err error
	if v, ok := strings.CutPrefix(key, "id:"); ok {
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			return 0, nil
		}
		err = s.DB.SQL.QueryRowContext(ctx, `SELECT id, role FROM provider_accounts WHERE id = $1`, n).Scan(&id, &role)
	} else {
		err = s.DB.SQL.QueryRowContext(ctx, `SELECT id, role FROM provider_accounts WHERE login = $1`, strings.TrimPrefix(key, "login:")).Scan(&id, &role)
	}
	if errors.Is(err, sql.ErrNoRows) || (err == nil && role != string(beian.RoleCustomer)) {
		return 0, nil
	}
	return id, err
}

// importError is a bad_request about the CSV as a whole.
func importError(cause error, code string, args ...string) error {
	var mbe *http.MaxBytesError
	if errors.As(cause, &mbe) {
		return &beian.Error{Kind: beian.KindTooLarge, Err: cause}
	}
	e := beian.Errorf(beian.KindBadRequest, code, args...)
	e.Problems = beian.Problems{beian.NewProblem(code, "", "", args...)}
	e.Err = cause
	return e
}
