package regulator

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// Limits of one seed request.
const (
	MaxSeedFilings  = 100 // filings per request
	MaxSeedWebsites = 50  // websites per filing
)

// Filing-password length a seed accepts (Rule PWD-1's passwords are 12).
const (
	MinSeedPassword = 8
	MaxSeedPassword = 64
)

// SeedFiling is an existing filing the sandbox puts into the registry
// (API.md: POST /api/v1/sandbox/registry): a subject with its websites,
// their domains and the providers serving them, any provider, not only the
// local one (Rule OTH-1).
type SeedFiling struct {
	SubjectNumber string        `json:"subject_number,omitempty"` // allocated (Rule NUM-1) when empty
	UnitName      string        `json:"unit_name"`
	Nature        string        `json:"nature"`
	Province      string        `json:"province"`              // name, abbreviation or GB/T 2260 code
	CertType      string        `json:"cert_type,omitempty"`   // with CertNumber: the subject's certificate
	CertNumber    string        `json:"cert_number,omitempty"` // personal data: never answered, never audited in full
	Password      string        `json:"password,omitempty"`    // the filing password to set (Rules PWD-1, PWD-2), stored only hashed
	ApprovedOn    string        `json:"approved_on,omitempty"` // YYYY-MM-DD; the sandbox's today when empty
	Websites      []SeedWebsite `json:"websites"`
}

// SeedWebsite is a website of a SeedFiling.
type SeedWebsite struct {
	WebsiteNumber string   `json:"website_number,omitempty"` // the subject number + "-n" when empty
	Name          string   `json:"name"`
	HomeURL       string   `json:"home_url,omitempty"`
	Domains       []string `json:"domains"`
	Providers     []string `json:"providers"`
}

// SeededFiling is what a seed did for one filing.
type SeededFiling struct {
	SubjectNumber string   `json:"subject_number"`
	Websites      []string `json:"websites"`          // website numbers created
	Skipped       []string `json:"skipped,omitempty"` // website numbers the registry held already
	PasswordSet   bool     `json:"password_set"`
}

// Seed writes existing filings into the registry in one transaction,
// through the import's checks and writes (ImportRowsTx): all of them, or,
// when any has a problem, none (invalid, every problem with its field
// "[i]…" in the list). A subject without a number gets the next one of its
// province; a website without one gets the subject's next suffix. A
// website number the registry holds already is skipped. With a
// certificate (checked as Rule SUBJ-3 says) the subject can be found by
// it, as a precheck does (Rules SUBJ-1, TYPE-1: a transfer-in); a
// certificate that already has another active subject is
// registry.subject_conflict. With a password the subject can be
// transferred in or cancelled (Rule PWD-2); only its hash is stored. The
// providers named are registered at the registry when missing.
func (r *Registry) Seed(ctx context.Context, filings []SeedFiling) (out []SeededFiling, err error) {
	defer beian.Wrap(&err, "seed registry")
	if len(filings) == 0 || len(filings) > MaxSeedFilings {
		return nil, beian.Errorf(beian.KindBadRequest, "sandbox.seed_count", "max", strconv.Itoa(MaxSeedFilings))
	}
	today := beian.DateOf(r.DB.Clock.Now())
	var ps beian.Problems
	hashes := make([]string, len(filings))
	for i, f := range filings {
		ps.Extend("["+strconv.Itoa(i)+"]", r.checkSeed(f, today))
		if f.Password != "" && len(ps) == 0 { // argon2 takes a while: outside the transaction
			if hashes[i], err = identity.HashPassword(identity.DefaultHashParams, f.Password); err != nil {
				return nil, err
			}
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		out = make([]SeededFiling, len(filings))
		var ps beian.Problems
		for i, f := range filings {
			res, fps, err := r.seedOne(ctx, tx, f, hashes[i])
			if err != nil {
				return err
			}
			out[i] = res
			ps.Extend("["+strconv.Itoa(i)+"]", fps)
		}
		return ps.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkSeed checks what needs no database: required fields, the
// certificate, the password, the approval date and the list sizes.
func (r *Registry) checkSeed(f SeedFiling, today time.Time) beian.Problems {
	var ps beian.Problems
	if strings.TrimSpace(f.CertType) != "" || strings.TrimSpace(f.CertNumber) != "" {
		if _, ok := r.Ref.CertificateType(f.CertType); !ok {
			ps.Add("registry.cert_type_unknown", "SUBJ-3", "cert_type", "cert_type", f.CertType)
		} else {
			ps.Extend("cert_number", validate.Certificate(r.Ref, f.CertType, f.CertNumber, today))
		}
	}
	if n := len([]rune(f.Password)); f.Password != "" && (n < MinSeedPassword || n > MaxSeedPassword) {
		ps.Add("sandbox.seed_password", "PWD-1", "password", "min", strconv.Itoa(MinSeedPassword), "max", strconv.Itoa(MaxSeedPassword))
	}
	if d := strings.TrimSpace(f.ApprovedOn); d != "" {
		if t, err := time.ParseInLocation(time.DateOnly, d, beian.CST); err != nil || t.After(today) {
			ps.Add("sandbox.seed_approved_on", "", "approved_on")
		}
	}
	if len(f.Websites) == 0 || len(f.Websites) > MaxSeedWebsites {
		ps.Add("sandbox.seed_websites", "WEB-0", "websites", "max", strconv.Itoa(MaxSeedWebsites))
	}
	return ps
}

// seedOne writes one filing in tx and returns its problems, fields
// relative to the filing.
func (r *Registry) seedOne(ctx context.Context, tx *sqlstore.Tx, f SeedFiling, passwordHash string) (res SeededFiling, ps beian.Problems, err error) {
	p, ok := r.Ref.Province(f.Province)
	if !ok {
		ps.Add("registry.province_unknown", "SUBJ-4", "province", "province", f.Province)
		return res, ps, nil
	}
	key := ""
	if validate.NormalizeCertificate(f.CertNumber) != "" {
		key = certKey(f.CertType, f.CertNumber)
	}
	subject := strings.TrimSpace(f.SubjectNumber)
	next, heldKey := 1, "" // the subject's next website suffix and its certificate, when the registry holds it
	if subject == "" {
		n, err := r.NextSubjectNumber(ctx, tx, p.Code)
		if err != nil {
			return res, ps, err
		}
		subject = n.String()
	} else if n, ok := r.parseNumber(subject); ok {
		subject = n.String()
		err := tx.QueryRowContext(ctx, `SELECT next_site, cert_key FROM registry_subjects WHERE number = $1`, subject).Scan(&next, &heldKey)
		if err != nil && !noRows(err) {
			return res, ps, err
		}
	}
	if key != "" && heldKey != "" && heldKey != key {
		ps.Add("sandbox.seed_cert_mismatch", "SUBJ-1", "cert_number", "number", subject)
		return res, ps, nil
	}
	if key != "" {
		if other, err := activeSubjectNumber(ctx, tx, key); err != nil {
			return res, ps, err
		} else if other != "" && other != subject {
			ps.Add("registry.subject_conflict", "SUBJ-1", "cert_number", "number", other)
			return res, ps, nil
		}
	}
	approved := strings.TrimSpace(f.ApprovedOn)
	if approved == "" {
		approved = dateString(tx.Now)
	}
	records := make([][]string, len(f.Websites))
	numbers := make([]string, len(f.Websites))
	held := map[string]bool{}
	for j, w := range f.Websites {
		numbers[j] = strings.TrimSpace(w.WebsiteNumber)
		if numbers[j] == "" {
			numbers[j] = subject + "-" + strconv.Itoa(next)
			next++
		} else if n, ok := r.parseNumber(numbers[j]); ok {
			numbers[j] = n.String()
		}
		var have int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_websites WHERE number = $1`, numbers[j]).Scan(&have); err != nil {
			return res, ps, err
		}
		held[numbers[j]] = have > 0
		records[j] = []string{subject, f.UnitName, f.Nature, p.Code, numbers[j], w.Name, strings.Join(w.Domains, ";"),
			w.HomeURL, approved, strings.Join(w.Providers, ";")}
	}
	im := &Importer{Registry: r, Source: "sandbox"}
	_, rows, err := im.ImportRowsTx(ctx, tx, records)
	if err != nil {
		return res, ps, err
	}
	for j, rps := range rows {
		ps = append(ps, seedProblems(j, rps)...)
	}
	if len(ps) > 0 {
		return res, dedupe(ps), nil
	}
	res = SeededFiling{SubjectNumber: subject, Websites: []string{}}
	for _, n := range numbers {
		if held[n] {
			res.Skipped = append(res.Skipped, n)
		} else {
			res.Websites = append(res.Websites, n)
		}
	}
	return res, nil, r.seedSubject(ctx, tx, f, &res, key, passwordHash)
}

// seedSubject gives the seeded subject its certificate and password, and
// registers the providers of its websites.
func (r *Registry) seedSubject(ctx context.Context, tx *sqlstore.Tx, f SeedFiling, res *SeededFiling, key, passwordHash string) error {
	now := sqlstore.Micro(tx.Now)
	if key != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE registry_subjects SET cert_type = $1, cert_number = $2, cert_key = $3, updated_at = $4
			WHERE number = $5`, strings.TrimSpace(f.CertType), validate.NormalizeCertificate(f.CertNumber), key, now, res.SubjectNumber); err != nil {
			return sqlstore.MapErr(err)
		}
	}
	if passwordHash != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE registry_subjects SET password_hash = $1, updated_at = $2 WHERE number = $3`,
			passwordHash, now, res.SubjectNumber); err != nil {
			return sqlstore.MapErr(err)
		}
		res.PasswordSet = true
	}
	for _, w := range f.Websites {
		for _, p := range w.Providers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO registry_providers (name, credential_hash, created_at) VALUES ($1, '', $2)
				ON CONFLICT (name) DO NOTHING`, strings.TrimSpace(p), now); err != nil {
				return sqlstore.MapErr(err)
			}
		}
	}
	return r.appendAudit(ctx, tx, "sandbox.seed", "subject", res.SubjectNumber, nil, map[string]any{
		"websites": res.Websites, "skipped": res.Skipped, "cert_type": strings.TrimSpace(f.CertType),
		"cert_number": certTail(f.CertNumber), "password_set": res.PasswordSet})
}

// seedFields maps the import's column names to a seed's fields: the
// subject's are the filing's, the website's are under websites[j].
var seedFields = map[string]string{
	"subject_number": "subject_number", "unit_name": "unit_name", "nature": "nature", "province": "province",
	"approved_on": "approved_on", "website_number": "#website_number", "website_name": "#name", "domains": "#domains",
	"home_url": "#home_url", "providers": "#providers",
}

// seedCodes names the import's own codes for a seed (the import writes
// them to an operator's report; an API answer needs catalogued codes).
var seedCodes = map[string]string{
	"import.subject_number_site": "sandbox.seed_subject_number", "import.website_number_site": "sandbox.seed_website_number",
	"import.number_mismatch": "sandbox.seed_website_number", "import.province_mismatch": "sandbox.seed_province_mismatch",
	"import.subject_mismatch": "sandbox.seed_subject_mismatch", "import.website_duplicate": "sandbox.seed_website_duplicate",
	"import.date_invalid": "sandbox.seed_approved_on",
}

// seedProblems places the problems of website j's row at the seed's fields.
func seedProblems(j int, rps beian.Problems) beian.Problems {
	out := make(beian.Problems, 0, len(rps))
	for _, p := range rps {
		if c, ok := seedCodes[p.Code]; ok {
			p.Code = c
		}
		col, rest := p.Field, ""
		if i := strings.IndexAny(col, ".["); i >= 0 {
			col, rest = col[:i], col[i:]
		}
		if f, ok := seedFields[col]; ok {
			if site, ok := strings.CutPrefix(f, "#"); ok {
				f = "websites[" + strconv.Itoa(j) + "]." + site
			}
			p.Field = f + rest
		}
		out = append(out, p)
	}
	return out
}

// dedupe drops repeated problems: a subject's problem is found once per
// website row.
func dedupe(ps beian.Problems) beian.Problems {
	seen := map[string]bool{}
	out := ps[:0]
	for _, p := range ps {
		k := p.Code + "\x00" + p.Field
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}
