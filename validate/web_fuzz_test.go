package validate

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
)

// webFuzzRules fails when a problem's code is not listed or has another rule.
func webFuzzRules(t *testing.T, ps beian.Problems) {
	t.Helper()
	for _, p := range ps {
		if rule, ok := webCodes[p.Code]; !ok || rule != p.Rule {
			t.Fatalf("problem %s with rule %q (listed %v as %q)", p.Code, p.Rule, ok, rule)
		}
	}
}

// webFuzzASCII reports whether s is a lower-case ASCII domain of legal length.
func webFuzzASCII(s string) bool {
	if len(s) > WebMaxDomainLength || s != strings.ToLower(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func FuzzNormalizeDomain(f *testing.F) { // Rule WEB-4
	for _, s := range []string{
		"example.com", "例子.中国", "xn--fsqu00a.xn--fiqs8s", "例子。公司", "EXAMPLE.COM.", "www.example.com.cn",
		"example.io", "me.github.io", "com.cn", "192.0.2.1", "http://a.cn/", "a..b.cn", "ß.com", "xn--zca.com",
		"ｅｘａｍｐｌｅ．ｃｎ", strings.Repeat("a", 64) + ".cn", "-a.cn", "a_b.cn", "\u200d.cn", "",
	} {
		f.Add(s)
	}
	ref := refdata.Default()
	f.Fuzz(func(t *testing.T, in string) {
		d, ps := NormalizeDomain(ref, in)
		webFuzzRules(t, ps)
		if len(ps) > 0 {
			if d != (Domain{}) {
				t.Fatalf("refused %q but returned %+v", in, d)
			}
			return
		}
		if !webFuzzASCII(d.ASCII) || d.Unicode == "" {
			t.Fatalf("NormalizeDomain(%q) = %+v", in, d)
		}
		fromUni, ps1 := NormalizeDomain(ref, d.Unicode)
		fromASCII, ps2 := NormalizeDomain(ref, d.ASCII)
		if len(ps1) > 0 || len(ps2) > 0 || fromUni.ASCII != d.ASCII || fromASCII.ASCII != d.ASCII {
			t.Fatalf("NormalizeDomain(%q) = %+v; from Unicode %+v %v; from ASCII %+v %v",
				in, d, fromUni, ps1, fromASCII, ps2)
		}
		if r, ok := Registrable(ref, d.ASCII); !ok || r != d {
			t.Fatalf("Registrable(%q) = %+v, %v", d.ASCII, r, ok)
		}
	})
}

func FuzzRegistrable(f *testing.F) { // Rules QRY-1, GATE-1
	for _, s := range []string{
		"www.example.com", "a.b.example.com.cn.", "www.例子.中国", "shop.xn--fsqu00a.xn--fiqs8s", "my_app.example.com",
		"foo.github.io", "com.cn", "[::1]", "192.0.2.1", "example.com:80", "", ".", "a..b", "WWW。例子。公司",
	} {
		f.Add(s)
	}
	ref := refdata.Default()
	f.Fuzz(func(t *testing.T, host string) {
		d, ok := Registrable(ref, host)
		if !ok {
			if d != (Domain{}) {
				t.Fatalf("refused %q but returned %+v", host, d)
			}
			return
		}
		if !webFuzzASCII(d.ASCII) || strings.Count(d.ASCII, ".") < 1 {
			t.Fatalf("Registrable(%q) = %+v", host, d)
		}
		for _, again := range []string{d.ASCII, d.Unicode, "www." + d.ASCII} {
			if len(again) > WebMaxDomainLength {
				continue
			}
			if r, ok := Registrable(ref, again); !ok || r != d {
				t.Fatalf("Registrable(%q) = %+v; Registrable(%q) = %+v, %v", host, d, again, r, ok)
			}
		}
	})
}

func FuzzHomepage(f *testing.F) { // Rule WEB-1
	for _, s := range []string{
		"www.example.com", "www.例子.中国/首页", "https://www.example.com:443/a b?x#y", "example.com", "[::1]:80",
		"user@www.example.com", "//x", "www.example.com\\a", "www。例子。中国", "www.example.com:", "ｗｗｗ．example．com",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	domains := []Domain{
		{ASCII: "example.com", Unicode: "example.com"},
		{ASCII: "xn--fsqu00a.xn--fiqs8s", Unicode: "例子.中国"},
	}
	f.Fuzz(func(t *testing.T, homepage string, www bool) {
		ps := Homepage(homepage, domains, www)
		webFuzzRules(t, ps)
		if len(ps) > 0 {
			return
		}
		host := strings.TrimSpace(homepage)
		if i := strings.IndexByte(host, '/'); i >= 0 {
			host = host[:i]
		}
		d, ok := Registrable(nil, host)
		if !ok || d != domains[0] && d != domains[1] {
			t.Fatalf("accepted %q whose host's registrable domain is %+v, %v", homepage, d, ok)
		}
		if www && !strings.HasPrefix(strings.ToLower(webFold(host)), "www.") {
			t.Fatalf("accepted %q without www.", homepage)
		}
	})
}

func FuzzWebsiteName(f *testing.F) { // Rules WEB-2, WEB-3
	for _, s := range []string{
		"星辰科技", "中国星辰", "12345", "Star Tech", "example.com", "www.例子.中国", "小明公司官网", "星", "", " \u3000 ",
		strings.Repeat("星", 51), "１２３", "ＡＢＣ", "星辰医院",
	} {
		f.Add(s, "", "enterprise")
		f.Add(s, "个人读书笔记", "individual")
	}
	ref := refdata.Default()
	f.Fuzz(func(t *testing.T, name, remark, nature string) {
		w := WebsiteInput{
			Name:           name,
			Domains:        []Domain{{ASCII: "xn--fsqu00a.xn--fiqs8s", Unicode: "例子.中国"}},
			Nature:         nature,
			ServiceContent: "blog",
			Remark:         remark,
		}
		ps := Website(ref, w)
		webFuzzRules(t, ps)
		trimmed := strings.TrimSpace(name)
		n := utf8.RuneCountInString(trimmed)
		for _, p := range ps {
			switch p.Field {
			case "name", "remark":
			default:
				t.Fatalf("problem %s at field %q", p.Code, p.Field)
			}
		}
		if trimmed == "" && !ps.Has("web.name_required") ||
			n > 0 && n < WebNameMinRunes && !ps.Has("web.name_too_short") ||
			n > WebNameMaxRunes && !ps.Has("web.name_too_long") {
			t.Fatalf("name %q (%d runes): %v", name, n, ps)
		}
		for _, p := range ref.ReservedPrefixes() {
			stateBody := nature == "government" || nature == "military"
			if strings.HasPrefix(trimmed, p) && !stateBody && !ps.Has("web.name_reserved_prefix") {
				t.Fatalf("name %q with prefix %s accepted: %v", name, p, ps)
			}
		}
	})
}

func FuzzParseFilingNumber(f *testing.F) { // Rule NUM-1
	for _, s := range []string{
		"京ICP备2026001234号", "京ICP备2026001234号-3", "浙ICP备05012345号-12", "沪ICP备123456号", "京ICP证030173号",
		"川ICP备2026001234号", "京ICP备1234567号", "京ICP备1999001234号", "京ICP备2026001234号-0", "京ICP备2026001234号-03",
		"京ＩＣＰ备２０２６００１２３４号－３", " 蜀icp备2025000001号—1 ", "", "号", "京ICP备号",
	} {
		f.Add(s)
	}
	ref := refdata.Default()
	f.Fuzz(func(t *testing.T, s string) {
		n, ps := ParseFilingNumber(ref, s)
		webFuzzRules(t, ps)
		if len(ps) > 0 {
			if n != (FilingNumber{}) {
				t.Fatalf("refused %q but returned %+v", s, n)
			}
			return
		}
		if _, ok := ref.ProvinceByAbbr(n.Abbr); !ok || n.Site < 0 || n.Site > NumSiteMax {
			t.Fatalf("ParseFilingNumber(%q) = %+v", s, n)
		}
		again, ps := ParseFilingNumber(ref, n.String())
		if len(ps) > 0 || again != n {
			t.Fatalf("ParseFilingNumber(%q) = %+v; its String %q parses to %+v %v", s, n, n.String(), again, ps)
		}
		if n.SubjectNumber().Website(n.Site) != n {
			t.Fatalf("SubjectNumber/Website do not restore %+v", n)
		}
	})
}
