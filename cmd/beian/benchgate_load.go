package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/beian/beian/gate"
	"github.com/beian/beian/sqlstore"
)

// gateBulkLoad migrates the database at dsn and loads n synthetic
// servable-domain rows, all on one website, with the engine's bulk path
// (COPY on PostgreSQL, prepared inserts in one transaction on SQLite). It
// writes the table directly, not through providerdb.SaveWebsite: the
// benchmark measures the gate's read side, and ten million SaveWebsite
// transactions would take hours. It returns the seconds spent loading.
func gateBulkLoad(ctx context.Context, dsn sqlstore.DSN, seed uint64, n int) (float64, error) {
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return 0, err
	}
	var held int
	if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM servable_domains`).Scan(&held); err != nil || held > 0 {
		if err == nil {
			err = fmt.Errorf("%s already holds %d servable domains: the benchmark needs an empty database (a new SQLite file)", dsn, held)
		}
		return 0, err
	}
	var website int64
	err = db.InTx(ctx, func(tx *sqlstore.Tx) error {
		var account, subject int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO provider_accounts (login, role, created_at) VALUES ('bench-gate', 'customer', 1) RETURNING id`).Scan(&account); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO subjects (account_id, subject_key, nature, name, cert_type, cert_number, province, status, created_at, updated_at)
			VALUES ($1, 'bench', 'enterprise', 'bench', 'uscc', 'bench', '330000', 'active', 1, 1) RETURNING id`, account).Scan(&subject); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO websites (subject_id, name, access, created_at, updated_at) VALUES ($1, 'bench', 'served', 1, 1) RETURNING id`, subject).Scan(&website)
	})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if db.Driver == sqlstore.Postgres {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		err = conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			i := 0
			_, err := pc.CopyFrom(ctx, pgx.Identifier{"servable_domains"}, []string{"domain", "website_id", "website_number", "reason", "seq"},
				pgx.CopyFromFunc(func() ([]any, error) {
					if i == n {
						return nil, nil
					}
					d, num, reason := gate.SyntheticRow(seed, i)
					i++
					return []any{d, website, num, string(reason), int64(0)}, nil
				}))
			if err == nil {
				_, err = pc.Exec(ctx, `ANALYZE servable_domains`)
			}
			return err
		})
		return time.Since(start).Seconds(), err
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO servable_domains (domain, website_id, website_number, reason, seq) VALUES ($1, $2, $3, $4, 0)`)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	for i := range n {
		d, num, reason := gate.SyntheticRow(seed, i)
		if _, err := st.ExecContext(ctx, d, website, num, string(reason)); err != nil {
			return 0, err
		}
	}
	err = tx.Commit()
	return time.Since(start).Seconds(), err
}
