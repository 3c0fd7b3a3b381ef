package providerdb

import (
	"context"
	"database/sql"
	"errors"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// LinkOrderWebsite records, in the caller's transaction, that the order
// concerns the website (Rule GATE-2: a transfer-in's access and its lapse;
// the approval or cancellation the registry reports). Linking twice is a
// no-op.
func (s *Store) LinkOrderWebsite(ctx context.Context, tx *sqlstore.Tx, orderID, websiteID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO order_websites (order_id, website_id) VALUES ($1, $2) ON CONFLICT (order_id, website_id) DO NOTHING`,
		orderID, websiteID)
	return sqlstore.MapErr(err)
}

// OrderWebsites returns the websites linked to the order, by ID, read in tx.
func (s *Store) OrderWebsites(ctx context.Context, tx *sqlstore.Tx, orderID int64) ([]beian.Website, error) {
	ids, err := int64s(ctx, tx, `SELECT website_id FROM order_websites WHERE order_id = $1 ORDER BY website_id`, orderID)
	if err != nil {
		return nil, err
	}
	return websitesInTx(ctx, tx, ids)
}

// WebsiteTx returns the website with the id, read (and locked on
// PostgreSQL) in tx.
func (s *Store) WebsiteTx(ctx context.Context, tx *sqlstore.Tx, id int64) (beian.Website, error) {
	return websiteInTx(ctx, tx, id)
}

// SubjectWebsites returns the subject's websites, by ID, with their
// domains, read (and on PostgreSQL locked, in a writing transaction) in tx.
func (s *Store) SubjectWebsites(ctx context.Context, tx *sqlstore.Tx, subjectID int64) ([]beian.Website, error) {
	return subjectWebsites(ctx, tx, subjectID, tx.Driver == sqlstore.Postgres && !tx.ReadOnly)
}

// SubjectWebsitesNow returns the subject's websites, by ID, with their
// domains, as one consistent read outside a transaction.
func (s *Store) SubjectWebsitesNow(ctx context.Context, subjectID int64) ([]beian.Website, error) {
	return subjectWebsites(ctx, s.DB.SQL, subjectID, false)
}

// subjectWebsites reads the subject's websites with their domains in one
// statement, a row a domain — one consistent read by itself (it was two
// statements a website, each website in a transaction of its own, on
// every precheck, submit and filings list). lock takes the websites' rows
// FOR UPDATE (PostgreSQL).
func subjectWebsites(ctx context.Context, q sqlstore.Querier, subjectID int64, lock bool) ([]beian.Website, error) {
	query := `SELECT ` + websiteColumnsOf("w") + `, d.domain
		FROM websites w LEFT JOIN website_domains d ON d.website_id = w.id
		WHERE w.subject_id = $1 ORDER BY w.id, d.domain`
	if lock {
		query += ` FOR UPDATE OF w`
	}
	rows, err := q.QueryContext(ctx, query, subjectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []beian.Website{}
	for rows.Next() {
		var domain sql.NullString
		w, err := scanWebsite(withExtra{rows, []any{&domain}})
		if err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != w.ID {
			out = append(out, w)
		}
		if domain.Valid {
			last := &out[len(out)-1]
			last.Domains = append(last.Domains, domain.String)
		}
	}
	return out, rows.Err()
}

// WebsiteIDByNumber returns the ID of the website with the filing number,
// or 0 when this provider has none.
func (s *Store) WebsiteIDByNumber(ctx context.Context, tx *sqlstore.Tx, number string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM websites WHERE number = $1`, number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// WebsiteIDByDomain returns the ID of the website of the subject that
// holds the registrable domain, or 0.
func (s *Store) WebsiteIDByDomain(ctx context.Context, tx *sqlstore.Tx, subjectID int64, domain string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT w.id FROM website_domains d JOIN websites w ON w.id = d.website_id
		WHERE w.subject_id = $1 AND d.domain = $2 ORDER BY d.active DESC, w.id DESC LIMIT 1`, subjectID, domain).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// SubjectOf returns the subject with the id, read in tx.
func (s *Store) SubjectOf(ctx context.Context, tx *sqlstore.Tx, id int64) (sub beian.Subject, err error) {
	var number sql.NullString
	var status string
	var created, updated int64
	err = tx.QueryRowContext(ctx, `SELECT id, account_id, nature, name, cert_type, cert_number, province, number, status, version, created_at, updated_at
		FROM subjects WHERE id = $1`, id).Scan(&sub.ID, &sub.AccountID, &sub.Nature, &sub.Name, &sub.CertType, &sub.CertNumber, &sub.Province,
		&number, &status, &sub.Version, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return sub, beian.Errorf(beian.KindNotFound, "")
	}
	sub.Number, sub.Status = number.String, beian.SubjectStatus(status)
	sub.CreatedAt, sub.UpdatedAt = sqlstore.FromMicro(created), sqlstore.FromMicro(updated)
	return sub, err
}

// SubjectIDByNumber returns the ID of the subject with the filing number, or 0.
func (s *Store) SubjectIDByNumber(ctx context.Context, tx *sqlstore.Tx, number string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM subjects WHERE number = $1`, number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// SetSubjectFiling writes the subject's number, name and status as the
// registry reports them (an approval: Rule NUM-1; a change: OTH-2; a
// cancellation: CAN-3), in the caller's transaction, with its audit record.
// An empty number or name keeps the stored one.
func (s *Store) SetSubjectFiling(ctx context.Context, tx *sqlstore.Tx, id int64, number, name string, status beian.SubjectStatus, actor string) error {
	before, err := s.SubjectOf(ctx, tx, id)
	if err != nil {
		return err
	}
	after := before
	if number != "" {
		after.Number = number
	}
	if name != "" {
		after.Name = name
	}
	after.Status = status
	if after.Number == before.Number && after.Name == before.Name && after.Status == before.Status {
		return nil
	}
	var num sql.NullString
	if after.Number != "" {
		num = sql.NullString{String: after.Number, Valid: true}
	}
	_, err = tx.ExecContext(ctx, `UPDATE subjects SET number = $1, name = $2, status = $3, updated_at = $4, version = version + 1 WHERE id = $5`,
		num, after.Name, string(after.Status), sqlstore.Micro(tx.Now), id)
	if err = sqlstore.MapErr(err); err != nil {
		return err
	}
	err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "subject.filing", Entity: "subject", EntityID: itoa(id),
		Before: map[string]any{"number": before.Number, "status": before.Status}, After: map[string]any{"number": after.Number, "status": after.Status}})
	return err
}

// NumberedWebsite is a website with a filing number as reconciliation
// compares it with the registry: the subject's number and the website.
type NumberedWebsite struct {
	SubjectID     int64
	SubjectNumber string
	Website       beian.Website
}

// NumberedWebsites lists this provider's websites that have a number and
// hold their domains here (served, pending or lapsed), by subject number.
func (s *Store) NumberedWebsites(ctx context.Context) (out []NumberedWebsite, err error) {
	err = s.DB.ReadTx(ctx, func(tx *sqlstore.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT w.id, w.subject_id, COALESCE(s.number, '') FROM websites w JOIN subjects s ON s.id = w.subject_id
			WHERE w.number IS NOT NULL AND w.access IN ('served', 'pending', 'lapsed') ORDER BY s.number, w.id`)
		if err != nil {
			return err
		}
		var list []NumberedWebsite
		for rows.Next() {
			var n NumberedWebsite
			if err := rows.Scan(&n.Website.ID, &n.SubjectID, &n.SubjectNumber); err != nil {
				rows.Close()
				return err
			}
			list = append(list, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, n := range list {
			if n.Website, err = websiteInTx(ctx, tx, n.Website.ID); err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

func websitesInTx(ctx context.Context, tx *sqlstore.Tx, ids []int64) ([]beian.Website, error) {
	out := make([]beian.Website, 0, len(ids))
	for _, id := range ids {
		w, err := websiteInTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func int64s(ctx context.Context, tx *sqlstore.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
