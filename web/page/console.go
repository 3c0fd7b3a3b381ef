package page

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/web"
)

// The customer console (/console): a customer signs up, sees the account's
// subject, websites and open orders, prechecks which filing applies, fills
// the filing form step by step, and follows, withdraws, abandons and
// resubmits the order. Every page reads and writes through
// Options.Provider, scoped to the signed-in account: another account's
// order answers 404.
func init() {
	pageNames = append(pageNames, "console_signup", "console_home", "console_precheck",
		"console_form", "console_order", "console_confirm")
}

// ConsoleRoutes registers the customer console's pages on mux, for
// accounts of the customer role; accounts creates the sign-up's accounts
// (nil: no sign-up page, so /console/signup is 404). An anonymous visitor is sent to /login?next=…;
// another role gets the 403 page. Without Options.Provider every page
// answers 404.
//
//	GET,POST /console/signup                  sign-up, then signed in (POST /api/v1/signup's rules)
//	GET  /console                             the subject, websites with numbers and access, open orders
//	GET,POST /console/precheck                验证备案类型: the order type and why, or every problem with its way out (Rule TYPE-1)
//	POST /console/orders/new                  create the order of the precheck's type (Rules TYPE-1, ACC-1, ACC-4)
//	GET,POST /console/orders/{id}/edit        the form by step: 主体信息 › 网站信息 › 上传资料 › 提交 (Rule REV-3)
//	POST /console/orders/{id}/documents       upload a document (上传资料)
//	GET  /console/orders/{id}                 order number, stage, timeline, preview, review items (Rule REV-7)
//	POST /console/orders/{id}/submit          submit or resubmit (Rule REV-8)
//	POST /console/orders/{id}/withdraw        back to draft (Rule REV-7)
//	GET,POST /console/orders/{id}/abandon     abandon, behind a confirmation (Rule REV-7)
func (p *Pages) ConsoleRoutes(mux *http.ServeMux, accounts *identity.Service) {
	if accounts != nil {
		mux.Handle("GET /console/signup", p.handle(p.consoleSignupForm))
		mux.Handle("POST /console/signup", p.handle(p.consoleSignup(accounts)))
	}
	mux.Handle("GET /console", p.console(p.consoleHome))
	mux.Handle("GET /console/{$}", p.console(p.consoleHome))
	mux.Handle("GET /console/precheck", p.console(p.consolePrecheckForm))
	mux.Handle("POST /console/precheck", p.consoleForm(p.consolePrecheck))
	mux.Handle("POST /console/orders/new", p.consoleForm(p.consoleCreate))
	mux.Handle("GET /console/orders/{id}", p.console(p.consoleOrder))
	mux.Handle("GET /console/orders/{id}/edit", p.console(p.consoleEdit))
	mux.Handle("POST /console/orders/{id}/edit", p.consoleForm(p.consoleSave))
	mux.Handle("POST /console/orders/{id}/documents", p.consoleUpload(p.consoleDocument))
	mux.Handle("POST /console/orders/{id}/submit", p.consoleForm(p.consoleSubmit))
	mux.Handle("POST /console/orders/{id}/withdraw", p.consoleForm(p.consoleWithdraw))
	mux.Handle("GET /console/orders/{id}/abandon", p.console(p.consoleAbandonConfirm))
	mux.Handle("POST /console/orders/{id}/abandon", p.consoleForm(p.consoleAbandon))
	p.consoleVerifyRoutes(mux)
	p.consoleChangeRoutes(mux)
}

// consoleHandler is a console page's handler: the customer is resolved.
type consoleHandler func(w http.ResponseWriter, r *http.Request, pr identity.Principal) error

// console guards a page: a provider service and a signed-in customer of
// the provider context (anonymous: 303 to the login page with next;
// another role: 403).
func (p *Pages) console(h consoleHandler) http.Handler {
	return p.handle(func(w http.ResponseWriter, r *http.Request) error {
		if p.opts.Provider == nil {
			return beian.Errorf(beian.KindNotFound, "")
		}
		pr, ok := identity.FromContext(r.Context())
		if !ok {
			next := r.URL.Path
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return nil
		}
		if pr.Role != beian.RoleCustomer || pr.Context != identity.ContextProvider {
			return beian.Errorf(beian.KindForbidden, "auth.role")
		}
		return h(w, r, pr)
	})
}

// consoleForm is console for a POST: the body bounded and the CSRF token
// checked before the handler runs.
func (p *Pages) consoleForm(h consoleHandler) http.Handler {
	return p.console(func(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := p.CheckForm(r); err != nil {
			return err
		}
		return h(w, r, pr)
	})
}

// consoleNav is the console's navigation: label key and path of each page;
// the files of later console pages append theirs in init.
var consoleNav = []struct{ Key, Path string }{
	{"console.nav.home", "/console"},
	{"console.nav.precheck", "/console/precheck"},
}

// consoleNotices are the notices a redirect may ask a page to show; the
// files of later console pages append theirs in init.
var consoleNotices = []string{"created", "saved", "uploaded", "submitted", "withdrawn", "abandoned", "signed_up"}

// consolePage is what every console page's .Data carries besides its own.
type consolePage struct {
	Nav      []bNavLink
	Notice   string // label key of a notice after a redirect, or ""
	NoticeOf string // what the notice concerns (an order number)
}

// consoleBase builds the common part of a console page for the path.
func (p *Pages) consoleBase(r *http.Request, current string) consolePage {
	var c consolePage
	for _, n := range consoleNav {
		c.Nav = append(c.Nav, bNavLink{Label: n.Key, Path: n.Path, Current: n.Path == current})
	}
	if n := r.URL.Query().Get("notice"); slices.Contains(consoleNotices, n) {
		c.Notice, c.NoticeOf = "console.notice."+n, strings.TrimSpace(r.URL.Query().Get("of"))
	}
	return c
}

// cNamed names a coded entry in the language (the code when unknown).
func cNamed(n refdata.Named, ok bool, code string, lang i18n.Lang) string {
	switch {
	case !ok:
		return code
	case lang == i18n.EN && n.NameEn != "":
		return n.NameEn
	}
	return n.Name
}

// cOption is one option of a select: value, text, selected.
type cOption struct {
	Value, Text string
	Selected    bool
}

// cProvinces lists the provinces as options, sel selected.
func (p *Pages) cProvinces(r *http.Request, sel string) []cOption {
	lang := web.Lang(r)
	var out []cOption
	for _, pv := range p.opts.Provider.Ref.Provinces() {
		text := pv.FullName
		if lang == i18n.EN && pv.NameEn != "" {
			text = pv.NameEn
		}
		out = append(out, cOption{pv.Code, text, pv.Code == sel})
	}
	return out
}

// cNatures lists the subject natures as options.
func (p *Pages) cNatures(r *http.Request, sel string) []cOption {
	lang := web.Lang(r)
	var out []cOption
	for _, n := range p.opts.Provider.Ref.Natures() {
		out = append(out, cOption{n.Code, cNamed(refdata.Named{Name: n.Name, NameEn: n.NameEn}, true, n.Code, lang), n.Code == sel})
	}
	return out
}

// cNamedOptions lists coded entries as options.
func cNamedOptions(r *http.Request, list []refdata.Named, sel string) []cOption {
	lang := web.Lang(r)
	var out []cOption
	for _, n := range list {
		out = append(out, cOption{n.Code, cNamed(n, true, n.Code, lang), n.Code == sel})
	}
	return out
}

// cRedirect answers 303 to target (a path, perhaps with a query) with a
// notice about "of".
func cRedirect(w http.ResponseWriter, r *http.Request, target, notice, of string) {
	path, query, _ := strings.Cut(target, "?")
	q, _ := url.ParseQuery(query) // our own targets
	q.Set("notice", notice)
	if of != "" {
		q.Set("of", of)
	}
	http.Redirect(w, r, path+"?"+q.Encode(), http.StatusSeeOther)
}
