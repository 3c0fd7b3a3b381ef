package provider

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/validate"
	"github.com/beian/beian/workflow"
)

// Submission to the registry (Rule VER-3 starts there), and how a
// connector failure is handled.
//
// The order moves to sms_confirmation inside its move's transaction, and
// SendToRegistry writes, in that same transaction, one row per submission
// attempt with its idempotency key ("<order number>/<attempt>") — nothing
// is sent yet. The connector is called only after the commit, by
// FlushSubmissions: never inside a transaction, because the in-process
// registry shares the database (SQLite has one writer) and because a
// network call must not hold row locks. Callers that commit such a move
// call FlushSubmissions right away (best effort); Run retries the pending
// rows every few seconds, so a crash between the commit and the call, or
// an unreachable registry, only delays the submission:
//   - accepted (also a Duplicate receipt of a retry): the row keeps the
//     submission ID and the bureau's due date;
//   - unavailable, rate limited, a network error, or a credential problem
//     (the provider's own configuration): the row stays pending and is
//     retried with backoff and the same key — the order stays where it
//     is, in sms_confirmation;
//   - refused (invalid, conflict, not found, bad request): the registry
//     will not take the order as it is; the order moves to returned (the
//     registry handed it back, as after a failed SMS confirmation), the
//     row keeps the problem codes and the responsible person is told, so
//     the customer corrects and resubmits (a new attempt, a new key).

// submissionState is the state of one attempt row.
const (
	attemptPending  = "pending"
	attemptAccepted = "accepted"
	attemptRefused  = "refused"
)

// SendToRegistry queues the order's next submission attempt to the
// registry in the caller's transaction (the move to sms_confirmation): the
// attempt's idempotency key is stored before the connector is ever called.
// A pending attempt of the order is reused. Call FlushSubmissions after
// the transaction commits. cancel_access orders go through CancelAccess.
func (s *Service) SendToRegistry(ctx context.Context, tx *sqlstore.Tx, orderID int64) (err error) {
	defer beian.Wrap(&err, "send order %d to the registry", orderID)
	var number, typ string
	if err := tx.QueryRowContext(ctx, `SELECT number, type FROM orders WHERE id = $1`, orderID).Scan(&number, &typ); err != nil {
		return err
	}
	if beian.OrderType(typ) == beian.CancelAccess {
		return errors.New("cancel_access is not submitted: use CancelAccess (Rule CAN-5)")
	}
	var pending int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_submissions WHERE order_id = $1 AND state = 'pending'`, orderID).Scan(&pending); err != nil {
		return err
	}
	if pending > 0 {
		return nil
	}
	var attempt int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(attempt), 0) + 1 FROM order_submissions WHERE order_id = $1`, orderID).Scan(&attempt); err != nil {
		return err
	}
	now := sqlstore.Micro(tx.Now)
	_, err = tx.ExecContext(ctx, `INSERT INTO order_submissions (order_id, attempt, idem_key, state, next_try_at, created_at, updated_at)
		VALUES ($1, $2, $3, 'pending', $4, $4, $4)`, orderID, attempt, number+"/"+strconv.Itoa(attempt), now)
	tx.Signal(SubmissionsSignal)
	return sqlstore.MapErr(err)
}

// SubmissionsSignal is the sqlstore signal raised when a transaction that
// queued a submission to the registry commits; Run wakes on it (Wake).
const SubmissionsSignal = "provider:submissions"

// attemptRow is one pending attempt.
type attemptRow struct {
	ID, OrderID int64
	Attempt     int
	Key         string
	Tries       int
	CreatedAt   time.Time
}

// FlushSubmissions calls the connector for every pending attempt that is
// due, outside any transaction, and records each outcome (see above). It
// returns how many were accepted or refused; a retryable failure is no
// error (the row waits for its next try), a database error is.
//
// A process runs one flush at a time: a call made while another runs asks
// it for one more pass and waits for that pass (returning 0 and its error),
// so that on return a pass begun after the call has ended, as if the call
// had made it. The request that queued a submission and Run, woken by the
// same commit, had each sent the same pending attempt: a second Submit to
// the registry and a second write of the outcome, for nothing.
func (s *Service) FlushSubmissions(ctx context.Context) (n int, err error) {
	g := &s.flush
	g.mu.Lock()
	if g.done == nil {
		g.done = make(chan struct{})
	}
	if g.running {
		g.again = true
		done := g.done
		g.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		return 0, g.err
	}
	g.running = true
	g.mu.Unlock()
	for {
		k, err := s.flushPass(ctx)
		n += k
		g.mu.Lock()
		if g.again && err == nil {
			g.again = false
			g.mu.Unlock()
			continue
		}
		g.running, g.again, g.err = false, false, err
		close(g.done)
		g.done = make(chan struct{})
		g.mu.Unlock()
		return n, err
	}
}

// flushGate is FlushSubmissions' state: whether a flush runs, whether a
// call asked it for another pass, and the channel closed when it ends.
type flushGate struct {
	mu      sync.Mutex
	running bool
	again   bool
	done    chan struct{}
	err     error // the last flush's, for the calls that waited on it
}

// flushPass is one pass of FlushSubmissions over the due attempts.
func (s *Service) flushPass(ctx context.Context) (n int, err error) {
	rows, err := s.DB.SQL.QueryContext(ctx, `SELECT id, order_id, attempt, idem_key, tries, created_at FROM order_submissions
		WHERE state = 'pending' AND next_try_at <= $1 ORDER BY id LIMIT 50`, sqlstore.Micro(s.now()))
	if err != nil {
		return 0, err
	}
	var due []attemptRow
	for rows.Next() {
		var a attemptRow
		var created int64
		if err := rows.Scan(&a.ID, &a.OrderID, &a.Attempt, &a.Key, &a.Tries, &created); err != nil {
			rows.Close()
			return 0, err
		}
		a.CreatedAt = sqlstore.FromMicro(created)
		due = append(due, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, a := range due {
		done, err := s.submitAttempt(ctx, a)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// submitAttempt sends one attempt and records its outcome; done reports
// whether it left the pending state.
func (s *Service) submitAttempt(ctx context.Context, a attemptRow) (done bool, err error) {
	o, err := s.Store.Order(ctx, a.OrderID)
	if err != nil {
		return false, err
	}
	sub, err := s.buildSubmission(ctx, o, a.CreatedAt)
	if err != nil {
		return false, err
	}
	rc, cerr := s.Connector.Submit(ctx, sub, a.Key)
	switch {
	case cerr == nil:
		return true, s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE order_submissions SET state = 'accepted', submission_id = $1, due_date = $2, tries = tries + 1,
				last_error = '', updated_at = $3 WHERE id = $4 AND state = 'pending'`, rc.SubmissionID, sqlstore.Micro(rc.DueDate), sqlstore.Micro(tx.Now), a.ID)
			return err
		})
	case retryable(cerr):
		s.Log.WarnContext(ctx, "registry submission will be retried", "order", o.Number, "attempt", a.Attempt, "kind", beian.KindOf(cerr))
		return false, s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
			next := tx.Now.Add(timer.DefaultBackoff(a.Tries + 1))
			_, err := tx.ExecContext(ctx, `UPDATE order_submissions SET tries = tries + 1, next_try_at = $1, last_error = $2, updated_at = $3
				WHERE id = $4 AND state = 'pending'`, sqlstore.Micro(next), errorCodes(cerr), sqlstore.Micro(tx.Now), a.ID)
			return err
		})
	}
	reason := errorCodes(cerr)
	return true, s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE order_submissions SET state = 'refused', tries = tries + 1, last_error = $1, updated_at = $2
			WHERE id = $3 AND state = 'pending'`, reason, sqlstore.Micro(tx.Now), a.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another flush recorded it first
		}
		cur, err := providerdb.OrderTx(ctx, tx, a.OrderID)
		if err != nil || cur.Stage != beian.StageSMSConfirmation {
			return err
		}
		_, err = s.Store.TransitionTx(ctx, tx, providerdb.Move{OrderID: cur.ID, Version: cur.Version, Event: workflow.SMSFailed,
			By: workflow.System, Actor: "registry",
			Effect: func(ctx context.Context, tx *sqlstore.Tx, _, after beian.Order) error {
				return s.notifyOrder(ctx, tx, after, TemplateRegistryRefused, map[string]string{"reason": reason})
			}})
		return err
	})
}

// retryable reports whether a connector error leaves the outcome unknown
// or is the provider's own problem (connector contract): retry with the
// same key.
func retryable(err error) bool {
	var e *beian.Error
	if !errors.As(err, &e) {
		return true
	}
	switch e.Kind {
	case beian.KindUnavailable, beian.KindRateLimited, beian.KindInternal, beian.KindUnauthenticated, beian.KindForbidden:
		return true
	}
	return false
}

// errorCodes names an error by its codes only (never its text, which may
// echo personal data): "registry.subject_conflict, web.…".
func errorCodes(err error) string {
	var e *beian.Error
	if !errors.As(err, &e) {
		return "network"
	}
	codes := []string{}
	if e.Code != "" {
		codes = append(codes, e.Code)
	}
	for _, p := range e.Problems {
		codes = append(codes, p.Code)
	}
	if len(codes) == 0 {
		codes = append(codes, string(e.Kind))
	}
	return strings.Join(codes, ", ")
}

// buildSubmission turns the order into what the registry receives: the
// form's subject and websites, documents as hashes (with the approved
// verification photo, Rules VER-1, REV-6), the changed paths of a change
// (Rule OTH-2), and the password only for a transfer-in or a subject
// cancellation (Rule PWD-2). SubmittedAt is the attempt's creation time,
// so that a retry sends the same request.
func (s *Service) buildSubmission(ctx context.Context, o beian.Order, at time.Time) (beian.Submission, error) {
	var d beian.OrderData
	if err := json.Unmarshal(o.Data, &d); err != nil {
		return beian.Submission{}, err
	}
	if err := s.cancelSubject(ctx, o, &d); err != nil {
		return beian.Submission{}, err
	}
	sub := beian.Submission{OrderNumber: o.Number, Type: o.Type, Commercial: o.Commercial, Province: d.Subject.Province,
		SubjectNumber: d.Subject.Number, Subject: d.Subject.SubjectData, Websites: []beian.WebsiteData{}, SubmittedAt: at}
	if sub.SubjectNumber == "" && d.Transfer != "" {
		if n, ps := validate.ParseFilingNumber(s.Ref, d.Transfer); len(ps) == 0 {
			sub.SubjectNumber = n.SubjectNumber().String()
		}
	}
	for _, w := range d.Websites {
		sub.Websites = append(sub.Websites, w.WebsiteData)
	}
	if o.Type == beian.CancelWebsite {
		sub.Cancel = d.Cancel
	}
	if o.Type == beian.TransferIn || o.Type == beian.CancelSubject {
		sub.Password = d.Password // Rule PWD-2; never logged
	}
	docs, err := s.Store.Documents(ctx, o.ID)
	if err != nil {
		return sub, err
	}
	for _, doc := range docs {
		sub.Documents = append(sub.Documents, beian.Document{Kind: doc.Kind, SHA256: doc.SHA256, Bytes: doc.Bytes})
	}
	if sha, _, ok, err := s.Store.ApprovedPhoto(ctx, o.ID); err != nil {
		return sub, err
	} else if ok {
		photo := beian.Document{Kind: "photo", SHA256: sha}
		if f, ref, err := s.Blobs.Open(sha); err == nil {
			photo.Bytes = ref.Size
			f.Close()
		}
		sub.Documents = append(sub.Documents, photo)
	}
	if isChange(o.Type) {
		f, err := s.Store.OrderFactsOf(ctx, o.ID)
		if err != nil {
			return sub, err
		}
		if !f.UpdatedAt.IsZero() { // the changed paths the submit derived (Rule OTH-2)
			sub.Changed = f.Changed
			return sub, nil
		}
		prev, err := s.lastApprovedData(ctx, o)
		if err != nil {
			return sub, err
		}
		if prev != nil {
			if sub.Changed, err = providerdb.ChangedPaths(prev, o.Data); err != nil {
				return sub, err
			}
		}
	}
	return sub, nil
}

// isChange reports whether the type is a change (Rule OTH-2).
func isChange(t beian.OrderType) bool {
	return t == beian.ChangeSubject || t == beian.ChangeWebsite || t == beian.ChangeAccess
}
