package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/connector"
	"github.com/beian/beian/gate"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/web"
	"github.com/beian/beian/web/page"
)

// DefaultProviderName is the name the all-in-one registers its own
// provider under at the built-in registry (--provider-name).
const DefaultProviderName = "beian"

// platform is the HTTP composition shared by the contexts: identity, pages,
// the sandbox surface, metrics and the plumbing middleware.
type platform struct {
	identity *identity.Service
	pages    *page.Pages
	metrics  *web.Metrics
	sandbox  *sandbox.Surface
	registry *regulator.Registry // the built-in or standalone registry; nil with a remote one
	provider *provider.Service   // the provider context; nil in `beian regulator`
	gate     *gate.Gate          // the access gate on the provider's servable domains; nil in `beian regulator`
	runners  []*timer.Runner
	handler  http.Handler
}

// contexts are the bounded contexts m runs, in this order: the provider
// (unless m is the regulator alone) and the registry (unless a remote
// regulator owns it). Outbox workers, timers, identity and routes follow.
func (m *Main) contexts() []string {
	switch {
	case m.Regulator:
		return []string{identity.ContextRegistry}
	case m.RegulatorURL != "":
		return []string{identity.ContextProvider}
	}
	return []string{identity.ContextProvider, identity.ContextRegistry}
}

// runs reports whether m runs the context.
func (m *Main) runs(c string) bool { return slices.Contains(m.contexts(), c) }

// check refuses settings that contradict each other (Main may be built
// without the command line, as tests do).
func (m *Main) check() error {
	switch {
	case m.Regulator && m.RegulatorURL != "":
		return errors.New("the regulator alone cannot use a remote regulator: drop --regulator-url")
	case (m.RegulatorURL == "") != (m.RegulatorToken == ""):
		return errors.New("--regulator-url and --regulator-token go together; give both, or neither to use the built-in regulator")
	case m.RegulatorURL != "" && !httpURL(m.RegulatorURL):
		return fmt.Errorf("--regulator-url %q is not an http(s) URL", m.RegulatorURL)
	}
	return nil
}

// newPlatform builds the routes and middleware of m's contexts on m's
// database (already open, migrated, and on the sandbox clock when
// m.Sandbox), and m's connector.
func (m *Main) newPlatform(ctx, bg context.Context, clk *sandbox.Clock) (*platform, error) {
	p := &platform{metrics: web.NewMetrics()}
	p.metrics.Registry.MustRegister(newBacklog(m))
	lim := &ratelimit.Limiter{DB: m.db}
	p.identity = &identity.Service{DB: m.db, Limiter: lim, Contexts: m.contexts(), Secure: m.SecureCookies, SessionTTL: m.sessionTTL()}
	handlers := map[string]map[string]timer.Handler{identity.ContextProvider: {}}
	if m.runs(identity.ContextRegistry) {
		reg, err := regulator.New(m.db)
		if err != nil {
			return nil, err
		}
		p.registry, handlers[identity.ContextRegistry] = reg, reg.TimerHandlers()
		// The sandbox bureau decides at the due date (API.md bureau policy);
		// without the sandbox its timers are never scheduled.
		maps.Copy(handlers[identity.ContextRegistry], reg.PolicyTimerHandlers())
		reg.SetSandboxBureau(m.Sandbox)
	}
	if err := m.connect(ctx, p.registry); err != nil {
		return nil, err
	}
	for _, c := range m.contexts() {
		tm, err := timer.New(c)
		if err != nil {
			return nil, err
		}
		p.runners = append(p.runners, &timer.Runner{DB: m.db, Timers: tm, Handlers: handlers[c], Log: m.Log.With("timers", c)})
	}
	var err error
	web.Logger = m.Log

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", web.Healthz)
	mux.Handle("GET /readyz", web.Readyz(m.readiness))
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.metricsHandler().ServeHTTP(w, r) }))
	mux.HandleFunc("GET /api/v1/openapi.json", web.OpenAPI)
	p.identity.Routes(mux)
	if m.runs(identity.ContextProvider) {
		// Rule GATE-1: the gate follows the servable-domain table; the
		// provider store tells it of its own changes at once. Its staleness
		// is real time, also on the sandbox clock.
		p.gate = gate.New(gate.Options{DB: m.db, Log: m.Log.With("component", "gate")})
		p.gate.Routes(mux)
		if p.provider, err = m.newProvider(ctx, bg, mux, handlers[identity.ContextProvider]); err != nil {
			return nil, err
		}
		p.provider.Store.OnServable = p.gate.Apply
	}
	if reg := p.registry; reg != nil {
		reg.Routes(mux, lim)     // public registry query (QRY-1)
		reg.SMSRoutes(mux)       // VER-3 confirmations (public)
		reg.BureauRoutes(mux)    // the bureau desk API (bureau_reviewer of one province)
		reg.ProviderRoutes(mux)  // providers and their credentials (registry_admin)
		reg.ConnectorRoutes(mux) // the connector over HTTP, for providers with a credential
	}
	// The pages come last: the desks call the registry and the provider.
	if p.pages, err = m.newPages(p.identity, p.registry, p.provider, lim); err != nil {
		return nil, err
	}
	p.pages.Routes(mux)
	p.pages.BureauRoutes(mux)              // the bureau desk pages (bureau_reviewer of one province)
	p.pages.ReviewRoutes(mux)              // the provider review desk (provider_reviewer; verifier for /review/verification)
	p.pages.ConsoleRoutes(mux, p.identity) // the customer console (customer; sign-up)
	p.pages.OpsRoutes(mux)                 // the ops dashboard (provider_admin)
	p.sandbox = &sandbox.Surface{Enabled: m.Sandbox, DB: m.db, Clock: clk, Calendar: calendar.Default(), Runners: p.runners,
		Require: identity.RequireRole(beian.RoleRegistryAdmin), Registry: p.registry}
	p.sandbox.Routes(mux)

	idem := &web.Idempotency{DB: m.db, Scope: func(r *http.Request) string {
		if pr, ok := identity.FromContext(r.Context()); ok {
			return pr.Context + ":" + pr.Login
		}
		return "client:" + identity.ClientAddr(r)
	}}
	// Outermost first: IDs and logs see everything; authentication runs
	// before idempotency so keys are scoped to the account. The connector
	// routes keep their idempotency in the registry, per provider and key
	// (the generic store would scope keys by client address and answer a
	// concurrent repeat with its own in-flight conflict).
	p.handler = web.Chain(mux,
		web.RequestID,
		web.AccessLog(m.Log),
		p.metrics.Middleware,
		web.Recover(m.Log),
		page.SecurityHeaders,
		p.pages.LangCookie,
		limitBody,
		p.identity.Authenticate,
		except("/api/v1/connector/", idem.Middleware),
	)
	return p, nil
}

// SandboxSessionTTL is the session lifetime with the sandbox on: moving
// the sandbox clock by days must not sign everyone out.
const SandboxSessionTTL = 365 * 24 * time.Hour

// sessionTTL is m's session lifetime (see Main.SessionTTL).
func (m *Main) sessionTTL() time.Duration {
	switch {
	case m.SessionTTL > 0:
		return m.SessionTTL
	case m.Sandbox:
		return SandboxSessionTTL
	}
	return identity.DefaultSessionTTL
}

// newPages builds the server-rendered pages on the identity service and,
// where m runs them, the registry (public registry pages, the bureau desk)
// and the provider (the review desk, the console, the ops dashboard).
func (m *Main) newPages(id *identity.Service, reg *regulator.Registry, prov *provider.Service, lim *ratelimit.Limiter) (*page.Pages, error) {
	pages, err := page.New(page.Options{
		Viewer: func(r *http.Request) page.Viewer {
			pr, ok := identity.FromContext(r.Context())
			if !ok {
				return page.Viewer{}
			}
			return page.Viewer{Login: pr.Login, Role: string(pr.Role), Name: pr.Name, Context: pr.Context, CSRF: pr.CSRF, SignedIn: true}
		},
		Login: func(ctx context.Context, login, password, client string) (*http.Cookie, error) {
			sess, err := id.Login(ctx, login, password, client)
			if err != nil {
				return nil, err
			}
			return id.Cookie(sess), nil
		},
		Logout: func(r *http.Request) error {
			if pr, ok := identity.FromContext(r.Context()); ok {
				return id.Logout(r.Context(), pr)
			}
			return nil
		},
		CSRFCheck: identity.CheckCSRF,
		Secure:    m.SecureCookies,
		Log:       m.Log,
		Registry:  reg,
		Provider:  prov,
		Limiter:   lim,
	})
	if err != nil {
		return nil, err
	}
	pages.Install()
	return pages, nil
}

// except applies mw to every request but those under the path prefix.
func except(prefix string, mw web.Middleware) web.Middleware {
	return func(next http.Handler) http.Handler {
		wrapped := mw(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, prefix) {
				next.ServeHTTP(w, r)
				return
			}
			wrapped.ServeHTTP(w, r)
		})
	}
}

// connect sets m's connector: the HTTP client of a remote regulator, or
// the in-process connector of the built-in registry reg, where the
// all-in-one registers its own provider first (idempotent: once per
// database). The regulator alone has none.
func (m *Main) connect(ctx context.Context, reg *regulator.Registry) error {
	switch {
	case m.RegulatorURL != "":
		m.connector = &connector.HTTP{BaseURL: m.RegulatorURL, Token: m.RegulatorToken, Client: &http.Client{Timeout: connector.DefaultTimeout}}
		if err := m.pingRegulator(ctx); err != nil {
			// Not fatal: events wait at the regulator, and /readyz tells.
			m.Log.Warn("the remote regulator does not answer yet", "url", m.RegulatorURL, "err", err)
		}
	case !m.Regulator:
		name := m.ProviderName
		if name == "" {
			name = DefaultProviderName
		}
		p, created, err := reg.EnsureProvider(regulator.WithActor(ctx, "serve"), name)
		if err != nil {
			return fmt.Errorf("register the provider %q at the built-in regulator: %w", name, err)
		}
		if created {
			m.Log.Info("registered the provider at the built-in regulator", "provider", p.Name)
		}
		m.connector = &regulator.Connector{Registry: reg, Provider: p.Name}
	}
	return nil
}

// pingRegulator is a cheap authenticated call to the remote regulator: one event at most.
func (m *Main) pingRegulator(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err := m.connector.Events(ctx, "", 1)
	return err
}

// regulatorReadiness adds the remote regulator's check to r: reachable
// and accepting the credential, or not ready.
func (m *Main) regulatorReadiness(ctx context.Context, r *web.Readiness) {
	if m.RegulatorURL == "" || m.connector == nil {
		return
	}
	err := m.pingRegulator(ctx)
	switch {
	case err == nil:
		r.Checks["regulator"] = "ok"
	case beian.IsKind(err, beian.KindUnauthenticated), beian.IsKind(err, beian.KindForbidden):
		r.Ready, r.Checks["regulator"] = false, "credential refused: check --regulator-token"
	default:
		r.Ready, r.Checks["regulator"] = false, "unreachable"
	}
}

// metricsHandler serves the platform's metrics and, with a gate, the gate's
// (lookups by outcome, index size, staleness) from one /metrics.
func (p *platform) metricsHandler() http.Handler {
	if p.gate == nil {
		return p.metrics.Handler()
	}
	return promhttp.HandlerFor(prometheus.Gatherers{p.metrics.Registry, p.gate.Metrics().Registry}, promhttp.HandlerOpts{})
}
