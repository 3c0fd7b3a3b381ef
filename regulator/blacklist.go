package regulator

import (
	"context"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// Blacklist kinds (Rule CAN-1).
const (
	BlacklistCert        = "cert"         // a certificate number, whatever its type
	BlacklistWebsiteName = "website_name" // a website name
)

// Blacklist is BlacklistTx in a transaction of its own.
func (r *Registry) Blacklist(ctx context.Context, kind, value, reason string) error {
	return r.inTx(ctx, func(tx *sqlstore.Tx) error { return r.BlacklistTx(ctx, tx, kind, value, reason) })
}

// BlacklistTx puts a certificate number or a website name on the blacklist
// in tx: it can never be filed again (Rule CAN-1, serious cases of illegal
// content). A certificate number is kept normalised and without its type,
// so that it is caught under any certificate type. Listing a value twice
// keeps the first reason. The audit record never holds a full certificate
// number.
func (r *Registry) BlacklistTx(ctx context.Context, tx *sqlstore.Tx, kind, value, reason string) (err error) {
	defer beian.Wrap(&err, "blacklist")
	value = blacklistValue(kind, value)
	switch {
	case kind != BlacklistCert && kind != BlacklistWebsiteName:
		return invalid("registry.blacklist_kind", "CAN-1", "kind", "kinds", BlacklistCert+", "+BlacklistWebsiteName)
	case value == "":
		return invalid("registry.required", "", "value", "field", "value")
	}
	if reason, err = checkReason(reason); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO registry_blacklist (kind, value, reason, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, value) DO NOTHING`,
		kind, value, reason, sqlstore.Micro(tx.Now))
	if err != nil {
		return sqlstore.MapErr(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	shown := value
	if kind == BlacklistCert {
		shown = certTail(value)
	}
	return r.appendAudit(ctx, tx, "blacklist.add", "blacklist", kind+":"+shown, nil, map[string]any{"kind": kind, "value": shown, "reason": reason})
}

// blacklisted reports whether the value of the kind is on the blacklist.
func (r *Registry) blacklisted(ctx context.Context, q querier, kind, value string) (bool, error) {
	value = blacklistValue(kind, value)
	if value == "" {
		return false, nil
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_blacklist WHERE kind = $1 AND value = $2`, kind, value).Scan(&n)
	return n > 0, err
}

// blacklistValue is the stored form of a blacklisted value.
func blacklistValue(kind, value string) string {
	if kind == BlacklistCert {
		return validate.NormalizeCertificate(value)
	}
	return strings.TrimSpace(value)
}

// BlacklistEntry is one entry of the blacklist as lists show it: a
// certificate number masked to its last four characters (****1234).
type BlacklistEntry struct {
	Kind      string    `json:"kind"` // BlacklistCert or BlacklistWebsiteName
	Value     string    `json:"value"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// BlacklistEntries lists the blacklist, newest first, at most limit (≤ 0
// or above DeskListLimit: DeskListLimit), certificate numbers masked. The
// blacklist is national: every bureau sees every entry (Rule CAN-1).
func (r *Registry) BlacklistEntries(ctx context.Context, limit int) (out []BlacklistEntry, err error) {
	defer beian.Wrap(&err, "blacklist entries")
	rows, err := r.DB.SQL.QueryContext(ctx, `SELECT kind, value, reason, created_at FROM registry_blacklist
		ORDER BY created_at DESC, kind, value LIMIT $1`, deskLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = []BlacklistEntry{}
	for rows.Next() {
		var e BlacklistEntry
		var at int64
		if err := rows.Scan(&e.Kind, &e.Value, &e.Reason, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = sqlstore.FromMicro(at)
		if e.Kind == BlacklistCert {
			e.Value = certTail(e.Value)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// blacklistEntry reads one entry, masked like BlacklistEntries.
func blacklistEntry(ctx context.Context, q querier, kind, value string) (e BlacklistEntry, err error) {
	var at int64
	err = q.QueryRowContext(ctx, `SELECT kind, value, reason, created_at FROM registry_blacklist WHERE kind = $1 AND value = $2`,
		kind, blacklistValue(kind, value)).Scan(&e.Kind, &e.Value, &e.Reason, &at)
	e.CreatedAt = sqlstore.FromMicro(at)
	if e.Kind == BlacklistCert {
		e.Value = certTail(e.Value)
	}
	return e, err
}
