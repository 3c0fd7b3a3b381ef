package regulator

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Page sizes of Events.
const (
	DefaultEventPage = 100
	MaxEventPage     = 1000
)

// lockEvents takes the provider's event head in tx, creating it if needed,
// and holds it until tx ends. Every transaction that emits events of the
// provider calls it before its first registry write (lock order: event head,
// then the audit head), so that the provider's events commit in id order
// and a reader never skips an id that commits late (connector contract:
// delivered in ID order per provider).
func lockEvents(ctx context.Context, tx *sqlstore.Tx, provider string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO registry_event_heads (provider, last_id, updated_at) VALUES ($1, 0, $2)
		ON CONFLICT (provider) DO UPDATE SET updated_at = excluded.updated_at`, provider, sqlstore.Micro(tx.Now))
	return sqlstore.MapErr(err)
}

// emit appends one event for the provider in tx (after lockEvents) and
// returns its id. The payload is stored as JSON; it never holds a password
// or a code (Rule PWD-1).
func emit(ctx context.Context, tx *sqlstore.Tx, provider, submissionID, order string, typ beian.EventType, payload any) (int64, error) {
	js, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO registry_events (provider, submission_id, order_number, type, payload, at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, provider, submissionID, order, string(typ), string(js), sqlstore.Micro(tx.Now)).Scan(&id)
	if err != nil {
		return 0, sqlstore.MapErr(err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE registry_event_heads SET last_id = $1 WHERE provider = $2 AND last_id < $1`, id, provider)
	tx.Signal(EventsSignal)
	return id, sqlstore.MapErr(err)
}

// EventsSignal is the sqlstore signal raised when a transaction that
// emitted events commits: a provider in the same process pulls at once
// instead of at its next poll.
const EventsSignal = "registry:events"

// Events answers the connector's Events (beian.Connector.Events) for the
// provider: up to limit of its events with an id above the cursor, oldest
// first, and the cursor to pass next. The cursor is the last event id seen
// as a decimal string, "" from the start; another value is bad_request
// (registry.cursor_invalid). limit ≤ 0 takes DefaultEventPage; above
// MaxEventPage it is cut to it. An empty page keeps the cursor. Other
// providers' events are never returned.
func (r *Registry) Events(ctx context.Context, provider, cursor string, limit int) (page beian.EventPage, err error) {
	defer beian.Wrap(&err, "events")
	var after int64
	if cursor = strings.TrimSpace(cursor); cursor != "" {
		after, err = strconv.ParseInt(cursor, 10, 64)
		if err != nil || after < 0 {
			return page, beian.Errorf(beian.KindBadRequest, "registry.cursor_invalid")
		}
	}
	switch {
	case limit <= 0:
		limit = DefaultEventPage
	case limit > MaxEventPage:
		limit = MaxEventPage
	}
	page = beian.EventPage{Events: []beian.Event{}, Next: cursor}
	rows, err := r.DB.SQL.QueryContext(ctx, `SELECT id, submission_id, order_number, type, payload, at FROM registry_events
		WHERE provider = $1 AND id > $2 ORDER BY id LIMIT $3`, strings.TrimSpace(provider), after, limit)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		var ev beian.Event
		var typ, payload string
		var at int64
		if err := rows.Scan(&ev.ID, &ev.SubmissionID, &ev.Order, &typ, &payload, &at); err != nil {
			return page, err
		}
		ev.Type, ev.Payload, ev.At = beian.EventType(typ), json.RawMessage(payload), sqlstore.FromMicro(at)
		page.Events = append(page.Events, ev)
		page.Next = strconv.FormatInt(ev.ID, 10)
	}
	return page, rows.Err()
}
