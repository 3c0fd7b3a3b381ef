package gate

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/beian/beian"
)

// Host normalisation (Rule GATE-1): ports, case, trailing dots, IDN, IPv6
// literals, over-long hosts, empty and garbage hosts.
func TestNormalizeHost(t *testing.T) {
	long := strings.Repeat("a.", 126) + "cn" // 254 bytes
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"OK", "www.example.com", "www.example.com", true},
		{"OKPort", "www.example.com:8443", "www.example.com", true},
		{"OKEmptyPort", "example.com:", "example.com", true},
		{"OKUpper", "WWW.Example.COM", "www.example.com", true},
		{"OKTrailingDot", "example.com.", "example.com", true},
		{"OKTrailingDotPort", "Example.com.:80", "example.com", true},
		{"OKIDN", "例子.中国", "xn--fsqu00a.xn--fiqs8s", true},
		{"OKIDNUpper", "BÜCHER.example", "xn--bcher-kva.example", true},
		{"OKIDNFullWidthDot", "例子。中国", "xn--fsqu00a.xn--fiqs8s", true},
		{"OKPunycode", "xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s", true},
		{"OKUnderscore", "my_app.example.com", "my_app.example.com", true},
		{"OKForwardedList", "a.example.com, proxy.internal", "a.example.com", true},
		{"OKSpaces", "  example.com ", "example.com", true},
		{"OKMax", strings.Repeat("a.", 125) + "cn", strings.Repeat("a.", 125) + "cn", true},
		{"ErrEmpty", "", "", false},
		{"ErrOnlyPort", ":80", "", false},
		{"ErrIPv6Literal", "[::1]:8080", "", false},
		{"ErrIPv6Bare", "2001:db8::1", "", false},
		{"ErrIPv4", "192.0.2.1", "", false},
		{"ErrIPv4Port", "192.0.2.1:80", "", false},
		{"ErrTooLong", long, "", false},
		{"ErrLabelTooLong", strings.Repeat("a", 64) + ".cn", "", false},
		{"ErrEmptyLabel", "a..example.com", "", false},
		{"ErrLeadingDot", ".example.com", "", false},
		{"ErrTwoTrailingDots", "example.com..", "", false},
		{"ErrSlash", "example.com/path", "", false},
		{"ErrAt", "user@example.com", "", false},
		{"ErrBadPort", "example.com:http", "", false},
		{"ErrControl", "exa\x00mple.com", "", false},
		{"ErrBadIDN", "a\u200d.com", "", false},
		{"ErrDot", ".", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := normalizeHost(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("normalizeHost(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func testGate(t testing.TB, rows map[string]beian.GateReason) *Gate {
	t.Helper()
	g := New(Options{})
	var cs []beian.ServableChange
	for d, r := range rows {
		num := ""
		if r != beian.GatePending {
			num = "浙ICP备2026000001号-1"
		}
		cs = append(cs, beian.ServableChange{Domain: d, Reason: r, WebsiteNumber: num})
	}
	g.Apply(cs)
	return g
}

// Subdomains follow their registrable domain; every reason of API.md
// comes back; what the index does not hold is unfiled (Rules GATE-1, GATE-2).
func TestCheck(t *testing.T) {
	g := testGate(t, map[string]beian.GateReason{
		"example.com": beian.GateServed, "example.co.uk": beian.GateServed, "xn--fsqu00a.xn--fiqs8s": beian.GateServed,
		"pending.cn": beian.GatePending, "gone.cn": beian.GateAccessCancelled, "dead.cn": beian.GateCancelled, "late.cn": beian.GateLapsed,
	})
	for _, tc := range []struct {
		host, domain string
		reason       beian.GateReason
	}{
		{"example.com", "example.com", beian.GateServed},
		{"www.example.com", "example.com", beian.GateServed},
		{"a.b.c.example.com:443", "example.com", beian.GateServed},
		{"WWW.EXAMPLE.COM.", "example.com", beian.GateServed},
		{"shop.example.co.uk", "example.co.uk", beian.GateServed},
		{"www.例子.中国", "xn--fsqu00a.xn--fiqs8s", beian.GateServed},
		{"co.uk", "", beian.GateUnfiled},
		{"com", "", beian.GateUnfiled},
		{"example.org", "", beian.GateUnfiled},
		{"notexample.com", "", beian.GateUnfiled},
		{"example.com.evil.cn", "", beian.GateUnfiled},
		{"www.pending.cn", "pending.cn", beian.GatePending},
		{"gone.cn", "gone.cn", beian.GateAccessCancelled},
		{"dead.cn", "dead.cn", beian.GateCancelled},
		{"m.late.cn", "late.cn", beian.GateLapsed},
		{"[::1]", "", beian.GateUnfiled},
		{"", "", beian.GateUnfiled},
	} {
		t.Run(tc.host, func(t *testing.T) {
			r := g.Check(tc.host)
			if r.Reason != tc.reason || r.Domain != tc.domain || r.Allowed != (tc.reason == beian.GateServed) {
				t.Errorf("Check(%q) = %+v, want %s under %q", tc.host, r, tc.reason, tc.domain)
			}
		})
	}
	d := g.Detail("www.example.com")
	if d.WebsiteNumber != "浙ICP备2026000001号-1" || d.Registrable != "example.com" || !d.Allowed {
		t.Errorf("Detail = %+v", d)
	}
	if d := g.Detail("www.unknown.com.cn"); d.Registrable != "unknown.com.cn" || d.Allowed || d.Reason != beian.GateUnfiled {
		t.Errorf("Detail unfiled = %+v", d)
	}
	// Apply removes with reason unfiled and changes reasons at once.
	g.Apply([]beian.ServableChange{{Domain: "example.com", Reason: beian.GateAccessCancelled}, {Domain: "example.co.uk", Reason: beian.GateUnfiled}})
	if r := g.Check("www.example.com"); r.Reason != beian.GateAccessCancelled {
		t.Errorf("after cancel: %+v", r)
	}
	if r := g.Check("example.co.uk"); r.Reason != beian.GateUnfiled {
		t.Errorf("after removal: %+v", r)
	}
}

// A normalised host costs no allocation.
func TestCheckDoesNotAllocate(t *testing.T) {
	g := testGate(t, map[string]beian.GateReason{"example.com": beian.GateServed})
	for _, host := range []string{"www.example.com", "deep.sub.unknown.cn", "example.com:8080"} {
		if n := testing.AllocsPerRun(100, func() { g.Check(host) }); n != 0 {
			t.Errorf("Check(%q): %v allocations", host, n)
		}
	}
}

// checkRef is Check as two passes: normalise, then walk.
func checkRef(g *Gate, host string) Result {
	h, ok := normalizeHost(host)
	if !ok {
		return Result{Reason: beian.GateUnfiled}
	}
	code, _, domain := g.ix.Load().match(h)
	return Result{Host: h, Domain: domain, Allowed: code == codeServed, Reason: reasons[code]}
}

// Check's one pass (the walk checks the host as it packs it) answers
// exactly what normalising first and walking then answers (Rule GATE-1),
// for hosts built of what matters to the check: upper case, digits and
// numeric last labels, dots side by side and at either end, ports,
// characters outside the alphabet, labels around 63 characters, hosts
// around 253, names longer than the 23 characters a table entry packs.
func TestCheckOnePass(t *testing.T) {
	l63, l64 := strings.Repeat("a", 63), strings.Repeat("a", 64)
	domains := map[string]beian.GateReason{"example.com": beian.GateServed, "ab.cn": beian.GatePending, "a.b": beian.GateServed,
		"xn--fsqu00a.xn--fiqs8s": beian.GateServed, "averyveryverylongname-of-a-domain.com.cn": beian.GateServed,
		l63 + ".com": beian.GateServed, "x1.cn": beian.GateLapsed, "9.cn": beian.GateCancelled}
	g := testGate(t, domains)
	hosts := []string{"www.example.com", "example.com.", "example.com..", ".example.com", "www..example.com", "Example.com", ".cn", ".cn.", "..cn",
		"example.com:80", "1.2.3.4", "www.9.cn", "a.b", "a.b.", ".", "", "localhost", "LOCALHOST", "123", "a-.cn", "_x.ab.cn",
		l63 + ".com", l64 + ".com", l63 + "." + l63 + ".com", l64 + ".example.com", "www." + l64 + ".example.com",
		strings.Repeat("a.", 125) + "ab.cn", strings.Repeat("a.", 126) + "ab.cn", strings.Repeat("a.", 125) + "ab.cn.",
		"img.cdn.averyveryverylongname-of-a-domain.com.cn", "x.averyveryverylongname-of-a-domain.com.cn:443",
		"例子.中国", "www.xn--fsqu00a.xn--fiqs8s", "exa\x80mple.com", "a.example.com, b.example.com", " example.com"}
	names := make([]string, 0, len(domains))
	for d := range domains {
		names = append(names, d)
	}
	const odd = "abz09-_.A:/ ,\x80\xff."
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		var b strings.Builder
		for range r.IntN(4) {
			for range 1 + r.IntN(6) {
				if r.IntN(5) == 0 {
					b.WriteByte(odd[r.IntN(len(odd))])
				} else {
					b.WriteByte("abcxy0"[r.IntN(6)])
				}
			}
			b.WriteByte('.')
		}
		if r.IntN(4) != 0 {
			b.WriteString(names[r.IntN(len(names))])
		} else {
			b.WriteString("cn")
		}
		if r.IntN(8) == 0 {
			b.WriteString([]string{".", "..", ":80", "."}[r.IntN(4)])
		}
		hosts = append(hosts, b.String())
	}
	for _, h := range hosts {
		if got, want := g.Check(h), checkRef(g, h); got != want {
			t.Fatalf("Check(%q) = %+v; normalising first gives %+v", h, got, want)
		}
	}
}
