package regulator

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// SignalPasswordsDue is the sqlstore signal of a commit that owes a filing
// password (RunPasswords wakes on it).
const SignalPasswordsDue = "registry:passwords_due"

// PasswordPoll is how often RunPasswords looks for passwords owed by other
// instances' approvals, which do not wake it.
const PasswordPoll = 5 * time.Second

// duePasswordBatch is how many owed passwords one IssueDuePasswords call
// takes on.
const duePasswordBatch = 100

// owePassword records in the approval's transaction that the subject's
// filing password is owed (Rule PWD-1). The approval does not wait for
// argon2id (tens of milliseconds of CPU, the bureau decision's p99 under
// load); IssueDuePasswords issues it moments later.
func owePassword(ctx context.Context, tx *sqlstore.Tx, subjectNumber, submissionID string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO registry_password_due (subject_number, submission_id, created_at) VALUES ($1, $2, $3)`,
		subjectNumber, submissionID, sqlstore.Micro(tx.Now)); err != nil {
		return sqlstore.MapErr(err)
	}
	tx.Signal(SignalPasswordsDue)
	return nil
}

type duePassword struct{ subject, submission string }

// IssueDuePasswords issues the filing passwords owed (Rule PWD-1), oldest
// first, up to a batch: for each it draws and hashes the password outside
// any transaction, then in one transaction deletes the debt and issues the
// password (issuePassword: the hash stored, the SMS and email queued, the
// provider's password_issued event, the audit record). A debt another
// instance has just paid is skipped, so each password is issued once. One
// debt that fails does not hold up the others; its error is returned after
// them. more reports a full batch: call again.
func (r *Registry) IssueDuePasswords(ctx context.Context) (issued int, more bool, err error) {
	defer beian.Wrap(&err, "issue due passwords")
	rows, err := r.DB.SQL.QueryContext(ctx, `SELECT subject_number, submission_id FROM registry_password_due
		ORDER BY created_at, subject_number LIMIT $1`, duePasswordBatch)
	if err != nil {
		return 0, false, err
	}
	var due []duePassword
	for rows.Next() {
		var d duePassword
		if err := rows.Scan(&d.subject, &d.submission); err != nil {
			rows.Close()
			return 0, false, err
		}
		due = append(due, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	var errs []error
	for _, d := range due {
		ok, err := r.issueDue(ctx, d)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			issued++
		}
	}
	return issued, len(due) == duePasswordBatch, errors.Join(errs...)
}

func (r *Registry) issueDue(ctx context.Context, d duePassword) (issued bool, err error) {
	pw, hash, err := newHashedPassword() // before the transaction: argon2id holds no lock
	if err != nil {
		return false, err
	}
	ctx = context.WithValue(ctx, prehashedKey{}, prehashed{pw, hash})
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		issued = false
		res, err := tx.ExecContext(ctx, `DELETE FROM registry_password_due WHERE subject_number = $1 AND submission_id = $2`, d.subject, d.submission)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // paid meanwhile (another instance)
		}
		sub, err := loadSubmission(ctx, tx, d.submission)
		if err != nil {
			return err
		}
		issued = true
		return r.issuePassword(ctx, tx, sub, d.subject, sub.Data.Subject.Person)
	})
	return issued && err == nil, err
}

// RunPasswords issues owed filing passwords until ctx ends: at once when a
// commit of this process owes one (SignalPasswordsDue), and every
// PasswordPoll for the debts of other instances and of a crash. Errors are
// logged and tried again at the next poll.
func (r *Registry) RunPasswords(ctx context.Context, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	wake := make(chan struct{}, 1)
	r.DB.OnSignal(SignalPasswordsDue, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
		for ctx.Err() == nil { // batch after batch while they make progress
			n, more, err := r.IssueDuePasswords(ctx)
			if err != nil && ctx.Err() == nil {
				log.Error("filing passwords not issued yet", "err", err)
			}
			if !more || n == 0 { // a full batch of failing debts waits for the next poll
				break
			}
		}
		t.Reset(PasswordPoll)
	}
}
