package main

import (
	"cmp"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/sqlstore"
)

// serverSettings are the flags `beian serve` and `beian regulator` share:
// where to listen, the database, the sandbox, logging and the senders.
type serverSettings struct {
	cmd                                    string // the command's name, for messages
	addr, db, logLevel                     string
	sandbox, secure                        bool
	blobDir                                string
	smtpHost, smtpUser, smtpPass, smtpFrom string
	smtpTLS                                string
	smtpPort                               int
	smsURL, smsToken                       string
	readHeaderTimeout, readTimeout         time.Duration
}

// flags registers the shared flags with the command's defaults.
func (s *serverSettings) flags(fs *flag.FlagSet, defAddr, defDB string) {
	fs.StringVar(&s.addr, "addr", defAddr, "listen `address` (host:port)")
	fs.StringVar(&s.db, "db", defDB, "database `URL`: sqlite://PATH or postgres://…")
	fs.BoolVar(&s.sandbox, "sandbox", false, "turn on the sandbox surface (clock, seed data, mailbox); messages go to the sandbox mailbox")
	fs.BoolVar(&s.secure, "secure-cookies", false, "mark session and form cookies Secure (set it when beian is served over HTTPS)")
	fs.StringVar(&s.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.StringVar(&s.blobDir, "blob-dir", "", "`folder` of documents and photos (default: beside the SQLite file, or ./beian-blobs)")
	fs.StringVar(&s.smtpHost, "smtp-host", "", "email: SMTP `host` (unset: email stays queued)")
	fs.IntVar(&s.smtpPort, "smtp-port", 0, "email: SMTP `port` (default 587 for starttls, 465 for tls, 25 for none)")
	fs.StringVar(&s.smtpUser, "smtp-username", "", "email: SMTP AUTH `user`")
	fs.StringVar(&s.smtpPass, "smtp-password", "", "email: SMTP AUTH `password` (prefer the environment variable)")
	fs.StringVar(&s.smtpFrom, "smtp-from", "", "email: sender `address`, e.g. \"ICP备案 <noreply@example.com>\"")
	fs.StringVar(&s.smtpTLS, "smtp-tls", notify.TLSStartTLS, "email: TLS `mode`: starttls, tls or none")
	fs.StringVar(&s.smsURL, "sms-webhook-url", "", "SMS: the gateway's webhook `URL` (unset: SMS stays queued)")
	fs.StringVar(&s.smsToken, "sms-webhook-token", "", "SMS: bearer `token` for the webhook")
	fs.DurationVar(&s.readHeaderTimeout, "read-header-timeout", DefaultReadHeaderTimeout, "cut a client that has not sent its request headers within this `duration`")
	fs.DurationVar(&s.readTimeout, "read-timeout", DefaultReadTimeout, "cut a client that has not sent its whole request (headers and body, e.g. an upload) within this `duration`")
}

// main validates the shared settings into a Main, each error saying how to fix it.
func (s *serverSettings) main(e *env) (*Main, error) {
	dsn, err := sqlstore.ParseDSN(s.db)
	if err != nil {
		return nil, usagef("beian %s: --db: %v", s.cmd, err)
	}
	if err := checkListenAddr(s.addr, "127.0.0.1:8080 or :8080"); err != nil {
		return nil, usagef("beian %s: --addr %v", s.cmd, err)
	}
	// Zero (settings built in code, e.g. by the benchmarks) means the default.
	rh, rt := cmp.Or(s.readHeaderTimeout, DefaultReadHeaderTimeout), cmp.Or(s.readTimeout, DefaultReadTimeout)
	if rh < 0 || rt < rh {
		return nil, usagef("beian %s: --read-header-timeout (%s) must be above zero and --read-timeout (%s) at least as long; e.g. 10s and 60s", s.cmd, rh, rt)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.logLevel)); err != nil {
		return nil, usagef("beian %s: --log-level %q: use debug, info, warn or error", s.cmd, s.logLevel)
	}
	m := &Main{Addr: s.addr, DB: dsn, Sandbox: s.sandbox, SecureCookies: s.secure, BlobDir: s.blobDir,
		ReadHeaderTimeout: rh, ReadTimeout: rt,
		Log: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))}
	if s.smtpHost != "" || s.smtpFrom != "" {
		if s.smtpHost == "" || s.smtpFrom == "" {
			return nil, usagef("beian %s: --smtp-host and --smtp-from go together; give both to send email", s.cmd)
		}
		switch s.smtpTLS {
		case notify.TLSStartTLS, notify.TLSImplicit, notify.TLSNone:
		default:
			return nil, usagef("beian %s: --smtp-tls %q: use starttls, tls or none", s.cmd, s.smtpTLS)
		}
		if s.smtpPort < 0 || s.smtpPort > 65535 {
			return nil, usagef("beian %s: --smtp-port %d is not a TCP port; use 1–65535, or 0 for the TLS mode's default", s.cmd, s.smtpPort)
		}
		if (s.smtpUser == "") != (s.smtpPass == "") {
			return nil, usagef("beian %s: --smtp-username and --smtp-password go together (SMTP AUTH needs both); give both, or neither for a relay without AUTH", s.cmd)
		}
		m.SMTP = &notify.SMTPConfig{Host: s.smtpHost, Port: s.smtpPort, Username: s.smtpUser, Password: s.smtpPass,
			From: s.smtpFrom, TLS: s.smtpTLS, Timeout: 30 * time.Second}
	}
	if s.smsToken != "" && s.smsURL == "" {
		return nil, usagef("beian %s: --sms-webhook-token needs --sms-webhook-url: give the gateway's URL too", s.cmd)
	}
	if s.smsURL != "" {
		if !httpURL(s.smsURL) {
			return nil, usagef("beian %s: --sms-webhook-url %q is not an http(s) URL", s.cmd, s.smsURL)
		}
		m.SMSWebhook = &notify.WebhookConfig{URL: s.smsURL, Token: s.smsToken, Timeout: 15 * time.Second}
	}
	if s.sandbox && (m.SMTP != nil || m.SMSWebhook != nil) {
		m.Log.Warn("--sandbox is on: every email and SMS goes to the sandbox mailbox, not to the configured senders; drop --sandbox to send for real")
	}
	return m, nil
}

// checkListenAddr checks a listen address: host:port with a port from 0 to
// 65535 (0 picks a free one); the error shows the examples.
func checkListenAddr(addr, examples string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. %s)", addr, examples)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535 (e.g. %s)", addr, port, examples)
	}
	return nil
}

// httpURL reports whether s is an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// serveSettings are the flags of `beian serve`: the shared ones, the
// remote regulator and the provider's own name.
type serveSettings struct {
	serverSettings
	regURL, regToken, providerName string
}

func (s *serveSettings) flags(fs *flag.FlagSet) {
	s.cmd = "serve"
	s.serverSettings.flags(fs, "127.0.0.1:8080", "sqlite://./beian.db")
	fs.StringVar(&s.regURL, "regulator-url", "", "`URL` of a remote 'beian regulator' (default: the built-in one)")
	fs.StringVar(&s.regToken, "regulator-token", "", "this provider's `credential` at the remote regulator ('beian provider add' prints it)")
	fs.StringVar(&s.providerName, "provider-name", DefaultProviderName, "this provider's `name` at the built-in regulator (registered at start)")
}

// main validates the settings into a Main, each error saying how to fix it.
func (s *serveSettings) main(e *env) (*Main, error) {
	if (s.regURL == "") != (s.regToken == "") {
		return nil, usagef("beian serve: --regulator-url and --regulator-token go together; give both, or neither to use the built-in regulator")
	}
	if s.regURL != "" && !httpURL(s.regURL) {
		return nil, usagef("beian serve: --regulator-url %q is not an http(s) URL, e.g. https://regulator.example:8443", s.regURL)
	}
	if err := checkProviderName(s.providerName); err != nil {
		return nil, usagef("beian serve: --provider-name: %v", err)
	}
	m, err := s.serverSettings.main(e)
	if err != nil {
		return nil, err
	}
	m.RegulatorURL, m.RegulatorToken, m.ProviderName = s.regURL, s.regToken, s.providerName
	return m, nil
}

func serveCommand() *command {
	s := &serveSettings{}
	return &command{
		name:    "serve",
		summary: "run everything in one process (provider, built-in regulator, gate)",
		usage:   "[--addr 127.0.0.1:8080] [--db URL] [--sandbox] [--regulator-url URL --regulator-token T] [--provider-name NAME]",
		flags:   s.flags,
		run: func(e *env, fs *flag.FlagSet) error {
			m, err := s.main(e)
			if err != nil {
				return err
			}
			return runUntilStopped(e, "serve", m)
		},
	}
}

// runUntilStopped runs m until the command's context ends (SIGINT,
// SIGTERM) or the server fails, then shuts it down.
func runUntilStopped(e *env, cmd string, m *Main) error {
	if err := m.Run(e.ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "beian %s: listening on %s (Ctrl-C to stop)\n", cmd, m.URL())
	select {
	case <-e.ctx.Done():
	case err := <-m.done:
		m.done <- err // let Close see it
	}
	m.Log.Info("shutting down")
	return m.Close()
}
