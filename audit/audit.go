package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beian/beian/sqlstore"
)

// Chain is the audit chain of one context, bound to that context's tables.
// It holds no state besides the table names and is safe for concurrent use.
type Chain struct {
	context string
	records string // <context>_audit
	head    string // <context>_audit_head
	page    int    // records per Verify query; 0: pageSize
}

// New returns the chain of the context: "provider" or "registry", whose
// records live in <context>_audit and whose head lives in
// <context>_audit_head. Any other name is an error (table names are never
// built from unchecked input).
func New(context string) (*Chain, error) {
	switch context {
	case "provider":
		return &Chain{context: context, records: "provider_audit", head: "provider_audit_head"}, nil
	case "registry":
		return &Chain{context: context, records: "registry_audit", head: "registry_audit_head"}, nil
	}
	return nil, fmt.Errorf("audit: unknown context %q (want provider or registry)", context)
}

// Context returns the name of the chain's context.
func (c *Chain) Context() string { return c.context }

// Entry is what a caller records about one state change. Before and After
// are the states around it: nil is stored as the empty string; a string or a
// json.RawMessage is stored as given (it is taken to be JSON already); any
// other value is stored as its encoding/json text (map keys sorted, no HTML
// escaping). They must not contain secrets (see the package comment).
type Entry struct {
	Actor    string // who: "account:42", "system", "registry", "timer"
	Action   string // what: "order.submit"
	Entity   string // the kind of thing changed: "order"
	EntityID string // which one
	Before   any
	After    any
}

// Record is one stored audit record.
type Record struct {
	Seq      int64     // 1, 2, …: no gaps
	At       time.Time // the time of the transaction that wrote it (CST)
	Actor    string
	Action   string
	Entity   string
	EntityID string
	Before   string // JSON, or "" for none
	After    string // JSON, or "" for none
	PrevHash string // the Hash of record Seq-1; Genesis for record 1
	Hash     string // hex SHA-256 of the fields above (see the package comment)
}

// Append records e as the next record of the chain in the caller's
// transaction tx, at tx.Now: the record commits or rolls back with tx. The
// entry is checked and encoded at once (an error here is Append's); the
// record is written at the end of tx, just before its commit
// (sqlstore.Tx.BeforeCommitRank, RankAudit), with every other record of tx,
// under the chain's head (locked until the commit). So the head, which
// every state change of a context takes, is held for those inserts and the
// commit only, wherever in the transaction Append is called; a failure to
// write is the transaction's error.
func (c *Chain) Append(ctx context.Context, tx *sqlstore.Tx, e Entry) (err error) {
	defer wrap(&err, "audit append %s %s", c.context, e.Action)
	if tx == nil {
		return errors.New("no transaction")
	}
	if e.Actor == "" || e.Action == "" {
		return errors.New("actor and action are required")
	}
	before, err := encode(e.Before)
	if err != nil {
		return fmt.Errorf("before: %w", err)
	}
	after, err := encode(e.After)
	if err != nil {
		return fmt.Errorf("after: %w", err)
	}
	p := tx.Stash(pendingKey{c.records}, func() any {
		p := &pending{}
		tx.BeforeCommitRank(sqlstore.RankAudit, func(ctx context.Context) error { return c.write(ctx, tx, p.recs) })
		return p
	}).(*pending)
	p.recs = append(p.recs, Record{Actor: e.Actor, Action: e.Action, Entity: e.Entity, EntityID: e.EntityID, Before: before, After: after})
	return nil
}

// pendingKey keys a chain's pending records in a transaction's stash.
type pendingKey struct{ records string }

// pending is what a transaction has appended to one chain.
type pending struct{ recs []Record }

// write locks the head, links recs after it in order and moves the head
// to the last of them.
func (c *Chain) write(ctx context.Context, tx *sqlstore.Tx, recs []Record) (err error) {
	defer wrap(&err, "audit append %s", c.context)
	q := `SELECT seq, hash FROM ` + c.head + ` WHERE id = 1`
	if tx.Driver == sqlstore.Postgres {
		// Writers queue on the head row; under READ COMMITTED the waiter
		// then reads the head its predecessor committed.
		q += ` FOR UPDATE`
	}
	var headSeq int64
	var headHash string
	if err := tx.QueryRowContext(ctx, q).Scan(&headSeq, &headHash); err != nil {
		return fmt.Errorf("read head: %w", sqlstore.MapErr(err))
	}
	at := sqlstore.Micro(tx.Now)
	seq, hash := headSeq, headHash
	// The records go in as few statements as possible, and on PostgreSQL
	// the last of them also moves the head: every round trip here is made
	// while the head is locked, and every state change of the context
	// queues on it.
	for start := 0; start < len(recs); start += insertChunk {
		chunk := recs[start:min(start+insertChunk, len(recs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO ` + c.records + ` (seq, at, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash) VALUES `)
		args := make([]any, 0, 10*len(chunk)+3)
		for i, rec := range chunk {
			seq++
			rec.Seq, rec.At, rec.PrevHash = seq, sqlstore.FromMicro(at), hash
			rec.Hash = computeHash(rec)
			hash = rec.Hash
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10)
			args = append(args, rec.Seq, at, rec.Actor, rec.Action, rec.Entity, rec.EntityID, rec.Before, rec.After, rec.PrevHash, rec.Hash)
		}
		last := start+len(chunk) == len(recs)
		stmt := q.String()
		if last && tx.Driver == sqlstore.Postgres {
			n := len(args)
			stmt = `WITH ins AS (` + stmt + `) UPDATE ` + c.head + fmt.Sprintf(` SET seq = $%d, hash = $%d WHERE id = 1 AND seq = $%d`, n+1, n+2, n+3)
			args = append(args, seq, hash, headSeq)
		}
		res, err := tx.ExecContext(ctx, stmt, args...)
		if err != nil {
			return fmt.Errorf("insert records %d–%d (%s): %w", seq-int64(len(chunk))+1, seq, chunk[0].Action, sqlstore.MapErr(err))
		}
		if last && tx.Driver == sqlstore.Postgres {
			return headMoved(res)
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE `+c.head+` SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3`, seq, hash, headSeq)
	if err != nil {
		return fmt.Errorf("update head: %w", sqlstore.MapErr(err))
	}
	return headMoved(res)
}

// insertChunk bounds the records of one INSERT (ten parameters each; the
// engines allow 32,766 and 65,535).
const insertChunk = 500

// headMoved checks that the head's update moved exactly the head row.
func headMoved(res sql.Result) error {
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("update head: moved under us (rows %d, %v)", n, err)
	}
	return nil
}

// encode renders Before or After for storage (see Entry).
func encode(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.RawMessage:
		return string(v), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// Head returns the seq and hash of the last record (0 and Genesis for an
// empty chain), as the head table holds them. Keep the hash somewhere else
// to pass to Verify later.
func (c *Chain) Head(ctx context.Context, db *sqlstore.DB) (seq int64, hash string, err error) {
	defer wrap(&err, "audit head %s", c.context)
	err = db.SQL.QueryRowContext(ctx, `SELECT seq, hash FROM `+c.head+` WHERE id = 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("the head row is missing (was the database migrated?)")
	}
	return seq, hash, err
}

// recordColumns are the columns scanned by scanRecord, in its order.
const recordColumns = `seq, at, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash`

// scanRecord scans one row of recordColumns.
func scanRecord(rows *sql.Rows) (Record, error) {
	var r Record
	var at int64
	err := rows.Scan(&r.Seq, &at, &r.Actor, &r.Action, &r.Entity, &r.EntityID, &r.Before, &r.After, &r.PrevHash, &r.Hash)
	r.At = sqlstore.FromMicro(at)
	return r, err
}

// Records returns the history of one entity in seq order (an order's
// timeline, the staff views of a document for PRIV-1). An entity without
// records has an empty history, not an error.
func (c *Chain) Records(ctx context.Context, db *sqlstore.DB, entity, entityID string) (recs []Record, err error) {
	defer wrap(&err, "audit records %s %s %s", c.context, entity, entityID)
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+recordColumns+` FROM `+c.records+
		` WHERE entity = $1 AND entity_id = $2 ORDER BY seq`, entity, entityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	recs = []Record{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, rows.Err()
}

// wrap prefixes a non-nil *err with the context of the function.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *err)
	}
}
