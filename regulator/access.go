package regulator

import (
	"context"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// AddAccess is AddAccessTx in a transaction of its own.
func (r *Registry) AddAccess(ctx context.Context, websiteNumber, provider string) error {
	return r.inTx(ctx, func(tx *sqlstore.Tx) error { return r.AddAccessTx(ctx, tx, websiteNumber, provider) })
}

// AddAccessTx records in tx that the provider (by name) serves the active
// website from now on (Rule OTH-1: several providers may serve one filing at
// once). Adding a provider that already serves it changes nothing.
func (r *Registry) AddAccessTx(ctx context.Context, tx *sqlstore.Tx, websiteNumber, provider string) (err error) {
	defer beian.Wrap(&err, "add access")
	provider = strings.TrimSpace(provider)
	if provider == "" || len([]rune(provider)) > MaxProviderName {
		return invalid("registry.provider_invalid", "OTH-1", "provider", "max", strconv.Itoa(MaxProviderName))
	}
	id, number, status, err := r.lockWebsite(ctx, tx, websiteNumber)
	if err != nil {
		return err
	}
	if status != StatusActive {
		return beian.Errorf(beian.KindInvalidState, "registry.not_active", "number", number)
	}
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_access WHERE website_id = $1 AND provider = $2 AND until = 0`, id, provider).Scan(&open); err != nil || open > 0 {
		return err
	}
	if err := r.openAccess(ctx, tx, id, provider); err != nil {
		return err
	}
	if err := touchWebsite(ctx, tx, id); err != nil {
		return err
	}
	return r.appendAudit(ctx, tx, "access.add", "website", number, nil, map[string]any{"provider": provider})
}

// EndAccess is EndAccessTx in a transaction of its own.
func (r *Registry) EndAccess(ctx context.Context, websiteNumber, provider string) error {
	return r.inTx(ctx, func(tx *sqlstore.Tx) error { return r.EndAccessTx(ctx, tx, websiteNumber, provider) })
}

// EndAccessTx records in tx that the provider no longer serves the website
// (Rule CAN-5, cancel access): the number stays; other providers keep
// theirs. A provider that does not serve it is not_found
// (registry.access_not_found).
func (r *Registry) EndAccessTx(ctx context.Context, tx *sqlstore.Tx, websiteNumber, provider string) (err error) {
	defer beian.Wrap(&err, "end access")
	provider = strings.TrimSpace(provider)
	id, number, _, err := r.lockWebsite(ctx, tx, websiteNumber)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE registry_access SET until = $1 WHERE website_id = $2 AND provider = $3 AND until = 0`,
		sqlstore.Micro(tx.Now), id, provider)
	if err != nil {
		return sqlstore.MapErr(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = beian.Errorf(beian.KindNotFound, "registry.access_not_found", "number", number, "provider", provider)
		}
		return err
	}
	if err := touchWebsite(ctx, tx, id); err != nil {
		return err
	}
	return r.appendAudit(ctx, tx, "access.end", "website", number, map[string]any{"provider": provider}, nil)
}

// openAccess starts the provider's access to the website at tx.Now. An
// access ended at this very instant is reopened (the key holds since).
func (r *Registry) openAccess(ctx context.Context, tx *sqlstore.Tx, websiteID int64, provider string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO registry_access (website_id, provider, since, until) VALUES ($1, $2, $3, 0)
		ON CONFLICT (website_id, provider, since) DO UPDATE SET until = 0`, websiteID, provider, sqlstore.Micro(tx.Now))
	return sqlstore.MapErr(err)
}

// lockWebsite finds a website by number (any notation ParseFilingNumber
// accepts), locks it on PostgreSQL, and returns its id, canonical number
// and status; an unknown number is not_found.
func (r *Registry) lockWebsite(ctx context.Context, tx *sqlstore.Tx, websiteNumber string) (id int64, number, status string, err error) {
	n, ok := r.parseNumber(websiteNumber)
	if !ok || n.Site == 0 {
		return 0, "", "", notFound(websiteNumber)
	}
	number = n.String()
	err = tx.QueryRowContext(ctx, `SELECT id, status FROM registry_websites WHERE number = $1`+forUpdate(tx), number).Scan(&id, &status)
	if noRows(err) {
		return 0, "", "", notFound(number)
	}
	return id, number, status, err
}

// touchWebsite marks a change of the website's record (its access data, OTH-3).
func touchWebsite(ctx context.Context, tx *sqlstore.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE registry_websites SET updated_at = $1, version = version + 1 WHERE id = $2`, sqlstore.Micro(tx.Now), id)
	return sqlstore.MapErr(err)
}
