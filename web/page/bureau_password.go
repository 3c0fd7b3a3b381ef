package page

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web"
)

// bPasswordRow is one offline password request as the list shows it
// (the contact phone masked by the regulator).
type bPasswordRow struct {
	ID, SubjectNumber, ApplicantName, ContactPhone, Note string
	State, AnswerNote, RecordedBy, AnsweredBy            string
	CreatedAt, AnsweredAt                                string
	Open                                                 bool   // requested: the answer form is offered
	AnswerErr                                            string // the last answer's problem, in the request's language
}

// bPasswordData is the password requests page's .Data.
type bPasswordData struct {
	bureauPage
	OnlineOnly bool // the province takes no offline request (Rule PWD-4: 广东)
	Rows       []bPasswordRow
	Form       *Form
}

// bureauPasswordRequests answers GET /bureau/password-requests.
func (p *Pages) bureauPasswordRequests(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	return p.bRenderPasswords(w, r, rv, http.StatusOK, &Form{}, "", nil)
}

// bRenderPasswords shows the province's requests with an answer form on
// each open one, and the form to record a request; answerErr goes to the
// answer form of request answerID.
func (p *Pages) bRenderPasswords(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer, status int, f *Form, answerID string, answerErr error) error {
	list, err := p.opts.Registry.PasswordRequests(r.Context(), rv, 0)
	if err != nil {
		return err
	}
	d := bPasswordData{bureauPage: p.bureauBase(r, rv, "/bureau/password-requests"), Form: f}
	if pv, ok := p.opts.Registry.Ref.Province(rv.Province); ok {
		d.OnlineOnly = slices.Contains(regulator.OnlineOnlyProvinces, pv.Code)
	}
	for _, pr := range list {
		row := bPasswordRow{ID: strconv.FormatInt(pr.ID, 10), SubjectNumber: pr.SubjectNumber, ApplicantName: pr.ApplicantName,
			ContactPhone: pr.ContactPhone, Note: pr.Note, State: "bureau.password.state." + pr.State, AnswerNote: pr.AnswerNote,
			RecordedBy: pr.RecordedBy, AnsweredBy: pr.AnsweredBy, CreatedAt: bTime(pr.CreatedAt),
			Open: pr.State == regulator.PasswordRequested}
		if pr.AnsweredAt != nil {
			row.AnsweredAt = bTime(*pr.AnsweredAt)
		}
		if row.ID == answerID && answerErr != nil {
			row.AnswerErr = bErrText(web.Lang(r), answerErr)
			if row.Open {
				row.AnswerNote = r.PostFormValue("note")
			}
		}
		d.Rows = append(d.Rows, row)
	}
	return p.Render(w, r, status, "bureau_password_requests", d)
}

// bureauPasswordRecord answers POST /bureau/password-requests: the
// applicant's offline request as the bureau records it (Rule PWD-4;
// regulator RecordPasswordRequest). The phone is not echoed after a
// problem: it is personal data.
func (p *Pages) bureauPasswordRecord(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	v := bFormValues(r, "applicant_name", "subject_number", "contact_phone", "note")
	pr, err := p.opts.Registry.RecordPasswordRequest(r.Context(), rv, regulator.PasswordRequestInput{ApplicantName: v["applicant_name"],
		SubjectNumber: v["subject_number"], ContactPhone: v["contact_phone"], Note: v["note"]})
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		v["contact_phone"] = ""
		return p.bRenderPasswords(w, r, rv, web.Status(err), &Form{Values: v, Err: err}, "", nil)
	}
	bRedirect(w, r, "/bureau/password-requests", "recorded", pr.SubjectNumber)
	return nil
}

// bureauPasswordAnswer answers POST /bureau/password-requests/{id}/answer:
// "approve" issues a new password sent to the responsible person by SMS
// and email (never shown here, Rule PWD-1); "refuse" needs a note.
// Another province's request is 404.
func (p *Pages) bureauPasswordAnswer(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	id := r.PathValue("id")
	approve := r.PostFormValue("answer") == "approve"
	pr, err := p.opts.Registry.AnswerPasswordRequest(r.Context(), rv, id, regulator.PasswordAnswer{Approve: approve, Note: r.PostFormValue("note")})
	if err != nil {
		if s := web.Status(err); s >= 500 || s == http.StatusNotFound {
			return err
		}
		return p.bRenderPasswords(w, r, rv, web.Status(err), &Form{}, id, err)
	}
	notice := "refused"
	if pr.State == regulator.PasswordAnswered {
		notice = "answered"
	}
	bRedirect(w, r, "/bureau/password-requests", notice, pr.SubjectNumber)
	return nil
}
