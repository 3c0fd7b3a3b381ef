package regulator

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// QueueItem is one order in a bureau's review queue (Rule REV-2).
type QueueItem struct {
	SubmissionID  string          `json:"submission_id"`
	OrderNumber   string          `json:"order_number"`
	Provider      string          `json:"provider"`
	Type          beian.OrderType `json:"type"`
	Commercial    bool            `json:"commercial"`
	Province      string          `json:"province"`
	SubjectName   string          `json:"subject_name"`
	SubjectNumber string          `json:"subject_number,omitempty"`
	Websites      []string        `json:"websites"` // names
	SubmittedAt   time.Time       `json:"submitted_at"`
	DueDate       time.Time       `json:"due_date"`
	Overdue       bool            `json:"overdue"` // the due date has passed (CST, Rule CAL-0)
}

// Reviewer is who decides an order: a bureau of one province (a GB/T 2260
// code or any key refdata's Province accepts) and the audit actor. An empty
// Province reaches every province: for the registry itself (the sandbox's
// bureau policy), never for a bureau reviewer's request.
type Reviewer struct {
	Province string
	Actor    string
}

// Decision is a bureau's decision on an order: approve, or reject with
// items (Rule REV-5: each may concern the photo).
type Decision struct {
	Approve bool               `json:"approve"`
	Items   []beian.ReviewItem `json:"items,omitempty"`
}

// DecisionResult is what a decision did.
type DecisionResult struct {
	SubmissionID  string   `json:"submission_id"`
	Status        string   `json:"status"`
	SubjectNumber string   `json:"subject_number,omitempty"`
	Websites      []string `json:"websites,omitempty"` // website numbers approved, transferred in, changed or cancelled
}

// province resolves the reviewer's province; ok false for an unknown one.
func (r *Registry) reviewerProvince(rv Reviewer) (string, bool) {
	if strings.TrimSpace(rv.Province) == "" {
		return "", true
	}
	p, ok := r.Ref.Province(rv.Province)
	return p.Code, ok
}

// BureauQueue lists the orders in bureau review of the province (any key
// refdata's Province accepts; "" for every province), oldest due date
// first, with their due dates (Rule REV-2). An unknown province has an
// empty queue.
func (r *Registry) BureauQueue(ctx context.Context, province string) (items []QueueItem, err error) {
	defer beian.Wrap(&err, "bureau queue")
	code, ok := r.reviewerProvince(Reviewer{Province: province})
	items = []QueueItem{}
	if !ok {
		return items, nil
	}
	rows, err := r.DB.SQL.QueryContext(ctx, `SELECT `+submissionColumns+` FROM registry_submissions
		WHERE status = 'bureau_review' AND ($1 = '' OR province = $1) ORDER BY due_date, submitted_at, id`, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	today := beian.DateOf(r.DB.Clock.Now())
	for rows.Next() {
		s, err := scanSubmission(rows)
		if err != nil {
			return nil, err
		}
		it := QueueItem{SubmissionID: s.ID, OrderNumber: s.OrderNumber, Provider: s.Provider, Type: s.Type, Commercial: s.Data.Commercial,
			Province: s.Province, SubjectName: s.Data.Subject.Name, SubjectNumber: s.SubjectNumber, Websites: []string{},
			SubmittedAt: s.SubmittedAt, DueDate: s.DueDate, Overdue: s.DueDate.Before(today)}
		for _, w := range s.Data.Websites {
			it.Websites = append(it.Websites, w.Name)
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// BureauOrder returns an order of the reviewer's province with what the
// bureau reviews: the submission as the provider sent it (never its
// password) and its SMS confirmation. Another province's order is
// not_found. Every view of the submission's personal data is written to
// the registry's audit log (Rule PRIV-1: action submission.view, actor
// the reviewer's Actor) before it is returned; the record names the
// order, never the data.
func (r *Registry) BureauOrder(ctx context.Context, rv Reviewer, submissionID string) (s StoredSubmission, cs beian.ConfirmationState, err error) {
	defer beian.Wrap(&err, "bureau order")
	code, ok := r.reviewerProvince(rv)
	if !ok {
		return s, cs, errSubmissionNotFound()
	}
	s, err = scanSubmission(r.DB.SQL.QueryRowContext(ctx, `SELECT `+submissionColumns+` FROM registry_submissions
		WHERE id = $1 AND type <> 'cancel_access' AND ($2 = '' OR province = $2)`, strings.TrimSpace(submissionID), code))
	if noRows(err) {
		return s, cs, errSubmissionNotFound()
	}
	if err != nil {
		return s, cs, err
	}
	if cs, err = confirmationState(ctx, r.DB.SQL, s); err != nil {
		return s, cs, err
	}
	err = r.inTx(reviewerCtx(ctx, rv), func(tx *sqlstore.Tx) error { // Rule PRIV-1
		return r.appendAudit(reviewerCtx(ctx, rv), tx, "submission.view", "submission", s.ID, nil,
			map[string]any{"order": s.OrderNumber, "province": s.Province, "personal_data": true})
	})
	return s, cs, err
}

// Decide records the bureau's decision on an order in bureau review of the
// reviewer's province (another province's order is not_found, as any other
// tenant's data; an order not in review is invalid_state,
// registry.submission_not_in_review). The decision and its effects commit
// together with their events to the order's provider and audit records:
//   - reject: status rejected and a rejected event with the items (Rule
//     REV-5); at least one item (registry.decision_items_required), each
//     with a field, a reason and a known action
//     (registry.decision_item_invalid);
//   - approve: status approved and the registry's change by type — see
//     approve (bureau_apply.go): numbers, and the password a first
//     filing owes (Rules NUM-1, PWD-1: issued by RunPasswords once this
//     commits), websites, access, cancellations
//     (Rule CAN-4) and changes (Rule OTH-2).
//
// A registry check that fails at approval (e.g. a domain filed meanwhile)
// is returned as is and changes nothing: reject the order instead.
func (r *Registry) Decide(ctx context.Context, rv Reviewer, submissionID string, d Decision) (res DecisionResult, err error) {
	defer beian.Wrap(&err, "decide order")
	if rv.Actor != "" {
		ctx = WithActor(ctx, rv.Actor)
	}
	code, ok := r.reviewerProvince(rv)
	if !ok {
		return res, errSubmissionNotFound()
	}
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		sub, err := loadSubmission(ctx, tx, strings.TrimSpace(submissionID))
		if err != nil {
			return err
		}
		if sub.Type == beian.CancelAccess || (code != "" && sub.Province != code) {
			return errSubmissionNotFound()
		}
		// The items after the province: another province's order is 404
		// whatever the body says (tenant isolation).
		if !d.Approve {
			if err := checkItems(d.Items); err != nil {
				return err
			}
		}
		if sub.Status != SubmissionBureau {
			return beian.Errorf(beian.KindInvalidState, "registry.submission_not_in_review", "status", sub.Status)
		}
		before := submissionAudit(sub)
		res = DecisionResult{SubmissionID: sub.ID, Status: SubmissionRejected}
		if d.Approve {
			res.Status = SubmissionApproved
			if res.SubjectNumber, res.Websites, err = r.approve(ctx, tx, &sub); err != nil {
				return err
			}
		} else if err := emit(ctx, tx, sub.Provider, sub.ID, sub.OrderNumber, beian.EventRejected, beian.RejectedPayload{Items: d.Items}); err != nil {
			return err
		}
		if err := setStatus(ctx, tx, sub.ID, res.Status, ""); err != nil {
			return err
		}
		sub.Status = res.Status
		after := submissionAudit(sub)
		after["items"] = len(d.Items)
		return r.appendAudit(ctx, tx, "submission.decide", "submission", sub.ID, before, after)
	})
	if err != nil {
		return DecisionResult{}, err
	}
	return res, nil
}

// checkItems requires at least one complete rejection item (Rule REV-5).
func checkItems(items []beian.ReviewItem) error {
	if len(items) == 0 {
		return invalid("registry.decision_items_required", "REV-5", "items")
	}
	var ps beian.Problems
	for i, it := range items {
		switch {
		case strings.TrimSpace(it.Field) == "", strings.TrimSpace(it.Reason) == "",
			it.Action != beian.ActionFixSubject && it.Action != beian.ActionFixWebsite && it.Action != beian.ActionFixMaterials:
			ps.Add("registry.decision_item_invalid", "REV-5", "items["+strconv.Itoa(i)+"]", "index", strconv.Itoa(i+1))
		}
	}
	return ps.Err()
}
