package provider

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// feedName is the row of provider_event_cursor that holds the registry's cursor.
const feedName = "registry"

// eventPage is how many events PullEvents asks for at a time.
const eventPage = 100

// PullEvents consumes the registry's event feed (beian.Connector.Events)
// from the stored cursor until it is empty, and returns how many events it
// applied. Each event is applied in one transaction with its record in
// provider_events_applied and, for the last event of a page, the page's
// next cursor: an event delivered again (at least once, connector
// contract) is recognised by its ID and skipped. The effects by type:
//   - sms_confirmed: sms_confirmation → bureau_review (Rule VER-3);
//   - returned: sms_confirmation → returned, persons told (Rule VER-3);
//   - approved: bureau_review → approved; the subject's and websites'
//     numbers, the websites served (Rules NUM-1, GATE-1, GATE-2; a change's
//     new data, OTH-2);
//   - rejected: bureau_review → bureau_rejected with the items and their
//     fields flagged; the photo decision of Rule REV-6 told (Rule REV-5);
//   - cancelled: the website or subject cancelled here (Rules CAN-1,
//     CAN-3; a cancel_* order in bureau review is approved by it), persons told;
//   - password_issued: nothing to do here (Rule PWD-1: the registry sent it).
//
// A connector error stops the pull; call again later (Run does).
func (s *Service) PullEvents(ctx context.Context) (n int, err error) {
	defer beian.Wrap(&err, "pull registry events")
	for {
		cursor, err := s.eventCursor(ctx)
		if err != nil {
			return n, err
		}
		page, err := s.Connector.Events(ctx, cursor, eventPage)
		if err != nil {
			return n, err
		}
		if len(page.Events) == 0 {
			return n, nil
		}
		for i, ev := range page.Events {
			next := cursor
			if i == len(page.Events)-1 {
				next = page.Next
			}
			applied, err := s.applyEvent(ctx, ev, next)
			if err != nil {
				return n, err
			}
			if applied {
				n++
			}
		}
	}
}

// eventCursor reads the stored cursor ("" before the first event).
func (s *Service) eventCursor(ctx context.Context) (string, error) {
	var c string
	err := s.DB.SQL.QueryRowContext(ctx, `SELECT cursor FROM provider_event_cursor WHERE name = $1`, feedName).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return c, err
}

// applyEvent applies one event and stores the cursor in one transaction;
// applied is false for an event seen before.
func (s *Service) applyEvent(ctx context.Context, ev beian.Event, cursor string) (applied bool, err error) {
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		applied = false
		var seen int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM provider_events_applied WHERE event_id = $1`, ev.ID).Scan(&seen); err != nil {
			return err
		}
		if seen == 0 {
			if err := s.applyEffect(ctx, tx, ev); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO provider_events_applied (event_id, type, order_number, applied_at) VALUES ($1, $2, $3, $4)`,
				ev.ID, string(ev.Type), ev.Order, sqlstore.Micro(tx.Now)); err != nil {
				return sqlstore.MapErr(err)
			}
			applied = true
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO provider_event_cursor (name, cursor, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`, feedName, cursor, sqlstore.Micro(tx.Now))
		return sqlstore.MapErr(err)
	})
	return applied, err
}

// Run keeps the provider in step with the registry until ctx ends: every
// RunInterval it sends the pending submissions (FlushSubmissions) and
// pulls the event feed (PullEvents); every ReconcileInterval it reconciles
// the numbered websites with the registry (Reconcile). Errors are logged
// and retried at the next tick. The server starts it once per process
// (several processes may run it: submissions are idempotent by key and
// events by ID).
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(RunInterval)
	defer tick.Stop()
	s.runWaiting.Add(1)
	defer s.runWaiting.Add(-1)
	var lastReconcile time.Time
	for {
		if _, err := s.FlushSubmissions(ctx); err != nil && ctx.Err() == nil {
			s.Log.WarnContext(ctx, "flush registry submissions", "err", err)
		}
		if _, err := s.PullEvents(ctx); err != nil && ctx.Err() == nil {
			s.Log.WarnContext(ctx, "pull registry events", "err", err)
		}
		if now := s.now(); now.Sub(lastReconcile) >= ReconcileInterval {
			s.runWaiting.Add(-1) // requests flush for themselves meanwhile
			rep, err := s.Reconcile(ctx)
			s.runWaiting.Add(1)
			if err != nil && ctx.Err() == nil {
				s.Log.WarnContext(ctx, "reconcile with the registry", "err", err)
			} else if err == nil {
				lastReconcile = now
				if len(rep.Drifts) > 0 {
					s.Log.InfoContext(ctx, "reconciled with the registry", "checked", rep.Checked, "drifts", len(rep.Drifts))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.wakeChan():
		}
	}
}

// Wake makes Run flush and pull at once instead of at its next tick, e.g.
// when a submission was queued or the registry in this process emitted an
// event (SubmissionsSignal, regulator.EventsSignal). It never blocks.
func (s *Service) Wake() {
	select {
	case s.wakeChan() <- struct{}{}:
	default:
	}
}

func (s *Service) wakeChan() chan struct{} {
	s.wakeOnce.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

// The pace of Run.
const (
	RunInterval       = 5 * time.Second
	ReconcileInterval = time.Hour
)
