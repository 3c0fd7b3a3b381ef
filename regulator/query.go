package regulator

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// Public query limits (Rule QRY-1).
const (
	DefaultPageSize = 10 // items per page when the request names none
	MaxPageSize     = 50 // the largest page a client may ask for
	MinNameRunes    = 2  // the shortest subject-name prefix searched
)

// QueryRequest is one public query: exactly one of Domain, Number and Name.
type QueryRequest struct {
	Domain   string // any host name: a subdomain finds its registrable domain; Unicode accepted
	Number   string // a subject or website number
	Name     string // a prefix of an organisation's name (personal subjects are not found)
	Page     int    // 1, 2, …; 0 means 1
	PageSize int    // 1..MaxPageSize; 0 means DefaultPageSize
}

// PublicFiling is one answer of the public query: one domain of one active
// website, with only the public fields, named as the registry's own query
// names them (Rule QRY-1). Never a certificate number, a responsible
// person's name, a phone or an email.
type PublicFiling struct {
	UnitName         string `json:"unitName"` // a person's name is masked: 张**
	NatureName       string `json:"natureName"`
	MainLicence      string `json:"mainLicence"`    // the subject number
	ServiceLicence   string `json:"serviceLicence"` // the website number
	ServiceName      string `json:"serviceName"`
	HomeURL          string `json:"homeUrl"`
	Domain           string `json:"domain"` // Unicode form
	ContentTypeName  string `json:"contentTypeName"`
	LimitAccess      string `json:"limitAccess"`      // "否": the registry restricts no filing yet
	UpdateRecordTime string `json:"updateRecordTime"` // YYYY-MM-DD HH:MM:SS, China Standard Time
}

// QueryResult is one page of answers.
type QueryResult struct {
	Items []PublicFiling `json:"items"`
	Total int            `json:"total"`
	Page  int            `json:"page"`
}

// Query answers the public query (Rule QRY-1) over active filings only (a
// cancelled filing is not found): by domain, by subject or website number,
// or by the prefix of an organisation's name, one item per domain of each
// active website (a subject without websites is one item of its own),
// ordered by name, subject, website and domain, and paginated. A malformed
// request is bad_request with its code; no match is an empty page.
func (r *Registry) Query(ctx context.Context, q QueryRequest) (res QueryResult, err error) {
	defer beian.Wrap(&err, "registry query")
	set := 0
	for _, s := range []string{q.Domain, q.Number, q.Name} {
		if strings.TrimSpace(s) != "" {
			set++
		}
	}
	if set != 1 {
		return res, beian.Errorf(beian.KindBadRequest, "registry.query_one_of")
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PageSize == 0 {
		q.PageSize = DefaultPageSize
	}
	if q.Page < 1 || q.PageSize < 1 || q.PageSize > MaxPageSize {
		return res, beian.Errorf(beian.KindBadRequest, "registry.query_page", "max", strconv.Itoa(MaxPageSize))
	}
	from, args, err := r.queryFrom(q)
	if err != nil {
		return res, err
	}
	if err := r.DB.SQL.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&res.Total); err != nil {
		return res, err
	}
	res.Page, res.Items = q.Page, []PublicFiling{}
	offset := (q.Page - 1) * q.PageSize
	if res.Total <= offset {
		return res, nil
	}
	rows, err := r.DB.SQL.QueryContext(ctx, `SELECT s.unit_name, s.nature, s.number, s.updated_at,
		COALESCE(w.number, ''), COALESCE(w.name, ''), COALESCE(w.home_url, ''), COALESCE(w.service_content, ''),
		COALESCE(w.updated_at, 0), COALESCE(d.domain, '')`+from+`
		ORDER BY s.unit_name, s.id, w.site, d.domain LIMIT `+strconv.Itoa(q.PageSize)+` OFFSET `+strconv.Itoa(offset), args...)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var it PublicFiling
		var nature, content, domain string
		var subjUpdated, siteUpdated int64
		if err := rows.Scan(&it.UnitName, &nature, &it.MainLicence, &subjUpdated, &it.ServiceLicence, &it.ServiceName,
			&it.HomeURL, &content, &siteUpdated, &domain); err != nil {
			return res, err
		}
		if nature == "individual" {
			it.UnitName = maskName(it.UnitName)
		}
		if n, ok := r.Ref.Nature(nature); ok {
			it.NatureName = n.Name
		}
		if c, ok := r.Ref.ServiceContent(content); ok {
			it.ContentTypeName = c.Name
		}
		if domain != "" {
			it.Domain = unicodeDomain(domain)
		}
		it.LimitAccess = "否"
		it.UpdateRecordTime = sqlstore.FromMicro(max(subjUpdated, siteUpdated)).In(beian.CST).Format(time.DateTime)
		res.Items = append(res.Items, it)
	}
	return res, rows.Err()
}

// Joins of the query kinds: one subject with its active websites and
// their active domains; or one domain, or one website, inward to its
// subject (inner joins, so the planner starts from the unique index).
const (
	fromSubject = ` FROM registry_subjects s
		LEFT JOIN registry_websites w ON w.subject_id = s.id AND w.status = 'active'
		LEFT JOIN registry_website_domains d ON d.website_id = w.id AND d.active = 1
		WHERE s.status = 'active' AND `
	fromWebsite = ` FROM registry_websites w
		JOIN registry_subjects s ON s.id = w.subject_id
		JOIN registry_website_domains d ON d.website_id = w.id
		WHERE s.status = 'active' AND w.status = 'active' AND d.active = 1 AND `
)

// queryFrom builds the FROM and WHERE clauses of one query and their arguments.
func (r *Registry) queryFrom(q QueryRequest) (string, []any, error) {
	switch {
	case strings.TrimSpace(q.Domain) != "":
		d, ok := validate.Registrable(r.Ref, q.Domain)
		if !ok {
			return "", nil, beian.Errorf(beian.KindBadRequest, "registry.query_domain_invalid")
		}
		return fromWebsite + `d.domain = $1`, []any{d.ASCII}, nil
	case strings.TrimSpace(q.Number) != "":
		n, ok := r.parseNumber(q.Number)
		if !ok {
			return "", nil, beian.Errorf(beian.KindBadRequest, "registry.query_number_invalid")
		}
		if n.Site > 0 {
			return fromWebsite + `w.number = $1`, []any{n.String()}, nil
		}
		return fromSubject + `s.number = $1`, []any{n.String()}, nil
	}
	name := strings.TrimSpace(q.Name)
	if utf8.RuneCountInString(name) < MinNameRunes {
		return "", nil, beian.Errorf(beian.KindBadRequest, "registry.query_name_short", "min", strconv.Itoa(MinNameRunes))
	}
	// Rule QRY-1: personal subjects are not found by name. The prefix uses
	// the unit_name index: LIKE on PostgreSQL's text_pattern_ops index, a
	// byte range on SQLite's BINARY index.
	if r.DB.Driver == sqlstore.Postgres {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(name)
		return fromSubject + `s.nature <> 'individual' AND s.unit_name LIKE $1 ESCAPE '\'`, []any{esc + "%"}, nil
	}
	return fromSubject + `s.nature <> 'individual' AND s.unit_name >= $1 AND s.unit_name < $2`, []any{name, name + string(utf8.MaxRune)}, nil
}
