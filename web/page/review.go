package page

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
)

// The provider review desk (/review): the provider's reviewers work the
// initial-review (初审) and photo-review (复审) queues — claim an order,
// read every field, approve or reject it with items, ask for
// supplementary material — and the verification points upload the photos
// they take. Each page reads and writes through Options.Provider.
func init() {
	pageNames = append(pageNames, "review_queue", "review_order", "review_verify")
}

// ReviewRoutes registers the provider review desk's pages on mux, for
// provider-context accounts: provider_reviewer for the queues and orders,
// verifier (or provider_reviewer) for the upload page. An anonymous visitor
// is sent to /login?next=…; another role (a customer above all) gets the
// 403 page. Without Options.Provider every page answers 404.
//
//	GET  /review                                  the queues, oldest first, with SLA time left (Rule REV-1)
//	POST /review/orders/{id}/claim                claim the order for ClaimTTL
//	GET  /review/orders/{id}                      every field, the documents, the photo and its sharpness, minor flags
//	POST /review/orders/{id}/decision             approve, or reject with items (Rules REV-3, REV-4)
//	POST /review/orders/{id}/supplement           ask for supplementary material, with its due date (Rules SUBJ-2, REV-8)
//	GET  /review/orders/{id}/documents/{doc}      a document's content, audited (Rule PRIV-1)
//	GET  /review/orders/{id}/photo                the verification photo, audited (Rule PRIV-1)
//	GET,POST /review/verification                 the verification point's photo upload (Rule VER-1)
func (p *Pages) ReviewRoutes(mux *http.ServeMux) {
	mux.Handle("GET /review", p.review(p.reviewQueue, reviewerRoles...))
	mux.Handle("GET /review/{$}", p.review(p.reviewQueue, reviewerRoles...))
	mux.Handle("POST /review/orders/{id}/claim", p.reviewForm(p.reviewClaim, reviewerRoles...))
	mux.Handle("GET /review/orders/{id}", p.review(p.reviewOrder, reviewerRoles...))
	mux.Handle("POST /review/orders/{id}/decision", p.reviewForm(p.reviewDecide, reviewerRoles...))
	mux.Handle("POST /review/orders/{id}/supplement", p.reviewForm(p.reviewSupplement, reviewerRoles...))
	mux.Handle("GET /review/orders/{id}/documents/{doc}", p.review(p.reviewDocument, reviewerRoles...))
	mux.Handle("GET /review/orders/{id}/photo", p.review(p.reviewPhoto, reviewerRoles...))
	mux.Handle("GET /review/verification", p.review(p.reviewVerify, verifierRoles...))
	mux.Handle("POST /review/verification", p.review(p.reviewUpload, verifierRoles...))
}

// The roles of the desk's pages.
var (
	reviewerRoles = []beian.Role{beian.RoleProviderReviewer}
	verifierRoles = []beian.Role{beian.RoleVerifier, beian.RoleProviderReviewer}
)

// reviewStaff is the signed-in staff member a review page works for.
type reviewStaff struct {
	ID   int64
	Role beian.Role
}

// reviewHandler is a review page's handler: the staff member is resolved.
type reviewHandler func(w http.ResponseWriter, r *http.Request, st reviewStaff) error

// review guards a page: a provider service and a signed-in account of the
// provider context with one of the roles (anonymous: 303 to the login
// page with next; another role or context: 403).
func (p *Pages) review(h reviewHandler, roles ...beian.Role) http.Handler {
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
		if pr.Context != identity.ContextProvider || !slices.Contains(roles, pr.Role) {
			return beian.Errorf(beian.KindForbidden, "auth.role")
		}
		return h(w, r, reviewStaff{ID: pr.AccountID, Role: pr.Role})
	})
}

// reviewForm is review for a urlencoded POST: the body bounded and the
// CSRF token checked before the handler runs.
func (p *Pages) reviewForm(h reviewHandler, roles ...beian.Role) http.Handler {
	return p.review(func(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := p.CheckForm(r); err != nil {
			return err
		}
		return h(w, r, st)
	}, roles...)
}

// reviewNav is the desk's navigation: label key and path of each page.
var reviewNav = []struct{ Key, Path string }{
	{"review.nav.initial", "/review?stage=initial_review"},
	{"review.nav.photo", "/review?stage=photo_review"},
	{"review.nav.verification", "/review/verification"},
}

// reviewPage is what every review page's .Data carries besides its own.
type reviewPage struct {
	Nav      []bNavLink
	Notice   string // label key of a notice after a redirect, or ""
	NoticeOf string // the order number the notice concerns
}

// reviewNotices are the notices a redirect may ask a page to show.
var reviewNotices = []string{"claimed", "approved", "rejected", "supplement", "uploaded"}

// reviewBase builds the common part of a review page; current is the
// navigation entry shown. A verifier sees only the upload page's entry.
func (p *Pages) reviewBase(r *http.Request, st reviewStaff, current string) reviewPage {
	var b reviewPage
	for _, n := range reviewNav {
		if st.Role == beian.RoleVerifier && !strings.HasPrefix(n.Path, "/review/verification") {
			continue
		}
		b.Nav = append(b.Nav, bNavLink{Label: n.Key, Path: n.Path, Current: n.Path == current})
	}
	if n := r.URL.Query().Get("notice"); slices.Contains(reviewNotices, n) {
		b.Notice, b.NoticeOf = "review.notice."+n, strings.TrimSpace(r.URL.Query().Get("of"))
	}
	return b
}

// reviewOrderID reads the {id} of the route; a malformed one is not found.
func reviewOrderID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, beian.Errorf(beian.KindNotFound, "")
	}
	return id, nil
}

// slaLeft writes the seconds left before an SLA deadline as hours and
// minutes in the language ("3 小时 20 分钟", "3 h 20 min"); overdue time is
// written the same way and the caller marks it.
func slaLeft(lang i18n.Lang, secs int64) string {
	if secs < 0 {
		secs = -secs
	}
	h, m := secs/3600, secs%3600/60
	if lang == i18n.EN {
		return strconv.FormatInt(h, 10) + " h " + strconv.FormatInt(m, 10) + " min"
	}
	return strconv.FormatInt(h, 10) + " 小时 " + strconv.FormatInt(m, 10) + " 分钟"
}
