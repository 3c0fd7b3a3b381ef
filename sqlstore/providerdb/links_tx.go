package providerdb

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/workflow"
)

// TransitionTx is Transition inside the caller's transaction (it must stay
// Transition's body; see transition.go): for code that
// already holds one — a timer handler (timer.Handler runs in the
// transaction that marks the timer fired) or an event consumer that
// stores the event's effect and its cursor together. The rules are
// Transition's: an illegal move is invalid_state, the wrong actor
// forbidden, a stale version stale, and nothing is written on error (the
// caller rolls back).
func (s *Store) TransitionTx(ctx context.Context, tx *sqlstore.Tx, m Move) (o beian.Order, err error) {
	defer beian.Wrap(&err, "order %d %s", m.OrderID, m.Event)
	// One read locks the order and tells a replay of the move's key (the
	// move already made: the order as it is) from a new move.
	q := `SELECT ` + orderColumns + `, last_key FROM orders WHERE id = $1`
	if tx.Driver == sqlstore.Postgres {
		q += ` FOR UPDATE`
	}
	var last string
	before, err := scanOrder(withExtra{tx.QueryRowContext(ctx, q, m.OrderID), []any{&last}})
	if err != nil {
		return o, err
	}
	if m.Key != "" && last == m.Key {
		return before, nil
	}
	if m.Version != before.Version {
		return o, beian.Errorf(beian.KindStale, "")
	}
	to, err := workflow.Next(workflow.Order{Type: before.Type, NewResponsiblePerson: m.NewResponsiblePerson, Edited: m.Edited, ReusePhoto: m.ReusePhoto}, before.Stage, m.Event, m.By)
	if err != nil {
		return o, err
	}
	flagged := []string{}
	if to == beian.StageNeedsFix || to == beian.StageBureauRejected {
		flagged = append(flagged, m.Flagged...)
		sort.Strings(flagged)
	}
	fj, _ := json.Marshal(flagged)
	now := sqlstore.Micro(tx.Now)
	q = `UPDATE orders SET stage = $1, flagged = $2, version = version + 1, updated_at = $3, stage_at = $3, last_key = $4`
	if m.Event == workflow.Submit && before.SubmittedAt.IsZero() {
		q += `, submitted_at = $3`
	}
	q += ` WHERE id = $5 AND version = $6 RETURNING ` + orderColumns
	o, err = scanOrder(tx.QueryRowContext(ctx, q, string(to), string(fj), now, m.Key, m.OrderID, m.Version))
	if beian.IsKind(err, beian.KindNotFound) {
		return o, beian.Errorf(beian.KindStale, "")
	}
	if err != nil {
		return o, err
	}
	// Rules REV-2, CAL-1: the stage history, in the move's transaction (as Transition).
	if err := recordStage(ctx, tx, before, o, string(m.Event), m.Actor); err != nil {
		return o, err
	}
	if m.Effect != nil {
		if err := m.Effect(ctx, tx, before, o); err != nil {
			return o, err
		}
	}
	err = s.Audit.Append(ctx, tx, audit.Entry{Actor: m.Actor, Action: "order." + string(m.Event), Entity: "order", EntityID: o.Number,
		Before: map[string]any{"stage": before.Stage, "version": before.Version},
		After:  map[string]any{"stage": o.Stage, "version": o.Version, "flagged": flagged}})
	return o, err
}

// OrderTx reads the order with the id inside tx, locking its row on
// PostgreSQL (no version check).
func OrderTx(ctx context.Context, tx *sqlstore.Tx, id int64) (beian.Order, error) {
	q := `SELECT ` + orderColumns + ` FROM orders WHERE id = $1`
	if tx.Driver == sqlstore.Postgres && !tx.ReadOnly {
		q += ` FOR UPDATE`
	}
	return scanOrder(tx.QueryRowContext(ctx, q, id))
}

// withExtra scans a row of orderColumns followed by more columns into
// extra.
type withExtra struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }
