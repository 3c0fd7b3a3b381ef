package page

import (
	"errors"
	"net/http"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/web"
)

// The public registry pages: anyone may open them, no login (Rules QRY-1,
// VER-3, PWD-3, PWD-4).
func init() {
	pageNames = append(pageNames, "public_query", "public_sms_verify", "public_password", "public_password_offline")
}

// publicRoutes registers the public registry pages when Options.Registry
// is set:
//
//	GET  /query             备案查询 (Rule QRY-1)
//	GET  /sms-verify        the registry's SMS confirmation (Rule VER-3)
//	POST /sms-verify
//	GET  /password          找回备案密码: online (Rule PWD-3) and offline (Rule PWD-4)
//	POST /password
//	GET  /password/offline  the printable offline application form (Rule PWD-4)
func (p *Pages) publicRoutes(mux *http.ServeMux) {
	if p.opts.Registry == nil {
		return
	}
	mux.Handle("GET /query", p.handle(p.pubQuery))
	mux.Handle("GET /sms-verify", p.handle(p.pubSMSForm))
	mux.Handle("POST /sms-verify", p.handle(p.pubSMSVerify))
	mux.Handle("GET /password", p.handle(p.pubPasswordForm))
	mux.Handle("POST /password", p.handle(p.pubPasswordRetrieve))
	mux.Handle("GET /password/offline", p.handle(p.pubPasswordOffline))
}

// pubLimiter is the public pages' rate limiter: Options.Limiter, or one on
// the registry's database.
func (p *Pages) pubLimiter() *ratelimit.Limiter {
	if p.opts.Limiter != nil {
		return p.opts.Limiter
	}
	return &ratelimit.Limiter{DB: p.opts.Registry.DB}
}

// pubOption is one <option> of a select.
type pubOption struct {
	Value, Label string
	Selected     bool
}

// pubNamed picks the name of a reference-data entry in the language.
func pubNamed(lang i18n.Lang, zh, en string) string {
	if lang == i18n.EN && en != "" {
		return en
	}
	return zh
}

// pubProvinces lists the 31 provinces (Rule SUBJ-4), selected the one
// whose code is sel.
func pubProvinces(ref *refdata.Data, lang i18n.Lang, sel string) []pubOption {
	var out []pubOption
	for _, pr := range ref.Provinces() {
		out = append(out, pubOption{Value: pr.Code, Label: pubNamed(lang, pr.Name, pr.NameEn), Selected: pr.Code == sel})
	}
	return out
}

// pubCertTypes lists the certificate types, selected sel.
func pubCertTypes(ref *refdata.Data, lang i18n.Lang, sel string) []pubOption {
	var out []pubOption
	for _, c := range ref.CertificateTypes() {
		out = append(out, pubOption{Value: c.Code, Label: pubNamed(lang, c.Name, c.NameEn), Selected: c.Code == sel})
	}
	return out
}

// pubNotice is a message box of a public page: a success, or a failure that
// is not about one field (a rate limit).
type pubNotice struct {
	OK      bool     // success (role=status) or failure (role=alert)
	Title   string   // label key of the heading
	Message string   // the message in the request's language
	More    []string // further sentences
}

// pubRateLimit turns a rate_limited error into a friendly notice,
// setting Retry-After; ok is false for any other error.
func pubRateLimit(w http.ResponseWriter, r *http.Request, err error) (*pubNotice, bool) {
	var e *beian.Error
	if !beian.IsKind(err, beian.KindRateLimited) || !errors.As(err, &e) {
		return nil, false
	}
	if ra := e.Args["retry_after"]; ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	return &pubNotice{Title: "public.limited_title", Message: i18n.Default().Render(web.Lang(r), err).Message}, true
}

// pubRateLimited is ratelimit.Error with the code of the limited action.
func pubRateLimited(d ratelimit.Decision, code string) error {
	err := ratelimit.Error(d)
	var e *beian.Error
	if errors.As(err, &e) {
		e.Code = code
	}
	return err
}

// pubSelect is a <select> as the public_select template renders it: the
// Field (label, error, aria attributes) and its options.
type pubSelect struct {
	F       Field
	Options []pubOption
}

// pubSelectField builds a required select of the form.
func (p *Pages) pubSelectField(lang i18n.Lang, f *Form, name, label string, opts []pubOption) (pubSelect, error) {
	fd, err := p.field(lang, f, name, "select", label, []string{"required", "true"})
	return pubSelect{F: fd, Options: opts}, err
}
