package regulator

import (
	"strings"
	"testing"

	"github.com/beian/beian"
)

// Rules WEB-4 (registry side), CAN-1: a domain belongs to at most one
// active website; a blacklisted website name is never filed again.
func TestAddWebsite(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		b := e.org(t, "杭州乙科技有限公司", "91330100MA0000002B")
		w := e.website(t, a, "甲公司官网", []string{"jia-one.com", "例子.中国"})
		if err := e.Blacklist(e.ctx, BlacklistWebsiteName, " 违规网站 ", "illegal_content"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name       string
			in         WebsiteInput
			code, rule string
			field      string
			number     string
		}{
			{"ErrDomainHeldByOtherSubject", WebsiteInput{Name: "乙公司官网", Domains: []string{"ok-b.com", "JIA-ONE.com"}},
				"registry.domain_conflict", "WEB-4", "domains[1]", w.Number},
			{"ErrIDNHeldInPunycode", WebsiteInput{Name: "乙公司官网", Domains: []string{"xn--fsqu00a.xn--fiqs8s"}},
				"registry.domain_conflict", "WEB-4", "domains[0]", w.Number},
			{"ErrWebsiteNameBlacklisted", WebsiteInput{Name: "违规网站", Domains: []string{"ok-b.com"}},
				"registry.website_name_blacklisted", "CAN-1", "name", ""},
			{"ErrDomainNotRegistrable", WebsiteInput{Name: "乙公司官网", Domains: []string{"www.ok-b.com"}},
				"web.domain_subdomain", "WEB-4", "domains[0]", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.AddWebsite(e.ctx, b.ID, tc.in)
				code, rule, field, args := problemCode(err)
				if !beian.IsKind(err, beian.KindInvalid) || code != tc.code || rule != tc.rule || field != tc.field || args["number"] != tc.number {
					t.Fatalf("err %v: %s %s %s %v", err, code, rule, field, args)
				}
			})
		}
		t.Run("OKSameDomainAfterRefusalStillFree", func(t *testing.T) {
			w2 := e.website(t, b, "乙公司官网", []string{"ok-b.com"})
			if w2.Number != "浙ICP备2026000002号-1" {
				t.Fatalf("number %s: a refused attempt must not use up a suffix", w2.Number)
			}
		})
		t.Run("ErrSubjectUnknown", func(t *testing.T) {
			if _, err := e.AddWebsite(e.ctx, 999999, WebsiteInput{Name: "x", Domains: []string{"free-x.com"}}); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("err %v", err)
			}
		})
	})
}

// Rules OTH-1, CAN-5: several providers serve one website at once; ending
// one provider's access leaves the others and the number.
func TestAccess(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		w := e.website(t, a, "甲公司官网", []string{"jia-one.com"}, "本服务商")
		providers := func() string {
			f, err := e.Filing(e.ctx, w.Number)
			if err != nil {
				t.Fatal(err)
			}
			return strings.Join(f.Websites[0].Providers, ",")
		}
		t.Run("OKSeveralProviders", func(t *testing.T) {
			for _, p := range []string{"其他云", "第三云", "其他云"} { // adding twice changes nothing
				if err := e.AddAccess(e.ctx, w.Number, p); err != nil {
					t.Fatal(err)
				}
			}
			if got := providers(); got != "其他云,本服务商,第三云" {
				t.Fatalf("providers %s", got)
			}
		})
		t.Run("OKEndOneAccess", func(t *testing.T) {
			if err := e.EndAccess(e.ctx, w.Number, "本服务商"); err != nil {
				t.Fatal(err)
			}
			if got := providers(); got != "其他云,第三云" {
				t.Fatalf("providers %s", got)
			}
		})
		t.Run("OKAccessAgainLater", func(t *testing.T) {
			e.clock.Advance(1)
			if err := e.AddAccess(e.ctx, w.Number, "本服务商"); err != nil {
				t.Fatal(err)
			}
			if got := providers(); got != "其他云,本服务商,第三云" {
				t.Fatalf("providers %s", got)
			}
		})
		t.Run("ErrEndAccessNotServing", func(t *testing.T) {
			if err := e.EndAccess(e.ctx, w.Number, "无关云"); codeOf(err) != "registry.access_not_found" {
				t.Fatalf("err %v", err)
			}
		})
		t.Run("ErrProviderEmpty", func(t *testing.T) {
			if err := e.AddAccess(e.ctx, w.Number, " "); !beian.IsKind(err, beian.KindInvalid) {
				t.Fatalf("err %v", err)
			}
		})
		t.Run("ErrWebsiteUnknown", func(t *testing.T) {
			if err := e.AddAccess(e.ctx, "浙ICP备2026000001号-9", "其他云"); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("err %v", err)
			}
		})
		t.Run("OKPrecheckNamesSubjectProviders", func(t *testing.T) {
			res, err := e.PrecheckWith(e.ctx, beian.PrecheckRequest{Province: "330000", Nature: "enterprise", CertType: "uscc", CertNumber: "91330100MA0000001A"}, PrecheckOptions{})
			if err != nil || res.SubjectNumber != a.Number || strings.Join(res.SubjectProviders, ",") != "其他云,本服务商,第三云" {
				t.Fatalf("%+v, %v", res, err)
			}
		})
	})
}

// The connector's Filing: a subject with its websites, a website number
// with its one website, not_found for anything else.
func TestFiling(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		w1 := e.website(t, a, "甲公司官网", []string{"jia-one.com", "例子.中国"}, "本服务商")
		e.website(t, a, "甲公司商城", []string{"jia-two.com"})
		t.Run("OKSubject", func(t *testing.T) {
			f, err := e.Filing(e.ctx, " "+a.Number+" ")
			if err != nil || f.SubjectNumber != a.Number || f.Province != "330000" || f.Nature != "enterprise" || f.UnitName != "杭州甲科技有限公司" || len(f.Websites) != 2 {
				t.Fatalf("%+v, %v", f, err)
			}
			if got := strings.Join(f.Websites[0].Domains, ","); got != "jia-one.com,xn--fsqu00a.xn--fiqs8s" || f.Websites[0].Homepage != "www.jia-one.com" {
				t.Fatalf("website %+v", f.Websites[0])
			}
		})
		t.Run("OKWebsite", func(t *testing.T) {
			f, err := e.Filing(e.ctx, w1.Number)
			if err != nil || len(f.Websites) != 1 || f.Websites[0].Number != w1.Number || f.Websites[0].Providers[0] != "本服务商" {
				t.Fatalf("%+v, %v", f, err)
			}
		})
		for _, num := range []string{"浙ICP备2026000009号", "浙ICP备2026000001号-7", "京ICP证030173号", "hello"} {
			t.Run("ErrNotFound", func(t *testing.T) {
				if _, err := e.Filing(e.ctx, num); !beian.IsKind(err, beian.KindNotFound) {
					t.Fatalf("%s: %v", num, err)
				}
			})
		}
	})
}
