package validate

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
)

// Length limits of website names and remarks, in runes (Rules WEB-2, WEB-3).
const (
	WebNameMinRunes   = 2
	WebNameMaxRunes   = 50
	WebRemarkMaxRunes = 500
)

// webNatureIndividual is the subject nature of personal filings (API.md).
const webNatureIndividual = "individual"

// webServiceOther is the service content that needs a remark (Rule WEB-3).
const webServiceOther = "other"

// webSameSitePhrases are the phrases by which a remark says that a
// website's several domains point to one site (Rule WEB-3); the first is the
// one the message suggests.
var webSameSitePhrases = []string{"指向同一网站", "同一网站", "同一个网站"}

// webLicenceParts are what a hospital's remark must state about its medical
// licence (Rule WEB-3): each part is present when one of its words is, or,
// for the issue date, when the remark holds a date.
var webLicenceParts = []struct {
	zh, en string
	words  []string
	date   bool
}{
	{"发证日期", "issue date", []string{"发证日期", "发证时间", "签发日期"}, true},
	{"有效期", "validity period", []string{"有效期"}, false},
	{"发证机关", "issuing authority", []string{"发证机关", "发证机构", "发证部门", "登记机关"}, false},
	{"许可证号/登记号", "licence or registration number", []string{"许可证号", "许可证编号", "登记号"}, false},
}

// webDateRe finds a written date: 2024年3月1日, 2024-03-01, 2024/3/1, 2024.3.1.
var webDateRe = regexp.MustCompile(`\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}`)

// WebsiteInput is what Website checks of one website.
type WebsiteInput struct {
	Name           string   // 网站名称
	Domains        []Domain // the website's domains, already normalised
	Nature         string   // the subject's nature code ("individual", "government", …)
	ServiceContent string   // a service-content code of refdata
	PreApprovals   []string // pre-approval category codes of refdata
	Remark         string   // 网站备注
	SubjectName    string   // the subject's name, to recognise hospitals
	Languages      []string // carried for callers; no rule here reads it
}

// Website checks a website's name, pre-approvals, service content and
// remark (Rules WEB-2 and WEB-3) and returns every problem, with fields
// "name", "pre_approvals[i]", "service_content" and "remark".
//
// WEB-2: the name is required, WebNameMinRunes to WebNameMaxRunes runes, not
// only digits, not only Latin letters (spaces ignored), not one of its
// domains (ASCII or Unicode, with or without "www."), and has no reserved
// prefix (中国, 中华 …) unless the nature is a state body. For an individual,
// neither name nor remark may hold a word of ref.PersonalForbiddenWords, and
// pre-approvals are refused; for organisations each pre-approval must exist.
//
// WEB-3: the service content must exist; a remark is required for service
// content "other" and for individuals; with two or more domains it must say
// they point to one site (webSameSitePhrases); for a hospital (name or
// subject name holding a word of ref.HospitalWords) it must state the medical
// licence's issue date, validity, issuer and number, the missing parts listed
// in Args["missing"] in both languages ("发证日期 (issue date), …": the remark
// is written in Chinese, so the English message names the Chinese terms too),
// and in Args["missing_zh"] and Args["missing_en"] alone; at most
// WebRemarkMaxRunes runes.
func Website(ref *refdata.Data, w WebsiteInput) beian.Problems {
	var ps beian.Problems
	nature, _ := ref.Nature(w.Nature)
	individual := w.Nature == webNatureIndividual
	name := strings.TrimSpace(w.Name)
	remark := strings.TrimSpace(w.Remark)

	webCheckName(&ps, ref, name, w.Domains, nature.StateBody)
	if individual {
		webForbiddenWords(&ps, ref, name, "web.name_personal_word", "name")
		webForbiddenWords(&ps, ref, remark, "web.remark_personal_word", "remark")
	}

	seen := map[string]bool{}
	for i, code := range w.PreApprovals {
		field := "pre_approvals[" + strconv.Itoa(i) + "]"
		if individual {
			webAdd(&ps, "web.preapproval_individual", field)
		}
		code = strings.TrimSpace(code)
		if _, ok := ref.PreApproval(code); !ok {
			webAdd(&ps, "web.preapproval_unknown", field, "code", code)
		} else if seen[code] {
			webAdd(&ps, "web.preapproval_duplicate", field)
		}
		seen[code] = true
	}

	service := strings.TrimSpace(w.ServiceContent)
	if service == "" {
		webAdd(&ps, "web.service_content_required", "service_content")
	} else if _, ok := ref.ServiceContent(service); !ok {
		webAdd(&ps, "web.service_content_unknown", "service_content", "code", service)
	}
	webCheckRemark(&ps, ref, w, remark, service == webServiceOther || individual)
	return ps
}

// webCheckName applies the name rules of WEB-2 that hold for every nature.
func webCheckName(ps *beian.Problems, ref *refdata.Data, name string, domains []Domain, stateBody bool) {
	if name == "" {
		webAdd(ps, "web.name_required", "name")
		return
	}
	switch n := utf8.RuneCountInString(name); {
	case n < WebNameMinRunes:
		webAdd(ps, "web.name_too_short", "name", "min", strconv.Itoa(WebNameMinRunes))
	case n > WebNameMaxRunes:
		webAdd(ps, "web.name_too_long", "name", "max", strconv.Itoa(WebNameMaxRunes))
	}
	folded := webFold(name)
	compact := strings.Join(strings.Fields(folded), "")
	switch {
	case compact != "" && strings.Trim(compact, "0123456789") == "":
		webAdd(ps, "web.name_digits_only", "name")
	case compact != "" && strings.TrimFunc(compact, webIsLatinLetter) == "":
		webAdd(ps, "web.name_latin_only", "name")
	}
	asDomain := webPrepare(folded)
	for _, d := range domains {
		hit := false
		for _, form := range []string{d.ASCII, d.Unicode} {
			form = strings.ToLower(form)
			if form != "" && (asDomain == form || asDomain == "www."+form) {
				hit = true
			}
		}
		if hit {
			webAdd(ps, "web.name_is_domain", "name", "domain", d.Unicode)
			break
		}
	}
	if !stateBody {
		for _, p := range ref.ReservedPrefixes() {
			if p != "" && strings.HasPrefix(name, p) {
				webAdd(ps, "web.name_reserved_prefix", "name", "prefix", p)
				break
			}
		}
	}
}

func webIsLatinLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// webForbiddenWords reports each word of the personal forbidden list found
// in text (Rule WEB-2: a personal filing must not present an organisation).
func webForbiddenWords(ps *beian.Problems, ref *refdata.Data, text, code, field string) {
	if text == "" {
		return
	}
	lower := strings.ToLower(webFold(text))
	for _, word := range ref.PersonalForbiddenWords() {
		if word != "" && strings.Contains(lower, strings.ToLower(word)) {
			webAdd(ps, code, field, "word", word)
		}
	}
}

// webCheckRemark applies WEB-3 to the remark.
func webCheckRemark(ps *beian.Problems, ref *refdata.Data, w WebsiteInput, remark string, required bool) {
	if required && remark == "" {
		webAdd(ps, "web.remark_required", "remark")
	}
	if n := utf8.RuneCountInString(remark); n > WebRemarkMaxRunes {
		webAdd(ps, "web.remark_too_long", "remark", "max", strconv.Itoa(WebRemarkMaxRunes))
	}
	folded := webFold(remark)
	if len(w.Domains) >= 2 && !webContainsAny(folded, webSameSitePhrases) {
		webAdd(ps, "web.remark_same_site_missing", "remark", "phrase", webSameSitePhrases[0])
	}
	if webContainsAny(w.Name, ref.HospitalWords()) || webContainsAny(w.SubjectName, ref.HospitalWords()) {
		var both, zh, en []string
		for _, part := range webLicenceParts {
			if webContainsAny(folded, part.words) || part.date && webDateRe.MatchString(folded) {
				continue
			}
			both = append(both, part.zh+" ("+part.en+")")
			zh, en = append(zh, part.zh), append(en, part.en)
		}
		if len(zh) > 0 {
			webAdd(ps, "web.remark_medical_licence", "remark", "missing", strings.Join(both, ", "),
				"missing_zh", strings.Join(zh, "、"), "missing_en", strings.Join(en, ", "))
		}
	}
}

func webContainsAny(s string, words []string) bool {
	for _, w := range words {
		if w != "" && strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// Commercial checks that a commercial filing (经营性备案) is offered where the
// subject is located (Rule TYPE-2): when commercial is set, cityCode (the
// subject's GB/T 2260 city or district code) must be one of
// ref.CommercialCities. The problem, at field "commercial", names the allowed
// places in Args["places"] in both languages ("北京 (Beijing), …": the message
// catalogues share one set of placeholders), and in Args["places_zh"] and
// Args["places_en"] alone.
func Commercial(ref *refdata.Data, commercial bool, cityCode string) beian.Problems {
	if !commercial || ref.CommercialAllowed(strings.TrimSpace(cityCode)) {
		return nil
	}
	var both, zh, en []string
	for _, c := range ref.CommercialCities() {
		both = append(both, c.Name+" ("+c.NameEn+")")
		zh, en = append(zh, c.Name), append(en, c.NameEn)
	}
	var ps beian.Problems
	webAdd(&ps, "type.commercial_not_offered", "commercial", "places", strings.Join(both, ", "),
		"places_zh", strings.Join(zh, "、"), "places_en", strings.Join(en, ", "))
	return ps
}
