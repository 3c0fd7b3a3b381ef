package providerdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"sort"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// SaveWebsite creates (w.ID == 0) or updates a website's filing and access
// state inside the caller's transaction. It is the only write path of a
// website's number, domains and access: it keeps website_domains (Rule
// WEB-4: a domain belongs to at most one active website here) and the
// servable-domain table with its change log (Rule GATE-1) in step, in the
// same transaction, so no caller can forget the gate.
func (s *Store) SaveWebsite(ctx context.Context, tx *sqlstore.Tx, w beian.Website, actor string) (out beian.Website, err error) {
	defer beian.Wrap(&err, "save website")
	if !validAccess(w.Access) {
		return out, beian.Errorf(beian.KindInvalid, "website.access_unknown")
	}
	domains := slices.Clone(w.Domains)
	sort.Strings(domains)
	domains = slices.Compact(domains)
	now := sqlstore.Micro(tx.Now)
	var before beian.Website
	var number sql.NullString
	if w.Number != "" {
		number = sql.NullString{String: w.Number, Valid: true}
	}
	if w.ID == 0 {
		err = tx.QueryRowContext(ctx, `INSERT INTO websites (subject_id, number, name, access, access_until, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			w.SubjectID, number, w.Name, string(w.Access), sqlstore.Micro(w.AccessUntil), now).Scan(&w.ID)
		if err != nil {
			return out, sqlstore.MapErr(err)
		}
		w.Version, w.CreatedAt = 1, tx.Now
	} else {
		if before, err = websiteInTx(ctx, tx, w.ID); err != nil {
			return out, err
		}
		err = tx.QueryRowContext(ctx, `UPDATE websites SET number = $1, name = $2, access = $3, access_until = $4, updated_at = $5, version = version + 1
			WHERE id = $6 RETURNING version, created_at`, number, w.Name, string(w.Access), sqlstore.Micro(w.AccessUntil), now, w.ID).Scan(&w.Version, new(int64))
		if err != nil {
			return out, sqlstore.MapErr(err)
		}
		w.CreatedAt = before.CreatedAt
	}
	w.Domains, w.UpdatedAt = domains, tx.Now
	var changes []beian.ServableChange
	if err := s.syncDomains(ctx, tx, before, w, &changes); err != nil {
		return out, err
	}
	if hook := s.OnServable; hook != nil && len(changes) > 0 {
		tx.AfterCommit(func() { hook(changes) })
	}
	err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "website.save", Entity: "website", EntityID: itoa(w.ID),
		Before: websiteAudit(before), After: websiteAudit(w)})
	return w, err
}

func websiteAudit(w beian.Website) any {
	if w.ID == 0 {
		return nil
	}
	return map[string]any{"number": w.Number, "domains": w.Domains, "access": w.Access, "version": w.Version}
}

func validAccess(r beian.GateReason) bool {
	switch r {
	case beian.GateServed, beian.GatePending, beian.GateAccessCancelled, beian.GateCancelled, beian.GateLapsed:
		return true
	}
	return false
}

// holdsDomains: a website in these states keeps its domains at this
// provider (WEB-4); cancelled and access-cancelled ones release them.
func holdsDomains(r beian.GateReason) bool {
	return r == beian.GateServed || r == beian.GatePending || r == beian.GateLapsed
}

func (s *Store) syncDomains(ctx context.Context, tx *sqlstore.Tx, before, w beian.Website, rec *[]beian.ServableChange) error {
	active := boolInt(holdsDomains(w.Access))
	for _, d := range before.Domains {
		if slices.Contains(w.Domains, d) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM website_domains WHERE website_id = $1 AND domain = $2`, w.ID, d); err != nil {
			return err
		}
		// The domain left the website: unfiled here unless another website holds it.
		res, err := tx.ExecContext(ctx, `DELETE FROM servable_domains WHERE domain = $1 AND website_id = $2`, d, w.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if err := logChange(ctx, tx, d, "unfiled", "", rec); err != nil {
				return err
			}
		}
	}
	for _, d := range w.Domains {
		var err error
		if slices.Contains(before.Domains, d) {
			_, err = tx.ExecContext(ctx, `UPDATE website_domains SET active = $1 WHERE website_id = $2 AND domain = $3`, active, w.ID, d)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO website_domains (website_id, domain, active) VALUES ($1, $2, $3)`, w.ID, d, active)
		}
		if err = sqlstore.MapErr(err); err != nil {
			if beian.IsKind(err, beian.KindConflict) {
				return &beian.Error{Kind: beian.KindConflict, Code: "web.domain_taken_here",
					Problems: beian.Problems{beian.NewProblem("web.domain_taken_here", "WEB-4", "domains", "domain", d)}, Err: err}
			}
			return err
		}
		if err := setServable(ctx, tx, d, w, rec); err != nil {
			return err
		}
	}
	return nil
}

// setServable writes the domain's row and logs a change when its reason or
// number changed. A website that releases its domains does not overwrite the
// row of another website that now holds the domain.
func setServable(ctx context.Context, tx *sqlstore.Tx, domain string, w beian.Website, rec *[]beian.ServableChange) error {
	var owner int64
	var reason, number string
	err := tx.QueryRowContext(ctx, `SELECT website_id, reason, website_number FROM servable_domains WHERE domain = $1`, domain).Scan(&owner, &reason, &number)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case owner != w.ID && !holdsDomains(w.Access):
		return nil
	case owner == w.ID && reason == string(w.Access) && number == w.Number:
		return nil
	}
	seq, err := nextSeq(ctx, tx, domain, string(w.Access), w.Number, rec)
	if err != nil {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) || owner == 0 {
		_, err = tx.ExecContext(ctx, `INSERT INTO servable_domains (domain, website_id, website_number, reason, seq) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (domain) DO UPDATE SET website_id = excluded.website_id, website_number = excluded.website_number, reason = excluded.reason, seq = excluded.seq`,
			domain, w.ID, w.Number, string(w.Access), seq)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE servable_domains SET website_id = $1, website_number = $2, reason = $3, seq = $4 WHERE domain = $5`,
			w.ID, w.Number, string(w.Access), seq, domain)
	}
	return err
}

// nextSeq logs a change and records it in rec for the after-commit hook.
func nextSeq(ctx context.Context, tx *sqlstore.Tx, domain, reason, number string, rec *[]beian.ServableChange) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `INSERT INTO servable_changes (domain, reason, website_number, at) VALUES ($1, $2, $3, $4) RETURNING seq`,
		domain, reason, number, sqlstore.Micro(tx.Now)).Scan(&seq)
	if err == nil {
		*rec = append(*rec, beian.ServableChange{Seq: seq, Domain: domain, Reason: beian.GateReason(reason), WebsiteNumber: number, At: tx.Now})
	}
	return seq, err
}

func logChange(ctx context.Context, tx *sqlstore.Tx, domain, reason, number string, rec *[]beian.ServableChange) error {
	_, err := nextSeq(ctx, tx, domain, reason, number, rec)
	return err
}

// websiteColumns are the columns scanWebsite reads.
var websiteColumns = websiteColumnsOf("websites")

// websiteColumnsOf is websiteColumns of the table named or aliased t.
func websiteColumnsOf(t string) string {
	return t + `.id, ` + t + `.subject_id, COALESCE(` + t + `.number, ''), ` + t + `.name, ` + t + `.access, ` + t + `.access_until, ` +
		t + `.version, ` + t + `.created_at, ` + t + `.updated_at`
}

// scanWebsite reads a row of websiteColumns (without the domains).
func scanWebsite(row interface{ Scan(...any) error }) (w beian.Website, err error) {
	var access string
	var until, created, updated int64
	if err = row.Scan(&w.ID, &w.SubjectID, &w.Number, &w.Name, &access, &until, &w.Version, &created, &updated); err != nil {
		return w, err
	}
	w.Access, w.AccessUntil = beian.GateReason(access), sqlstore.FromMicro(until)
	w.CreatedAt, w.UpdatedAt = sqlstore.FromMicro(created), sqlstore.FromMicro(updated)
	return w, nil
}

func websiteInTx(ctx context.Context, tx *sqlstore.Tx, id int64) (w beian.Website, err error) {
	q := `SELECT ` + websiteColumns + ` FROM websites WHERE id = $1`
	if tx.Driver == sqlstore.Postgres && !tx.ReadOnly {
		q += ` FOR UPDATE`
	}
	w, err = scanWebsite(tx.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, beian.Errorf(beian.KindNotFound, "")
	}
	if err != nil {
		return w, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT domain FROM website_domains WHERE website_id = $1 ORDER BY domain`, id)
	if err != nil {
		return w, err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return w, err
		}
		w.Domains = append(w.Domains, d)
	}
	return w, rows.Err()
}

// Website returns the website with the id.
func (s *Store) Website(ctx context.Context, id int64) (w beian.Website, err error) {
	err = s.DB.ReadTx(ctx, func(tx *sqlstore.Tx) error {
		w, err = websiteInTx(ctx, tx, id)
		return err
	})
	return w, err
}

// ServableDomain is one row of the gate's snapshot.
type ServableDomain struct {
	Domain        string
	WebsiteNumber string
	Reason        beian.GateReason
	Seq           int64
}

// ServableSnapshot returns every known domain and the highest change seq it
// reflects, read in one transaction so that following ServableChanges after
// that seq misses nothing.
func (s *Store) ServableSnapshot(ctx context.Context) (rows []ServableDomain, upTo int64, err error) {
	err = s.DB.ReadTx(ctx, func(tx *sqlstore.Tx) error {
		rows = rows[:0]
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM servable_changes`).Scan(&upTo); err != nil {
			return err
		}
		r, err := tx.QueryContext(ctx, `SELECT domain, website_number, reason, seq FROM servable_domains ORDER BY domain`)
		if err != nil {
			return err
		}
		defer r.Close()
		for r.Next() {
			var d ServableDomain
			var reason string
			if err := r.Scan(&d.Domain, &d.WebsiteNumber, &reason, &d.Seq); err != nil {
				return err
			}
			d.Reason = beian.GateReason(reason)
			rows = append(rows, d)
		}
		return r.Err()
	})
	return rows, upTo, err
}

// ServableChanges returns up to limit changes after seq, oldest first. A
// reason "unfiled" means the domain is no longer known here.
func (s *Store) ServableChanges(ctx context.Context, after int64, limit int) (out []beian.ServableChange, err error) {
	rows, err := s.DB.SQL.QueryContext(ctx, `SELECT seq, domain, reason, website_number, at FROM servable_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c beian.ServableChange
		var reason string
		var at int64
		if err := rows.Scan(&c.Seq, &c.Domain, &reason, &c.WebsiteNumber, &at); err != nil {
			return nil, err
		}
		c.Reason, c.At = beian.GateReason(reason), sqlstore.FromMicro(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

var _ = json.Valid
