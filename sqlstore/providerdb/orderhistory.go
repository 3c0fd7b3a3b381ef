package providerdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// StageEntry is one row of an order's stage history: a move from one stage
// to another (From is "" for the creation of the draft), with when the order
// had entered From and when it left it (Rules REV-2, CAL-1: the timeline
// and the observed durations behind predicted dates).
type StageEntry struct {
	OrderID   int64
	From, To  beian.Stage
	Event     string // the workflow event, or "create"
	Actor     string
	Province  string // the subject's province (GB/T 2260)
	EnteredAt time.Time
	At        time.Time
	DataHash  string // DataHash of the order's data at the move
}

// DataHash returns the SHA-256 of the canonical form of a JSON document
// (keys sorted, numbers kept as written): two documents that differ only in
// spacing or key order hash alike. Invalid JSON hashes as written.
func DataHash(data json.RawMessage) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	canon := []byte(data)
	if err := d.Decode(&v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

// recordStage writes one history row in the move's transaction.
func recordStage(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order, event, actor string) error {
	entered := before.StageAt
	if before.Stage == "" {
		entered = after.StageAt
	}
	// The subject's province is read by the INSERT itself ('' without a
	// subject): one round trip per move, not two.
	_, err := tx.ExecContext(ctx, `INSERT INTO order_stages (order_id, from_stage, to_stage, event, actor, province, entered_at, at, data_hash)
		VALUES ($1, $2, $3, $4, $5, COALESCE((SELECT province FROM subjects WHERE id = $6), ''), $7, $8, $9)`,
		after.ID, string(before.Stage), string(after.Stage), event, actor, after.SubjectID,
		sqlstore.Micro(entered), sqlstore.Micro(tx.Now), DataHash(after.Data))
	return sqlstore.MapErr(err)
}

const stageColumns = `order_id, from_stage, to_stage, event, actor, province, entered_at, at, data_hash`

func scanStages(rows *sql.Rows, err error) (out []StageEntry, _ error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = []StageEntry{}
	for rows.Next() {
		var e StageEntry
		var from, to string
		var entered, at int64
		if err := rows.Scan(&e.OrderID, &from, &to, &e.Event, &e.Actor, &e.Province, &entered, &at, &e.DataHash); err != nil {
			return nil, err
		}
		e.From, e.To = beian.Stage(from), beian.Stage(to)
		e.EnteredAt, e.At = sqlstore.FromMicro(entered), sqlstore.FromMicro(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// StageHistory returns the order's stage moves, oldest first.
func (s *Store) StageHistory(ctx context.Context, orderID int64) ([]StageEntry, error) {
	return scanStages(s.DB.SQL.QueryContext(ctx, `SELECT `+stageColumns+` FROM order_stages WHERE order_id = $1 ORDER BY id`, orderID))
}

// LastEntry returns the latest move of the order into the stage, in the
// caller's transaction; false when the order never entered it.
func (s *Store) LastEntry(ctx context.Context, tx *sqlstore.Tx, orderID int64, to beian.Stage) (StageEntry, bool, error) {
	es, err := scanStages(tx.QueryContext(ctx, `SELECT `+stageColumns+` FROM order_stages WHERE order_id = $1 AND to_stage = $2
		ORDER BY id DESC LIMIT 1`, orderID, string(to)))
	if err != nil || len(es) == 0 {
		return StageEntry{}, false, err
	}
	return es[0], true, nil
}

// FinishedBureauReviews returns up to limit of the latest finished bureau
// reviews of the province, newest first: the moves out of bureau_review to
// approved or bureau_rejected, each with the time the order entered the
// review (EnteredAt) and the decision (At). The timeline's predicted dates
// use their median duration (Rule REV-2).
func (s *Store) FinishedBureauReviews(ctx context.Context, province string, limit int) ([]StageEntry, error) {
	return scanStages(s.DB.SQL.QueryContext(ctx, `SELECT `+stageColumns+` FROM order_stages
		WHERE from_stage = 'bureau_review' AND province = $1 AND to_stage IN ('approved', 'bureau_rejected')
		ORDER BY at DESC, id DESC LIMIT $2`, province, limit))
}
