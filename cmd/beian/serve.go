package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/web"
)

// Main is the `beian serve` process: everything in one process. Tests start
// the real wiring with Run (on 127.0.0.1:0) and stop it with Close.
type Main struct {
	Addr           string       // listen address, e.g. 127.0.0.1:8080 (":0" picks a port)
	DB             sqlstore.DSN // the database (storage arrives with the core issue)
	Sandbox        bool         // turn on the sandbox surface (API.md)
	RegulatorURL   string       // a remote `beian regulator`; empty = the built-in one
	RegulatorToken string
	Log            *slog.Logger

	ln   net.Listener
	srv  *http.Server
	done chan error
}

// Run starts listening and serving in the background and returns once the
// listener is open, so that URL answers; Close stops it.
func (m *Main) Run(ctx context.Context) error {
	if m.Log == nil {
		m.Log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is another process using the port? choose another with --addr)", m.Addr, err)
	}
	m.ln = ln
	m.srv = &http.Server{
		Handler:           web.NewMux(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
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
	m.Log.Info("serving", "addr", ln.Addr().String(), "db", m.DB.String(), "sandbox", m.Sandbox)
	return nil
}

// URL is the base URL the server answers on.
func (m *Main) URL() string {
	if m.ln == nil {
		return ""
	}
	return "http://" + m.ln.Addr().String()
}

// Close shuts the server down gracefully: in-flight requests may finish
// within 10 seconds, then connections are closed.
func (m *Main) Close() error {
	if m.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if serveErr := <-m.done; err == nil {
		err = serveErr
	}
	m.srv = nil
	return err
}

func serveCommand() *command {
	var addr, db, regURL, regToken, logLevel string
	var sandbox bool
	return &command{
		name:    "serve",
		summary: "run everything in one process (provider, built-in regulator, gate)",
		usage:   "[--addr 127.0.0.1:8080] [--db URL] [--sandbox] [--regulator-url URL --regulator-token T]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", "127.0.0.1:8080", "listen `address` (host:port)")
			fs.StringVar(&db, "db", "sqlite://./beian.db", "database `URL`: sqlite://PATH or postgres://…")
			fs.BoolVar(&sandbox, "sandbox", false, "turn on the sandbox surface (clock, seed data, mailbox)")
			fs.StringVar(&regURL, "regulator-url", "", "`URL` of a remote 'beian regulator' (default: the built-in one)")
			fs.StringVar(&regToken, "regulator-token", "", "this provider's `credential` at the remote regulator")
			fs.StringVar(&logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			m, err := newMain(e, addr, db, regURL, regToken, logLevel, sandbox)
			if err != nil {
				return err
			}
			if err := m.Run(e.ctx); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "beian serve: listening on %s (Ctrl-C to stop)\n", m.URL())
			select {
			case <-e.ctx.Done():
			case err := <-m.done:
				m.done <- err // let Close see it
			}
			m.Log.Info("shutting down")
			return m.Close()
		},
	}
}

// newMain validates the serve settings, each error saying how to fix it.
func newMain(e *env, addr, db, regURL, regToken, logLevel string, sandbox bool) (*Main, error) {
	dsn, err := sqlstore.ParseDSN(db)
	if err != nil {
		return nil, usagef("beian serve: --db: %v", err)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, usagef("beian serve: --addr %q is not host:port (e.g. 127.0.0.1:8080 or :8080)", addr)
	}
	if (regURL == "") != (regToken == "") {
		return nil, usagef("beian serve: --regulator-url and --regulator-token go together; give both, or neither to use the built-in regulator")
	}
	if regURL != "" {
		u, err := url.Parse(regURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("beian serve: --regulator-url %q is not an http(s) URL, e.g. https://regulator.example:8443", regURL)
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return nil, usagef("beian serve: --log-level %q: use debug, info, warn or error", logLevel)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	return &Main{Addr: addr, DB: dsn, Sandbox: sandbox, RegulatorURL: regURL, RegulatorToken: regToken, Log: log}, nil
}
