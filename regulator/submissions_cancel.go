package regulator

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
)

// ReasonEmptyShell is the cancellation reason of a website left without
// any access provider (Rule CAN-5, 空壳网站).
const ReasonEmptyShell = "empty_shell"

// emptyShellPayload is what the empty-shell timer remembers: whom to tell.
type emptyShellPayload struct {
	Provider     string `json:"provider"`
	SubmissionID string `json:"submission_id"`
	Order        string `json:"order"`
}

// CancelAccess answers the connector's CancelAccess (Rule CAN-5): the
// provider's access to the website ends at once, with no bureau review and
// no SMS confirmation; the filing number stays. It is idempotent per
// provider and key like Submit (same request: the first receipt with
// Duplicate true; another request: conflict). A provider that does not
// serve the website is not_found (registry.access_not_found). When no
// provider is left, the empty-shell timer is armed: after EmptyShellDays
// (30 calendar days) a website still without access is cancelled (reason
// empty_shell) and the provider gets cancelled events. The receipt has no
// due date.
func (r *Registry) CancelAccess(ctx context.Context, provider string, req beian.CancelAccessRequest, key string) (rc beian.Receipt, err error) {
	defer beian.Wrap(&err, "cancel access")
	provider, key = strings.TrimSpace(provider), strings.TrimSpace(key)
	if err := checkCaller(provider, key); err != nil {
		return rc, err
	}
	hash := requestHash("cancel_access", req)
	o := r.PipelineOptions()
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		if prior, found, err := submissionByKey(ctx, tx, provider, key); err != nil || found {
			if err == nil {
				rc, err = prior.repeat(hash)
			}
			return err
		}
		n, ok := r.parseNumber(req.WebsiteNumber)
		if !ok || n.Site == 0 {
			return notFound(req.WebsiteNumber)
		}
		number := n.String()
		if err := r.EndAccessTx(ctx, tx, number, provider); err != nil {
			// A concurrent request with the key may have ended it and committed meanwhile.
			if prior, found, _ := submissionByKey(ctx, tx, provider, key); found && beian.IsKind(err, beian.KindNotFound) {
				rc, err = prior.repeat(hash)
			}
			return err
		}
		var province string
		var websiteID int64
		if err := tx.QueryRowContext(ctx, `SELECT w.id, s.province FROM registry_websites w JOIN registry_subjects s ON s.id = w.subject_id
			WHERE w.number = $1`, number).Scan(&websiteID, &province); err != nil {
			return err
		}
		sub := StoredSubmission{ID: outbox.NewID(), Provider: provider, OrderNumber: strings.TrimSpace(req.OrderNumber), Type: beian.CancelAccess,
			Province: province, SubjectNumber: n.SubjectNumber().String(), Status: SubmissionApproved, SubmittedAt: stamp(tx), UpdatedAt: stamp(tx),
			Data:        beian.Submission{OrderNumber: strings.TrimSpace(req.OrderNumber), Type: beian.CancelAccess, Province: province, Cancel: []string{number}},
			requestHash: hash}
		inserted, err := insertSubmission(ctx, tx, sub, key, "")
		if err != nil || !inserted {
			if err == nil { // the key was taken concurrently: that transaction ended the access
				err = &beian.Error{Kind: beian.KindConflict}
			}
			return err
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_access WHERE website_id = $1 AND until = 0`, websiteID).Scan(&open); err != nil {
			return err
		}
		if open == 0 { // Rule CAN-5: an empty shell from now on
			payload, _ := json.Marshal(emptyShellPayload{Provider: provider, SubmissionID: sub.ID, Order: sub.OrderNumber})
			due := tx.Now.In(beian.CST).AddDate(0, 0, o.EmptyShellDays) // calendar days (Rule CAL-0)
			if err := registryTimers().Schedule(ctx, tx, TimerEmptyShell, number, due, string(payload)); err != nil {
				return err
			}
		}
		rc = sub.receipt(false)
		after := submissionAudit(sub)
		after["website"], after["providers_left"] = number, open
		return r.appendAudit(ctx, tx, "submission.cancel_access", "submission", sub.ID, nil, after)
	})
	return rc, err
}

// emptyShell fires when a website's empty-shell period ends (Rule CAN-5):
// a website still active and still without any access provider is
// cancelled (reason empty_shell; its subject too when it was the last
// website, Rule CAN-4) and the provider that ended the last access gets a
// cancelled event per number. A website served again is left alone.
func (r *Registry) emptyShell(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
	var p emptyShellPayload
	if err := json.Unmarshal([]byte(tm.Payload), &p); err != nil {
		return err
	}
	var status string
	var open int
	err := tx.QueryRowContext(ctx, `SELECT w.status, (SELECT COUNT(*) FROM registry_access a WHERE a.website_id = w.id AND a.until = 0)
		FROM registry_websites w WHERE w.number = $1`, tm.Ref).Scan(&status, &open)
	if noRows(err) || (err == nil && (status != StatusActive || open > 0)) {
		return nil
	}
	if err != nil {
		return err
	}
	c, err := r.CancelWebsiteTx(ctx, tx, tm.Ref, ReasonEmptyShell)
	if err != nil {
		return err
	}
	return emitCancelled(ctx, tx, p.Provider, p.SubmissionID, p.Order, c, ReasonEmptyShell)
}

// emitCancelled reports a cancellation to the provider: one cancelled
// event per website number, then one for the subject when it went too.
func emitCancelled(ctx context.Context, tx *sqlstore.Tx, provider, submissionID, order string, c Cancellation, reason string) error {
	numbers := append([]string(nil), c.Websites...)
	if c.Subject != "" {
		numbers = append(numbers, c.Subject)
	}
	for _, n := range numbers {
		if err := emit(ctx, tx, provider, submissionID, order, beian.EventCancelled, beian.CancelledPayload{Number: n, Reason: reason}); err != nil {
			return err
		}
	}
	return nil
}
