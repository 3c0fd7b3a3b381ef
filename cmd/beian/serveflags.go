package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/sqlstore"
)

// serveSettings are the flags of `beian serve`.
type serveSettings struct {
	addr, db, regURL, regToken, logLevel   string
	sandbox, secure                        bool
	smtpHost, smtpUser, smtpPass, smtpFrom string
	smtpTLS                                string
	smtpPort                               int
	smsURL, smsToken                       string
}

func (s *serveSettings) flags(fs *flag.FlagSet) {
	fs.StringVar(&s.addr, "addr", "127.0.0.1:8080", "listen `address` (host:port)")
	fs.StringVar(&s.db, "db", "sqlite://./beian.db", "database `URL`: sqlite://PATH or postgres://…")
	fs.BoolVar(&s.sandbox, "sandbox", false, "turn on the sandbox surface (clock, seed data, mailbox); messages go to the sandbox mailbox")
	fs.StringVar(&s.regURL, "regulator-url", "", "`URL` of a remote 'beian regulator' (default: the built-in one)")
	fs.StringVar(&s.regToken, "regulator-token", "", "this provider's `credential` at the remote regulator")
	fs.BoolVar(&s.secure, "secure-cookies", false, "mark session and form cookies Secure (set it when beian is served over HTTPS)")
	fs.StringVar(&s.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.StringVar(&s.smtpHost, "smtp-host", "", "email: SMTP `host` (unset: email stays queued)")
	fs.IntVar(&s.smtpPort, "smtp-port", 0, "email: SMTP `port` (default 587 for starttls, 465 for tls, 25 for none)")
	fs.StringVar(&s.smtpUser, "smtp-username", "", "email: SMTP AUTH `user`")
	fs.StringVar(&s.smtpPass, "smtp-password", "", "email: SMTP AUTH `password` (prefer the environment variable)")
	fs.StringVar(&s.smtpFrom, "smtp-from", "", "email: sender `address`, e.g. \"ICP备案 <noreply@example.com>\"")
	fs.StringVar(&s.smtpTLS, "smtp-tls", notify.TLSStartTLS, "email: TLS `mode`: starttls, tls or none")
	fs.StringVar(&s.smsURL, "sms-webhook-url", "", "SMS: the gateway's webhook `URL` (unset: SMS stays queued)")
	fs.StringVar(&s.smsToken, "sms-webhook-token", "", "SMS: bearer `token` for the webhook")
}

// main validates the settings into a Main, each error saying how to fix it.
func (s *serveSettings) main(e *env) (*Main, error) {
	dsn, err := sqlstore.ParseDSN(s.db)
	if err != nil {
		return nil, usagef("beian serve: --db: %v", err)
	}
	if _, _, err := net.SplitHostPort(s.addr); err != nil {
		return nil, usagef("beian serve: --addr %q is not host:port (e.g. 127.0.0.1:8080 or :8080)", s.addr)
	}
	if (s.regURL == "") != (s.regToken == "") {
		return nil, usagef("beian serve: --regulator-url and --regulator-token go together; give both, or neither to use the built-in regulator")
	}
	if s.regURL != "" {
		if u, err := url.Parse(s.regURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("beian serve: --regulator-url %q is not an http(s) URL, e.g. https://regulator.example:8443", s.regURL)
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.logLevel)); err != nil {
		return nil, usagef("beian serve: --log-level %q: use debug, info, warn or error", s.logLevel)
	}
	m := &Main{Addr: s.addr, DB: dsn, Sandbox: s.sandbox, RegulatorURL: s.regURL, RegulatorToken: s.regToken, SecureCookies: s.secure,
		Log: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))}
	if s.smtpHost != "" || s.smtpFrom != "" {
		if s.smtpHost == "" || s.smtpFrom == "" {
			return nil, usagef("beian serve: --smtp-host and --smtp-from go together; give both to send email")
		}
		switch s.smtpTLS {
		case notify.TLSStartTLS, notify.TLSImplicit, notify.TLSNone:
		default:
			return nil, usagef("beian serve: --smtp-tls %q: use starttls, tls or none", s.smtpTLS)
		}
		m.SMTP = &notify.SMTPConfig{Host: s.smtpHost, Port: s.smtpPort, Username: s.smtpUser, Password: s.smtpPass,
			From: s.smtpFrom, TLS: s.smtpTLS, Timeout: 30 * time.Second}
	}
	if s.smsURL != "" {
		if u, err := url.Parse(s.smsURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("beian serve: --sms-webhook-url %q is not an http(s) URL", s.smsURL)
		}
		m.SMSWebhook = &notify.WebhookConfig{URL: s.smsURL, Token: s.smsToken, Timeout: 15 * time.Second}
	}
	return m, nil
}

func serveCommand() *command {
	s := &serveSettings{}
	return &command{
		name:    "serve",
		summary: "run everything in one process (provider, built-in regulator, gate)",
		usage:   "[--addr 127.0.0.1:8080] [--db URL] [--sandbox] [--regulator-url URL --regulator-token T]",
		flags:   s.flags,
		run: func(e *env, fs *flag.FlagSet) error {
			m, err := s.main(e)
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
