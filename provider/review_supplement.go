package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// Timer kinds of this area (the provider's durable timers).
const (
	TimerSupplementOverdue = "supplement_overdue" // ref: order ID (Rule REV-8)
	TimerTransferLapse     = "transfer_lapse"     // ref: order ID (Rule GATE-2)
	// TimerTransferLapseWarning warns before the lapse; ref: order ID (Rule NOTE-1).
	TimerTransferLapseWarning = "transfer_lapse_warning"
)

// SupplementRequest asks the customer for supplementary material (Rules
// SUBJ-2, REV-8): items in the shape of review items (optional) and a note.
type SupplementRequest struct {
	Items []beian.ReviewItem `json:"items"`
	Note  string             `json:"note"`
}

// maxNote bounds a supplement request's note.
const maxNote = 2000

func (s *Service) handleSupplement(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in SupplementRequest
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	o, err := s.RequestSupplement(r.Context(), p.AccountID, id, in)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, toOrderJSON(o))
}

// RequestSupplement moves an order in initial review to
// supplement_requested (the reviewer's live claim required), records the
// request and arms a durable timer at the due date, Options.SupplementDays
// business days ahead: missed, the order goes to needs_fix (Rule REV-8).
// The persons are told the due date (Rule NOTE-1).
func (s *Service) RequestSupplement(ctx context.Context, reviewerID, orderID int64, in SupplementRequest) (beian.Order, error) {
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return o, err
	}
	var ps beian.Problems
	if len(in.Items) == 0 && strings.TrimSpace(in.Note) == "" {
		ps.Add("review.supplement_empty", "SUBJ-2", "note")
	}
	if len([]rune(in.Note)) > maxNote {
		ps.Add("review.note_too_long", "SUBJ-2", "note", "max", strconv.Itoa(maxNote))
	}
	if err := checkItems(o, in.Items, false); err != nil {
		ps = append(ps, err.(*beian.Error).Problems...)
	}
	if err := ps.Err(); err != nil {
		return o, err
	}
	fields := itemFields(in.Items)
	if len(fields) == 0 {
		fields = []string{"documents"}
	}
	fj, _ := json.Marshal(fields)
	after, err := s.Store.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.RequestSupplement,
		By: workflow.ProviderReviewer, Actor: "account:" + strconv.FormatInt(reviewerID, 10),
		Effect: func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error {
			if err := s.Store.UseClaim(ctx, tx, before, reviewerID); err != nil {
				return err
			}
			if len(in.Items) > 0 {
				if _, err := s.Store.AddReviewItems(ctx, tx, o.ID, providerdb.ReviewInitial, reviewerID, in.Items); err != nil {
					return err
				}
			}
			due := s.businessDaysLater(tx.Now, max(s.Options.SupplementDays, 1))
			_, err := tx.ExecContext(ctx, `INSERT INTO supplement_requests (order_id, reviewer_id, note, fields, due_at, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, o.ID, reviewerID, in.Note, string(fj), sqlstore.Micro(due), sqlstore.Micro(tx.Now))
			if err != nil {
				return sqlstore.MapErr(err)
			}
			if err := s.Timers.Schedule(ctx, tx, TimerSupplementOverdue, strconv.FormatInt(o.ID, 10), due, strconv.FormatInt(after.Version, 10)); err != nil {
				return err
			}
			return s.notifyOrder(ctx, tx, after, TemplateSupplement, map[string]string{"due": due.Format("2006-01-02 15:04")})
		}})
	return after, err
}

// ReviewTimerHandlers returns the handlers of this area's durable timers:
// the supplement deadline (Rule REV-8) and the transfer-in lapse (Rule
// GATE-2).
func (s *Service) ReviewTimerHandlers() map[string]timer.Handler {
	return map[string]timer.Handler{
		TimerSupplementOverdue:    s.supplementOverdue,
		TimerTransferLapse:        s.transferLapse,
		TimerTransferLapseWarning: s.transferLapseWarning,
	}
}

// supplementOverdue moves an order still waiting for its supplementary
// material to needs_fix, flagging the requested fields (Rule REV-8). An
// order that moved on is left alone.
func (s *Service) supplementOverdue(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
	id, err := strconv.ParseInt(tm.Ref, 10, 64)
	if err != nil {
		return nil // not ours to fix: a malformed ref never becomes valid
	}
	o, err := providerdb.OrderTx(ctx, tx, id)
	if beian.IsKind(err, beian.KindNotFound) {
		return nil
	}
	if err != nil || o.Stage != beian.StageSupplementRequested || tm.Payload != strconv.FormatInt(o.Version, 10) {
		return err
	}
	var fj string
	if err := tx.QueryRowContext(ctx, `SELECT fields FROM supplement_requests WHERE order_id = $1 ORDER BY id DESC LIMIT 1`, id).Scan(&fj); err != nil {
		return err
	}
	var fields []string
	_ = json.Unmarshal([]byte(fj), &fields)
	_, err = s.Store.TransitionTx(ctx, tx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.SupplementOverdue,
		By: workflow.System, Actor: "system", Flagged: fields,
		Effect: func(ctx context.Context, tx *sqlstore.Tx, _, after beian.Order) error {
			return s.notifyOrder(ctx, tx, after, TemplateReviewRejected, map[string]string{"items": strconv.Itoa(len(fields))})
		}})
	return err
}
