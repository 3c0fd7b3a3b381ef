package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/web"
)

// Main is a server process: `beian serve` (everything in one process, or
// the provider alone with a remote regulator) or, with Regulator set,
// `beian regulator` (the regulator alone). Tests start the real wiring with
// Run (on 127.0.0.1:0) and stop it with Close.
type Main struct {
	Addr           string       // listen address, e.g. 127.0.0.1:8080 (":0" picks a port)
	DB             sqlstore.DSN // the database; migrated at start
	Sandbox        bool         // turn on the sandbox surface (API.md); messages go to the sandbox mailbox
	RegulatorURL   string       // a remote `beian regulator`; empty = the built-in one
	RegulatorToken string       // the provider's credential there; required with RegulatorURL
	// Regulator runs the regulator alone (`beian regulator`): the registry
	// context only, with the connector routes for remote providers.
	Regulator bool
	// ProviderName is the name the all-in-one registers its own provider
	// under at the built-in registry (DefaultProviderName when empty).
	ProviderName  string
	SMTP          *notify.SMTPConfig    // email sender; nil = not configured
	SMSWebhook    *notify.WebhookConfig // SMS sender; nil = not configured
	SecureCookies bool                  // mark cookies Secure (served over HTTPS)
	BlobDir       string                // documents and photos; "" = beside the SQLite file, or ./beian-blobs
	// SessionTTL is the sliding lifetime of sign-in sessions; 0 means
	// identity.DefaultSessionTTL, or SandboxSessionTTL with the sandbox
	// (sessions expire on the database's clock, which the sandbox moves).
	SessionTTL time.Duration
	// ReadHeaderTimeout and ReadTimeout cut slow clients: the request
	// headers, and the whole request, must arrive within them (0: the
	// defaults, DefaultReadHeaderTimeout and DefaultReadTimeout).
	ReadHeaderTimeout, ReadTimeout time.Duration
	Log                            *slog.Logger
	Clock                          beian.Clock // the database's clock; nil = the system clock (the sandbox clock replaces it)

	db        *sqlstore.DB
	connector beian.Connector // the provider's way to the regulator; nil in `beian regulator`
	workers   []*notify.Worker
	platform  *platform
	ln        net.Listener
	srv       *http.Server
	done      chan error
	stop      context.CancelFunc
	wg        sync.WaitGroup
	inflight  atomic.Int64 // requests being handled, for graceful shutdown's tests
}

// Run opens and migrates the database, starts the outbox workers, and starts
// listening and serving in the background; it returns once the listener is
// open, so that URL answers. Close stops everything.
func (m *Main) Run(ctx context.Context) (err error) {
	if m.Log == nil {
		m.Log = slog.New(slog.DiscardHandler)
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if err := m.check(); err != nil {
		return err
	}
	if m.db, err = sqlstore.Open(ctx, m.DB, m.Clock); err != nil {
		return err
	}
	applied, err := m.db.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", m.DB, err)
	}
	for _, a := range applied {
		m.Log.Info("migrated", "version", a.Version, "name", a.Name)
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	// The process's own loops: their SQLite write transactions queue
	// behind the requests' (sqlstore.Background); requests run on bg.
	work := sqlstore.Background(bg)
	var clk *sandbox.Clock
	if m.Sandbox {
		// One offset in the database, shared by both contexts and every
		// instance (API.md, sandbox clock).
		clk = sandbox.NewClock(m.db, m.Clock)
		clk.Log = m.Log
		if err := clk.Refresh(ctx); err != nil {
			return fmt.Errorf("sandbox clock: %w", err)
		}
		m.db.Clock = clk
		m.wg.Add(1)
		go func() { defer m.wg.Done(); clk.Run(work, 0) }()
	}
	if err := m.startWorkers(work); err != nil {
		return err
	}
	if m.platform, err = m.newPlatform(ctx, work, clk); err != nil {
		return err
	}
	if g := m.platform.gate; g != nil {
		g.Start(work)
	}
	for _, r := range m.platform.runners {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); r.Run(work) }()
	}
	if reg := m.platform.registry; reg != nil { // Rule PWD-1: the passwords approvals owe
		m.wg.Add(1)
		go func() { defer m.wg.Done(); reg.RunPasswords(work, m.Log.With("component", "passwords")) }()
	}

	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is another process using the port? choose another with --addr)", m.Addr, err)
	}
	m.ln = ln
	m.srv = &http.Server{
		Handler:           m.counted(m.platform.handler),
		ReadHeaderTimeout: cmp.Or(m.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       cmp.Or(m.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return bg },
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	m.done = make(chan error, 1)
	go func() {
		err := m.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		m.done <- err
	}()
	m.Log.Info("serving", "addr", ln.Addr().String(), "db", m.DB.String(), "sandbox", m.Sandbox, "contexts", m.contexts())
	return nil
}

// The server's defaults against slow clients (--read-header-timeout,
// --read-timeout): a minute for a whole request leaves room for a 10 MiB
// upload on a slow line.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
)

// counted counts the requests in h while they run.
func (m *Main) counted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.inflight.Add(1)
		defer m.inflight.Add(-1)
		h.ServeHTTP(w, r)
	})
}

// Connector is the provider's way to the regulator (beian.Connector): the
// in-process connector of the built-in registry, or the HTTP client of a
// remote one (--regulator-url); nil in `beian regulator` and before Run.
func (m *Main) Connector() beian.Connector { return m.connector }

// startWorkers starts one outbox worker per context. In sandbox mode both
// channels land in the sandbox mailbox; otherwise each channel uses its
// configured sender, and a channel without one keeps its messages queued
// (never dropped, never logged) and is named in a warning now and in /readyz.
func (m *Main) startWorkers(ctx context.Context) error {
	var senders func(context string) []notify.Sender
	switch {
	case m.Sandbox:
		senders = func(c string) []notify.Sender {
			return []notify.Sender{notify.NewMailbox(m.db, c, outbox.SMS), notify.NewMailbox(m.db, c, outbox.Email)}
		}
	default:
		var list []notify.Sender
		if m.SMTP != nil {
			s, err := notify.NewSMTP(*m.SMTP)
			if err != nil {
				return fmt.Errorf("email sender: %w (check the --smtp-* settings)", err)
			}
			list = append(list, s)
		} else {
			m.Log.Warn("no email sender configured: email notifications stay queued in the outbox until --smtp-host and --smtp-from are set")
		}
		if m.SMSWebhook != nil {
			s, err := notify.NewSMSWebhook(*m.SMSWebhook)
			if err != nil {
				return fmt.Errorf("SMS sender: %w (check --sms-webhook-url)", err)
			}
			list = append(list, s)
		} else {
			m.Log.Warn("no SMS sender configured: SMS notifications stay queued in the outbox until --sms-webhook-url is set")
		}
		senders = func(string) []notify.Sender { return list }
	}
	for _, c := range m.contexts() {
		ob, err := outbox.New(c)
		if err != nil {
			return err
		}
		w := &notify.Worker{DB: m.db, Outbox: ob, Templates: templates(), Senders: senders(c), Log: m.Log.With("outbox", c)}
		m.workers = append(m.workers, w)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			w.Run(ctx)
		}()
	}
	return nil
}

// readiness: the database answers and is migrated; queued messages of a
// channel without a sender are warnings.
func (m *Main) readiness(ctx context.Context) web.Readiness {
	r := web.Readiness{Ready: true, Checks: map[string]string{}}
	applied, known, err := m.db.SchemaVersion(ctx)
	switch {
	case err != nil:
		r.Ready, r.Checks["database"] = false, "unreachable"
	case applied < known:
		r.Ready, r.Checks["database"] = false, fmt.Sprintf("schema %d of %d: run 'beian migrate'", applied, known)
	default:
		r.Checks["database"] = fmt.Sprintf("ok, schema %d", applied)
	}
	if err != nil {
		return r
	}
	m.regulatorReadiness(ctx, &r)
	for _, w := range m.workers {
		unserved, err := w.Unserved(ctx)
		if err != nil {
			continue
		}
		for ch, n := range unserved {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s %s: no sender configured, %d message(s) queued", w.Outbox.Table(), ch, n))
		}
	}
	return r
}

// templates returns the message templates of both contexts.
func templates() *notify.Templates {
	t := notify.New()
	regulator.RegisterTemplates(t)
	provider.RegisterTemplates(t)
	return t
}

// URL is the base URL the server answers on.
func (m *Main) URL() string {
	if m.ln == nil {
		return ""
	}
	return "http://" + m.ln.Addr().String()
}

// Close shuts down gracefully: in-flight requests may finish within 10
// seconds, the workers stop, then the database closes.
func (m *Main) Close() error {
	var err error
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = m.srv.Shutdown(ctx)
		if serveErr := <-m.done; err == nil {
			err = serveErr
		}
		m.srv = nil
	}
	if m.stop != nil {
		m.stop()
		m.wg.Wait()
		if m.platform != nil && m.platform.gate != nil {
			m.platform.gate.Wait()
		}
		m.stop = nil
	}
	if m.db != nil {
		if cerr := m.db.Close(); err == nil {
			err = cerr
		}
		m.db = nil
	}
	return err
}
