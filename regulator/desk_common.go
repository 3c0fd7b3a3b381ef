package regulator

import (
	"context"
	"sort"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// DeskListLimit is the most rows a bureau desk list answers (password
// requests, cancellations, spot checks, blacklist), newest first.
const DeskListLimit = 200

// deskLimit bounds a list's limit: ≤ 0 or above DeskListLimit is DeskListLimit.
func deskLimit(limit int) int {
	if limit <= 0 || limit > DeskListLimit {
		return DeskListLimit
	}
	return limit
}

// reviewerCtx carries the reviewer as the audit actor of ctx's writes.
func reviewerCtx(ctx context.Context, rv Reviewer) context.Context {
	if rv.Actor != "" {
		return WithActor(ctx, rv.Actor)
	}
	return ctx
}

// deskFiling is a subject or website number as the desk finds it: its
// subject and, for a website number, the website.
type deskFiling struct {
	subjectID                         int64
	subject, province, status, cert   string
	unitName                          string
	website, websiteName, websiteStat string // "" for a subject number
}

// findFiling resolves a subject or website number of the province (code
// "" for every province) in tx. An unknown number, a licence number or
// another province's filing is not_found, as any other tenant's data.
func (r *Registry) findFiling(ctx context.Context, tx *sqlstore.Tx, code, number string) (f deskFiling, err error) {
	n, ok := r.parseNumber(number)
	if !ok || n.Licence {
		return f, notFound(number)
	}
	err = tx.QueryRowContext(ctx, `SELECT id, number, province, status, cert_number, unit_name FROM registry_subjects WHERE number = $1`,
		n.SubjectNumber().String()).Scan(&f.subjectID, &f.subject, &f.province, &f.status, &f.cert, &f.unitName)
	if noRows(err) || (err == nil && code != "" && f.province != code) {
		return deskFiling{}, notFound(n.String())
	}
	if err != nil || n.Site == 0 {
		return f, err
	}
	f.website = n.String()
	err = tx.QueryRowContext(ctx, `SELECT name, status FROM registry_websites WHERE number = $1`, f.website).Scan(&f.websiteName, &f.websiteStat)
	if noRows(err) {
		return deskFiling{}, notFound(f.website)
	}
	return f, err
}

// active is the filing's own status: the website's for a website number.
func (f deskFiling) active() bool {
	if f.website != "" {
		return f.websiteStat == StatusActive
	}
	return f.status == StatusActive
}

// deskSubject resolves the active subject of a subject or website number
// of the province and returns its number and province.
func (r *Registry) deskSubject(ctx context.Context, tx *sqlstore.Tx, code, number string) (subject, province string, err error) {
	f, err := r.findFiling(ctx, tx, code, number)
	if err != nil {
		return "", "", err
	}
	if f.status != StatusActive {
		return "", "", beian.Errorf(beian.KindInvalidState, "registry.not_active", "number", f.subject)
	}
	return f.subject, f.province, nil
}

// servingProviders maps each provider with active access to an active
// website of the subject (only the website, when one is named) to the
// website numbers it serves, and returns the providers sorted.
func servingProviders(ctx context.Context, tx *sqlstore.Tx, subjectID int64, website string) (map[string][]string, []string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT a.provider, w.number FROM registry_access a JOIN registry_websites w ON w.id = a.website_id
		WHERE w.subject_id = $1 AND w.status = 'active' AND a.until = 0 AND ($2 = '' OR w.number = $2) ORDER BY a.provider, w.site`, subjectID, website)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	served := map[string][]string{}
	for rows.Next() {
		var p, n string
		if err := rows.Scan(&p, &n); err != nil {
			return nil, nil, err
		}
		served[p] = append(served[p], n)
	}
	providers := make([]string, 0, len(served))
	for p := range served {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	return served, providers, rows.Err()
}

// trimNote checks a desk note's length.
func trimNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if len([]rune(note)) > MaxDeskText {
		return "", invalid("registry.reason_invalid", "", "note", "max", "500")
	}
	return note, nil
}
