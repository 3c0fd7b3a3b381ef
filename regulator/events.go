package regulator

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
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

// Events of a provider commit in id order, so that a reader paging by id
// never skips an id that commits late (connector contract: delivered in ID
// order per provider). The provider's event head (registry_event_heads)
// serialises the transactions that write its events — but only from the
// moment they write them: emit keeps a transaction's events, and they are
// written at its end, just before the commit (sqlstore.Tx.BeforeCommit),
// under the heads of their providers taken in name order, after the audit
// chain's head (its records are written at the end too, ranked first:
// sqlstore.RankAudit). Lock order: submissions, confirmations, audit head,
// event heads. The rest of the transaction — reads, checks, its own row
// locks — runs beside other transactions of the same provider instead of
// queueing behind them.
// Under the API load (issue 9) the head had been held for whole
// transactions, and SMS confirmations and bureau decisions queued on it.

// pendingEvent is an event emit keeps until the transaction's end.
type pendingEvent struct {
	provider, submissionID, order string
	typ                           beian.EventType
	payload                       string
}

type pendingEventsKey struct{}

// pendingEvents is what a transaction has emitted, by provider.
type pendingEvents struct{ byProvider map[string][]pendingEvent }

// emit appends one event for the provider in tx; it is written when tx
// commits (see above). The payload is stored as JSON; it never holds a
// password or a code (Rule PWD-1).
func emit(ctx context.Context, tx *sqlstore.Tx, provider, submissionID, order string, typ beian.EventType, payload any) error {
	js, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	pe := tx.Stash(pendingEventsKey{}, func() any {
		pe := &pendingEvents{byProvider: map[string][]pendingEvent{}}
		tx.BeforeCommit(func(ctx context.Context) error { return pe.write(ctx, tx) })
		return pe
	}).(*pendingEvents)
	pe.byProvider[provider] = append(pe.byProvider[provider], pendingEvent{provider, submissionID, order, typ, string(js)})
	return nil
}

// write takes each provider's event head, in name order, and inserts its
// events in the order they were emitted.
func (pe *pendingEvents) write(ctx context.Context, tx *sqlstore.Tx) error {
	providers := make([]string, 0, len(pe.byProvider))
	for p := range pe.byProvider {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	for _, p := range providers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO registry_event_heads (provider, last_id, updated_at) VALUES ($1, 0, $2)
			ON CONFLICT (provider) DO UPDATE SET updated_at = excluded.updated_at`, p, sqlstore.Micro(tx.Now)); err != nil {
			return sqlstore.MapErr(err)
		}
		if tx.Driver == sqlstore.Postgres {
			// The events and the head's last id in one statement: these
			// round trips are made under the audit chain's head too.
			if err := writeEventsPG(ctx, tx, p, pe.byProvider[p]); err != nil {
				return err
			}
			continue
		}
		var last int64
		for _, e := range pe.byProvider[p] {
			err := tx.QueryRowContext(ctx, `INSERT INTO registry_events (provider, submission_id, order_number, type, payload, at)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, e.provider, e.submissionID, e.order, string(e.typ), e.payload, sqlstore.Micro(tx.Now)).Scan(&last)
			if err != nil {
				return sqlstore.MapErr(err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE registry_event_heads SET last_id = $1 WHERE provider = $2 AND last_id < $1`, last, p); err != nil {
			return sqlstore.MapErr(err)
		}
	}
	tx.Signal(EventsSignal)
	return nil
}

// writeEventsPG inserts one provider's events, in the order emitted, and
// moves its head to the last of them, in one statement; the head is
// already locked (so the ids are drawn under it).
func writeEventsPG(ctx context.Context, tx *sqlstore.Tx, provider string, evs []pendingEvent) error {
	var q strings.Builder
	q.WriteString(`WITH ins AS (INSERT INTO registry_events (provider, submission_id, order_number, type, payload, at) VALUES `)
	args := []any{provider, sqlstore.Micro(tx.Now)}
	for i, e := range evs {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&q, "($1, $%d, $%d, $%d, $%d, $2)", n+1, n+2, n+3, n+4)
		args = append(args, e.submissionID, e.order, string(e.typ), e.payload)
	}
	q.WriteString(` RETURNING id) UPDATE registry_event_heads SET last_id = (SELECT MAX(id) FROM ins)
		WHERE provider = $1 AND last_id < (SELECT MAX(id) FROM ins)`)
	_, err := tx.ExecContext(ctx, q.String(), args...)
	return sqlstore.MapErr(err)
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
