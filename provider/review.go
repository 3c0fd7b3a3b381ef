package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/validate"
	"github.com/beian/beian/web"
)

// ClaimTTL is how long a reviewer's claim on an order holds: after it, the
// order is free again, so that work is never stuck with an absent reviewer.
const ClaimTTL = 30 * time.Minute

// QueueItem is one order of a review queue (Rules REV-1, REV-4, SUBJ-2).
type QueueItem struct {
	ID          int64           `json:"id"`
	Number      string          `json:"number"`
	Type        beian.OrderType `json:"type"`
	Stage       beian.Stage     `json:"stage"`
	Commercial  bool            `json:"commercial"`
	Province    string          `json:"province"`
	SubjectName string          `json:"subject_name"`
	SubmittedAt time.Time       `json:"submitted_at"`
	Since       time.Time       `json:"since"`        // in the stage since
	SLADeadline time.Time       `json:"sla_deadline"` // 1 business day after Since (Rule REV-1)
	SLASeconds  int64           `json:"sla_seconds_left"`
	Overdue     bool            `json:"overdue"`
	// Minor flags a responsible person under the province's age limit on
	// the submit date (Rule SUBJ-2), with the persons' field paths and the
	// material the reviewer may ask for.
	Minor           bool      `json:"minor"`
	MinorFields     []string  `json:"minor_fields,omitempty"`
	MinorSupplement string    `json:"minor_supplement,omitempty"`
	ClaimedBy       int64     `json:"claimed_by,omitempty"`
	ClaimExpiresAt  time.Time `json:"claim_expires_at,omitzero"`
}

// ReviewRoutes registers the review, verification and registry-result
// routes of API.md (identity.RequireRole; Authenticate runs before):
//
//	GET  /api/v1/review/queue?stage=initial_review|photo_review → {"items":[QueueItem…]} (provider_reviewer)
//	POST /api/v1/review/orders/{id}/claim → Claim (provider_reviewer)
//	POST /api/v1/review/orders/{id}/decision {"approve","items":[…]} → the order (provider_reviewer)
//	POST /api/v1/review/orders/{id}/supplement-request {"items","note"} → the order (provider_reviewer)
//	POST /api/v1/review/orders/{id}/verification-photo (image body) → the order (verifier)
//	POST /api/v1/orders/{id}/verification {"method",…} or an image body → the order or the request (customer)
func (s *Service) ReviewRoutes(mux *http.ServeMux) {
	reviewer := identity.RequireRole(beian.RoleProviderReviewer)
	mux.Handle("GET /api/v1/review/queue", reviewer(web.Handle(s.handleQueue)))
	mux.Handle("POST /api/v1/review/orders/{id}/claim", reviewer(web.Handle(s.handleClaim)))
	mux.Handle("POST /api/v1/review/orders/{id}/decision", reviewer(web.Handle(s.handleDecision)))
	mux.Handle("POST /api/v1/review/orders/{id}/supplement-request", reviewer(web.Handle(s.handleSupplement)))
	mux.Handle("POST /api/v1/review/orders/{id}/verification-photo",
		identity.RequireRole(beian.RoleVerifier)(web.LimitBody(s.photoLimits().MaxBytes+1)(web.Handle(s.handleVerifierPhoto))))
	mux.Handle("POST /api/v1/orders/{id}/verification",
		identity.RequireRole(beian.RoleCustomer)(web.LimitBody(s.photoLimits().MaxBytes*2)(web.Handle(s.handleVerification))))
}

// pathID reads the {id} of the route; a malformed one is not found.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, beian.Errorf(beian.KindNotFound, "")
	}
	return id, nil
}

func (s *Service) handleQueue(w http.ResponseWriter, r *http.Request) error {
	stage := beian.Stage(r.URL.Query().Get("stage"))
	if stage == "" {
		stage = beian.StageInitialReview
	}
	if stage != beian.StageInitialReview && stage != beian.StagePhotoReview {
		return beian.Problems{beian.NewProblem("review.stage_unknown", "REV-8", "stage")}.Err()
	}
	items, err := s.Queue(r.Context(), stage)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// Queue lists the orders in a review stage, oldest first, with their SLA
// deadline (Rule REV-1: 1 business day, Options.ReviewSLADays), the minor
// flag (Rule SUBJ-2) and any live claim.
func (s *Service) Queue(ctx context.Context, stage beian.Stage) ([]QueueItem, error) {
	orders, err := s.Store.OrdersInStage(ctx, stage, 0)
	if err != nil {
		return nil, err
	}
	now := s.now()
	claims, err := s.Store.Claims(ctx, stage, now)
	if err != nil {
		return nil, err
	}
	items := []QueueItem{}
	for _, o := range orders {
		var d beian.OrderData
		_ = json.Unmarshal(o.Data, &d)
		it := QueueItem{ID: o.ID, Number: o.Number, Type: o.Type, Stage: o.Stage, Commercial: o.Commercial,
			Province: d.Subject.Province, SubjectName: d.Subject.Name, SubmittedAt: o.SubmittedAt, Since: o.StageAt}
		it.SLADeadline = s.slaDeadline(o.StageAt)
		it.SLASeconds = int64(it.SLADeadline.Sub(now) / time.Second)
		it.Overdue = it.SLASeconds < 0
		it.MinorFields, it.MinorSupplement = s.minors(d, o.SubmittedAt)
		it.Minor = len(it.MinorFields) > 0
		if c, ok := claims[o.ID]; ok {
			it.ClaimedBy, it.ClaimExpiresAt = c.ReviewerID, c.ExpiresAt
		}
		items = append(items, it)
	}
	return items, nil
}

// slaDeadline is ReviewSLADays business days after since, at the same time
// of day (Rules REV-1, CAL-1).
func (s *Service) slaDeadline(since time.Time) time.Time {
	return s.businessDaysLater(since, max(s.Options.ReviewSLADays, 1))
}

// businessDaysLater is n business days after t, at t's time of day (CST).
func (s *Service) businessDaysLater(t time.Time, n int) time.Time {
	t = t.In(beian.CST)
	d, _ := s.Calendar.AddBusinessDays(t, n)
	return time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), t.Second(), 0, beian.CST)
}

// minors returns the paths of the responsible persons younger than the
// province's age limit on the submit date (Rule SUBJ-2: age from the
// resident ID's birth date), and the material the province asks of them.
func (s *Service) minors(d beian.OrderData, submitted time.Time) (fields []string, supplement string) {
	if submitted.IsZero() {
		submitted = s.now()
	}
	reqs, err := s.Ref.Requirements(d.Subject.Province, submitted)
	if err != nil {
		return nil, ""
	}
	check := func(path string, p beian.Person) {
		if p.CertType != "resident_id" {
			return
		}
		info, ps := validate.ResidentID(s.Ref, p.CertNumber, submitted)
		if len(ps) == 0 && validate.IsMinor(info.Birth, submitted, reqs.MinorAge) {
			fields = append(fields, path)
		}
	}
	check("subject.person", d.Subject.Person)
	for i, w := range d.Websites {
		check("websites["+strconv.Itoa(i)+"].person", w.Person)
	}
	if len(fields) > 0 {
		supplement = reqs.MinorSupplement
	}
	return fields, supplement
}

// claimJSON is a claim as the API answers it.
type claimJSON struct {
	OrderID   int64       `json:"order_id"`
	Reviewer  int64       `json:"reviewer_id"`
	Stage     beian.Stage `json:"stage"`
	ExpiresAt time.Time   `json:"expires_at"`
}

func (s *Service) handleClaim(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.Store.ClaimOrder(r.Context(), id, p.AccountID, ClaimTTL, beian.StageInitialReview, beian.StagePhotoReview)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, claimJSON{OrderID: c.OrderID, Reviewer: c.ReviewerID, Stage: c.Stage, ExpiresAt: c.ExpiresAt})
}

// orderJSON is an order as the review and verification routes answer it:
// never its password (Rule PWD-2).
type orderJSON struct {
	ID      int64           `json:"id"`
	Number  string          `json:"number"`
	Type    beian.OrderType `json:"type"`
	Stage   beian.Stage     `json:"stage"`
	Flagged []string        `json:"flagged"`
	Version int64           `json:"version"`
}

func toOrderJSON(o beian.Order) orderJSON {
	f := o.Flagged
	if f == nil {
		f = []string{}
	}
	return orderJSON{ID: o.ID, Number: o.Number, Type: o.Type, Stage: o.Stage, Flagged: f, Version: o.Version}
}
