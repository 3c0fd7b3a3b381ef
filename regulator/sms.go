package regulator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/validate"
)

// Timer kinds of the pipeline (registry_timers; see TimerHandlers).
const (
	TimerSMSDeadline = "sms_deadline" // ref: submission id (Rule VER-3)
	TimerEmptyShell  = "empty_shell"  // ref: website number (Rule CAN-5)
)

// Reasons of a returned submission (beian.ReturnedPayload).
const (
	ReturnSMSFailed  = "sms_failed"
	ReturnSMSExpired = "sms_expired"
)

// TimerHandlers returns the handlers of the pipeline's registry timers, for
// a timer.Runner on the registry's table: the SMS deadline (Rule VER-3)
// and the empty-shell sweep (Rule CAN-5).
func (r *Registry) TimerHandlers() map[string]timer.Handler {
	return map[string]timer.Handler{TimerSMSDeadline: r.smsDeadline, TimerEmptyShell: r.emptyShell}
}

// registryTimers is the registry context's timer table.
func registryTimers() *timer.Timers {
	t, _ := timer.New(timer.Registry) // a known context: never fails
	return t
}

// confirmPerson is one responsible person to confirm, in every role they hold.
type confirmPerson struct {
	phone, last6 string
	roles        []string
	person       beian.Person
}

// confirmPersons lists the submission's responsible persons, one per
// mobile number and certificate: "subject" and "websites[i]" (Rule VER-3).
func confirmPersons(s beian.Submission) []*confirmPerson {
	var out []*confirmPerson
	byKey := map[string]*confirmPerson{}
	add := func(role string, p beian.Person) {
		phone, ps := validate.Mobile(p.Mobile)
		cert := validate.NormalizeCertificate(p.CertNumber)
		if len(ps) > 0 || cert == "" {
			return // checkSubmission refused it, or a cancellation names no person here
		}
		key := phone + "|" + last6(cert)
		if cp := byKey[key]; cp != nil {
			cp.roles = append(cp.roles, role)
			return
		}
		cp := &confirmPerson{phone: phone, last6: last6(cert), roles: []string{role}, person: p}
		byKey[key] = cp
		out = append(out, cp)
	}
	add("subject", s.Subject.Person)
	for i, w := range s.Websites {
		add("websites["+strconv.Itoa(i)+"]", w.Person)
	}
	return out
}

// last6 is the last six characters of a normalised certificate number.
func last6(cert string) string {
	r := []rune(cert)
	if len(r) > 6 {
		r = r[len(r)-6:]
	}
	return string(r)
}

// codeHash is how a confirmation code is stored: salted with the
// submission and the phone, never the code itself.
func codeHash(submissionID, phone, code string) string {
	sum := sha256.Sum256([]byte("registry-sms\x00" + submissionID + "\x00" + phone + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

// newCode returns a random 6-digit code.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// changedPersons keeps, of a change order's persons, those whose data the
// order changes (Rule VER-3 with OTH-2): a person whose role's path, or a
// path under its "person", is in Submission.Changed ("subject",
// "subject.person.mobile", "websites[1]", "websites[0].person.name" …).
//
// Decision: a change that touches no responsible person (say a new
// homepage or a new server IP) still goes through SMS confirmation (Rule
// REV-8), and the subject's responsible person, who answers for the whole
// filing, confirms it alone; when the subject has no person in the order,
// every person named confirms as before. Other order types confirm every
// person named.
func changedPersons(s beian.Submission, persons []*confirmPerson) []*confirmPerson {
	switch s.Type {
	case beian.ChangeSubject, beian.ChangeWebsite, beian.ChangeAccess:
	default:
		return persons
	}
	touched := func(role string) bool {
		for _, c := range s.Changed {
			c = strings.TrimSpace(c)
			if c == role || c == role+".person" || strings.HasPrefix(c, role+".person.") {
				return true
			}
		}
		return false
	}
	var out, subject []*confirmPerson
	for _, p := range persons {
		if slices.Contains(p.roles, "subject") {
			subject = append(subject, p)
		}
		for _, role := range p.roles {
			if touched(role) {
				out = append(out, p)
				break
			}
		}
	}
	switch {
	case len(out) > 0:
		return out
	case len(subject) > 0:
		return subject
	}
	return persons
}

// startSMS starts the SMS confirmation of a new submission in tx (Rule
// VER-3): one 6-digit code per responsible person (of a change order, only
// those whose data changed: changedPersons), stored hashed and sent
// through the registry outbox (TemplateSMSCode; by email too when the
// person has an address), and the deadline: SMSWindow (24 hours) on a
// durable timer.
func (r *Registry) startSMS(ctx context.Context, tx *sqlstore.Tx, sub *StoredSubmission, o PipelineOptions) error {
	sub.SMSDeadline = tx.Now.Add(o.SMSWindow)
	deadline := sub.SMSDeadline.In(beian.CST).Format("2006-01-02 15:04")
	for _, p := range changedPersons(sub.Data, confirmPersons(sub.Data)) {
		code, err := newCode()
		if err != nil {
			return err
		}
		hash := codeHash(sub.ID, p.phone, code)
		for _, role := range p.roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO registry_confirmations (submission_id, role, phone, cert_last6, code_hash) VALUES ($1, $2, $3, $4, $5)`,
				sub.ID, role, p.phone, p.last6, hash); err != nil {
				return sqlstore.MapErr(err)
			}
		}
		if err := enqueue(ctx, tx, p.person, TemplateSMSCode, map[string]string{"code": code, "order": sub.OrderNumber, "deadline": deadline}); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE registry_submissions SET sms_deadline = $1 WHERE id = $2`, sqlstore.Micro(sub.SMSDeadline), sub.ID); err != nil {
		return sqlstore.MapErr(err)
	}
	return registryTimers().Schedule(ctx, tx, TimerSMSDeadline, sub.ID, sub.SMSDeadline, "")
}

// returnSubmission returns a submission in SMS confirmation to its
// provider in tx (Rule VER-3): status returned with the reason, the
// deadline timer cancelled, a returned event. Lock the provider's events first.
func (r *Registry) returnSubmission(ctx context.Context, tx *sqlstore.Tx, sub StoredSubmission, reason string) error {
	if err := setStatus(ctx, tx, sub.ID, SubmissionReturned, reason); err != nil {
		return err
	}
	if err := registryTimers().Cancel(ctx, tx, TimerSMSDeadline, sub.ID); err != nil {
		return err
	}
	if err := emit(ctx, tx, sub.Provider, sub.ID, sub.OrderNumber, beian.EventReturned, beian.ReturnedPayload{Reason: reason}); err != nil {
		return err
	}
	before := submissionAudit(sub)
	sub.Status, sub.ReturnReason = SubmissionReturned, reason
	return r.appendAudit(ctx, tx, "submission.return", "submission", sub.ID, before, submissionAudit(sub))
}

// smsDeadline fires when a submission's SMS window closes (Rule VER-3):
// still unconfirmed, it is returned (sms_expired); otherwise nothing.
func (r *Registry) smsDeadline(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
	var provider string
	err := tx.QueryRowContext(ctx, `SELECT provider FROM registry_submissions WHERE id = $1`, tm.Ref).Scan(&provider)
	if noRows(err) {
		return nil
	}
	if err != nil {
		return err
	}
	sub, err := loadSubmission(ctx, tx, tm.Ref)
	if err != nil || sub.Status != SubmissionSMS {
		return err
	}
	return r.returnSubmission(ctx, tx, sub, ReturnSMSExpired)
}

// Confirmations answers the connector's Confirmations (Rule VER-3): the
// SMS-confirmation state of the provider's submission, phones masked
// (138****5678). Another provider's submission is not_found.
func (r *Registry) Confirmations(ctx context.Context, provider, submissionID string) (cs beian.ConfirmationState, err error) {
	defer beian.Wrap(&err, "confirmations")
	sub, err := scanSubmission(r.DB.SQL.QueryRowContext(ctx, `SELECT `+submissionColumns+` FROM registry_submissions WHERE id = $1 AND provider = $2`,
		strings.TrimSpace(submissionID), strings.TrimSpace(provider)))
	if noRows(err) {
		return cs, errSubmissionNotFound()
	}
	if err != nil {
		return cs, err
	}
	return confirmationState(ctx, r.DB.SQL, sub)
}

// confirmationState reads the confirmation state of a submission:
// "pending" while in SMS confirmation, "failed" or "expired" when
// returned, "none" without persons (cancel access), else "confirmed".
func confirmationState(ctx context.Context, q querier, sub StoredSubmission) (cs beian.ConfirmationState, err error) {
	cs = beian.ConfirmationState{SubmissionID: sub.ID, Deadline: sub.SMSDeadline, Persons: []beian.PersonConfirmation{}}
	rows, err := q.QueryContext(ctx, `SELECT role, phone, failures, confirmed_at FROM registry_confirmations WHERE submission_id = $1`, sub.ID)
	if err != nil {
		return cs, err
	}
	defer rows.Close()
	for rows.Next() {
		var p beian.PersonConfirmation
		var phone string
		var confirmed int64
		if err := rows.Scan(&p.Role, &phone, &p.Failures, &confirmed); err != nil {
			return cs, err
		}
		p.MaskedPhone, p.Confirmed = maskPhone(phone), confirmed != 0
		cs.Persons = append(cs.Persons, p)
	}
	if err := rows.Err(); err != nil {
		return cs, err
	}
	sort.Slice(cs.Persons, func(i, j int) bool { return roleOrder(cs.Persons[i].Role) < roleOrder(cs.Persons[j].Role) })
	switch {
	case len(cs.Persons) == 0:
		cs.State = "none"
	case sub.Status == SubmissionSMS:
		cs.State = "pending"
	case sub.Status == SubmissionReturned && sub.ReturnReason == ReturnSMSFailed:
		cs.State = "failed"
	case sub.Status == SubmissionReturned && sub.ReturnReason == ReturnSMSExpired:
		cs.State = "expired"
	default:
		cs.State = "confirmed"
	}
	return cs, nil
}

// roleOrder sorts "subject" first, then the websites by index.
func roleOrder(role string) int {
	if role == "subject" {
		return -1
	}
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(role, "websites["), "]"))
	return n
}

// sameCode compares two stored hashes in constant time.
func sameCode(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
