package regulator

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// OnlineOnlyProvinces lists the provinces (GB/T 2260 codes) whose bureaus
// take no offline password request: retrieval there is online only (Rule
// PWD-4: Guangdong 广东). Replace it to configure.
var OnlineOnlyProvinces = []string{"440000"}

// States of an offline password request (Rule PWD-4).
const (
	PasswordRequested = "requested" // recorded, not yet answered
	PasswordAnswered  = "answered"  // a new password was sent to the responsible person
	PasswordRefused   = "refused"   // refused, with the reason in the answer note
)

// MaxDeskText is the longest name or note the bureau desk keeps.
const MaxDeskText = 500

// PasswordRequestInput is an offline password request as the bureau
// reviewer records it from the applicant's form (Rule PWD-4).
type PasswordRequestInput struct {
	ApplicantName string `json:"applicant_name"`
	SubjectNumber string `json:"subject_number"` // a website number stands for its subject
	ContactPhone  string `json:"contact_phone"`  // mobile or landline; personal data
	Note          string `json:"note,omitempty"`
}

// PasswordRequest is a recorded offline password request. ContactPhone is
// masked (138****5678): the full number is on the applicant's form.
type PasswordRequest struct {
	ID            int64      `json:"id"`
	Province      string     `json:"province"`
	SubjectNumber string     `json:"subject_number"`
	ApplicantName string     `json:"applicant_name"`
	ContactPhone  string     `json:"contact_phone"`
	Note          string     `json:"note"`
	State         string     `json:"state"`
	AnswerNote    string     `json:"answer_note"`
	RecordedBy    string     `json:"recorded_by"`
	AnsweredBy    string     `json:"answered_by,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	AnsweredAt    *time.Time `json:"answered_at,omitempty"`
}

// PasswordAnswer answers an offline password request: approve sends a new
// password to the responsible person; otherwise it is refused with a note.
type PasswordAnswer struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note,omitempty"`
}

// landline accepts the digits, spaces, dashes and a leading plus of a
// telephone number that is not a mainland mobile number.
var landline = regexp.MustCompile(`^\+?[0-9][0-9 -]{4,19}$`)

// RecordPasswordRequest records an offline password request at the
// reviewer's bureau (Rule PWD-4). The subject must be an active subject of
// the reviewer's province (another province's or an unknown number is
// not_found, a cancelled one invalid_state registry.not_active). A bureau
// in OnlineOnlyProvinces refuses it: invalid,
// registry.password_online_only. Name, phone (registry.contact_phone_invalid)
// and note are checked; the audit record holds no phone.
func (r *Registry) RecordPasswordRequest(ctx context.Context, rv Reviewer, in PasswordRequestInput) (pr PasswordRequest, err error) {
	defer beian.Wrap(&err, "record password request")
	ctx = reviewerCtx(ctx, rv)
	code, ok := r.reviewerProvince(rv)
	if !ok {
		return pr, notFound(in.SubjectNumber)
	}
	if slices.Contains(OnlineOnlyProvinces, code) {
		return pr, invalid("registry.password_online_only", "PWD-4", "subject_number")
	}
	phone := strings.TrimSpace(in.ContactPhone)
	var ps beian.Problems
	if name := strings.TrimSpace(in.ApplicantName); name == "" || len([]rune(name)) > 100 {
		ps.Add("registry.required", "PWD-4", "applicant_name", "field", "applicant_name")
	}
	if strings.TrimSpace(in.SubjectNumber) == "" {
		ps.Add("registry.required", "PWD-4", "subject_number", "field", "subject_number")
	}
	if m, mps := validate.Mobile(phone); len(mps) == 0 {
		phone = m
	} else if !landline.MatchString(phone) {
		ps.Add("registry.contact_phone_invalid", "PWD-4", "contact_phone")
	}
	if len([]rune(in.Note)) > MaxDeskText {
		ps.Add("registry.reason_invalid", "", "note", "max", strconv.Itoa(MaxDeskText))
	}
	if err := ps.Err(); err != nil {
		return pr, err
	}
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		subject, province, err := r.deskSubject(ctx, tx, code, in.SubjectNumber)
		if err != nil {
			return err
		}
		if slices.Contains(OnlineOnlyProvinces, province) {
			return invalid("registry.password_online_only", "PWD-4", "subject_number")
		}
		pr = PasswordRequest{Province: province, SubjectNumber: subject, ApplicantName: strings.TrimSpace(in.ApplicantName),
			ContactPhone: phone, Note: strings.TrimSpace(in.Note), State: PasswordRequested, RecordedBy: actorOf(ctx), CreatedAt: stamp(tx)}
		err = tx.QueryRowContext(ctx, `INSERT INTO registry_password_requests (province, subject_number, applicant_name, contact_phone, note, state, recorded_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, pr.Province, pr.SubjectNumber, pr.ApplicantName, pr.ContactPhone, pr.Note,
			pr.State, pr.RecordedBy, sqlstore.Micro(tx.Now)).Scan(&pr.ID)
		if err != nil {
			return sqlstore.MapErr(err)
		}
		return r.appendAudit(ctx, tx, "password_request.record", "password_request", itoa(pr.ID), nil,
			map[string]any{"subject_number": subject, "province": province, "state": pr.State})
	})
	pr.ContactPhone = maskPhone(pr.ContactPhone)
	return pr, err
}

// PasswordRequests lists the offline password requests of the reviewer's
// province, newest first, at most limit (see deskLimit), phones masked
// (Rule PWD-4).
func (r *Registry) PasswordRequests(ctx context.Context, rv Reviewer, limit int) (out []PasswordRequest, err error) {
	defer beian.Wrap(&err, "password requests")
	out = []PasswordRequest{}
	code, ok := r.reviewerProvince(rv)
	if !ok {
		return out, nil
	}
	rows, err := r.DB.SQL.QueryContext(ctx, `SELECT `+passwordRequestColumns+` FROM registry_password_requests
		WHERE ($1 = '' OR province = $1) ORDER BY id DESC LIMIT $2`, code, deskLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		pr, err := scanPasswordRequest(rows)
		if err != nil {
			return nil, err
		}
		pr.ContactPhone = maskPhone(pr.ContactPhone)
		out = append(out, pr)
	}
	return out, rows.Err()
}

// AnswerPasswordRequest answers an offline password request of the
// reviewer's province (another province's is not_found,
// registry.password_request_not_found; one already answered or refused is
// invalid_state, registry.password_request_closed). Approving issues a new
// password, stored only hashed and sent to the subject's responsible
// person by SMS and email like an online retrieval (Rule PWD-3); the
// registry must know that person (registry.password_no_contact otherwise)
// and the subject must still be active. Refusing needs a note.
func (r *Registry) AnswerPasswordRequest(ctx context.Context, rv Reviewer, id string, a PasswordAnswer) (pr PasswordRequest, err error) {
	defer beian.Wrap(&err, "answer password request")
	ctx = reviewerCtx(ctx, rv)
	code, ok := r.reviewerProvince(rv)
	rid, perr := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if !ok || perr != nil {
		return pr, beian.Errorf(beian.KindNotFound, "registry.password_request_not_found")
	}
	note := strings.TrimSpace(a.Note)
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		pr, err = scanPasswordRequest(tx.QueryRowContext(ctx, `SELECT `+passwordRequestColumns+` FROM registry_password_requests
			WHERE id = $1 AND ($2 = '' OR province = $2)`+forUpdate(tx), rid, code))
		if noRows(err) {
			return beian.Errorf(beian.KindNotFound, "registry.password_request_not_found")
		}
		if err != nil {
			return err
		}
		// The note after the province: another province's request is 404
		// whatever the body says (tenant isolation).
		if (!a.Approve && note == "") || len([]rune(note)) > MaxDeskText {
			return invalid("registry.reason_invalid", "PWD-4", "note", "max", strconv.Itoa(MaxDeskText))
		}
		if pr.State != PasswordRequested {
			return beian.Errorf(beian.KindInvalidState, "registry.password_request_closed", "state", pr.State)
		}
		before := map[string]any{"state": pr.State}
		pr.State = PasswordRefused
		if a.Approve {
			if _, err := activeSubjectID(ctx, tx, pr.SubjectNumber); err != nil {
				return err
			}
			person, found, err := subjectContact(ctx, tx, pr.SubjectNumber)
			if err != nil {
				return err
			}
			if !found {
				return invalid("registry.password_no_contact", "PWD-4", "subject_number", "number", pr.SubjectNumber)
			}
			sec, err := newSecret()
			if err != nil {
				return err
			}
			if err := r.resetPassword(ctx, tx, pr.SubjectNumber, person, sec, "password.reset_offline"); err != nil {
				return err
			}
			pr.State = PasswordAnswered
		}
		now := stamp(tx)
		pr.AnswerNote, pr.AnsweredBy, pr.AnsweredAt = note, actorOf(ctx), &now
		if _, err := tx.ExecContext(ctx, `UPDATE registry_password_requests SET state = $1, answer_note = $2, answered_by = $3, answered_at = $4 WHERE id = $5`,
			pr.State, pr.AnswerNote, pr.AnsweredBy, sqlstore.Micro(tx.Now), pr.ID); err != nil {
			return sqlstore.MapErr(err)
		}
		return r.appendAudit(ctx, tx, "password_request.answer", "password_request", itoa(pr.ID), before, map[string]any{"state": pr.State})
	})
	pr.ContactPhone = maskPhone(pr.ContactPhone)
	return pr, err
}

const passwordRequestColumns = `id, province, subject_number, applicant_name, contact_phone, note, state, answer_note, recorded_by, answered_by, created_at, answered_at`

// scanPasswordRequest reads one row of passwordRequestColumns.
func scanPasswordRequest(row interface{ Scan(...any) error }) (pr PasswordRequest, err error) {
	var created, answered int64
	err = row.Scan(&pr.ID, &pr.Province, &pr.SubjectNumber, &pr.ApplicantName, &pr.ContactPhone, &pr.Note, &pr.State, &pr.AnswerNote,
		&pr.RecordedBy, &pr.AnsweredBy, &created, &answered)
	pr.CreatedAt = sqlstore.FromMicro(created)
	if answered != 0 {
		t := sqlstore.FromMicro(answered)
		pr.AnsweredAt = &t
	}
	return pr, err
}
