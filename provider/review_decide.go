package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// Decision is a provider reviewer's decision on an order in initial or
// photo review: approve, or reject with items (Rules REV-3, REV-4).
type Decision struct {
	Approve bool               `json:"approve"`
	Items   []beian.ReviewItem `json:"items"`
}

func (s *Service) handleDecision(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var d Decision
	if err := web.DecodeJSON(r, &d); err != nil {
		return err
	}
	o, err := s.Decide(r.Context(), p.AccountID, id, d)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, toOrderJSON(o))
}

// checkItems checks a rejection's items (Rule REV-3): at least one, each
// with a field path of the order's data, a reason and a known action.
// Every problem is reported at once.
func checkItems(o beian.Order, items []beian.ReviewItem, required bool) error {
	var d beian.OrderData
	_ = json.Unmarshal(o.Data, &d)
	var ps beian.Problems
	if required && len(items) == 0 {
		ps.Add("review.items_required", "REV-3", "items")
	}
	for i, it := range items {
		f := fmt.Sprintf("items[%d]", i)
		if !validFieldPath(d, it.Field) {
			ps.Add("review.field_unknown", "REV-3", f+".field")
		}
		if strings.TrimSpace(it.Reason) == "" {
			ps.Add("review.reason_required", "REV-3", f+".reason")
		}
		switch it.Action {
		case beian.ActionFixSubject, beian.ActionFixWebsite, beian.ActionFixMaterials:
		default:
			ps.Add("review.action_unknown", "REV-3", f+".action")
		}
	}
	return ps.Err()
}

func itemFields(items []beian.ReviewItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, strings.TrimSpace(it.Field))
	}
	return out
}

// Decide records a reviewer's decision on the order in initial or photo
// review. The reviewer must hold a live claim (review.claim_required;
// another's is review.claimed). In initial review: reject → needs_fix with
// the items' fields flagged (Rule REV-3); approve → verification, or →
// sms_confirmation and the registry (no new responsible person, a
// cancellation, or a reusable photo, Rules REV-6, REV-8); a transfer-in's
// websites are served at once (Rule GATE-2). In photo review: approve →
// sms_confirmation and the registry; reject → verification (Rule REV-4).
// The responsible persons are told by SMS and email (Rules REV-1, NOTE-1).
func (s *Service) Decide(ctx context.Context, reviewerID, orderID int64, d Decision) (beian.Order, error) {
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return o, err
	}
	if o.Stage != beian.StageInitialReview && o.Stage != beian.StagePhotoReview {
		return o, beian.Errorf(beian.KindInvalidState, "review.not_reviewable", "stage", string(o.Stage))
	}
	if !d.Approve {
		if err := checkItems(o, d.Items, true); err != nil {
			return o, err
		}
	}
	m := providerdb.Move{OrderID: o.ID, Version: o.Version, By: workflow.ProviderReviewer, Actor: "account:" + strconv.FormatInt(reviewerID, 10)}
	var effect func(ctx context.Context, tx *sqlstore.Tx, after beian.Order) error
	switch {
	case o.Stage == beian.StageInitialReview && d.Approve:
		m.Event = workflow.ApproveInitial
		if m.NewResponsiblePerson, err = s.newResponsiblePerson(ctx, o); err != nil {
			return o, err
		}
		if m.ReusePhoto, err = s.photoReusable(ctx, o.ID); err != nil {
			return o, err
		}
		effect = func(ctx context.Context, tx *sqlstore.Tx, after beian.Order) error {
			if o.Type == beian.TransferIn {
				if err := s.grantTransferAccess(ctx, tx, after); err != nil {
					return err
				}
			}
			return s.approved(ctx, tx, after)
		}
	case o.Stage == beian.StageInitialReview:
		m.Event, m.Flagged = workflow.RejectInitial, itemFields(d.Items)
		effect = func(ctx context.Context, tx *sqlstore.Tx, after beian.Order) error {
			if _, err := s.Store.AddReviewItems(ctx, tx, o.ID, providerdb.ReviewInitial, reviewerID, d.Items); err != nil {
				return err
			}
			return s.notifyOrder(ctx, tx, after, TemplateReviewRejected, map[string]string{"items": strconv.Itoa(len(d.Items))})
		}
	case d.Approve:
		m.Event = workflow.ApprovePhoto
		m.NewResponsiblePerson = true // photo review exists only on the verification path
		effect = func(ctx context.Context, tx *sqlstore.Tx, after beian.Order) error {
			if err := s.setLatestVerification(ctx, tx, o.ID, providerdb.VerificationApproved); err != nil {
				return err
			}
			return s.approved(ctx, tx, after)
		}
	default:
		m.Event = workflow.RejectPhoto
		m.NewResponsiblePerson = true
		effect = func(ctx context.Context, tx *sqlstore.Tx, after beian.Order) error {
			if err := s.setLatestVerification(ctx, tx, o.ID, providerdb.VerificationRejected); err != nil {
				return err
			}
			if _, err := s.Store.AddReviewItems(ctx, tx, o.ID, providerdb.ReviewPhoto, reviewerID, d.Items); err != nil {
				return err
			}
			return s.notifyOrder(ctx, tx, after, TemplatePhotoRejected, map[string]string{"items": strconv.Itoa(len(d.Items))})
		}
	}
	m.Effect = func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error {
		if err := s.Store.UseClaim(ctx, tx, before, reviewerID); err != nil {
			return err
		}
		return effect(ctx, tx, after)
	}
	after, err := s.Store.Transition(ctx, m)
	if err != nil {
		return after, err
	}
	s.flushAfterCommit(ctx, after)
	return after, nil
}

// approved finishes an approval: an order now in sms_confirmation is
// queued for the registry (SendToRegistry), and the persons are told.
func (s *Service) approved(ctx context.Context, tx *sqlstore.Tx, after beian.Order) error {
	next := "完成核验（幕布拍照或 App 核验）"
	if after.Stage == beian.StageSMSConfirmation {
		if err := s.SendToRegistry(ctx, tx, after.ID); err != nil {
			return err
		}
		next = "工信部短信核验：请留意短信并在 24 小时内完成核验"
	}
	return s.notifyOrder(ctx, tx, after, TemplateReviewApproved, map[string]string{"next": next})
}

// flushAfterCommit sends a newly queued submission at once; a failure is
// only logged: Run retries it (see registry_submit.go). While this
// process's Run waits for work it leaves the flush to Run, which the
// commit's SubmissionsSignal has woken (wired by the server): the request
// that moved the order does not wait for the registry and the writes of
// the outcome, two more turns at SQLite's one writer.
func (s *Service) flushAfterCommit(ctx context.Context, after beian.Order) {
	if after.Stage != beian.StageSMSConfirmation {
		return
	}
	if s.runWaiting.Load() > 0 {
		s.Wake()
		return
	}
	if _, err := s.FlushSubmissions(ctx); err != nil {
		s.Log.WarnContext(ctx, "registry submission deferred", "order", after.Number, "err", err)
	}
}

// setLatestVerification moves the order's latest verification on (Rule
// REV-4); an order without one (an app code never recorded) has nothing
// to move.
func (s *Service) setLatestVerification(ctx context.Context, tx *sqlstore.Tx, orderID int64, status string) error {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM verifications WHERE order_id = $1`, orderID).Scan(&id)
	if err != nil || id == 0 {
		return err
	}
	return s.Store.SetVerificationStatus(ctx, tx, id, status, tx.Now)
}

// newResponsiblePerson reports whether a change names a responsible person
// the registry does not hold yet (Rule REV-8: then it takes the
// verification path): the order's facts when the submit recorded them,
// else a certificate number not among the persons of the subject's last
// approved order. Without one, every person is new. Other
// types: true (the flag only matters for changes).
func (s *Service) newResponsiblePerson(ctx context.Context, o beian.Order) (bool, error) {
	if !isChange(o.Type) {
		return true, nil
	}
	if f, err := s.Store.OrderFactsOf(ctx, o.ID); err != nil || !f.UpdatedAt.IsZero() {
		return f.NewPerson, err // the orders work derived it at submit from the filed data
	}
	prev, err := s.lastApprovedData(ctx, o)
	if err != nil || prev == nil {
		return true, err
	}
	var was, now beian.OrderData
	_ = json.Unmarshal(prev, &was)
	_ = json.Unmarshal(o.Data, &now)
	known := map[string]bool{}
	for _, p := range persons(was) {
		known[p.CertType+":"+p.CertNumber] = true
	}
	for _, p := range persons(now) {
		if p.CertNumber != "" && !known[p.CertType+":"+p.CertNumber] {
			return true, nil
		}
	}
	return false, nil
}

// persons lists the responsible persons of a form: the subject's, then each website's.
func persons(d beian.OrderData) []beian.Person {
	out := []beian.Person{d.Subject.Person}
	for _, w := range d.Websites {
		out = append(out, w.Person)
	}
	return out
}

// photoReusable applies Rule REV-6 to an order back from a bureau
// rejection: its approved photo is reused when the latest bureau rejection
// came within one calendar month of the photo's approval and no item of
// it concerns the photo (workflow.PhotoReusable). An order never rejected
// by the bureau takes a new photo.
func (s *Service) photoReusable(ctx context.Context, orderID int64) (bool, error) {
	_, approvedAt, ok, err := s.Store.ApprovedPhoto(ctx, orderID)
	if err != nil || !ok {
		return false, err
	}
	var round int
	err = s.DB.SQL.QueryRowContext(ctx, `SELECT COALESCE(MAX(round), 0) FROM review_items WHERE order_id = $1 AND source = 'bureau'`, orderID).Scan(&round)
	if err != nil || round == 0 {
		return false, err
	}
	rr, err := s.Store.ReviewRound(ctx, orderID, round)
	if err != nil {
		return false, err
	}
	return workflow.PhotoReusable(approvedAt, rr.CreatedAt, rr.Items), nil
}
