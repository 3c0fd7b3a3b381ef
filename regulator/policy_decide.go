package regulator

import (
	"context"
	"errors"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
)

// policyDecide fires at a submission's decision time (TimerBureauDecision):
// with the sandbox bureau on, the policy in auto mode and the submission
// still in bureau review, the sandbox bureau decides it as the system
// reviewer (PolicyActor) — approve, or reject with items for the policy's
// share (Rule REV-5). Otherwise it does nothing: the desk decides.
func (r *Registry) policyDecide(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
	if !r.SandboxBureau() {
		return nil
	}
	p, err := readPolicy(ctx, tx)
	if err != nil || p.Mode != PolicyAuto {
		return err
	}
	var provider, status string
	err = tx.QueryRowContext(ctx, `SELECT provider, status FROM registry_submissions WHERE id = $1`, tm.Ref).Scan(&provider, &status)
	if noRows(err) || (err == nil && status != SubmissionBureau) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx = WithActor(ctx, PolicyActor)
	sub, err := loadSubmission(ctx, tx, tm.Ref)
	if err != nil || sub.Status != SubmissionBureau {
		return err
	}
	if policyRejects(p, sub.ID) {
		return r.decideTx(ctx, tx, sub, Decision{Items: policyRejection(p, sub)})
	}
	// A registry check that fails at approval (a domain filed meanwhile)
	// changes nothing (see Decide): the sandbox bureau then rejects with
	// the failed check as the item, as a bureau would.
	if _, err := tx.ExecContext(ctx, `SAVEPOINT policy_approve`); err != nil {
		return err
	}
	err = r.decideTx(ctx, tx, sub, Decision{Approve: true})
	var be *beian.Error
	if err == nil || !errors.As(err, &be) || !refusal(be.Kind) {
		if err == nil {
			_, err = tx.ExecContext(ctx, `RELEASE SAVEPOINT policy_approve`)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT policy_approve`); err != nil {
		return err
	}
	return r.decideTx(ctx, tx, sub, Decision{Items: []beian.ReviewItem{failedCheckItem(be)}})
}

// refusal reports whether an error kind is the registry refusing the
// change (not a failure of the machinery, which is retried).
func refusal(k beian.Kind) bool {
	return k == beian.KindInvalid || k == beian.KindConflict || k == beian.KindInvalidState || k == beian.KindNotFound
}

// failedCheckItem is the rejection item of a registry check that failed
// at approval: the check's own field when it names one in the submission,
// its code in the reason.
func failedCheckItem(e *beian.Error) beian.ReviewItem {
	code, field := e.Code, ""
	if len(e.Problems) > 0 {
		code, field = e.Problems[0].Code, e.Problems[0].Field
	}
	if !strings.HasPrefix(field, "websites[") && !strings.HasPrefix(field, "subject") {
		field = "subject"
	}
	action := beian.ActionFixSubject
	if strings.HasPrefix(field, "websites[") {
		action = beian.ActionFixWebsite
	}
	return beian.ReviewItem{Field: field, Action: action,
		Reason:     "备案系统核查未通过（" + code + "）。 / A registry check failed (" + code + ").",
		Suggestion: "请按核查结果修改后重新提交。 / Correct the data the check names and submit again."}
}

// decideTx records a decision on sub, in bureau review and loaded (locked)
// in tx, exactly as Decide does in its own
// transaction: the effects of an approval (approve) or a rejected event
// with the items, the status, the audit record. A timer handler must write
// in the firing transaction, and Decide opens a transaction of its own (on
// SQLite a second writer would wait for the first for ever), so this is
// Decide's body; when bureau.go offers it as a DecideTx, call that instead.
func (r *Registry) decideTx(ctx context.Context, tx *sqlstore.Tx, sub StoredSubmission, d Decision) error {
	if !d.Approve {
		if err := checkItems(d.Items); err != nil {
			return err
		}
	}
	before := submissionAudit(sub)
	status := SubmissionRejected
	if d.Approve {
		status = SubmissionApproved
		if _, _, err := r.approve(ctx, tx, &sub); err != nil {
			return err
		}
	} else if err := emit(ctx, tx, sub.Provider, sub.ID, sub.OrderNumber, beian.EventRejected, beian.RejectedPayload{Items: d.Items}); err != nil {
		return err
	}
	if err := setStatus(ctx, tx, sub.ID, status, ""); err != nil {
		return err
	}
	sub.Status = status
	after := submissionAudit(sub)
	after["items"] = len(d.Items)
	return r.appendAudit(ctx, tx, "submission.decide", "submission", sub.ID, before, after)
}
