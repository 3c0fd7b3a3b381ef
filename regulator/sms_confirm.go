package regulator

import (
	"context"
	"net/http"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
	"github.com/beian/beian/web"
)

// SMSConfirmation is one entry of the public SMS-confirmation page and API
// (Rule VER-3): the code, the mobile number it was sent to and the last 6
// characters of the person's certificate number.
type SMSConfirmation struct {
	Code      string `json:"code"`
	Phone     string `json:"phone"`
	CertLast6 string `json:"cert_last6"`
}

// SMSConfirmed is the answer to a right entry: the persons of the order
// still to confirm.
type SMSConfirmed struct {
	Confirmed bool `json:"confirmed"`
	Remaining int  `json:"remaining"`
}

// errSMSFailed is the one answer to any wrong entry: it does not say
// which part was wrong (Rule VER-3).
func errSMSFailed() error { return invalid("registry.sms_confirmation_failed", "VER-3", "") }

// candidate is a pending confirmation row of a phone.
type candidate struct {
	submissionID, provider, role, last6, hash string
	failures                                  int
}

// ConfirmSMS checks one entry of a responsible person (Rule VER-3) from
// the client address. Every attempt counts against
// PipelineOptions.SMSClientRule for the client (over it rate_limited,
// registry.sms_rate_limited). A right entry — the code of a pending
// confirmation of an order in SMS confirmation, sent to that phone, and
// the last 6 characters of that person's certificate — confirms the
// person in every role they hold in the order; once every person has
// confirmed, the order goes to the bureau (status bureau_review, an
// sms_confirmed event with the confirmation state). A wrong entry is one
// failure on every pending confirmation of the phone; the entry after
// SMSWrongEntries (5) failures returns the order (returned, reason
// sms_failed). Any wrong entry is the same invalid answer,
// registry.sms_confirmation_failed.
func (r *Registry) ConfirmSMS(ctx context.Context, code, phone, certLast6, client string) (res SMSConfirmed, err error) {
	defer beian.Wrap(&err, "confirm SMS")
	o := r.PipelineOptions()
	d, err := r.limiter().Allow(ctx, o.SMSClientRule, client)
	if err != nil {
		return res, err
	}
	if !d.Allowed {
		return res, rateLimited(d, "registry.sms_rate_limited")
	}
	phone, ps := validate.Mobile(phone)
	if len(ps) > 0 {
		return res, errSMSFailed()
	}
	code, cert := strings.TrimSpace(code), validate.NormalizeCertificate(certLast6)
	wrong := false
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		res, wrong = SMSConfirmed{}, false
		cands, err := r.lockCandidates(ctx, tx, phone)
		if err != nil || len(cands) == 0 {
			wrong = true
			return err
		}
		for _, c := range cands {
			if len(code) == 6 && c.last6 == cert && sameCode(c.hash, codeHash(c.submissionID, phone, code)) {
				res, err = r.confirm(ctx, tx, c, phone)
				return err
			}
		}
		wrong = true
		return r.countFailure(ctx, tx, cands, phone, o)
	})
	if err == nil && wrong {
		err = errSMSFailed()
	}
	return res, err
}

// lockCandidates reads the phone's pending confirmations of orders in SMS
// confirmation, locked on PostgreSQL (lock order: submissions,
// confirmations, audit head, event heads — events.go).
func (r *Registry) lockCandidates(ctx context.Context, tx *sqlstore.Tx, phone string) ([]candidate, error) {
	const q = `SELECT c.submission_id, s.provider, c.role, c.cert_last6, c.code_hash, c.failures FROM registry_confirmations c
		JOIN registry_submissions s ON s.id = c.submission_id
		WHERE c.phone = $1 AND c.confirmed_at = 0 AND s.status = 'sms_confirmation' ORDER BY s.submitted_at, c.submission_id, c.role`
	read := func(query string) ([]candidate, error) {
		rows, err := tx.QueryContext(ctx, query, phone)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []candidate
		for rows.Next() {
			var c candidate
			if err := rows.Scan(&c.submissionID, &c.provider, &c.role, &c.last6, &c.hash, &c.failures); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	if tx.Driver == sqlstore.Postgres {
		return read(q + ` FOR UPDATE`)
	}
	return read(q)
}

// confirm records a right entry: every role of the person in the order.
func (r *Registry) confirm(ctx context.Context, tx *sqlstore.Tx, c candidate, phone string) (res SMSConfirmed, err error) {
	if _, err := tx.ExecContext(ctx, `UPDATE registry_confirmations SET confirmed_at = $1 WHERE submission_id = $2 AND phone = $3 AND code_hash = $4 AND confirmed_at = 0`,
		sqlstore.Micro(tx.Now), c.submissionID, phone, c.hash); err != nil {
		return res, sqlstore.MapErr(err)
	}
	err = tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT code_hash) FROM registry_confirmations WHERE submission_id = $1 AND confirmed_at = 0`,
		c.submissionID).Scan(&res.Remaining)
	if err != nil {
		return res, err
	}
	res.Confirmed = true
	sub, err := loadSubmission(ctx, tx, c.submissionID)
	if err != nil {
		return res, err
	}
	before := submissionAudit(sub)
	if res.Remaining == 0 {
		if err := setStatus(ctx, tx, sub.ID, SubmissionBureau, ""); err != nil {
			return res, err
		}
		if err := registryTimers().Cancel(ctx, tx, TimerSMSDeadline, sub.ID); err != nil {
			return res, err
		}
		sub.Status = SubmissionBureau
		if err := r.queuedForBureau(ctx, tx, sub.ID); err != nil { // the sandbox bureau (policy.go)
			return res, err
		}
		cs, err := confirmationState(ctx, tx, sub)
		if err != nil {
			return res, err
		}
		if err := emit(ctx, tx, sub.Provider, sub.ID, sub.OrderNumber, beian.EventSMSConfirmed, cs); err != nil {
			return res, err
		}
	}
	after := submissionAudit(sub)
	after["confirmed"] = maskPhone(phone)
	return res, r.appendAudit(ctx, tx, "submission.sms_confirm", "submission", sub.ID, before, after)
}

// countFailure records a wrong entry on every pending confirmation of the
// phone and returns the orders whose person is past SMSWrongEntries.
func (r *Registry) countFailure(ctx context.Context, tx *sqlstore.Tx, cands []candidate, phone string, o PipelineOptions) error {
	if _, err := tx.ExecContext(ctx, `UPDATE registry_confirmations SET failures = failures + 1 WHERE phone = $1 AND confirmed_at = 0
		AND submission_id IN (SELECT id FROM registry_submissions WHERE status = 'sms_confirmation')`, phone); err != nil {
		return sqlstore.MapErr(err)
	}
	done := map[string]bool{}
	for _, c := range cands {
		if done[c.submissionID] || c.failures+1 <= o.SMSWrongEntries {
			continue
		}
		done[c.submissionID] = true
		sub, err := loadSubmission(ctx, tx, c.submissionID)
		if err != nil {
			return err
		}
		if err := r.returnSubmission(ctx, tx, sub, ReturnSMSFailed); err != nil {
			return err
		}
	}
	return nil
}

// SMSRoutes registers the registry's public SMS-confirmation API on mux
// (Rule VER-3):
//
//	POST /api/v1/registry/sms-confirmations {"code","phone","cert_last6"}
//	    → 200 {"confirmed":true,"remaining":N}
//	    → 422 invalid, registry.sms_confirmation_failed, whatever was wrong
//	    → 429 rate_limited (registry.sms_rate_limited) per client address
func (r *Registry) SMSRoutes(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/registry/sms-confirmations", web.Handle(func(w http.ResponseWriter, req *http.Request) error {
		var in SMSConfirmation
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		res, err := r.ConfirmSMS(req.Context(), in.Code, in.Phone, in.CertLast6, identity.ClientAddr(req))
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		return web.WriteJSON(w, http.StatusOK, res)
	}))
}
