// Package gate is the access gate at the provider's edge (Rules GATE-1,
// GATE-2): an in-memory index of every servable-domain row, looked up by
// host, kept fresh from the provider's servable-domain change log, and
// served as /gate/auth (for nginx auth_request, Caddy forward_auth,
// Traefik ForwardAuth, Envoy ext_authz), /api/v1/gate/check, a block page,
// and a reverse proxy. It reads only the provider's servable_domains and
// servable_changes tables, never the registry's, and keeps answering from
// its last index while the database is away (fail static).
package gate

import (
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// Defaults of Options.
const (
	DefaultPoll       = 500 * time.Millisecond // change feed poll: well inside GATE-1's 2 seconds
	DefaultGapTimeout = 2 * time.Minute        // how long a missing seq is waited for
	DefaultBlockLog   = time.Second            // at most one block log line per reason per interval
)

// Options configure a Gate.
type Options struct {
	// DB is the provider's database; the gate only reads servable_domains
	// and servable_changes. Nil runs the gate on Apply alone (tests).
	DB    *sqlstore.DB
	Clock beian.Clock  // staleness, gap time-outs, log sampling; default the system clock
	Log   *slog.Logger // default discards
	// Poll is the change feed's interval (default DefaultPoll).
	Poll time.Duration
	// GapTimeout bounds how long a change seq that is missing between
	// seen ones (an uncommitted or rolled-back PostgreSQL transaction) is
	// looked for again (default DefaultGapTimeout).
	GapTimeout time.Duration
	// TrustedProxies are the addresses whose X-Original-Host and
	// X-Forwarded-Host are believed; default loopback only.
	TrustedProxies []netip.Prefix
	// BlockLog is the log sampling interval of blocks (default DefaultBlockLog).
	BlockLog time.Duration
}

// Result is the gate's answer for one host (Rule GATE-1).
type Result struct {
	Host    string           // the normalised host; "" when it is no valid host name
	Domain  string           // the registrable domain the index holds for it; "" when none
	Allowed bool             // reason is served
	Reason  beian.GateReason // API.md gate reason
}

// Gate is the access gate. Its methods are safe for concurrent use.
type Gate struct {
	opts    Options
	metrics *Metrics
	pages   *pages

	// mu serialises the writers of the index (Apply, the feed, a new
	// snapshot); checks read ix without it (see index).
	mu   sync.Mutex
	ix   atomic.Pointer[index]
	pins map[string]pin // domains set by Apply that the feed has not caught up with

	ready     atomic.Bool
	synced    atomic.Int64 // unix microseconds of the last successful read from the database
	offline   atomic.Int64 // unix microseconds since the database is unreachable; 0 when reachable
	blockLogs [8]atomic.Int64
	blockSkip [8]atomic.Int64
	done      chan struct{}
}

type pin struct {
	seq int64
	at  time.Time
}

// New returns a gate with an empty index; Start loads it.
func New(opts Options) *Gate {
	if opts.Clock == nil {
		opts.Clock = beian.SystemClock
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.GapTimeout <= 0 {
		opts.GapTimeout = DefaultGapTimeout
	}
	if opts.BlockLog <= 0 {
		opts.BlockLog = DefaultBlockLog
	}
	if opts.TrustedProxies == nil {
		opts.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	g := &Gate{opts: opts, pins: map[string]pin{}, done: make(chan struct{})}
	g.ix.Store(newIndex(0))
	g.metrics = newMetrics(g)
	g.pages = mustPages()
	if opts.DB == nil {
		g.ready.Store(true)
		g.synced.Store(opts.Clock.Now().UnixMicro())
	}
	return g
}

// Check answers whether host may be served here (Rule GATE-1). host is a
// Host header, X-Forwarded-Host value or TLS server name; it is
// normalised (normalizeHost), then its labels are walked to the registrable
// domain. It does not allocate for a host that is already lower-case ASCII
// without a port.
func (g *Gate) Check(host string) Result {
	// Most hosts come normalised already: walked and checked in one pass.
	h := host
	if n := len(h); n > 0 && h[n-1] == '.' {
		h = h[:n-1]
	}
	if len(h) > 0 && len(h) <= MaxHost {
		if code, domain, valid := g.ix.Load().matchHost(h); valid {
			g.metrics.count(code)
			return Result{Host: h, Domain: domain, Allowed: code == codeServed, Reason: reasons[code]}
		}
	}
	h, ok := normalizeHost(host)
	if !ok {
		g.metrics.count(codeEmpty)
		return Result{Reason: beian.GateUnfiled}
	}
	code, _, domain := g.ix.Load().match(h)
	g.metrics.count(code)
	return Result{Host: h, Domain: domain, Allowed: code == codeServed, Reason: reasons[code]}
}

// Detail is the answer of GET /api/v1/gate/check (API.md).
type Detail struct {
	Host          string           `json:"host"`
	Registrable   string           `json:"registrable_domain"`
	Allowed       bool             `json:"allowed"`
	Reason        beian.GateReason `json:"reason"`
	WebsiteNumber string           `json:"website_number"`
}

// Detail is Check with the website number, and the registrable domain of
// hosts the index does not hold (validate.Registrable).
func (g *Gate) Detail(host string) Detail {
	h, ok := normalizeHost(host)
	if !ok {
		g.metrics.count(codeEmpty)
		return Detail{Reason: beian.GateUnfiled}
	}
	code, domain, number := g.ix.Load().matchNumber(h)
	g.metrics.count(code)
	if domain == "" {
		if d, ok := validate.Registrable(nil, h); ok {
			domain = d.ASCII
		}
	}
	return Detail{Host: h, Registrable: domain, Allowed: code == codeServed, Reason: reasons[code], WebsiteNumber: number}
}

// Apply applies changes at once (Rule GATE-1: a change applies at once in
// the process that makes it); the provider store calls it after the
// transaction that made them commits. Reason unfiled removes the domain.
// The change feed later confirms each change from the database; until it
// has seen a change's seq, it does not overwrite what Apply set.
func (g *Gate) Apply(changes []beian.ServableChange) {
	if len(changes) == 0 {
		return
	}
	now := g.opts.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range changes {
		g.applyLocked(c.Domain, c.Reason, c.WebsiteNumber)
		if c.Seq > 0 && g.opts.DB != nil {
			if p, ok := g.pins[c.Domain]; !ok || p.seq < c.Seq {
				g.pins[c.Domain] = pin{seq: c.Seq, at: now}
			}
		}
	}
	g.ix.Load().compact()
	g.metrics.changes.Add(float64(len(changes)))
}

// applyLocked sets or removes one domain; g.mu is held.
func (g *Gate) applyLocked(domain string, reason beian.GateReason, number string) {
	if code, ok := reasonCode(reason); ok {
		g.ix.Load().set(domain, code, number)
	} else {
		g.ix.Load().remove(domain)
	}
}

// Size returns the number of domains in the index and its memory in bytes.
func (g *Gate) Size() (domains, bytes int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ix := g.ix.Load()
	return ix.n, ix.memBytes()
}

// Ready reports whether the first snapshot has loaded.
func (g *Gate) Ready() bool { return g.ready.Load() }

// Staleness is how long ago the gate last read the database successfully.
func (g *Gate) Staleness() time.Duration {
	s := g.synced.Load()
	if s == 0 {
		return 0
	}
	return g.opts.Clock.Now().Sub(time.UnixMicro(s))
}

// logBlock logs a block, at most once per reason per BlockLog interval,
// with the number of blocks not logged since (sampled logging).
func (g *Gate) logBlock(r Result, code uint8) {
	now := g.opts.Clock.Now().UnixMicro()
	last := g.blockLogs[code].Load()
	if now-last < g.opts.BlockLog.Microseconds() || !g.blockLogs[code].CompareAndSwap(last, now) {
		g.blockSkip[code].Add(1)
		return
	}
	// Copies: the host may alias a request buffer that is reused afterwards (fastHost).
	g.opts.Log.Info("gate blocked", "host", strings.Clone(r.Host), "domain", strings.Clone(r.Domain), "reason", string(r.Reason),
		"unlogged_before", g.blockSkip[code].Swap(0))
}
