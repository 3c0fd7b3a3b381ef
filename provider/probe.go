package provider

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/beian/beian"
)

// Prober fetches a domain's site for the precheck's probe (Rule WEB-5).
// The zero value uses the system resolver and port 80.
type Prober struct {
	// Lookup resolves a host name; nil: net.DefaultResolver.LookupNetIP.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// Port is the TCP port fetched; "": 80.
	Port string
	// Timeout bounds one fetch; 0: 3 seconds.
	Timeout time.Duration
	// MaxBody is how much of the page is read; 0: 64 KiB.
	MaxBody int64
}

// ProbeJSON is the probe's finding for one host.
type ProbeJSON struct {
	Host string `json:"host"`
	// Outcome is "live" (a real site answers: a problem, Rule WEB-5),
	// "placeholder" (an under-construction or default server page),
	// "unreachable" (no answer, or an error status) or "refused" (the
	// name resolves to a private, loopback or link-local address).
	Outcome string `json:"outcome"`
	Status  int    `json:"status,omitempty"`
}

// placeholderPhrases mark pages tolerated before numbering: "under
// construction" pages and web servers' default pages (Rule WEB-5).
var placeholderPhrases = []string{
	"建设中", "正在建设", "建设之中", "敬请期待", "即将上线", "备案中",
	"under construction", "coming soon", "site is being built",
	"welcome to nginx", "it works!", "apache2 ubuntu default page", "apache2 debian default page",
	"test page for the apache", "iis windows server", "welcome to centos", "test page for the nginx",
	"default web site page", "this is the default welcome page",
}

// errRefused is a destination the probe must not reach (no SSRF).
var errRefused = errors.New("probe: address not allowed")

// probe fetches http://host/ (host a domain of the form) and says what
// answered. Every address the name resolves to is checked and the connection
// goes to a checked address, so a second resolution cannot point it
// elsewhere (no DNS rebinding); private, loopback, link-local and other
// non-public addresses are refused unless allowPrivate.
func (p *Prober) probe(ctx context.Context, host string, allowPrivate bool) ProbeJSON {
	out := ProbeJSON{Host: host}
	timeout, maxBody, port := p.Timeout, p.MaxBody, p.Port
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	if maxBody <= 0 {
		maxBody = 64 << 10
	}
	if port == "" {
		port = "80"
	}
	lookup := p.Lookup
	if lookup == nil {
		lookup = func(ctx context.Context, h string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", h)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addrs, err := lookup(ctx, host)
	if err != nil || len(addrs) == 0 {
		out.Outcome = "unreachable"
		return out
	}
	for _, a := range addrs {
		if !allowPrivate && !publicAddr(a) {
			out.Outcome = "refused"
			return out
		}
	}
	target := net.JoinHostPort(addrs[0].Unmap().String(), port)
	tr := &http.Transport{
		Proxy: nil, // never through a proxy: the checked address is the one dialled
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, target)
		},
		DisableKeepAlives:     true,
		ResponseHeaderTimeout: timeout,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: timeout,
		// A redirect is an answer: a live site redirects, and following it
		// would reach an address that was not checked.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
	if err != nil {
		out.Outcome = "unreachable"
		return out
	}
	req.Header.Set("User-Agent", "beian-precheck-probe/1")
	resp, err := client.Do(req)
	if err != nil {
		out.Outcome = "unreachable"
		return out
	}
	defer resp.Body.Close()
	out.Status = resp.StatusCode
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		out.Outcome = "live"
	case resp.StatusCode >= 400:
		out.Outcome = "unreachable"
	case placeholderPage(body):
		out.Outcome = "placeholder"
	default:
		out.Outcome = "live"
	}
	return out
}

// placeholderPage reports whether a page is empty, an "under construction"
// page or a web server's default page.
func placeholderPage(body []byte) bool {
	text := strings.ToLower(strings.TrimSpace(string(body)))
	if text == "" {
		return true
	}
	for _, p := range placeholderPhrases {
		if strings.Contains(text, p) {
			return true
		}
	}
	return false
}

// publicAddr reports whether a is a public unicast address: not private,
// loopback, link-local, unspecified, multicast, carrier-grade NAT, or the
// IPv4-mapped or NAT64 form of one.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// nonPublic are ranges IsGlobalUnicast accepts that are not the public
// Internet.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64 (embeds any IPv4 address)
	netip.MustParsePrefix("64:ff9b:1::/48"), // local NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("0.0.0.0/8"),      // this network
	netip.MustParsePrefix("192.88.99.0/24"), // 6to4 relay
	netip.MustParsePrefix("2002::/16"),      // 6to4 (embeds any IPv4 address)
}

// probeSites probes each domain and its www host (Rule WEB-5) and returns
// the findings and, for each domain with a live site or a refused address,
// a problem at the domain's path.
func (s *Service) probeSites(ctx context.Context, domains, paths []string) ([]ProbeJSON, beian.Problems) {
	p := s.Prober
	if p == nil {
		p = &Prober{}
	}
	var out []ProbeJSON
	var ps beian.Problems
	for i, d := range domains {
		live, refused := false, false
		for _, host := range []string{d, "www." + d} {
			r := p.probe(ctx, host, s.Options.ProbeAllowPrivate)
			out = append(out, r)
			live = live || r.Outcome == "live"
			refused = refused || r.Outcome == "refused"
		}
		switch {
		case live:
			ps.Add("precheck.site_live", "WEB-5", paths[i], "domain", unicodeOf(d))
		case refused:
			ps.Add("precheck.probe_refused", "WEB-5", paths[i], "domain", unicodeOf(d))
		}
	}
	return out, ps
}
