package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beian/beian/refdata"
)

// webOrg is a valid organisation website that each case changes a little.
func webOrg() WebsiteInput {
	return WebsiteInput{
		Name:           "星辰科技官方网站",
		Domains:        []Domain{{ASCII: "example.com", Unicode: "example.com"}},
		Nature:         "enterprise",
		ServiceContent: "org_portal",
		PreApprovals:   []string{"news"},
		SubjectName:    "北京星辰科技有限公司",
		Languages:      []string{"zh-CN"},
	}
}

// webPerson is a valid personal website.
func webPerson() WebsiteInput {
	return WebsiteInput{
		Name:           "小明的读书笔记",
		Domains:        []Domain{{ASCII: "xn--fsqu00a.xn--fiqs8s", Unicode: "例子.中国"}},
		Nature:         "individual",
		ServiceContent: "blog",
		Remark:         "记录个人读书心得的博客。",
		SubjectName:    "王小明",
	}
}

const webHospitalRemark = "医疗机构执业许可证登记号：PDY12345X，发证机关：北京市卫生健康委员会，发证日期：2020年5月1日，有效期：2020年5月1日至2035年4月30日。"

func TestWebsite(t *testing.T) {
	ref := refdata.Default()
	two := []Domain{{ASCII: "example.com", Unicode: "example.com"}, {ASCII: "example.cn", Unicode: "example.cn"}}
	tests := []struct {
		name   string
		w      func() WebsiteInput
		codes  []string
		fields []string
	}{
		{name: "OK", w: webOrg},
		{name: "OKPerson", w: webPerson},
		// Rule WEB-2: names.
		{name: "ErrNameRequired", w: func() WebsiteInput { w := webOrg(); w.Name = "  "; return w },
			codes: []string{"web.name_required"}, fields: []string{"name"}},
		{name: "ErrNameTooShort", w: func() WebsiteInput { w := webOrg(); w.Name = "星"; return w },
			codes: []string{"web.name_too_short"}, fields: []string{"name"}},
		{name: "OKNameShortest", w: func() WebsiteInput { w := webOrg(); w.Name = "星辰"; return w }},
		{name: "OKNameLongest", w: func() WebsiteInput { w := webOrg(); w.Name = strings.Repeat("星", 50); return w }},
		{name: "ErrNameTooLong", w: func() WebsiteInput { w := webOrg(); w.Name = strings.Repeat("星", 51); return w },
			codes: []string{"web.name_too_long"}, fields: []string{"name"}},
		{name: "ErrNameDigitsOnly", w: func() WebsiteInput { w := webOrg(); w.Name = "12 345"; return w },
			codes: []string{"web.name_digits_only"}, fields: []string{"name"}},
		{name: "ErrNameFullWidthDigitsOnly", w: func() WebsiteInput { w := webOrg(); w.Name = "１２３"; return w },
			codes: []string{"web.name_digits_only"}, fields: []string{"name"}},
		{name: "ErrNameLatinOnly", w: func() WebsiteInput { w := webOrg(); w.Name = "Star Tech"; return w },
			codes: []string{"web.name_latin_only"}, fields: []string{"name"}},
		{name: "OKNameLatinAndHan", w: func() WebsiteInput { w := webOrg(); w.Name = "Star 星辰"; return w }},
		{name: "ErrNameIsDomain", w: func() WebsiteInput { w := webOrg(); w.Name = "EXAMPLE.COM"; return w },
			codes: []string{"web.name_is_domain"}, fields: []string{"name"}},
		{name: "ErrNameIsDomainWWW", w: func() WebsiteInput { w := webOrg(); w.Name = "www.example.com"; return w },
			codes: []string{"web.name_is_domain"}, fields: []string{"name"}},
		{name: "ErrNameIsDomainUnicode", w: func() WebsiteInput { w := webPerson(); w.Name = "例子。中国"; return w },
			codes: []string{"web.name_is_domain"}, fields: []string{"name"}},
		{name: "ErrNameIsDomainPunycode", w: func() WebsiteInput { w := webPerson(); w.Name = "www.xn--fsqu00a.xn--fiqs8s"; return w },
			codes: []string{"web.name_is_domain"}, fields: []string{"name"}},
		{name: "ErrNameReservedPrefix", w: func() WebsiteInput { w := webOrg(); w.Name = "中国星辰科技"; return w },
			codes: []string{"web.name_reserved_prefix"}, fields: []string{"name"}},
		{name: "ErrNameReservedPrefixPeople", w: func() WebsiteInput { w := webOrg(); w.Name = "人民星辰"; return w },
			codes: []string{"web.name_reserved_prefix"}, fields: []string{"name"}},
		{name: "OKNameReservedWordInside", w: func() WebsiteInput { w := webOrg(); w.Name = "星辰中国站"; return w }},
		{name: "OKStateBodyReservedPrefix", w: func() WebsiteInput {
			w := webOrg()
			w.Name, w.Nature, w.SubjectName = "中国政府网", "government", "国务院办公厅"
			return w
		}},
		{name: "OKMilitaryReservedPrefix", w: func() WebsiteInput { w := webOrg(); w.Name, w.Nature = "中华军事", "military"; return w }},
		{name: "ErrNameTooLongAndReservedPrefix", w: func() WebsiteInput { w := webOrg(); w.Name = "中国" + strings.Repeat("星", 49); return w },
			codes: []string{"web.name_too_long", "web.name_reserved_prefix"}, fields: []string{"name", "name"}},
		{name: "ErrNameTooShortDigits", w: func() WebsiteInput { w := webOrg(); w.Name = "7"; return w },
			codes: []string{"web.name_too_short", "web.name_digits_only"}, fields: []string{"name", "name"}},
		// Rule WEB-2: personal filings.
		{name: "ErrPersonalWordInName", w: func() WebsiteInput { w := webPerson(); w.Name = "小明科技公司官网"; return w },
			codes: []string{"web.name_personal_word", "web.name_personal_word"}, fields: []string{"name", "name"}},
		{name: "ErrPersonalWordInRemark", w: func() WebsiteInput { w := webPerson(); w.Remark = "本论坛供网友交流。"; return w },
			codes: []string{"web.remark_personal_word", "web.remark_personal_word"}, fields: []string{"remark", "remark"}},
		{name: "OKOrganisationMayUseWords", w: func() WebsiteInput { w := webOrg(); w.Name = "星辰集团论坛"; return w }},
		{name: "ErrPersonalReservedPrefix", w: func() WebsiteInput { w := webPerson(); w.Name = "中华诗词小站"; return w },
			codes: []string{"web.name_reserved_prefix"}, fields: []string{"name"}},
		{name: "ErrPreApprovalIndividual", w: func() WebsiteInput { w := webPerson(); w.PreApprovals = []string{"education", "culture"}; return w },
			codes:  []string{"web.preapproval_individual", "web.preapproval_individual"},
			fields: []string{"pre_approvals[0]", "pre_approvals[1]"}},
		{name: "ErrPreApprovalUnknown", w: func() WebsiteInput { w := webOrg(); w.PreApprovals = []string{"news", "gambling"}; return w },
			codes: []string{"web.preapproval_unknown"}, fields: []string{"pre_approvals[1]"}},
		{name: "ErrPreApprovalDuplicate", w: func() WebsiteInput { w := webOrg(); w.PreApprovals = []string{"news", "news"}; return w },
			codes: []string{"web.preapproval_duplicate"}, fields: []string{"pre_approvals[1]"}},
		// Rule WEB-3: service content and remarks.
		{name: "ErrServiceContentRequired", w: func() WebsiteInput { w := webOrg(); w.ServiceContent = ""; return w },
			codes: []string{"web.service_content_required"}, fields: []string{"service_content"}},
		{name: "ErrServiceContentUnknown", w: func() WebsiteInput { w := webOrg(); w.ServiceContent = "casino"; return w },
			codes: []string{"web.service_content_unknown"}, fields: []string{"service_content"}},
		{name: "ErrRemarkRequiredOther", w: func() WebsiteInput { w := webOrg(); w.ServiceContent = "other"; return w },
			codes: []string{"web.remark_required"}, fields: []string{"remark"}},
		{name: "OKRemarkOther", w: func() WebsiteInput {
			w := webOrg()
			w.ServiceContent, w.Remark = "other", "展示公司产品的网站"
			return w
		}},
		{name: "ErrRemarkRequiredIndividual", w: func() WebsiteInput { w := webPerson(); w.Remark = " "; return w },
			codes: []string{"web.remark_required"}, fields: []string{"remark"}},
		{name: "ErrRemarkTooLong", w: func() WebsiteInput { w := webOrg(); w.Remark = strings.Repeat("字", 501); return w },
			codes: []string{"web.remark_too_long"}, fields: []string{"remark"}},
		{name: "OKRemarkLongest", w: func() WebsiteInput { w := webOrg(); w.Remark = strings.Repeat("字", 500); return w }},
		{name: "ErrRemarkSameSiteMissing", w: func() WebsiteInput { w := webOrg(); w.Domains = two; return w },
			codes: []string{"web.remark_same_site_missing"}, fields: []string{"remark"}},
		{name: "OKRemarkSameSite", w: func() WebsiteInput {
			w := webOrg()
			w.Domains, w.Remark = two, "example.com 与 example.cn 指向同一网站。"
			return w
		}},
		{name: "OKRemarkSameSiteShort", w: func() WebsiteInput { w := webOrg(); w.Domains, w.Remark = two, "两个域名为同一网站"; return w }},
		{name: "ErrRemarkRequiredAndSameSite", w: func() WebsiteInput {
			w := webOrg()
			w.Domains, w.ServiceContent = two, "other"
			return w
		}, codes: []string{"web.remark_required", "web.remark_same_site_missing"}, fields: []string{"remark", "remark"}},
		{name: "ErrHospitalLicenceMissing", w: func() WebsiteInput {
			w := webOrg()
			w.Name, w.SubjectName, w.PreApprovals = "星辰医院官网", "北京星辰医院", []string{"healthcare"}
			return w
		}, codes: []string{"web.remark_medical_licence"}, fields: []string{"remark"}},
		{name: "OKHospitalLicence", w: func() WebsiteInput {
			w := webOrg()
			w.Name, w.SubjectName, w.Remark = "星辰医院官网", "北京星辰医院", webHospitalRemark
			return w
		}},
		{name: "OKHospitalLicenceDateOnly", w: func() WebsiteInput {
			w := webOrg()
			w.SubjectName = "星辰口腔诊所"
			w.Remark = "医疗机构执业许可证号 12345，发证机关 北京市卫健委，2021-03-05 签发，有效期五年。"
			return w
		}},
		{name: "ErrHospitalBySubjectName", w: func() WebsiteInput {
			w := webOrg()
			w.SubjectName, w.Remark = "星辰卫生院", "有效期至2030年"
			return w
		}, codes: []string{"web.remark_medical_licence"}, fields: []string{"remark"}},
		// Many problems at once.
		{name: "ErrCombined", w: func() WebsiteInput {
			w := webPerson()
			w.Name, w.Domains = "中国公司", two
			w.PreApprovals, w.ServiceContent, w.Remark = []string{"xx"}, "other", ""
			return w
		}, codes: []string{
			"web.name_reserved_prefix", "web.name_personal_word",
			"web.preapproval_individual", "web.preapproval_unknown",
			"web.remark_required", "web.remark_same_site_missing",
		}, fields: []string{"name", "name", "pre_approvals[0]", "pre_approvals[0]", "remark", "remark"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Website(ref, tt.w())
			webWantCodes(t, ps, tt.codes...)
			for i, p := range ps {
				if i < len(tt.fields) && p.Field != tt.fields[i] {
					t.Errorf("%s: field %q, want %q", p.Code, p.Field, tt.fields[i])
				}
			}
		})
	}
}

func TestWebsiteArgs(t *testing.T) { // Rules WEB-2, WEB-3
	ref := refdata.Default()
	w := webPerson()
	w.Name = "小明工作室"
	if got := webProblem(t, Website(ref, w), "web.name_personal_word").Args["word"]; got != "工作室" {
		t.Errorf("word = %q", got)
	}
	w = webOrg()
	w.SubjectName, w.Remark = "星辰医院", "发证机关：北京市卫健委"
	p := webProblem(t, Website(ref, w), "web.remark_medical_licence")
	if p.Args["missing"] != "发证日期 (issue date), 有效期 (validity period), 许可证号/登记号 (licence or registration number)" ||
		p.Args["missing_zh"] != "发证日期、有效期、许可证号/登记号" ||
		p.Args["missing_en"] != "issue date, validity period, licence or registration number" {
		t.Errorf("args = %v", p.Args)
	}
	w = webOrg()
	w.Name = "中央星辰"
	if got := webProblem(t, Website(ref, w), "web.name_reserved_prefix").Args["prefix"]; got != "中央" {
		t.Errorf("prefix = %q", got)
	}
}

func TestCommercial(t *testing.T) { // Rule TYPE-2
	ref := refdata.Default()
	tests := []struct {
		name       string
		commercial bool
		city       string
		codes      []string
	}{
		{name: "OKShenzhen", commercial: true, city: "440305"},
		{name: "OKBeijingDistrict", commercial: true, city: "110105"},
		{name: "OKChongqing", commercial: true, city: "500112"},
		{name: "OKNotCommercial", commercial: false, city: "330106"},
		{name: "ErrCommercialNotOfferedHangzhou", commercial: true, city: "330106", codes: []string{"type.commercial_not_offered"}},
		{name: "ErrCommercialNotOfferedDongguan", commercial: true, city: "441900", codes: []string{"type.commercial_not_offered"}},
		{name: "ErrCommercialNoCity", commercial: true, city: "", codes: []string{"type.commercial_not_offered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Commercial(ref, tt.commercial, tt.city)
			webWantCodes(t, ps, tt.codes...)
			if len(ps) > 0 {
				p := ps[0]
				if p.Field != "commercial" || !strings.Contains(p.Args["places"], "深圳 (Shenzhen)") ||
					!strings.Contains(p.Args["places_zh"], "深圳") ||
					!strings.Contains(p.Args["places_en"], "Shenzhen") {
					t.Errorf("problem = %v %v", p, p.Args)
				}
			}
		})
	}
}

// TestWebMessages checks that both catalogues hold exactly the codes of
// webCodes, and that each message names only placeholders the problem has.
func TestWebMessages(t *testing.T) {
	args := webMessageArgs()
	placeholder := regexp.MustCompile(`\{([a-z_]+)\}`)
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "i18n", "messages", lang, "web.json"))
			if err != nil {
				t.Fatal(err)
			}
			var msgs map[string]string
			if err := json.Unmarshal(b, &msgs); err != nil {
				t.Fatal(err)
			}
			for code := range webCodes {
				if strings.TrimSpace(msgs[code]) == "" {
					t.Errorf("%s: no message for %s", lang, code)
				}
			}
			for code, msg := range msgs {
				if _, ok := webCodes[code]; !ok {
					t.Errorf("%s: message for unknown code %s", lang, code)
				}
				for _, m := range placeholder.FindAllStringSubmatch(msg, -1) {
					if !strings.Contains(" "+args[code]+" ", " "+m[1]+" ") {
						t.Errorf("%s: %s uses {%s}, which the problem does not carry", lang, code, m[1])
					}
				}
			}
		})
	}
}

// webMessageArgs lists the Args each code carries (space-separated).
func webMessageArgs() map[string]string {
	return map[string]string{
		"web.domains_too_many":         "max",
		"web.domain_too_long":          "max",
		"web.domain_label_too_long":    "max",
		"web.domain_tld_not_approved":  "tld",
		"web.domain_private_suffix":    "suffix",
		"web.domain_public_suffix":     "suffix",
		"web.domain_subdomain":         "suggest suggest_ascii",
		"web.domain_duplicate":         "domain first",
		"web.homepage_not_own_domain":  "host domains",
		"web.homepage_not_www":         "suggest",
		"web.name_too_short":           "min",
		"web.name_too_long":            "max",
		"web.name_is_domain":           "domain",
		"web.name_reserved_prefix":     "prefix",
		"web.name_personal_word":       "word",
		"web.remark_personal_word":     "word",
		"web.preapproval_unknown":      "code",
		"web.service_content_unknown":  "code",
		"web.remark_too_long":          "max",
		"web.remark_same_site_missing": "phrase",
		"web.remark_medical_licence":   "missing missing_zh missing_en",
		"type.commercial_not_offered":  "places places_zh places_en",
		"num.province_unknown":         "abbr",
		"num.serial_length":            "length",
		"num.serial_year":              "year min max",
		"num.site_invalid":             "max",
	}
}
