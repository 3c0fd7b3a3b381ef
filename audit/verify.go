package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/beian/beian/sqlstore"
)

// pageSize is how many records Verify reads per query: memory stays bounded
// however long the chain grows.
const pageSize = 1000

// Report is the result of a successful Verify.
type Report struct {
	Records int64  // how many records were checked
	Head    string // the hash of the last record (Genesis for an empty chain)
	HeadSeq int64  // the seq of the last record (0 for an empty chain)
	KeptSeq int64  // the seq of the kept head passed to Verify, if one was
}

// BrokenError is the first break Verify finds in a chain. Seq is the record
// that is wrong or missing; 0 when the break is not one record's (a kept head
// that is not in the chain).
type BrokenError struct {
	Context string // "provider" or "registry"
	Seq     int64
	Reason  string // "hash mismatch (contents changed)", "missing", …
}

// Error names the chain, the record and what is wrong with it.
func (e *BrokenError) Error() string {
	if e.Seq == 0 {
		return fmt.Sprintf("%s audit chain broken: %s", e.Context, e.Reason)
	}
	return fmt.Sprintf("%s audit chain broken: record %d: %s", e.Context, e.Seq, e.Reason)
}

// Verify proves the chain intact: it reads every record in seq order (a page
// at a time, in one read-only snapshot so that concurrent appends do not
// disturb it), recomputes each hash, checks that seq has no gap and that each
// prev_hash links to the record before it, and that the head table names the
// last record. When keptHead is not empty it must be the hash of a record of
// the chain: a head kept elsewhere earlier, which proves that nothing up to it
// was rewritten or removed. The first break is returned as a *BrokenError;
// other errors are failures to read.
func (c *Chain) Verify(ctx context.Context, db *sqlstore.DB, keptHead string) (rep Report, err error) {
	opts := &sql.TxOptions{ReadOnly: true} // SQLite: a deferred BEGIN, a WAL snapshot that blocks no writer
	if db.Driver == sqlstore.Postgres {
		opts.Isolation = sql.LevelRepeatableRead // one snapshot for every page
	}
	tx, err := db.SQL.BeginTx(ctx, opts)
	if err != nil {
		return Report{}, fmt.Errorf("audit verify %s: %w", c.context, err)
	}
	defer tx.Rollback()

	var headSeq int64
	var headHash string
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM `+c.head+` WHERE id = 1`).Scan(&headSeq, &headHash)
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, c.broken(0, "the head row is missing")
	}
	if err != nil {
		return Report{}, fmt.Errorf("audit verify %s: read head: %w", c.context, err)
	}

	keptHead = strings.ToLower(strings.TrimSpace(keptHead)) // as pasted from elsewhere
	v := verifier{chain: c, keptHead: keptHead, prevHash: Genesis, next: 1}
	if keptHead == Genesis {
		v.keptFound = true
	}
	after := int64(math.MinInt64) // tampering may have left seq <= 0 rows
	for {
		n, last, err := v.page(ctx, tx, after)
		if err != nil {
			return Report{}, err
		}
		if n < c.pageSize() {
			break
		}
		after = last
	}

	last := v.next - 1
	switch {
	case headSeq > last:
		return Report{}, c.broken(last+1, fmt.Sprintf("missing (the head names record %d as the last)", headSeq))
	case headSeq < last:
		return Report{}, c.broken(headSeq+1, fmt.Sprintf("beyond the head (record %d): written outside Append, or the head was moved back", headSeq))
	case headHash != v.prevHash:
		return Report{}, c.broken(headSeq, fmt.Sprintf("the head's hash %s does not match the record's %s", short(headHash), short(v.prevHash)))
	}
	if keptHead != "" && !v.keptFound {
		return Report{}, c.broken(0, fmt.Sprintf("kept head %s not found: records were rewritten or removed", short(keptHead)))
	}
	return Report{Records: v.count, Head: headHash, HeadSeq: headSeq, KeptSeq: v.keptSeq}, nil
}

// verifier carries Verify's state from one page to the next.
type verifier struct {
	chain     *Chain
	keptHead  string
	keptFound bool
	keptSeq   int64
	prevHash  string // the hash of the last record checked
	next      int64  // the seq the next record must have
	count     int64
}

// page checks the records after seq after, at most a page of them, and
// returns how many it read and the seq of the last one.
func (v *verifier) page(ctx context.Context, tx *sql.Tx, after int64) (n int, last int64, err error) {
	c := v.chain
	rows, err := tx.QueryContext(ctx, `SELECT `+recordColumns+` FROM `+c.records+
		` WHERE seq > $1 ORDER BY seq LIMIT $2`, after, c.pageSize())
	if err != nil {
		return 0, 0, fmt.Errorf("audit verify %s: %w", c.context, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return 0, 0, fmt.Errorf("audit verify %s: %w", c.context, err)
		}
		n++
		last = r.Seq
		switch {
		case r.Seq > v.next:
			return 0, 0, c.broken(v.next, fmt.Sprintf("missing (the next record is %d)", r.Seq))
		case r.Seq < v.next:
			return 0, 0, c.broken(r.Seq, "seq out of range (the chain starts at 1)")
		case computeHash(r) != r.Hash:
			return 0, 0, c.broken(r.Seq, "hash mismatch (contents changed)")
		case r.PrevHash != v.prevHash:
			if r.Seq == 1 {
				return 0, 0, c.broken(r.Seq, "prev_hash is not the genesis hash")
			}
			return 0, 0, c.broken(r.Seq, fmt.Sprintf("prev_hash does not link to record %d", r.Seq-1))
		}
		if !v.keptFound && r.Hash == v.keptHead {
			v.keptFound, v.keptSeq = true, r.Seq
		}
		v.prevHash = r.Hash
		v.next++
		v.count++
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("audit verify %s: %w", c.context, err)
	}
	return n, last, nil
}

// pageSize returns how many records Verify reads per query.
func (c *Chain) pageSize() int {
	if c.page > 0 {
		return c.page // tests cross page boundaries with few records
	}
	return pageSize
}

// broken returns a *BrokenError of the chain.
func (c *Chain) broken(seq int64, reason string) *BrokenError {
	return &BrokenError{Context: c.context, Seq: seq, Reason: reason}
}
