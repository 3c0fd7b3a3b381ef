package regulator

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// The online password retrieval's rate limits (API.md, "Rate limits"; Rule
// PWD-3): 5 attempts per filing number per day and 10 per client address
// per hour. Replace them to configure.
var (
	RetrievalNumberRule = ratelimit.PasswordRetrievalNumber
	RetrievalClientRule = ratelimit.PasswordRetrievalClient
)

// RetrievalRequest is an online filing-password retrieval (找回备案密码,
// Rule PWD-3): the subject's province, its subject number or one of its
// website numbers, and its certificate type and number.
type RetrievalRequest struct {
	Province   string `json:"province"` // any key refdata's Province accepts
	Number     string `json:"number"`
	CertType   string `json:"cert_type"`
	CertNumber string `json:"cert_number"` // personal data: never logged
}

// secret is a new filing password and its argon2id hash.
type secret struct{ password, hash string }

// newSecret draws a new filing password and hashes it (Rule PWD-1).
func newSecret() (secret, error) {
	pw, hash, err := newHashedPassword()
	return secret{password: pw, hash: hash}, err
}

// RetrievePassword answers an online password retrieval from the client
// address (Rule PWD-3). A request without every field is invalid
// (registry.required per field). Every attempt counts against
// RetrievalClientRule for the client and RetrievalNumberRule for the
// filing number (a website number counts for its subject); over either the
// answer is rate_limited (registry.password_retrieval_rate_limited, with
// retry_after). Otherwise it answers nil whether the data matched or not:
//   - when province, number, certificate type and certificate number all
//     match an active subject whose responsible person the registry knows
//     (from its last approved submission naming one), a new password
//     replaces the old one (only its hash is stored) and goes to that
//     person by SMS and email through the registry outbox
//     (TemplatePasswordReset), with an audit record that holds no secret;
//   - any mismatch — unknown or cancelled number, another province, another
//     certificate type or number, a subject without a known responsible
//     person — changes nothing.
//
// So the caller cannot tell a match from a mismatch (no oracle on the
// certificate numbers behind public filing numbers): the password is drawn
// and hashed before the lookup in every case, so that a match does not
// take visibly longer either. Guangdong's subjects retrieve online like
// every other province's (Rule PWD-4 only refuses the offline way there).
func (r *Registry) RetrievePassword(ctx context.Context, req RetrievalRequest, client string) (err error) {
	defer beian.Wrap(&err, "password retrieval")
	var ps beian.Problems
	for _, f := range []struct{ name, value string }{{"province", req.Province}, {"number", req.Number},
		{"cert_type", req.CertType}, {"cert_number", req.CertNumber}} {
		if strings.TrimSpace(f.value) == "" {
			ps.Add("registry.required", "PWD-3", f.name, "field", f.name)
		}
	}
	if err := ps.Err(); err != nil {
		return err
	}
	number := strings.TrimSpace(req.Number)
	n, parsed := r.parseNumber(number)
	if parsed {
		number = n.SubjectNumber().String()
	}
	if err := r.allowRetrieval(ctx, client, number); err != nil {
		return err
	}
	sec, err := newSecret()
	if err != nil {
		return err
	}
	if !parsed || n.Licence {
		return nil
	}
	return r.inTx(ctx, func(tx *sqlstore.Tx) error {
		person, ok, err := r.matchRetrieval(ctx, tx, number, req)
		if err != nil || !ok {
			return err
		}
		return r.resetPassword(ctx, tx, number, person, sec, "password.retrieve")
	})
}

// allowRetrieval counts one retrieval attempt for the client and for the
// number; the client's limit is checked first, so that an over-limit
// client does not use up the number's attempts.
func (r *Registry) allowRetrieval(ctx context.Context, client, number string) error {
	lim := r.limiter()
	for _, c := range []struct {
		rule ratelimit.Rule
		key  string
	}{{RetrievalClientRule, client}, {RetrievalNumberRule, number}} {
		d, err := lim.Allow(ctx, c.rule, c.key)
		if err != nil {
			return err
		}
		if !d.Allowed {
			return rateLimited(d, "registry.password_retrieval_rate_limited")
		}
	}
	return nil
}

// matchRetrieval reports whether the request matches the active subject
// with the number, and returns its responsible person.
func (r *Registry) matchRetrieval(ctx context.Context, tx *sqlstore.Tx, number string, req RetrievalRequest) (beian.Person, bool, error) {
	p, ok := r.Ref.Province(req.Province)
	if !ok {
		return beian.Person{}, false, nil
	}
	var province, certType, key, status string
	err := tx.QueryRowContext(ctx, `SELECT province, cert_type, cert_key, status FROM registry_subjects WHERE number = $1`+forUpdate(tx), number).
		Scan(&province, &certType, &key, &status)
	if noRows(err) {
		return beian.Person{}, false, nil
	}
	if err != nil {
		return beian.Person{}, false, err
	}
	if status != StatusActive || province != p.Code || certType != strings.TrimSpace(req.CertType) || key == "" ||
		key != certKey(req.CertType, req.CertNumber) {
		return beian.Person{}, false, nil
	}
	return subjectContact(ctx, tx, number)
}

// resetPassword replaces the subject's filing password in tx (Rules PWD-3,
// PWD-4): the hash of sec is stored, the password goes to the person by
// SMS and email through the registry outbox, and the audit record (action)
// names only the masked phone it went to.
func (r *Registry) resetPassword(ctx context.Context, tx *sqlstore.Tx, number string, person beian.Person, sec secret, action string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE registry_subjects SET password_hash = $1, updated_at = $2 WHERE number = $3`,
		sec.hash, sqlstore.Micro(tx.Now), number); err != nil {
		return sqlstore.MapErr(err)
	}
	data := map[string]string{"password": sec.password, "subject_number": number, "name": strings.TrimSpace(person.Name)}
	if err := enqueue(ctx, tx, person, TemplatePasswordReset, data); err != nil {
		return err
	}
	return r.appendAudit(ctx, tx, action, "subject", number, nil, map[string]any{"sent_to": maskPhone(person.Mobile)})
}

// subjectContact returns the subject's responsible person as the registry
// last received it: from its most recently decided approved submission
// that names one with a mobile number (a first filing, or a change since).
// An imported filing has none: ok is false.
func subjectContact(ctx context.Context, q querier, subjectNumber string) (p beian.Person, ok bool, err error) {
	rows, err := q.QueryContext(ctx, `SELECT payload FROM registry_submissions WHERE subject_number = $1 AND status = 'approved'
		ORDER BY decided_at DESC, submitted_at DESC`, subjectNumber)
	if err != nil {
		return p, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var payload string
		if err := rows.Scan(&payload); err != nil {
			return p, false, err
		}
		var s beian.Submission
		if err := json.Unmarshal([]byte(payload), &s); err != nil {
			return p, false, err
		}
		if _, ps := validate.Mobile(s.Subject.Person.Mobile); len(ps) == 0 {
			return s.Subject.Person, true, nil
		}
	}
	return p, false, rows.Err()
}
