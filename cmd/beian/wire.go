package main

import (
	"context"
	"net/http"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/web"
	"github.com/beian/beian/web/page"
)

// platform is the HTTP composition shared by the contexts: identity, pages,
// the sandbox surface, metrics and the plumbing middleware.
type platform struct {
	identity *identity.Service
	pages    *page.Pages
	metrics  *web.Metrics
	sandbox  *sandbox.Surface
	runners  []*timer.Runner
	handler  http.Handler
}

// newPlatform builds the routes and middleware of `beian serve` on m's
// database (already open, migrated, and on the sandbox clock when
// m.Sandbox).
func (m *Main) newPlatform(clk *sandbox.Clock) (*platform, error) {
	p := &platform{metrics: web.NewMetrics()}
	lim := &ratelimit.Limiter{DB: m.db}
	p.identity = &identity.Service{DB: m.db, Limiter: lim, Contexts: []string{identity.ContextProvider, identity.ContextRegistry}, Secure: m.SecureCookies}
	reg, err := regulator.New(m.db)
	if err != nil {
		return nil, err
	}
	handlers := map[string]map[string]timer.Handler{"provider": {}, "registry": reg.TimerHandlers()}
	for _, c := range []string{"provider", "registry"} {
		tm, err := timer.New(c)
		if err != nil {
			return nil, err
		}
		p.runners = append(p.runners, &timer.Runner{DB: m.db, Timers: tm, Handlers: handlers[c], Log: m.Log.With("timers", c)})
	}
	p.pages, err = page.New(page.Options{
		Viewer: func(r *http.Request) page.Viewer {
			pr, ok := identity.FromContext(r.Context())
			if !ok {
				return page.Viewer{}
			}
			return page.Viewer{Login: pr.Login, Role: string(pr.Role), Name: pr.Name, Context: pr.Context, CSRF: pr.CSRF, SignedIn: true}
		},
		Login: func(ctx context.Context, login, password, client string) (*http.Cookie, error) {
			sess, err := p.identity.Login(ctx, login, password, client)
			if err != nil {
				return nil, err
			}
			return p.identity.Cookie(sess), nil
		},
		Logout: func(r *http.Request) error {
			if pr, ok := identity.FromContext(r.Context()); ok {
				return p.identity.Logout(r.Context(), pr)
			}
			return nil
		},
		CSRFCheck: identity.CheckCSRF,
		Secure:    m.SecureCookies,
		Log:       m.Log,
	})
	if err != nil {
		return nil, err
	}
	p.pages.Install()
	web.Logger = m.Log

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", web.Healthz)
	mux.Handle("GET /readyz", web.Readyz(m.readiness))
	mux.Handle("GET /metrics", p.metrics.Handler())
	mux.HandleFunc("GET /api/v1/openapi.json", web.OpenAPI)
	p.identity.Routes(mux)
	reg.Routes(mux, lim)  // public registry query (QRY-1)
	reg.SMSRoutes(mux)    // VER-3 confirmations (public)
	reg.BureauRoutes(mux) // the bureau desk API (bureau_reviewer of one province)
	p.pages.Routes(mux)
	p.sandbox = &sandbox.Surface{Enabled: m.Sandbox, DB: m.db, Clock: clk, Calendar: calendar.Default(), Runners: p.runners,
		Require: identity.RequireRole(beian.RoleRegistryAdmin)}
	p.sandbox.Routes(mux)

	idem := &web.Idempotency{DB: m.db, Scope: func(r *http.Request) string {
		if pr, ok := identity.FromContext(r.Context()); ok {
			return pr.Context + ":" + pr.Login
		}
		return "client:" + identity.ClientAddr(r)
	}}
	// Outermost first: IDs and logs see everything; authentication runs
	// before idempotency so keys are scoped to the account.
	p.handler = web.Chain(mux,
		web.RequestID,
		web.AccessLog(m.Log),
		p.metrics.Middleware,
		web.Recover(m.Log),
		page.SecurityHeaders,
		p.pages.LangCookie,
		web.LimitBody(0),
		p.identity.Authenticate,
		idem.Middleware,
	)
	return p, nil
}
