package page

import (
	"net/http"
	"slices"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web"
)

// pubPasswordData is the password page's .Data.
type pubPasswordData struct {
	Form     *Form
	Notice   *pubNotice // the generic answer, or a rate limit
	Province pubSelect
	CertType pubSelect
	Offline  []pubOption // the provinces that take offline requests (Rule PWD-4)
}

// pubPasswordForm answers GET /password (找回备案密码): the online form of
// Rule PWD-3 and the offline way of Rule PWD-4.
func (p *Pages) pubPasswordForm(w http.ResponseWriter, r *http.Request) error {
	d, err := p.pubPasswordView(r, &Form{})
	if err != nil {
		return err
	}
	return p.Render(w, r, http.StatusOK, "public_password", d)
}

// pubPasswordData fills the selects, keeping the form's choices.
func (p *Pages) pubPasswordView(r *http.Request, f *Form) (pubPasswordData, error) {
	ref, lang := p.opts.Registry.Ref, web.Lang(r)
	d := pubPasswordData{Form: f}
	var err error
	if d.Province, err = p.pubSelectField(lang, f, "province", "public.password_province", pubProvinces(ref, lang, f.Value("province"))); err != nil {
		return d, err
	}
	if d.CertType, err = p.pubSelectField(lang, f, "cert_type", "public.password_cert_type", pubCertTypes(ref, lang, f.Value("cert_type"))); err != nil {
		return d, err
	}
	for _, o := range pubProvinces(ref, lang, "") {
		if !slices.Contains(regulator.OnlineOnlyProvinces, o.Value) {
			d.Offline = append(d.Offline, o)
		}
	}
	return d, nil
}

// pubPasswordRetrieve answers POST /password (Rule PWD-3): province, filing
// number, certificate type and number go to the registry's
// RetrievePassword, and the page gives its one generic answer whether they
// matched or not — the same page either way, the form emptied (the
// certificate number is never shown again). A missing field is shown
// beside it; over a rate limit the page says when to try again (429).
func (p *Pages) pubPasswordRetrieve(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := p.CheckForm(r); err != nil {
		return err
	}
	req := regulator.RetrievalRequest{Province: strings.TrimSpace(r.PostFormValue("province")),
		Number: strings.TrimSpace(r.PostFormValue("number")), CertType: strings.TrimSpace(r.PostFormValue("cert_type")),
		CertNumber: strings.TrimSpace(r.PostFormValue("cert_number"))}
	f := &Form{Values: map[string]string{"province": req.Province, "number": req.Number, "cert_type": req.CertType}}
	var ps beian.Problems
	for _, c := range []struct{ field, value string }{{"province", req.Province}, {"number", req.Number},
		{"cert_type", req.CertType}, {"cert_number", req.CertNumber}} {
		if c.value == "" {
			ps.Add("page.password_"+c.field+"_required", "PWD-3", c.field)
		}
	}
	f.Err = ps.Err()
	if f.Err == nil {
		f.Err = p.opts.Registry.RetrievePassword(r.Context(), req, clientAddr(r))
	}
	status := http.StatusOK
	var n *pubNotice
	switch ok := false; {
	case f.Err == nil:
		f = &Form{} // answered: the same empty form whether the data matched or not
		n = &pubNotice{OK: true, Title: "public.password_sent_title",
			Message: i18n.Default().Message(web.Lang(r), regulator.RetrievalAccepted, nil)}
	case beian.IsKind(f.Err, beian.KindInvalid):
		status = http.StatusUnprocessableEntity
	default:
		if n, ok = pubRateLimit(w, r, f.Err); !ok {
			return f.Err
		}
		f.Err, status = nil, http.StatusTooManyRequests
	}
	d, err := p.pubPasswordView(r, f)
	if err != nil {
		return err
	}
	d.Notice = n
	return p.Render(w, r, status, "public_password", d)
}

// pubOfflineData is the offline application form's .Data.
type pubOfflineData struct {
	Provinces  []pubOption
	Province   string // the chosen province's full name, or ""
	OnlineOnly bool   // the chosen province retrieves online only (Guangdong)
}

// pubPasswordOffline answers GET /password/offline[?province=] (Rule PWD-4):
// the printable application form for the chosen province's bureau, which
// records the request and answers it by phone; for a province that
// retrieves online only (广东) it says so and offers no form.
func (p *Pages) pubPasswordOffline(w http.ResponseWriter, r *http.Request) error {
	ref, lang := p.opts.Registry.Ref, web.Lang(r)
	code := ""
	d := pubOfflineData{}
	if pr, ok := ref.Province(strings.TrimSpace(r.URL.Query().Get("province"))); ok {
		code = pr.Code
		d.Province = pr.FullName
		if lang == i18n.EN {
			d.Province = pr.NameEn
		}
		d.OnlineOnly = slices.Contains(regulator.OnlineOnlyProvinces, pr.Code)
	}
	d.Provinces = pubProvinces(ref, lang, code)
	return p.Render(w, r, http.StatusOK, "public_password_offline", d)
}
