package regulator

import (
	"context"
	"sort"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Filing answers the connector's Filing (beian.Connector.Filing): the
// registry's record of a subject number with all its websites, or of a
// website number with its subject and that one website, whatever their
// status (a cancelled filing is reported as cancelled, for reconciliation).
// Domains are ASCII; Providers are those with active access. A number the
// registry does not hold, or that is not a filing number, is not_found.
func (r *Registry) Filing(ctx context.Context, number string) (beian.Filing, error) {
	return r.filing(ctx, r.DB.SQL, number)
}

// FilingTx is Filing in the caller's transaction.
func (r *Registry) FilingTx(ctx context.Context, tx *sqlstore.Tx, number string) (beian.Filing, error) {
	return r.filing(ctx, tx, number)
}

func (r *Registry) filing(ctx context.Context, q querier, number string) (f beian.Filing, err error) {
	defer beian.Wrap(&err, "filing")
	n, ok := r.parseNumber(number)
	if !ok || n.Licence {
		return f, notFound(number)
	}
	var subjectID, updated int64
	err = q.QueryRowContext(ctx, `SELECT id, number, status, unit_name, nature, province, updated_at FROM registry_subjects WHERE number = $1`,
		n.SubjectNumber().String()).Scan(&subjectID, &f.SubjectNumber, &f.Status, &f.UnitName, &f.Nature, &f.Province, &updated)
	if noRows(err) {
		return f, notFound(n.String())
	}
	if err != nil {
		return f, err
	}
	f.UpdatedAt = sqlstore.FromMicro(updated)
	query := `SELECT id, number, name, home_url, status FROM registry_websites WHERE subject_id = $1 AND ($2 = '' OR number = $2) ORDER BY site`
	only := ""
	if n.Site > 0 {
		only = n.String()
	}
	rows, err := q.QueryContext(ctx, query, subjectID, only)
	if err != nil {
		return f, err
	}
	var ids []int64
	f.Websites = []beian.FilingWebsite{}
	for rows.Next() {
		var id int64
		var w beian.FilingWebsite
		if err := rows.Scan(&id, &w.Number, &w.Name, &w.Homepage, &w.Status); err != nil {
			rows.Close()
			return f, err
		}
		ids, f.Websites = append(ids, id), append(f.Websites, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, err
	}
	if n.Site > 0 && len(f.Websites) == 0 {
		return beian.Filing{}, notFound(n.String())
	}
	for i, id := range ids {
		w := &f.Websites[i]
		if w.Domains, err = strings1(ctx, q, `SELECT domain FROM registry_website_domains WHERE website_id = $1 ORDER BY domain`, id); err != nil {
			return f, err
		}
		if w.Providers, err = strings1(ctx, q, `SELECT DISTINCT provider FROM registry_access WHERE website_id = $1 AND until = 0`, id); err != nil {
			return f, err
		}
		sort.Strings(w.Providers)
	}
	return f, nil
}

// strings1 runs a query of one text column and returns its values, never nil.
func strings1(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
