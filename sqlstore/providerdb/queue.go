package providerdb

import (
	"context"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// QueueCursor is a position in a review queue, which is ordered by the
// time the orders entered the stage and then by id (Rule REV-1: oldest
// first): the last order of the page before. The zero cursor is the
// queue's start.
type QueueCursor struct {
	StageAt time.Time
	ID      int64
}

// QueuePage lists up to limit orders in the stage after the cursor, oldest
// in it first (the review desk's queues, page by page): a keyset read of
// the index orders_stage (stage, stage_at), which costs the same on the
// first page and the hundredth, however long the queue.
func (s *Store) QueuePage(ctx context.Context, stage beian.Stage, after QueueCursor, limit int) (out []beian.Order, err error) {
	defer beian.Wrap(&err, "queue page")
	if limit <= 0 {
		limit = 50
	}
	q := `SELECT ` + orderColumns + ` FROM orders WHERE stage = $1`
	args := []any{string(stage)}
	if after.ID > 0 {
		at := sqlstore.Micro(after.StageAt)
		q += ` AND stage_at >= $2 AND (stage_at > $2 OR id > $3)`
		args = append(args, at, after.ID)
	}
	q += ` ORDER BY stage_at, id LIMIT ` + itoa(int64(limit))
	out, err = s.queryOrders(ctx, q, args...)
	if out == nil && err == nil {
		out = []beian.Order{}
	}
	return out, err
}

// CountInStage counts the orders in the stage (from the index orders_stage).
func (s *Store) CountInStage(ctx context.Context, stage beian.Stage) (n int, err error) {
	defer beian.Wrap(&err, "count in stage")
	err = s.DB.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE stage = $1`, string(stage)).Scan(&n)
	return n, err
}
