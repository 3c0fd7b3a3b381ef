package providerdb

import (
	"context"
	"encoding/json"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/workflow"
)

// UpdateOrder replaces the order's form data at the version the caller read.
// Only the fields editable in the order's stage may change (Rule REV-3: after
// a rejection exactly the flagged ones); each locked field that changed is
// reported (code order.field_locked). A stale version writes nothing.
func (s *Store) UpdateOrder(ctx context.Context, id, version int64, data json.RawMessage, actor string) (o beian.Order, err error) {
	return s.UpdateOrderWith(ctx, id, version, data, actor, nil)
}

// UpdateOrderWith is UpdateOrder with an effect that runs in the same
// transaction after the data is written (e.g. rebinding the order's
// subject when its certificate was corrected); its error undoes the edit.
func (s *Store) UpdateOrderWith(ctx context.Context, id, version int64, data json.RawMessage, actor string,
	effect func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error) (o beian.Order, err error) {
	defer beian.Wrap(&err, "update order %d", id)
	if !json.Valid(data) {
		return o, beian.Errorf(beian.KindBadRequest, "")
	}
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		before, err := lockOrder(ctx, tx, id, version)
		if err != nil {
			return err
		}
		changed, err := ChangedPaths(before.Data, data)
		if err != nil {
			return beian.Errorf(beian.KindBadRequest, "")
		}
		var ps beian.Problems
		for _, p := range changed {
			if !workflow.Editable(before.Stage, before.Flagged, p) {
				ps.Add("order.field_locked", "REV-3", p)
			}
		}
		if len(ps) > 0 {
			return &beian.Error{Kind: beian.KindInvalid, Problems: ps}
		}
		if len(changed) == 0 {
			o = before
			return nil
		}
		o, err = scanOrder(tx.QueryRowContext(ctx, `UPDATE orders SET data = $1, version = version + 1, updated_at = $2
			WHERE id = $3 AND version = $4 RETURNING `+orderColumns, string(data), sqlstore.Micro(tx.Now), id, version))
		if beian.IsKind(err, beian.KindNotFound) {
			return beian.Errorf(beian.KindStale, "")
		}
		if err != nil {
			return err
		}
		if effect != nil {
			if err := effect(ctx, tx, before, o); err != nil {
				return err
			}
		}
		err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "order.edit", Entity: "order", EntityID: o.Number,
			Before: map[string]any{"version": before.Version}, After: map[string]any{"version": o.Version, "fields": changed}})
		return err
	})
	return o, err
}

// Move is one stage move of an order.
type Move struct {
	OrderID int64
	Version int64 // the version the caller read; another is stale
	Event   workflow.Event
	By      workflow.Actor
	Actor   string // for the audit record, e.g. "account:42"
	// Key makes the move idempotent: repeating the last move's key returns
	// the order as it is, without moving it again.
	Key string
	// Flags for the state machine besides the type (REV-6, REV-8, VER-3).
	NewResponsiblePerson, Edited, ReusePhoto bool
	// Flagged replaces the flagged fields when the move enters needs_fix or
	// bureau_rejected (REV-3, REV-5); they are cleared on every other move.
	Flagged []string
	// Effect runs in the same transaction after the stage is written (review
	// items, outbox messages, timers, websites); its error undoes the move.
	Effect func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error
}

// Transition moves an order by an event on the paths of Rule REV-8 and
// writes the move to the order's stage history (StageHistory) in the same
// transaction. An illegal move is invalid_state, the wrong actor forbidden,
// a stale version stale; none of them writes anything.
func (s *Store) Transition(ctx context.Context, m Move) (o beian.Order, err error) {
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		o, err = s.TransitionTx(ctx, tx, m)
		return err
	})
	return o, err
}
