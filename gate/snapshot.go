package gate

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/beian/beian/sqlstore"
)

// Snapshot queries, the same on both engines.
const (
	qTop     = `SELECT COALESCE(MAX(seq), 0) FROM servable_changes`
	qRecent  = `SELECT seq FROM servable_changes WHERE seq > $1`
	qAllRows = `SELECT domain, website_number, reason FROM servable_domains`
)

// snapshotReader reads the top seq, the seqs present near it and every
// row in one transaction; build is told the row count (an estimate on
// PostgreSQL) and returns the function each row goes to.
type snapshotReader func(ctx context.Context, db *sqlstore.DB, build func(count int64) func(domain, number, reason []byte)) (top int64, present map[int64]bool, err error)

// readSnapshotSQL reads through database/sql (SQLite: a deferred,
// read-only transaction, one WAL snapshot).
func readSnapshotSQL(ctx context.Context, db *sqlstore.DB, build func(int64) func(d, n, r []byte)) (top int64, present map[int64]bool, err error) {
	tx, err := db.SQL.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, nil, err
	}
	defer tx.Rollback()
	var count int64
	if err := tx.QueryRowContext(ctx, qTop).Scan(&top); err != nil {
		return 0, nil, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM servable_domains`).Scan(&count); err != nil {
		return 0, nil, err
	}
	present = map[int64]bool{}
	rows, err := tx.QueryContext(ctx, qRecent, top-gapWindow)
	if err != nil {
		return 0, nil, err
	}
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return 0, nil, err
		}
		present[s] = true
	}
	if err := rows.Close(); err != nil {
		return 0, nil, err
	}
	add := build(count)
	rows, err = tx.QueryContext(ctx, qAllRows)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var domain, number, reason sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&domain, &number, &reason); err != nil {
			return 0, nil, err
		}
		add(domain, number, reason)
	}
	return top, present, rows.Err()
}

// readSnapshotPG reads through pgx itself on one of the pool's
// connections: a repeatable-read, read-only transaction, the rows taken
// as raw values. database/sql's per-row conversions cost about as much
// again as the reading, and the cold start of ten million domains counts.
func readSnapshotPG(ctx context.Context, db *sqlstore.DB, build func(int64) func(d, n, r []byte)) (top int64, present map[int64]bool, err error) {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		tx, err := sc.Conn().BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		var count int64
		if err := tx.QueryRow(ctx, qTop).Scan(&top); err != nil {
			return err
		}
		// The planner's estimate sizes the table; COUNT(*) would read it all once more.
		if err := tx.QueryRow(ctx, `SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = 'servable_domains'::regclass`).Scan(&count); err != nil {
			return err
		}
		present = map[int64]bool{}
		rows, err := tx.Query(ctx, qRecent, top-gapWindow)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			present[s] = true
		}
		if rows.Close(); rows.Err() != nil {
			return rows.Err()
		}
		add := build(count)
		rows, err = tx.Query(ctx, qAllRows, pgx.QueryResultFormats{pgx.TextFormatCode})
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v := rows.RawValues()
			add(v[0], v[1], v[2])
		}
		return rows.Err()
	})
	return top, present, err
}
