package regulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
)

// Statuses of a submission at the registry.
const (
	SubmissionSMS       = "sms_confirmation" // waiting for the responsible persons' SMS confirmation (VER-3)
	SubmissionBureau    = "bureau_review"    // at the bureau (REV-2)
	SubmissionApproved  = "approved"
	SubmissionRejected  = "rejected" // by the bureau, with items (REV-5)
	SubmissionReturned  = "returned" // SMS confirmation failed or expired (VER-3)
	SubmissionCancelled = "cancelled"
)

// MaxIdempotencyKey is the longest idempotency key the registry keeps.
const MaxIdempotencyKey = 200

// StoredSubmission is a submission as the registry holds it. Data is the
// provider's submission without its password, which is never stored (PWD-2).
type StoredSubmission struct {
	ID            string
	Provider      string
	OrderNumber   string
	Type          beian.OrderType
	Province      string // GB/T 2260 code of the bureau's province
	SubjectNumber string // the filed subject the order concerns; set on approval of a first filing
	Status        string
	ReturnReason  string // "sms_failed" or "sms_expired" when returned
	DueDate       time.Time
	SMSDeadline   time.Time
	SubmittedAt   time.Time
	DecidedAt     time.Time
	UpdatedAt     time.Time
	Data          beian.Submission
	requestHash   string
}

// receipt is the connector's answer for the stored submission.
func (s StoredSubmission) receipt(duplicate bool) beian.Receipt {
	return beian.Receipt{SubmissionID: s.ID, Duplicate: duplicate, AcceptedAt: s.SubmittedAt, DueDate: s.DueDate}
}

// Submit answers the connector's Submit (beian.Connector.Submit) for the
// provider. It is idempotent per provider and key: a repeat with the same
// request returns the first receipt with Duplicate true and creates
// nothing; the same key with another request is conflict
// (registry.idempotency_conflict). Otherwise, in one transaction, it
// re-runs the registry's checks (Rules SUBJ-1, CAN-1, WEB-4, WEB-6, PWD-2;
// any failure is invalid with every problem and stores nothing), refuses
// with conflict (registry.subject_in_review) a subject that already has an
// order at the registry, stores the submission with its due date — the
// province's bureau review in business days (Rule REV-2), 20 for
// cancellations (Rule CAN-2), counted from the submission date (Rule CAL-1)
// — and starts the SMS confirmation (Rule VER-3). cancel_access is not
// submitted: use CancelAccess (Rule CAN-5).
func (r *Registry) Submit(ctx context.Context, provider string, s beian.Submission, key string) (rc beian.Receipt, err error) {
	defer beian.Wrap(&err, "submit order")
	provider, key = strings.TrimSpace(provider), strings.TrimSpace(key)
	if err := checkCaller(provider, key); err != nil {
		return rc, err
	}
	hash := submissionHash(s)
	// A repeat is answered before any check, password or rate limit.
	if prior, found, err := submissionByKey(ctx, r.DB.SQL, provider, key); err != nil || found {
		if err == nil {
			rc, err = prior.repeat(hash)
		}
		return rc, err
	}
	// The password is checked outside the write transaction: the rate
	// limiter needs a transaction of its own, and argon2 takes a while.
	if err := r.submissionPassword(ctx, s); err != nil {
		return rc, err
	}
	o := r.PipelineOptions()
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		if prior, found, err := submissionByKey(ctx, tx, provider, key); err != nil || found {
			if err == nil {
				rc, err = prior.repeat(hash)
			}
			return err
		}
		c, err := r.checkSubmission(ctx, tx, s)
		if err != nil {
			return err
		}
		if err := inFlight(ctx, tx, c.subjectKey); err != nil {
			// On PostgreSQL a concurrent request with the same key may have
			// committed since the read above: its submission is the one in
			// flight, and this request is its repeat.
			if prior, found, kerr := submissionByKey(ctx, tx, provider, key); kerr == nil && found {
				rc, err = prior.repeat(hash)
			}
			return err
		}
		days := c.reviewDays
		if s.Type == beian.CancelSubject || s.Type == beian.CancelWebsite {
			days = o.CancelBusinessDays // Rule CAN-2
		}
		due, _ := o.calendar().AddBusinessDays(tx.Now, days) // Rules REV-2, CAL-1
		data := s
		data.Password = "" // Rule PWD-2: never stored
		sub := StoredSubmission{ID: outbox.NewID(), Provider: provider, OrderNumber: strings.TrimSpace(s.OrderNumber), Type: s.Type,
			Province: c.province, SubjectNumber: c.subjectNumber, Status: SubmissionSMS, DueDate: due,
			SubmittedAt: stamp(tx), UpdatedAt: stamp(tx), Data: data, requestHash: hash}
		inserted, err := insertSubmission(ctx, tx, sub, key, c.subjectKey)
		if err != nil {
			return err
		}
		if !inserted { // a concurrent request with the key committed first
			prior, _, err := submissionByKey(ctx, tx, provider, key)
			if err == nil {
				rc, err = prior.repeat(hash)
			}
			return err
		}
		if err := r.startSMS(ctx, tx, &sub, o); err != nil {
			return err
		}
		if err := r.queuedForBureau(ctx, tx, sub.ID); err != nil { // the sandbox bureau (policy.go)
			return err
		}
		rc = sub.receipt(false)
		return r.appendAudit(ctx, tx, "submission.submit", "submission", sub.ID, nil, submissionAudit(sub))
	})
	if err != nil && beian.KindOf(err) == beian.KindConflict {
		// On PostgreSQL a concurrent request with the same key can commit
		// between this transaction's reads and its insert, which then
		// fails on the subject's in-flight constraint rather than on the
		// key (and aborts the transaction): this request is its repeat.
		if prior, found, kerr := submissionByKey(ctx, r.DB.SQL, provider, key); kerr == nil && found {
			return prior.repeat(hash)
		}
	}
	return rc, err
}

// stamp is the transaction's time as a stored time reads back: to the
// microsecond, in China Standard Time, so that a first answer and its
// repeats agree.
func stamp(tx *sqlstore.Tx) time.Time { return sqlstore.FromMicro(sqlstore.Micro(tx.Now)) }

// checkCaller requires a provider name and an idempotency key.
func checkCaller(provider, key string) error {
	if provider == "" || len([]rune(provider)) > MaxProviderName {
		return invalid("registry.provider_invalid", "OTH-1", "provider", "max", "100")
	}
	if key == "" || len(key) > MaxIdempotencyKey {
		return beian.Errorf(beian.KindBadRequest, "registry.idempotency_key", "max", "200")
	}
	return nil
}

// repeat answers a request whose key the provider used before.
func (s StoredSubmission) repeat(hash string) (beian.Receipt, error) {
	if s.requestHash != hash {
		return beian.Receipt{}, beian.Errorf(beian.KindConflict, "registry.idempotency_conflict")
	}
	return s.receipt(true), nil
}

// submissionHash identifies a request for idempotency: the submission
// without its submission time, which a provider may stamp anew on a retry.
func submissionHash(s beian.Submission) string {
	s.SubmittedAt = time.Time{}
	return requestHash("submit", s)
}

// requestHash is the hex SHA-256 of the operation and the request's JSON.
func requestHash(op string, v any) string {
	js, _ := json.Marshal(v) // plain data: never fails
	sum := sha256.Sum256(append([]byte(op+"\x00"), js...))
	return hex.EncodeToString(sum[:])
}

// inFlight refuses a second order of a subject while one is at the
// registry (connector contract: the registry's state forbids the request).
func inFlight(ctx context.Context, tx *sqlstore.Tx, subjectKey string) error {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM registry_submissions WHERE subject_key = $1 AND subject_key <> ''
		AND status IN ('sms_confirmation', 'bureau_review')`, subjectKey).Scan(&id)
	switch {
	case noRows(err):
		return nil
	case err != nil:
		return err
	}
	return beian.Errorf(beian.KindConflict, "registry.subject_in_review")
}

// insertSubmission stores sub; false when the provider's key is taken.
func insertSubmission(ctx context.Context, tx *sqlstore.Tx, sub StoredSubmission, key, subjectKey string) (bool, error) {
	js, err := json.Marshal(sub.Data)
	if err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO registry_submissions (id, provider, idem_key, request_hash, order_number, type, province,
		subject_key, subject_number, payload, status, due_date, submitted_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) ON CONFLICT (provider, idem_key) DO NOTHING`,
		sub.ID, sub.Provider, key, sub.requestHash, sub.OrderNumber, string(sub.Type), sub.Province, subjectKey, sub.SubjectNumber,
		string(js), sub.Status, sqlstore.Micro(sub.DueDate), sqlstore.Micro(sub.SubmittedAt))
	if err != nil {
		return false, sqlstore.MapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// submissionColumns are the columns scanSubmission reads, in its order.
const submissionColumns = `id, provider, order_number, type, province, subject_number, payload, status, return_reason,
	due_date, sms_deadline, submitted_at, decided_at, updated_at, request_hash`

// scanSubmission reads one row of submissionColumns.
func scanSubmission(row interface{ Scan(...any) error }) (s StoredSubmission, err error) {
	var typ, payload string
	var due, deadline, submitted, decided, updated int64
	err = row.Scan(&s.ID, &s.Provider, &s.OrderNumber, &typ, &s.Province, &s.SubjectNumber, &payload, &s.Status, &s.ReturnReason,
		&due, &deadline, &submitted, &decided, &updated, &s.requestHash)
	if err != nil {
		return s, err
	}
	s.Type = beian.OrderType(typ)
	s.DueDate, s.SMSDeadline = sqlstore.FromMicro(due), sqlstore.FromMicro(deadline)
	s.SubmittedAt, s.DecidedAt, s.UpdatedAt = sqlstore.FromMicro(submitted), sqlstore.FromMicro(decided), sqlstore.FromMicro(updated)
	return s, json.Unmarshal([]byte(payload), &s.Data)
}

// submissionByKey finds the provider's submission by idempotency key.
func submissionByKey(ctx context.Context, q querier, provider, key string) (StoredSubmission, bool, error) {
	s, err := scanSubmission(q.QueryRowContext(ctx, `SELECT `+submissionColumns+` FROM registry_submissions WHERE provider = $1 AND idem_key = $2`, provider, key))
	if noRows(err) {
		return s, false, nil
	}
	return s, err == nil, err
}

// loadSubmission reads a submission by id, locked in tx on PostgreSQL;
// unknown is not_found (registry.submission_not_found).
func loadSubmission(ctx context.Context, tx *sqlstore.Tx, id string) (StoredSubmission, error) {
	s, err := scanSubmission(tx.QueryRowContext(ctx, `SELECT `+submissionColumns+` FROM registry_submissions WHERE id = $1`+forUpdate(tx), id))
	if noRows(err) {
		return s, errSubmissionNotFound()
	}
	return s, err
}

// errSubmissionNotFound is the answer for a submission that does not
// exist or is not visible to the caller.
func errSubmissionNotFound() error {
	return beian.Errorf(beian.KindNotFound, "registry.submission_not_found")
}

// setStatus moves a submission to status in tx; reason is the return reason.
func setStatus(ctx context.Context, tx *sqlstore.Tx, id, status, reason string) error {
	decided := int64(0)
	if status != SubmissionSMS && status != SubmissionBureau {
		decided = sqlstore.Micro(tx.Now)
	}
	_, err := tx.ExecContext(ctx, `UPDATE registry_submissions SET status = $1, return_reason = $2, decided_at = $3, updated_at = $4 WHERE id = $5`,
		status, reason, decided, sqlstore.Micro(tx.Now), id)
	return sqlstore.MapErr(err)
}

// submissionAudit is a submission as the audit log holds it: no personal data.
func submissionAudit(s StoredSubmission) map[string]any {
	return map[string]any{"provider": s.Provider, "order": s.OrderNumber, "type": s.Type, "province": s.Province,
		"subject_number": s.SubjectNumber, "status": s.Status, "due_date": dateString(s.DueDate), "return_reason": s.ReturnReason}
}
