package regulator

import (
	"context"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// MaxReason is the longest cancellation or blacklist reason the registry keeps.
const MaxReason = 500

// Cancellation lists what one cancellation cancelled, for the events the
// caller reports (beian.CancelledPayload).
type Cancellation struct {
	Subject  string   // the subject number, when the subject was cancelled
	Websites []string // the website numbers cancelled
}

// CancelWebsite is CancelWebsiteTx in a transaction of its own.
func (r *Registry) CancelWebsite(ctx context.Context, number, reason string) (c Cancellation, err error) {
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		c, err = r.CancelWebsiteTx(ctx, tx, number, reason)
		return err
	})
	return c, err
}

// CancelWebsiteTx cancels one active website in tx (Rule CAN-4): its status
// becomes cancelled for good (Rule CAN-3: never restored, its suffix never
// reused), its domains are released for other filings (Rule WEB-4), every
// provider's access ends, and the status history keeps the reason.
// Cancelling a subject's last active website cancels the subject too (Rule
// CAN-4: that is a subject cancellation). A cancelled website is
// invalid_state (registry.already_cancelled); an unknown number not_found.
func (r *Registry) CancelWebsiteTx(ctx context.Context, tx *sqlstore.Tx, number, reason string) (c Cancellation, err error) {
	defer beian.Wrap(&err, "cancel website")
	if reason, err = checkReason(reason); err != nil {
		return c, err
	}
	n, ok := r.parseNumber(number)
	if !ok || n.Site == 0 {
		return c, notFound(number)
	}
	number = n.String()
	var subjectID int64
	err = tx.QueryRowContext(ctx, `SELECT subject_id FROM registry_websites WHERE number = $1`, number).Scan(&subjectID)
	if noRows(err) {
		return c, notFound(number)
	}
	if err != nil {
		return c, err
	}
	// Lock order: subject, then website (AddWebsiteTx and CancelSubjectTx agree).
	var subjectNumber, subjectStatus string
	if err := tx.QueryRowContext(ctx, `SELECT number, status FROM registry_subjects WHERE id = $1`+forUpdate(tx), subjectID).Scan(&subjectNumber, &subjectStatus); err != nil {
		return c, err
	}
	id, _, status, err := r.lockWebsite(ctx, tx, number)
	if err != nil {
		return c, err
	}
	if status != StatusActive {
		return c, beian.Errorf(beian.KindInvalidState, "registry.already_cancelled", "number", number)
	}
	if err := cancelWebsiteRow(ctx, tx, id, number, reason); err != nil {
		return c, err
	}
	c.Websites = []string{number}
	var left int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_websites WHERE subject_id = $1 AND status = 'active'`, subjectID).Scan(&left); err != nil {
		return c, err
	}
	if left == 0 && subjectStatus == StatusActive {
		if err := cancelSubjectRow(ctx, tx, subjectID, subjectNumber, reason); err != nil {
			return c, err
		}
		c.Subject = subjectNumber
	}
	return c, r.appendAudit(ctx, tx, "website.cancel", "website", number, map[string]any{"status": StatusActive},
		map[string]any{"status": StatusCancelled, "reason": reason, "cancelled": c})
}

// CancelSubject is CancelSubjectTx in a transaction of its own.
func (r *Registry) CancelSubject(ctx context.Context, number, reason string) (c Cancellation, err error) {
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		c, err = r.CancelSubjectTx(ctx, tx, number, reason)
		return err
	})
	return c, err
}

// CancelSubjectTx cancels an active subject and all its active websites in
// tx (Rules CAN-3, CAN-4): numbers are never restored nor reused, domains
// are released, access ends, and the status history keeps the reason. The
// certificate may then file anew and gets a new number (Rule SUBJ-1). A
// cancelled subject is invalid_state; an unknown number not_found.
func (r *Registry) CancelSubjectTx(ctx context.Context, tx *sqlstore.Tx, number, reason string) (c Cancellation, err error) {
	defer beian.Wrap(&err, "cancel subject")
	if reason, err = checkReason(reason); err != nil {
		return c, err
	}
	n, ok := r.parseNumber(number)
	if !ok || n.Site != 0 {
		return c, notFound(number)
	}
	number = n.String()
	var id int64
	var status string
	err = tx.QueryRowContext(ctx, `SELECT id, status FROM registry_subjects WHERE number = $1`+forUpdate(tx), number).Scan(&id, &status)
	if noRows(err) {
		return c, notFound(number)
	}
	if err != nil {
		return c, err
	}
	if status != StatusActive {
		return c, beian.Errorf(beian.KindInvalidState, "registry.already_cancelled", "number", number)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, number FROM registry_websites WHERE subject_id = $1 AND status = 'active' ORDER BY site`+forUpdate(tx), id)
	if err != nil {
		return c, err
	}
	var ids []int64
	for rows.Next() {
		var wid int64
		var wnum string
		if err := rows.Scan(&wid, &wnum); err != nil {
			rows.Close()
			return c, err
		}
		ids, c.Websites = append(ids, wid), append(c.Websites, wnum)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, err
	}
	for i, wid := range ids {
		if err := cancelWebsiteRow(ctx, tx, wid, c.Websites[i], reason); err != nil {
			return c, err
		}
	}
	if err := cancelSubjectRow(ctx, tx, id, number, reason); err != nil {
		return c, err
	}
	c.Subject = number
	return c, r.appendAudit(ctx, tx, "subject.cancel", "subject", number, map[string]any{"status": StatusActive},
		map[string]any{"status": StatusCancelled, "reason": reason, "cancelled": c})
}

// cancelWebsiteRow cancels one website: status, domains, access, history.
func cancelWebsiteRow(ctx context.Context, tx *sqlstore.Tx, id int64, number, reason string) error {
	now := sqlstore.Micro(tx.Now)
	if _, err := tx.ExecContext(ctx, `UPDATE registry_websites SET status = 'cancelled', updated_at = $1, version = version + 1 WHERE id = $2`, now, id); err != nil {
		return sqlstore.MapErr(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE registry_website_domains SET active = 0 WHERE website_id = $1 AND active = 1`, id); err != nil {
		return sqlstore.MapErr(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE registry_access SET until = $1 WHERE website_id = $2 AND until = 0`, now, id); err != nil {
		return sqlstore.MapErr(err)
	}
	return history(ctx, tx, number, StatusCancelled, reason)
}

// cancelSubjectRow cancels the subject row and records it.
func cancelSubjectRow(ctx context.Context, tx *sqlstore.Tx, id int64, number, reason string) error {
	_, err := tx.ExecContext(ctx, `UPDATE registry_subjects SET status = 'cancelled', updated_at = $1, version = version + 1 WHERE id = $2`,
		sqlstore.Micro(tx.Now), id)
	if err != nil {
		return sqlstore.MapErr(err)
	}
	return history(ctx, tx, number, StatusCancelled, reason)
}

// checkReason requires a reason of bounded length.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > MaxReason {
		return "", invalid("registry.reason_invalid", "", "reason", "max", "500")
	}
	return reason, nil
}
