package gate

import (
	"strings"
	"testing"

	"github.com/beian/beian"
)

// FuzzCheck: any Host value is answered without panicking; a normalised
// host is lower-case ASCII within the limits and normalises to itself; a
// served host lies at or under a served domain (Rule GATE-1).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"www.example.com", "EXAMPLE.com.:80", "例子.中国", "[::1]:80", "", ":", "a..b", "xn--", "xn--fsqu00a.xn--fiqs8s",
		"a.example.com, b", strings.Repeat("a.", 130), "\x00", "ＥＸＡＭＰＬＥ．ｃｏｍ", "1.2.3.4", "example.com:99999999999"} {
		f.Add(s)
	}
	g := testGate(f, map[string]beian.GateReason{"example.com": beian.GateServed, "xn--fsqu00a.xn--fiqs8s": beian.GateServed, "pending.cn": beian.GatePending})
	f.Fuzz(func(t *testing.T, host string) {
		r := g.Check(host)
		if want := checkRef(g, host); r != want {
			t.Fatalf("Check(%q) = %+v; normalising first gives %+v", host, r, want)
		}
		if r.Allowed != (r.Reason == beian.GateServed) {
			t.Fatalf("Check(%q) = %+v: allowed and reason disagree", host, r)
		}
		h, ok := normalizeHost(host)
		if !ok {
			if r.Allowed || r.Host != "" {
				t.Fatalf("invalid host %q: %+v", host, r)
			}
			return
		}
		if len(h) > MaxHost || h != strings.ToLower(h) || asciiHost(h) != hostOK {
			t.Fatalf("normalizeHost(%q) = %q: not a normalised host", host, h)
		}
		if again, ok := normalizeHost(h); !ok || again != h {
			t.Fatalf("normalizeHost(%q) = %q, but again %q, %v", host, h, again, ok)
		}
		if r.Allowed && r.Domain != "example.com" && r.Domain != "xn--fsqu00a.xn--fiqs8s" {
			t.Fatalf("Check(%q) served under %q", host, r.Domain)
		}
		if r.Domain != "" && h != r.Domain && !strings.HasSuffix(h, "."+r.Domain) {
			t.Fatalf("Check(%q): host %q is not under %q", host, h, r.Domain)
		}
	})
}
