package regulator

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// PasswordLength is the length of a filing password (Rule PWD-1).
const PasswordLength = 12

// passwordAlphabet leaves out the characters that read alike on a phone
// screen or on paper: 0 O o, 1 I l.
const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

// NewPassword returns a random filing password of PasswordLength
// characters of the unambiguous alphabet, from crypto/rand (Rule PWD-1).
func NewPassword() (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(passwordAlphabet)))
	for range PasswordLength {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b.WriteByte(passwordAlphabet[n.Int64()])
	}
	return b.String(), nil
}

// issuePassword issues the subject's filing password in tx (Rule PWD-1):
// a new random password whose argon2id hash alone is stored, sent to the
// responsible person by SMS and, when the person has an email address, by
// email through the registry outbox (template TemplatePasswordIssued;
// Rule NOTE-1), and reported to the provider as a password_issued event
// that carries only the subject number. The password is in no event,
// audit record or log.
func (r *Registry) issuePassword(ctx context.Context, tx *sqlstore.Tx, sub StoredSubmission, subjectNumber string, person beian.Person) error {
	pw, hash, err := newPasswordFor(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE registry_subjects SET password_hash = $1, updated_at = $2 WHERE number = $3`,
		hash, sqlstore.Micro(tx.Now), subjectNumber); err != nil {
		return sqlstore.MapErr(err)
	}
	data := map[string]string{"password": pw, "subject_number": subjectNumber, "name": strings.TrimSpace(person.Name)}
	if err := enqueue(ctx, tx, person, TemplatePasswordIssued, data); err != nil {
		return err
	}
	if err := emit(ctx, tx, sub.Provider, sub.ID, sub.OrderNumber, beian.EventPasswordIssued,
		beian.PasswordIssuedPayload{SubjectNumber: subjectNumber}); err != nil {
		return err
	}
	return r.appendAudit(ctx, tx, "password.issue", "subject", subjectNumber, nil, map[string]any{"sent_to": maskPhone(person.Mobile)})
}

// enqueue sends a template to a person by SMS and, when the person has an
// email address, by email, through the registry outbox in tx (Rule NOTE-1).
func enqueue(ctx context.Context, tx *sqlstore.Tx, person beian.Person, template string, data map[string]string) error {
	box, err := outbox.New("registry")
	if err != nil {
		return err
	}
	to := strings.TrimSpace(person.Mobile)
	if m, ps := validate.Mobile(to); len(ps) == 0 {
		to = m
	}
	if _, err := box.Enqueue(ctx, tx, outbox.Message{Channel: outbox.SMS, To: to, Template: template, Data: data}); err != nil {
		return err
	}
	if email := strings.TrimSpace(person.Email); email != "" {
		if _, err := box.Enqueue(ctx, tx, outbox.Message{Channel: outbox.Email, To: email, Template: template, Data: data}); err != nil {
			return err
		}
	}
	return nil
}

// CheckTransferIn answers the connector's CheckTransferIn (Rules OTH-1,
// PWD-2): the filing password of the subject of a subject or website
// number. Every attempt counts against the number's limit
// (PipelineOptions.TransferCheckRule, 5 per hour; over it rate_limited,
// registry.transfer_check_rate_limited, with retry_after). Any mismatch —
// wrong password, unknown or cancelled number, a subject without a
// password — is the same invalid answer, registry.transfer_check_failed.
// A match returns the subject number, its active website numbers and its
// province.
func (r *Registry) CheckTransferIn(ctx context.Context, number, password string) (tc beian.TransferInCheck, err error) {
	defer beian.Wrap(&err, "transfer-in check")
	failed := invalid("registry.transfer_check_failed", "PWD-2", "password")
	subject := strings.TrimSpace(number)
	n, ok := r.parseNumber(number)
	if ok {
		subject = n.SubjectNumber().String()
	}
	if err := r.allowPasswordCheck(ctx, subject); err != nil {
		return tc, err
	}
	if !ok || n.Licence {
		return tc, failed
	}
	match, err := r.verifySubjectPassword(ctx, subject, password)
	if err != nil || !match {
		if err == nil || errors.Is(err, identity.ErrMalformedHash) {
			err = failed
		}
		return tc, err
	}
	f, err := r.Filing(ctx, subject)
	if err != nil {
		return tc, err
	}
	tc = beian.TransferInCheck{SubjectNumber: f.SubjectNumber, Province: f.Province, Websites: []string{}}
	for _, w := range f.Websites {
		if w.Status == StatusActive {
			tc.Websites = append(tc.Websites, w.Number)
		}
	}
	return tc, nil
}

// allowPasswordCheck counts one password check against the subject
// number's limit; over it the answer is rate_limited.
func (r *Registry) allowPasswordCheck(ctx context.Context, subjectNumber string) error {
	rule := r.PipelineOptions().TransferCheckRule
	d, err := r.limiter().Allow(ctx, rule, subjectNumber)
	if err != nil || d.Allowed {
		return err
	}
	return rateLimited(d, "registry.transfer_check_rate_limited")
}

// rateLimited is the rate_limited error of a refused decision with the
// message code.
func rateLimited(d ratelimit.Decision, code string) error {
	err := ratelimit.Error(d)
	var e *beian.Error
	if errors.As(err, &e) {
		e.Code = code
	}
	return err
}

// maskPhone keeps a mobile number's first three and last four digits
// (138****5678); anything shorter is masked whole.
func maskPhone(phone string) string {
	phone = strings.TrimSpace(phone)
	if len(phone) < 8 {
		return "****"
	}
	return phone[:3] + "****" + phone[len(phone)-4:]
}

// prehashed is a filing password made and hashed before a transaction.
type prehashed struct{ password, hash string }

type prehashedKey struct{}

// newPasswordFor returns the password ctx carries (withNewPassword), or
// a new one.
func newPasswordFor(ctx context.Context) (pw, hash string, err error) {
	if p, ok := ctx.Value(prehashedKey{}).(prehashed); ok {
		return p.password, p.hash, nil
	}
	return newHashedPassword()
}

// newHashedPassword returns a new filing password and its argon2id hash
// (Rule PWD-1): one the pool made ahead of need, or, the pool empty, one
// made now.
func newHashedPassword() (pw, hash string, err error) {
	passwordPool.start()
	select {
	case p := <-passwordPool.ch:
		return p.password, p.hash, nil
	default:
	}
	if pw, err = NewPassword(); err != nil {
		return "", "", err
	}
	hash, err = identity.HashPassword(identity.DefaultHashParams, pw)
	return pw, hash, err
}

// passwordPool keeps a few filing passwords drawn and hashed ahead of
// need, so that what issues one (RunPasswords after a first filing's
// approval, a retrieval) seldom waits for argon2id at CONVENTIONS.md's
// parameters. One goroutine of the process, started with the first
// registry, hashes whenever the pool has room and waits while it is full;
// a caller that finds it empty hashes its own. The passwords are random, tied to nothing until taken, and
// never leave the process's memory before.
var passwordPool = &pool{ch: make(chan prehashed, 4)}

type pool struct {
	once sync.Once
	ch   chan prehashed
}

func (p *pool) start() {
	p.once.Do(func() { go p.fill() })
}

func (p *pool) fill() {
	for {
		pw, err := NewPassword()
		var hash string
		if err == nil {
			hash, err = identity.HashPassword(identity.DefaultHashParams, pw)
		}
		if err != nil { // crypto/rand failing: the requests will say so
			time.Sleep(time.Second)
			continue
		}
		p.ch <- prehashed{pw, hash}
	}
}
