package page

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/web"
)

// pubSMSData is the SMS-confirmation page's .Data.
type pubSMSData struct {
	Form   *Form
	Notice *pubNotice // the outcome of the last entry, when it is not a field's problem
	Tries  string     // the attempts this client has left this hour, after a failure
}

// pubSMSForm answers GET /sms-verify: the form of Rule VER-3.
func (p *Pages) pubSMSForm(w http.ResponseWriter, r *http.Request) error {
	return p.Render(w, r, http.StatusOK, "public_sms_verify", pubSMSData{Form: &Form{}})
}

// pubSMSVerify answers POST /sms-verify (Rule VER-3): the code, the mobile
// number it went to and the last 6 characters of the person's certificate
// go to the registry's ConfirmSMS. A right entry says so and how many
// persons of the order still have to confirm; a wrong one gets the
// registry's one answer, whatever part was wrong, and the attempts this
// client has left. The code and the certificate are never shown again.
func (p *Pages) pubSMSVerify(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := p.CheckForm(r); err != nil {
		return err
	}
	code, phone, last6 := strings.TrimSpace(r.PostFormValue("code")), strings.TrimSpace(r.PostFormValue("phone")),
		strings.TrimSpace(r.PostFormValue("cert_last6"))
	d := pubSMSData{Form: &Form{Values: map[string]string{"phone": phone}}}
	var ps beian.Problems
	if code == "" {
		ps.Add("page.sms_code_required", "VER-3", "code")
	}
	if phone == "" {
		ps.Add("page.sms_phone_required", "VER-3", "phone")
	}
	if last6 == "" {
		ps.Add("page.sms_cert_last6_required", "VER-3", "cert_last6")
	}
	if d.Form.Err = ps.Err(); d.Form.Err != nil {
		return p.Render(w, r, http.StatusUnprocessableEntity, "public_sms_verify", d)
	}
	reg, lang := p.opts.Registry, web.Lang(r)
	res, err := reg.ConfirmSMS(r.Context(), code, phone, last6, clientAddr(r))
	if n, ok := pubRateLimit(w, r, err); ok {
		d.Notice = n
		return p.Render(w, r, http.StatusTooManyRequests, "public_sms_verify", d)
	}
	if beian.IsKind(err, beian.KindInvalid) {
		d.Form.Err = err
		rule := reg.PipelineOptions().SMSClientRule
		if dec, perr := p.pubLimiter().Peek(r.Context(), rule, clientAddr(r)); perr == nil {
			d.Tries = i18n.Default().Message(lang, "page.sms_tries_left", map[string]string{"n": strconv.Itoa(max(rule.Limit-dec.Count, 0))})
		}
		return p.Render(w, r, http.StatusUnprocessableEntity, "public_sms_verify", d)
	}
	if err != nil {
		return err
	}
	d.Form.Values = nil // done: an empty form for the next person
	d.Notice = &pubNotice{OK: true, Title: "public.sms_done_title", Message: i18n.Default().Message(lang, "page.sms_confirmed", nil)}
	if res.Remaining > 0 {
		d.Notice.More = []string{i18n.Default().Message(lang, "page.sms_remaining", map[string]string{"n": strconv.Itoa(res.Remaining)})}
	} else {
		d.Notice.More = []string{i18n.Default().Message(lang, "page.sms_all_confirmed", nil)}
	}
	return p.Render(w, r, http.StatusOK, "public_sms_verify", d)
}
