package providerdb

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// Claim is a reviewer's hold on an order in one review stage: while it is
// live no other reviewer may claim or decide the order (issue 6; Rules
// REV-1, REV-4). It expires so that an order is never stuck.
type Claim struct {
	OrderID    int64
	ReviewerID int64
	Stage      beian.Stage
	ExpiresAt  time.Time
	CreatedAt  time.Time
}

// errClaimed is the answer to a reviewer who meets another's live claim.
func errClaimed() error {
	return &beian.Error{Kind: beian.KindConflict, Code: "review.claimed",
		Problems: beian.Problems{beian.NewProblem("review.claimed", "REV-1", "")}}
}

// errClaimRequired is the answer to a decision without a live claim.
func errClaimRequired() error {
	return &beian.Error{Kind: beian.KindConflict, Code: "review.claim_required",
		Problems: beian.Problems{beian.NewProblem("review.claim_required", "REV-1", "")}}
}

func claimInTx(ctx context.Context, tx *sqlstore.Tx, orderID int64) (c Claim, ok bool, err error) {
	var stage string
	var expires, created int64
	err = tx.QueryRowContext(ctx, `SELECT order_id, reviewer_id, stage, expires_at, created_at FROM review_claims WHERE order_id = $1`, orderID).
		Scan(&c.OrderID, &c.ReviewerID, &stage, &expires, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	c.Stage, c.ExpiresAt, c.CreatedAt = beian.Stage(stage), sqlstore.FromMicro(expires), sqlstore.FromMicro(created)
	return c, true, nil
}

// live reports whether the claim still holds the order in its stage at now.
func (c Claim) live(stage beian.Stage, now time.Time) bool {
	return c.Stage == stage && now.Before(c.ExpiresAt)
}

// ClaimOrder gives the reviewer the order for ttl, in one of the stages
// (the review stages the caller serves). The same reviewer claiming again
// extends the claim. An order in another stage is invalid_state
// (review.not_reviewable); another reviewer's live claim is conflict
// (review.claimed); an unknown order is not found.
func (s *Store) ClaimOrder(ctx context.Context, orderID, reviewerID int64, ttl time.Duration, stages ...beian.Stage) (c Claim, err error) {
	defer beian.Wrap(&err, "claim order %d", orderID)
	// Most refusals (another reviewer's live claim: reviewers reach for the
	// same head of the queue) are answered from one read, without queueing
	// for the writer; the write checks again.
	if err = s.claimableNow(ctx, orderID, reviewerID, stages); err != nil {
		return c, err
	}
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		o, err := claimable(ctx, tx, orderID, reviewerID, stages)
		if err != nil {
			return err
		}
		c = Claim{OrderID: orderID, ReviewerID: reviewerID, Stage: o.Stage, ExpiresAt: tx.Now.Add(ttl), CreatedAt: tx.Now}
		_, err = tx.ExecContext(ctx, `INSERT INTO review_claims (order_id, reviewer_id, stage, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (order_id) DO UPDATE SET reviewer_id = excluded.reviewer_id, stage = excluded.stage, expires_at = excluded.expires_at, created_at = excluded.created_at`,
			orderID, reviewerID, string(o.Stage), sqlstore.Micro(c.ExpiresAt), sqlstore.Micro(tx.Now))
		if err != nil {
			return sqlstore.MapErr(err)
		}
		err = s.Audit.Append(ctx, tx, audit.Entry{Actor: "account:" + itoa(reviewerID), Action: "review.claim", Entity: "order",
			EntityID: o.Number, After: map[string]any{"stage": o.Stage, "expires_at": sqlstore.Micro(c.ExpiresAt)}})
		return err
	})
	return c, err
}

// claimable returns the order when the reviewer may claim it: in one of
// stages, and not under another reviewer's live claim.
func claimable(ctx context.Context, tx *sqlstore.Tx, orderID, reviewerID int64, stages []beian.Stage) (beian.Order, error) {
	o, err := OrderTx(ctx, tx, orderID)
	if err != nil {
		return o, err
	}
	if !slices.Contains(stages, o.Stage) {
		return o, errNotReviewable(o.Stage)
	}
	prev, ok, err := claimInTx(ctx, tx, orderID)
	if err != nil {
		return o, err
	}
	if ok && prev.ReviewerID != reviewerID && prev.live(o.Stage, tx.Now) {
		return o, errClaimed()
	}
	return o, nil
}

// claimableNow is claimable's answer from one statement outside any
// transaction (the order's stage and its claim, read together): the
// refusal a claim would meet now, or nil.
func (s *Store) claimableNow(ctx context.Context, orderID, reviewerID int64, stages []beian.Stage) error {
	var stage string
	var holder, expires sql.NullInt64
	var claimStage sql.NullString
	err := s.DB.SQL.QueryRowContext(ctx, `SELECT o.stage, c.reviewer_id, c.stage, c.expires_at
		FROM orders o LEFT JOIN review_claims c ON c.order_id = o.id WHERE o.id = $1`, orderID).Scan(&stage, &holder, &claimStage, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return beian.Errorf(beian.KindNotFound, "")
	}
	if err != nil {
		return err
	}
	if !slices.Contains(stages, beian.Stage(stage)) {
		return errNotReviewable(beian.Stage(stage))
	}
	prev := Claim{ReviewerID: holder.Int64, Stage: beian.Stage(claimStage.String), ExpiresAt: sqlstore.FromMicro(expires.Int64)}
	if holder.Valid && prev.ReviewerID != reviewerID && prev.live(beian.Stage(stage), s.DB.Clock.Now()) {
		return errClaimed()
	}
	return nil
}

// errNotReviewable is the answer to a claim of an order in no stage the
// reviewer serves.
func errNotReviewable(stage beian.Stage) error {
	return beian.Errorf(beian.KindInvalidState, "review.not_reviewable", "stage", string(stage))
}

// UseClaim checks, in the caller's transaction (a decision's), that the
// reviewer holds a live claim on the order in its stage and releases it:
// another reviewer's live claim is conflict (review.claimed), no live
// claim conflict (review.claim_required). On an error the claim is already
// deleted in tx: the caller's transaction must fail with it (a move's
// Effect does), which puts the claim back.
func (s *Store) UseClaim(ctx context.Context, tx *sqlstore.Tx, o beian.Order, reviewerID int64) error {
	// Released and read in one statement.
	var c Claim
	var stage string
	var expires int64
	err := tx.QueryRowContext(ctx, `DELETE FROM review_claims WHERE order_id = $1 RETURNING reviewer_id, stage, expires_at`, o.ID).
		Scan(&c.ReviewerID, &stage, &expires)
	ok := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	c.Stage, c.ExpiresAt = beian.Stage(stage), sqlstore.FromMicro(expires)
	switch {
	case ok && c.live(o.Stage, tx.Now) && c.ReviewerID != reviewerID:
		return errClaimed()
	case !ok || !c.live(o.Stage, tx.Now):
		return errClaimRequired()
	}
	return nil
}

// Claims returns the live claims on the orders in the stage at now, by order ID.
func (s *Store) Claims(ctx context.Context, stage beian.Stage, now time.Time) (map[int64]Claim, error) {
	rows, err := s.DB.SQL.QueryContext(ctx, `SELECT c.order_id, c.reviewer_id, c.stage, c.expires_at, c.created_at FROM review_claims c
		JOIN orders o ON o.id = c.order_id WHERE o.stage = $1 AND c.stage = $1 AND c.expires_at > $2`, string(stage), sqlstore.Micro(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Claim{}
	for rows.Next() {
		var c Claim
		var st string
		var expires, created int64
		if err := rows.Scan(&c.OrderID, &c.ReviewerID, &st, &expires, &created); err != nil {
			return nil, err
		}
		c.Stage, c.ExpiresAt, c.CreatedAt = beian.Stage(st), sqlstore.FromMicro(expires), sqlstore.FromMicro(created)
		out[c.OrderID] = c
	}
	return out, rows.Err()
}

// OrdersInStage lists the orders in the stage, oldest in it first (the
// review queues, Rule REV-1), at most limit (≤ 0: 500).
func (s *Store) OrdersInStage(ctx context.Context, stage beian.Stage, limit int) (out []beian.Order, err error) {
	if limit <= 0 {
		limit = 500
	}
	return s.queryOrders(ctx, `SELECT `+orderColumns+` FROM orders WHERE stage = $1 ORDER BY stage_at, id LIMIT $2`, string(stage), limit)
}
