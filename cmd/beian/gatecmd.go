package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/beian/beian/gate"
	"github.com/beian/beian/sqlstore"
)

// GateMain is the `beian gate` process: the edge lookup service alone
// (Rule GATE-1). It reads the provider's servable-domain tables and never
// writes: on PostgreSQL its sessions are read-only. Without Proxy it
// serves /gate/auth, /api/v1/gate/check, /gate/blocked, /healthz, /readyz
// and /metrics on Addr; with Proxy, Addr is a reverse proxy to Upstream
// and the gate's own routes go to AdminAddr (none when empty). Tests start
// it with Run and stop it with Close.
type GateMain struct {
	Addr           string
	DB             sqlstore.DSN
	Proxy          bool
	Upstream       *url.URL
	AdminAddr      string
	TrustedProxies []netip.Prefix // nil: loopback only
	TLSCert        string         // with TLSKey: Addr terminates TLS (proxy mode checks SNI too)
	TLSKey         string
	Poll           time.Duration
	Log            *slog.Logger
	// Synthetic > 0 serves an index of that many synthetic domains and no
	// database (benchmarks: scripts/gate-vs-nginx.sh); SyntheticHosts, when
	// set, receives a sample of request hosts over them, one per line.
	Synthetic      int
	SyntheticHosts string

	// NetHTTP serves the main listener with net/http even where fasthttp
	// would (without --proxy and TLS): a fallback, and the comparison of
	// scripts/gate-vs-nginx.sh.
	NetHTTP bool

	Gate  *gate.Gate
	fast  *gate.FastServer // the main listener's server without --proxy and TLS
	db    *sqlstore.DB
	stop  context.CancelFunc
	srvs  []*http.Server
	ln    net.Listener // the main listener
	admin net.Listener // the admin listener of proxy mode, or nil
	done  chan error
	close sync.Once
}

// Run opens the database, starts the gate (the first snapshot loads in the
// background; /readyz answers 503 until it has) and starts listening; it
// returns once the listeners are open.
func (m *GateMain) Run(ctx context.Context) (err error) {
	if m.Log == nil {
		m.Log = slog.New(slog.DiscardHandler)
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.Synthetic > 0 {
		if err := m.synthetic(); err != nil {
			return err
		}
	} else {
		dsn := m.DB
		if dsn.Driver == sqlstore.Postgres {
			dsn.URL = readOnlyURL(dsn.URL)
		}
		if m.db, err = sqlstore.Open(ctx, dsn, nil); err != nil {
			return err
		}
		m.Gate = gate.New(gate.Options{DB: m.db, Log: m.Log, Poll: m.Poll, TrustedProxies: m.TrustedProxies})
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	m.Gate.Start(bg)
	if !m.Proxy && m.TLSCert == "" && !m.NetHTTP {
		// The gate's own listener: /gate/auth through fasthttp (issue 8's
		// speed target; docs/performance.md, "The gate").
		if m.ln, err = m.listenFast(m.Addr); err != nil {
			return err
		}
		m.Log.Info("gate serving", "addr", m.URL(), "proxy", false, "db", m.DB.String())
		return nil
	}
	main := http.Handler(m.Gate.Mux())
	if m.Proxy {
		main = m.Gate.Proxy(m.Upstream)
		if m.AdminAddr != "" {
			if m.admin, err = m.listen(m.AdminAddr, m.Gate.Mux(), false); err != nil {
				return err
			}
		}
	}
	if m.ln, err = m.listen(m.Addr, main, m.TLSCert != ""); err != nil {
		return err
	}
	m.Log.Info("gate serving", "addr", m.URL(), "proxy", m.Proxy, "db", m.DB.String())
	return nil
}

// listenFast serves the gate's routes on addr with gate.FastServer.
func (m *GateMain) listenFast(addr string) (net.Listener, error) {
	ln, err := listenTCP(addr)
	if err != nil {
		return nil, err
	}
	fs := m.Gate.NewFastServer(m.Gate.Mux(), m.Log)
	m.fast = fs
	if m.done == nil {
		m.done = make(chan error, 4)
	}
	go func() { m.done <- fs.Serve(ln) }()
	return ln, nil
}

func listenTCP(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w (is another process using the port? choose another address)", addr, err)
	}
	return ln, nil
}

func (m *GateMain) listen(addr string, h http.Handler, tls bool) (net.Listener, error) {
	ln, err := listenTCP(addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	m.srvs = append(m.srvs, srv)
	if m.done == nil {
		m.done = make(chan error, 4)
	}
	go func() {
		var err error
		if tls {
			err = srv.ServeTLS(ln, m.TLSCert, m.TLSKey)
		} else {
			err = srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		m.done <- err
	}()
	return ln, nil
}

// synthetic builds the benchmark index (seed 1) and writes the hosts.
func (m *GateMain) synthetic() error {
	m.Gate = gate.New(gate.Options{Log: m.Log, TrustedProxies: m.TrustedProxies})
	start := time.Now()
	m.Gate.LoadSynthetic(1, m.Synthetic)
	n, bytes := m.Gate.Size()
	m.Log.Info("synthetic index built", "domains", n, "bytes", bytes, "took", time.Since(start).Round(time.Millisecond))
	if m.SyntheticHosts == "" {
		return nil
	}
	return os.WriteFile(m.SyntheticHosts, []byte(strings.Join(gate.SyntheticHosts(1, m.Synthetic, 1<<16), "\n")+"\n"), 0o644)
}

// readOnlyURL makes every session of the URL read-only (a PostgreSQL
// runtime parameter that pgx passes on).
func readOnlyURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	if q.Get("default_transaction_read_only") == "" {
		q.Set("default_transaction_read_only", "on")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// URL is the base URL of the main listener.
func (m *GateMain) URL() string {
	if m.ln == nil {
		return ""
	}
	if m.TLSCert != "" {
		return "https://" + m.ln.Addr().String()
	}
	return "http://" + m.ln.Addr().String()
}

// AdminURL is the base URL of the admin listener of proxy mode, "" without one.
func (m *GateMain) AdminURL() string {
	if m.admin == nil {
		return ""
	}
	return "http://" + m.admin.Addr().String()
}

// Close stops the listeners, the change feed and the database.
func (m *GateMain) Close() error {
	var err error
	m.close.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range m.srvs {
			if serr := s.Shutdown(ctx); err == nil {
				err = serr
			}
		}
		if m.fast != nil {
			if serr := m.fast.Shutdown(ctx); err == nil {
				err = serr
			}
		}
		if m.stop != nil {
			m.stop()
			m.Gate.Wait()
		}
		if m.db != nil {
			if cerr := m.db.Close(); err == nil {
				err = cerr
			}
		}
	})
	return err
}

// gateSettings are the flags of `beian gate`.
type gateSettings struct {
	addr, db, upstream, admin, trusted, cert, key, logLevel string
	proxy, netHTTP                                          bool
	poll                                                    time.Duration
	synthetic                                               int
	synHosts                                                string
}

func (s *gateSettings) flags(fs *flag.FlagSet) {
	fs.StringVar(&s.addr, "addr", "127.0.0.1:8082", "listen `address` (host:port)")
	fs.StringVar(&s.db, "db", "sqlite://./beian.db", "the provider's database `URL` (read only): sqlite://PATH or postgres://…")
	fs.BoolVar(&s.proxy, "proxy", false, "be a reverse proxy: forward served hosts to --upstream, answer the others with the block page")
	fs.StringVar(&s.upstream, "upstream", "", "with --proxy: the upstream `URL`, e.g. http://127.0.0.1:8000")
	fs.StringVar(&s.admin, "admin-addr", "", "with --proxy: also serve /gate/auth, /api/v1/gate/check, /readyz and /metrics on this `address`")
	fs.StringVar(&s.trusted, "trusted-proxies", "127.0.0.1/32,::1/128", "comma-separated `CIDRs` whose X-Original-Host / X-Forwarded-Host are believed")
	fs.StringVar(&s.cert, "tls-cert", "", "terminate TLS with this certificate `file` (PEM; with --tls-key)")
	fs.StringVar(&s.key, "tls-key", "", "the TLS private key `file` (PEM)")
	fs.DurationVar(&s.poll, "poll", gate.DefaultPoll, "change feed poll `interval`")
	fs.StringVar(&s.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.BoolVar(&s.netHTTP, "net-http", false, "serve with Go's net/http instead of fasthttp (which serves the gate's own listener without --proxy and TLS)")
	fs.IntVar(&s.synthetic, "synthetic", 0, "benchmarks only: serve `N` synthetic domains and no database")
	fs.StringVar(&s.synHosts, "synthetic-hosts", "", "benchmarks only: write request hosts over the synthetic domains to this `file`")
}

// main validates the settings into a GateMain, each error saying how to fix it.
func (s *gateSettings) main(e *env) (*GateMain, error) {
	dsn, err := sqlstore.ParseDSN(s.db)
	if err != nil {
		return nil, usagef("beian gate: --db: %v", err)
	}
	for _, a := range []string{s.addr, s.admin} {
		if _, _, err := net.SplitHostPort(a); a != "" && err != nil {
			return nil, usagef("beian gate: address %q is not host:port (e.g. 127.0.0.1:8082 or :8082)", a)
		}
	}
	m := &GateMain{Addr: s.addr, DB: dsn, Proxy: s.proxy, AdminAddr: s.admin, TLSCert: s.cert, TLSKey: s.key, Poll: s.poll,
		Synthetic: s.synthetic, SyntheticHosts: s.synHosts, NetHTTP: s.netHTTP}
	if s.proxy {
		u, err := url.Parse(s.upstream)
		if s.upstream == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("beian gate: --proxy needs --upstream with an http(s) URL, e.g. --upstream http://127.0.0.1:8000")
		}
		m.Upstream = u
	} else if s.upstream != "" || s.admin != "" {
		return nil, usagef("beian gate: --upstream and --admin-addr go with --proxy")
	}
	if (s.cert == "") != (s.key == "") {
		return nil, usagef("beian gate: --tls-cert and --tls-key go together")
	}
	for _, part := range strings.Split(s.trusted, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return nil, usagef("beian gate: --trusted-proxies: %q is neither a CIDR (10.0.0.0/8) nor an address", part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		m.TrustedProxies = append(m.TrustedProxies, p.Masked())
	}
	if m.TrustedProxies == nil {
		m.TrustedProxies = []netip.Prefix{} // none trusted: only Host counts
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.logLevel)); err != nil {
		return nil, usagef("beian gate: --log-level %q: use debug, info, warn or error", s.logLevel)
	}
	m.Log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	return m, nil
}

// gateCommand is `beian gate` (API.md).
func gateCommand() *command {
	s := &gateSettings{}
	return &command{
		name:    "gate",
		summary: "run the edge lookup service alone",
		usage:   "[--addr 127.0.0.1:8082] [--db URL] [--proxy --upstream URL [--admin-addr ADDR]] [--trusted-proxies CIDRs] [--tls-cert F --tls-key F]",
		flags:   s.flags,
		run: func(e *env, fs *flag.FlagSet) error {
			m, err := s.main(e)
			if err != nil {
				return err
			}
			if err := m.Run(e.ctx); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "beian gate: listening on %s (Ctrl-C to stop)\n", m.URL())
			select {
			case <-e.ctx.Done():
			case err := <-m.done:
				if err != nil {
					m.Close()
					return err
				}
			}
			return m.Close()
		},
	}
}
