package page

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web"
)

// The bureau desk (/bureau): a provincial communications administration's
// reviewers decide the orders of their province's queue and keep the
// cancellations, spot checks, blacklist and offline password requests.
// Each page reads and writes through Options.Registry, scoped to the
// reviewer's province: another province's data answers 404.
func init() {
	pageNames = append(pageNames, "bureau_queue", "bureau_order", "bureau_cancellations", "bureau_confirm",
		"bureau_spot_checks", "bureau_blacklist", "bureau_password_requests")
}

// BureauRoutes registers the bureau desk's pages on mux, for accounts of
// the bureau_reviewer role (one province each). An anonymous visitor is
// sent to /login?next=…; another role gets the 403 page. Without
// Options.Registry every page answers 404.
//
//	GET  /bureau                                   the province's queue, oldest due first (Rule REV-2)
//	GET  /bureau/orders/{id}                       one order with the decision form
//	POST /bureau/orders/{id}/decision              approve, or reject with items (Rule REV-5)
//	GET,POST /bureau/cancellations                 list and cancel, behind a confirmation (Rules CAN-1, CAN-3, CAN-4)
//	POST /bureau/conflict-claims                   a domain's new holder's claim, behind a confirmation (Rule CAN-1)
//	GET,POST /bureau/spot-checks                   list and record; a failure cancels, behind a confirmation (Rule CAN-1)
//	GET,POST /bureau/blacklist                     the national blacklist; add (Rule CAN-1)
//	GET,POST /bureau/password-requests             offline password requests: list, record (Rule PWD-4)
//	POST /bureau/password-requests/{id}/answer     answer: a new password, or refuse with a note
func (p *Pages) BureauRoutes(mux *http.ServeMux) {
	mux.Handle("GET /bureau", p.bureau(p.bureauQueue))
	mux.Handle("GET /bureau/{$}", p.bureau(p.bureauQueue))
	mux.Handle("GET /bureau/orders/{id}", p.bureau(p.bureauOrder))
	mux.Handle("POST /bureau/orders/{id}/decision", p.bureauForm(p.bureauDecide))
	mux.Handle("GET /bureau/cancellations", p.bureau(p.bureauCancellations))
	mux.Handle("POST /bureau/cancellations", p.bureauForm(p.bureauCancel))
	mux.Handle("POST /bureau/conflict-claims", p.bureauForm(p.bureauClaim))
	mux.Handle("GET /bureau/spot-checks", p.bureau(p.bureauSpotChecks))
	mux.Handle("POST /bureau/spot-checks", p.bureauForm(p.bureauSpotCheck))
	mux.Handle("GET /bureau/blacklist", p.bureau(p.bureauBlacklist))
	mux.Handle("POST /bureau/blacklist", p.bureauForm(p.bureauBlacklistAdd))
	mux.Handle("GET /bureau/password-requests", p.bureau(p.bureauPasswordRequests))
	mux.Handle("POST /bureau/password-requests", p.bureauForm(p.bureauPasswordRecord))
	mux.Handle("POST /bureau/password-requests/{id}/answer", p.bureauForm(p.bureauPasswordAnswer))
}

// bureauHandler is a bureau page's handler: the reviewer is resolved.
type bureauHandler func(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error

// bureau guards a page: a registry, a signed-in bureau reviewer of one
// province (anonymous: 303 to the login page with next; another role or
// no province: 403, since an empty province would reach every province).
func (p *Pages) bureau(h bureauHandler) http.Handler {
	return p.handle(func(w http.ResponseWriter, r *http.Request) error {
		if p.opts.Registry == nil {
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
		if pr.Role != beian.RoleBureauReviewer || pr.Province == "" {
			return beian.Errorf(beian.KindForbidden, "auth.role")
		}
		return h(w, r, regulator.Reviewer{Province: pr.Province, Actor: pr.Actor()})
	})
}

// bureauForm is bureau for a POST: the body bounded and the CSRF token
// checked before the handler runs.
func (p *Pages) bureauForm(h bureauHandler) http.Handler {
	return p.bureau(func(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := p.CheckForm(r); err != nil {
			return err
		}
		return h(w, r, rv)
	})
}

// bureauNav is the desk's navigation: label key and path of each page.
var bureauNav = []struct{ Key, Path string }{
	{"bureau.nav.queue", "/bureau"},
	{"bureau.nav.cancellations", "/bureau/cancellations"},
	{"bureau.nav.spot_checks", "/bureau/spot-checks"},
	{"bureau.nav.blacklist", "/bureau/blacklist"},
	{"bureau.nav.password_requests", "/bureau/password-requests"},
}

// bNavLink is one link of a desk's navigation.
type bNavLink struct {
	Label   string // label key
	Path    string
	Current bool // the page shown: aria-current="page"
}

// bureauPage is what every bureau page's .Data carries besides its own.
type bureauPage struct {
	Province string // the bureau's province, in the request's language
	Nav      []bNavLink
	Notice   string // label key of a notice after a redirect, or ""
	NoticeOf string // what the notice concerns (an order or filing number)
}

// bureauBase builds the common part of a bureau page for the path.
func (p *Pages) bureauBase(r *http.Request, rv regulator.Reviewer, current string) bureauPage {
	b := bureauPage{Province: rv.Province}
	if pv, ok := p.opts.Registry.Ref.Province(rv.Province); ok {
		b.Province = pv.FullName
		if web.Lang(r) == i18n.EN && pv.NameEn != "" {
			b.Province = pv.NameEn
		}
	}
	for _, n := range bureauNav {
		b.Nav = append(b.Nav, bNavLink{Label: n.Key, Path: n.Path, Current: n.Path == current})
	}
	if n := r.URL.Query().Get("notice"); slices.Contains(bureauNotices, n) {
		b.Notice, b.NoticeOf = "bureau.notice."+n, strings.TrimSpace(r.URL.Query().Get("of"))
	}
	return b
}

// bureauNotices are the notices a redirect may ask a page to show.
var bureauNotices = []string{"approved", "rejected", "cancelled", "claimed", "spot_checked", "blacklisted", "recorded", "answered", "refused"}

// bRedirect answers 303 to path with a notice about "of".
func bRedirect(w http.ResponseWriter, r *http.Request, path, notice, of string) {
	q := url.Values{"notice": {notice}}
	if of != "" {
		q.Set("of", of)
	}
	http.Redirect(w, r, path+"?"+q.Encode(), http.StatusSeeOther)
}

// bDate formats a time as a CST date (Rule CAL-0), "" for the zero time.
func bDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(beian.CST).Format(time.DateOnly)
}

// bTime formats a time in CST to the minute, "" for the zero time.
func bTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(beian.CST).Format("2006-01-02 15:04")
}

// bMsg returns the catalogue's messages in the request's language, with
// key, value pairs as the arguments.
func (p *Pages) bMsg(r *http.Request) func(code string, kv ...string) string {
	lang := web.Lang(r)
	return func(code string, kv ...string) string {
		args := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			args[kv[i]] = kv[i+1]
		}
		return i18n.Default().Message(lang, code, args)
	}
}

// bErrText is an error's message in the language followed by its
// problems' messages, for a form too small for a summary.
func bErrText(lang i18n.Lang, err error) string {
	body := i18n.Default().Render(lang, err)
	parts := []string{body.Message}
	for _, it := range body.Errors {
		parts = append(parts, it.Message)
	}
	return strings.Join(parts, " ")
}
