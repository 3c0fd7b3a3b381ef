package page

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/beian/beian/i18n"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web"
)

// files holds the layout and partials (templates/*.html), the pages
// (templates/pages/*.html) and the static files (static/*).
//
//go:embed templates static
var files embed.FS

// pageNames lists every page a handler renders. New fails when one of them
// is missing from templates/pages/, so a missing page stops start-up instead
// of a request. A new page adds its name here.
var pageNames = []string{"error", "home", "login"}

// Viewer is who is looking at a page, as the identity package tells it: the
// layout shows the login and a logout form when SignedIn, and CSRF is the
// session's token that signed-in forms carry.
type Viewer struct {
	Login    string // the account's login, shown in the header
	Role     string // the account's role (API.md roles)
	Name     string // the display name, when the account has one
	Context  string // "provider" or "regulator": the bounded context of the account
	CSRF     string // the session's CSRF token
	SignedIn bool   // false for anonymous visitors
}

// Options configures the pages; the wiring in cmd/beian fills it.
type Options struct {
	// Viewer tells who makes the request; nil means everybody is anonymous.
	// It is called more than once per request, so it should only read what
	// the session middleware put in the request's context.
	Viewer func(*http.Request) Viewer
	// Login performs a login from the client address; a nil error means the
	// returned cookie is set and the browser is redirected. Its errors are
	// shown on the form (e.g. auth.bad_credentials, 401; rate_limited, 429).
	Login func(ctx context.Context, login, password, client string) (cookie *http.Cookie, err error)
	// Logout ends the request's session, when set; the session cookie is
	// cleared either way.
	Logout func(r *http.Request) error
	// CSRFCheck checks a signed-in form's "csrf" field (already parsed)
	// against the session's token; nil compares it with Viewer.CSRF.
	CSRFCheck func(*http.Request) error
	// Limiter counts the public queries per client address (Rule QRY-1);
	// nil uses one on the Registry's database.
	Limiter *ratelimit.Limiter
	// Secure marks the cookies this package sets as Secure (HTTPS only).
	Secure bool
	// Log receives template and 5xx errors; nil discards.
	Log *slog.Logger
	// FS replaces the embedded templates/ and static/ tree (for tests).
	FS fs.FS
	// Registry is the registry the regulator's pages (the bureau desk, the
	// public registry pages) read and write; nil where no registry runs.
	Registry *regulator.Registry
	// Provider is the provider service the provider's desks (the customer
	// console, the review desk) read and write; nil where the provider
	// context does not run.
	Provider *provider.Service
}

// Pages renders the desks' pages. It is safe for concurrent use.
type Pages struct {
	opts   Options
	log    *slog.Logger
	tmpl   map[i18n.Lang]map[string]*template.Template // language → page → parsed set
	labels map[i18n.Lang]map[string]string
	assets *assets
}

// New parses every template (the layout, the partials and every page, once
// per language) and hashes the static files. A page of pageNames that is
// missing, or a template that does not parse or escape, is an error.
func New(opts Options) (*Pages, error) {
	p := &Pages{opts: opts, log: opts.Log}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	fsys := opts.FS
	if fsys == nil {
		fsys = files
	}
	var err error
	if p.labels, err = loadLabels(); err != nil {
		return nil, err
	}
	if p.assets, err = loadAssets(fsys); err != nil {
		return nil, err
	}
	p.tmpl = map[i18n.Lang]map[string]*template.Template{}
	for _, lang := range i18n.Langs {
		if p.tmpl[lang], err = p.parse(fsys, lang); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Install makes p the renderer of web.Handle's error pages for browsers.
func (p *Pages) Install() { web.ErrorPage = p.ErrorPage }

// viewer returns the request's viewer, anonymous when no func is set.
func (p *Pages) viewer(r *http.Request) Viewer {
	if p.opts.Viewer == nil {
		return Viewer{}
	}
	return p.opts.Viewer(r)
}

// handle adapts a page handler: pages are always HTML, so an error becomes
// the error page in the request's language (5xx logged in full).
func (p *Pages) handle(h web.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			p.fail(w, r, err)
		}
	})
}

// fail answers err as the error page, logging a 5xx.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.Status(err)
	if status >= 500 {
		p.log.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	p.ErrorPage(w, r, status, err)
}

// errorf is fmt.Errorf with the package's prefix.
func errorf(format string, args ...any) error { return fmt.Errorf("page: "+format, args...) }
