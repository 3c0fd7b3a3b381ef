package validate

import (
	"slices"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
)

// webWantCodes fails unless ps holds exactly the codes want, in order, each
// with the rule ID webCodes gives it.
func webWantCodes(tb testing.TB, ps beian.Problems, want ...string) {
	tb.Helper()
	var got []string
	for _, p := range ps {
		got = append(got, p.Code)
		if rule, ok := webCodes[p.Code]; !ok || rule != p.Rule {
			tb.Errorf("problem %s: rule %q, webCodes has %q (listed: %v)", p.Code, p.Rule, rule, ok)
		}
	}
	if !slices.Equal(got, want) {
		tb.Errorf("codes = %v, want %v", got, want)
	}
}

// webSpreadHan returns n distinct, spread-out CJK characters, whose
// punycode does not compress.
func webSpreadHan(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteRune(rune(0x4E00 + 997*i))
	}
	return b.String()
}

// webProblem returns the first problem with the code.
func webProblem(tb testing.TB, ps beian.Problems, code string) beian.Problem {
	tb.Helper()
	for _, p := range ps {
		if p.Code == code {
			return p
		}
	}
	tb.Fatalf("no problem %s in %v", code, ps)
	return beian.Problem{}
}

func TestNormalizeDomain(t *testing.T) { // Rule WEB-4
	ref := refdata.Default()
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		name    string
		in      string
		ascii   string
		unicode string
		codes   []string
		suggest string
	}{
		{name: "OK", in: "example.com", ascii: "example.com", unicode: "example.com"},
		{name: "OKIDN", in: "例子.中国", ascii: "xn--fsqu00a.xn--fiqs8s", unicode: "例子.中国"},
		{name: "OKPunycodeInput", in: "xn--fsqu00a.xn--fiqs8s", ascii: "xn--fsqu00a.xn--fiqs8s", unicode: "例子.中国"},
		{name: "OKUpperPunycode", in: "XN--FSQU00A.XN--FIQS8S", ascii: "xn--fsqu00a.xn--fiqs8s", unicode: "例子.中国"},
		{name: "OKIDNCompany", in: "例子.公司", ascii: "xn--fsqu00a.xn--55qx5d", unicode: "例子.公司"},
		{name: "OKMixedForms", in: "xn--fsqu00a.中国", ascii: "xn--fsqu00a.xn--fiqs8s", unicode: "例子.中国"},
		{name: "OKIdeographicDot", in: "例子。中国", ascii: "xn--fsqu00a.xn--fiqs8s", unicode: "例子.中国"},
		{name: "OKFullWidthDot", in: "example．com", ascii: "example.com", unicode: "example.com"},
		{name: "OKHalfWidthIdeographicDot", in: "example｡cn", ascii: "example.cn", unicode: "example.cn"},
		{name: "OKFullWidthLetters", in: "ｅｘａｍｐｌｅ．ｃｏｍ", ascii: "example.com", unicode: "example.com"},
		{name: "OKUpperCase", in: "EXAMPLE.Com", ascii: "example.com", unicode: "example.com"},
		{name: "OKTrailingDot", in: "example.com.", ascii: "example.com", unicode: "example.com"},
		{name: "OKSpaces", in: "  example.cn\u3000", ascii: "example.cn", unicode: "example.cn"},
		{name: "OKComCn", in: "example.com.cn", ascii: "example.com.cn", unicode: "example.com.cn"},
		{name: "OKGovCn", in: "beijing.gov.cn", ascii: "beijing.gov.cn", unicode: "beijing.gov.cn"},
		{name: "OKDigitsAndHyphen", in: "123-go.net", ascii: "123-go.net", unicode: "123-go.net"},
		{name: "OKLongLabel", in: long63 + ".com", ascii: long63 + ".com", unicode: long63 + ".com"},
		{name: "ErrRequired", in: "  ", codes: []string{"web.domain_required"}},
		{name: "ErrRequiredDotOnly", in: "。", codes: []string{"web.domain_required"}},
		{name: "ErrIP", in: "192.168.1.1", codes: []string{"web.domain_ip"}},
		{name: "ErrIPv6", in: "[2001:db8::1]", codes: []string{"web.domain_ip"}},
		{name: "ErrURL", in: "http://example.com", codes: []string{"web.domain_url"}},
		{name: "ErrURLPath", in: "example.com/index.html", codes: []string{"web.domain_url"}},
		{name: "ErrURLPort", in: "example.com:8080", codes: []string{"web.domain_url"}},
		{name: "ErrInvalidSpace", in: "exa mple.com", codes: []string{"web.domain_invalid"}},
		{name: "ErrInvalidUnderscore", in: "a_b.com", codes: []string{"web.domain_invalid"}},
		{name: "ErrInvalidEmptyLabel", in: "example..com", codes: []string{"web.domain_invalid"}},
		{name: "ErrInvalidLeadingHyphen", in: "-example.com", codes: []string{"web.domain_invalid"}},
		{name: "ErrInvalidPunycode", in: "xn--abc.com", codes: []string{"web.domain_invalid"}},
		{name: "ErrInvalidEmptyPunycode", in: "xn--.cn", codes: []string{"web.domain_invalid"}},
		{name: "ErrInvalidTwoTrailingDots", in: "example.com..", codes: []string{"web.domain_invalid"}},
		{name: "ErrTLDNotApprovedIO", in: "example.io", codes: []string{"web.domain_tld_not_approved"}},
		{name: "ErrTLDUnknown", in: "example.zzz", codes: []string{"web.domain_tld_not_approved"}},
		{name: "ErrPrivateSuffix", in: "myname.github.io", codes: []string{"web.domain_tld_not_approved", "web.domain_private_suffix"}},
		{name: "ErrPrivateSuffixApprovedTLD", in: "myblog.blogspot.com", codes: []string{"web.domain_private_suffix"}},
		{name: "ErrPrivateSuffixItself", in: "github.io", codes: []string{"web.domain_tld_not_approved", "web.domain_private_suffix"}},
		{name: "ErrPublicSuffix", in: "com.cn", codes: []string{"web.domain_public_suffix"}},
		{name: "ErrPublicSuffixTLD", in: "cn", codes: []string{"web.domain_public_suffix"}},
		{name: "ErrSubdomain", in: "www.example.com", codes: []string{"web.domain_subdomain"}, suggest: "example.com"},
		{name: "ErrSubdomainComCn", in: "WWW.Example.com.cn.", codes: []string{"web.domain_subdomain"}, suggest: "example.com.cn"},
		{name: "ErrSubdomainIDN", in: "www.例子.中国", codes: []string{"web.domain_subdomain"}, suggest: "例子.中国"},
		{name: "ErrSubdomainAndTLD", in: "a.b.example.io", codes: []string{"web.domain_tld_not_approved", "web.domain_subdomain"}, suggest: "example.io"},
		{name: "ErrLabelTooLong", in: long63 + "a.com", codes: []string{"web.domain_label_too_long"}},
		{name: "ErrTooLong", in: strings.Repeat(long63+".", 4) + "com",
			codes: []string{"web.domain_too_long", "web.domain_subdomain"}, suggest: long63 + ".com"},
		{name: "ErrIDNLabelTooLong", in: webSpreadHan(20) + ".cn", codes: []string{"web.domain_label_too_long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ps := NormalizeDomain(ref, tt.in)
			webWantCodes(t, ps, tt.codes...)
			for _, p := range ps {
				if p.Field != "" {
					t.Errorf("%s: field %q, want \"\"", p.Code, p.Field)
				}
			}
			if d.ASCII != tt.ascii || d.Unicode != tt.unicode {
				t.Errorf("domain = %+v, want {%s %s}", d, tt.ascii, tt.unicode)
			}
			if tt.suggest != "" {
				if got := webProblem(t, ps, "web.domain_subdomain").Args["suggest"]; got != tt.suggest {
					t.Errorf("suggest = %q, want %q", got, tt.suggest)
				}
			}
		})
	}
}

func TestNormalizeDomainArgs(t *testing.T) { // Rule WEB-4
	ref := refdata.Default()
	_, ps := NormalizeDomain(ref, "www.例子.中国")
	p := webProblem(t, ps, "web.domain_subdomain")
	if p.Args["suggest_ascii"] != "xn--fsqu00a.xn--fiqs8s" {
		t.Errorf("suggest_ascii = %q", p.Args["suggest_ascii"])
	}
	_, ps = NormalizeDomain(ref, "example.io")
	if got := webProblem(t, ps, "web.domain_tld_not_approved").Args["tld"]; got != ".io" {
		t.Errorf("tld = %q, want .io", got)
	}
	_, ps = NormalizeDomain(ref, "me.github.io")
	if got := webProblem(t, ps, "web.domain_private_suffix").Args["suffix"]; got != "github.io" {
		t.Errorf("suffix = %q, want github.io", got)
	}
}

func TestRegistrable(t *testing.T) { // Rules QRY-1, GATE-1
	ref := refdata.Default()
	tests := []struct {
		name  string
		host  string
		ascii string // "" when not registrable
		uni   string
	}{
		{"OKItself", "example.com", "example.com", "example.com"},
		{"OKSubdomain", "www.example.com", "example.com", "example.com"},
		{"OKDeepSubdomain", "a.b.c.example.com.cn", "example.com.cn", "example.com.cn"},
		{"OKUpperTrailingDot", "WWW.EXAMPLE.COM.", "example.com", "example.com"},
		{"OKIDN", "www.例子.中国", "xn--fsqu00a.xn--fiqs8s", "例子.中国"},
		{"OKPunycode", "shop.xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s", "例子.中国"},
		{"OKFullWidthDots", "www。例子。公司", "xn--fsqu00a.xn--55qx5d", "例子.公司"},
		{"OKUnderscoreInSubdomain", "my_app.example.com", "example.com", "example.com"},
		{"OKUnapprovedTLD", "www.example.io", "example.io", "example.io"},
		{"FalseIPv4", "192.0.2.1", "", ""},
		{"FalseIPv6", "2001:db8::1", "", ""},
		{"FalseIPv6Brackets", "[::1]", "", ""},
		{"FalseEmpty", "", "", ""},
		{"FalseBareSuffix", "com.cn", "", ""},
		{"FalseTLD", "com", "", ""},
		{"FalsePrivate", "foo.github.io", "", ""},
		{"FalsePrivateItself", "github.io", "", ""},
		{"FalseUnderscoreInRegistrable", "my_site.com", "", ""},
		{"FalseEmptyLabel", "a..example.com", "", ""},
		{"FalsePort", "example.com:80", "", ""},
		{"FalseEmptyPunycodeLabel", "0.Xn--", "", ""},
		{"FalseEmptyPunycodeSubdomain", "xn--.example.com", "", ""},
		{"FalseTooLong", strings.Repeat("a.", 127) + "com", "", ""},
		{"FalseLabelTooLong", strings.Repeat("a", 64) + ".example.com", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := Registrable(ref, tt.host)
			if ok != (tt.ascii != "") || d.ASCII != tt.ascii || d.Unicode != tt.uni {
				t.Errorf("Registrable(%q) = %+v, %v; want {%s %s}", tt.host, d, ok, tt.ascii, tt.uni)
			}
		})
	}
	if _, ok := Registrable(nil, "www.example.com"); !ok {
		t.Error("Registrable with nil ref refused")
	}
}

func TestDomains(t *testing.T) { // Rule WEB-4
	ref := refdata.Default()
	tests := []struct {
		name   string
		in     []string
		max    int
		want   []string // accepted ASCII
		codes  []string
		fields []string
	}{
		{name: "OK", in: []string{"example.com", "例子.中国"}, max: 5,
			want: []string{"example.com", "xn--fsqu00a.xn--fiqs8s"}},
		{name: "OKNoMax", in: []string{"a.cn", "b.cn", "c.cn"}, want: []string{"a.cn", "b.cn", "c.cn"}},
		{name: "ErrRequired", in: nil, max: 5, codes: []string{"web.domains_required"}, fields: []string{""}},
		{name: "ErrTooMany", in: []string{"a.cn", "b.cn", "c.cn"}, max: 2, want: []string{"a.cn", "b.cn", "c.cn"},
			codes: []string{"web.domains_too_many"}, fields: []string{""}},
		{name: "ErrDuplicate", in: []string{"例子.中国", "example.com", "XN--FSQU00A.xn--fiqs8s."},
			want:  []string{"xn--fsqu00a.xn--fiqs8s", "example.com"},
			codes: []string{"web.domain_duplicate"}, fields: []string{"[2]"}},
		{name: "ErrEach", in: []string{"www.example.com", "", "example.io", "ok.cn"},
			want:   []string{"ok.cn"},
			codes:  []string{"web.domain_subdomain", "web.domain_required", "web.domain_tld_not_approved"},
			fields: []string{"[0]", "[1]", "[2]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, ps := Domains(ref, tt.in, tt.max)
			webWantCodes(t, ps, tt.codes...)
			var fields, got []string
			for _, p := range ps {
				fields = append(fields, p.Field)
			}
			for _, d := range ds {
				got = append(got, d.ASCII)
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("fields = %v, want %v", fields, tt.fields)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("domains = %v, want %v", got, tt.want)
			}
		})
	}
	_, ps := Domains(ref, []string{"a.cn", "b.cn", "a.cn"}, 0)
	if p := webProblem(t, ps, "web.domain_duplicate"); p.Args["first"] != "0" || p.Args["domain"] != "a.cn" {
		t.Errorf("duplicate args = %v", p.Args)
	}
	_, ps = Domains(ref, []string{"a.cn", "b.cn", "c.cn"}, 2)
	if p := webProblem(t, ps, "web.domains_too_many"); p.Args["max"] != "2" {
		t.Errorf("too many args = %v", p.Args)
	}
}
