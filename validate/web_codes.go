package validate

import "github.com/beian/beian"

// webCodes maps every problem code of the website, domain, commercial and
// filing-number checks to its rule ID. Messages for each live in
// i18n/messages/{zh-CN,en}/web.json.
var webCodes = map[string]string{
	// Rule WEB-4: domains.
	"web.domains_required":        "WEB-4",
	"web.domains_too_many":        "WEB-4",
	"web.domain_required":         "WEB-4",
	"web.domain_ip":               "WEB-4",
	"web.domain_url":              "WEB-4",
	"web.domain_invalid":          "WEB-4",
	"web.domain_too_long":         "WEB-4",
	"web.domain_label_too_long":   "WEB-4",
	"web.domain_tld_not_approved": "WEB-4",
	"web.domain_private_suffix":   "WEB-4",
	"web.domain_public_suffix":    "WEB-4",
	"web.domain_subdomain":        "WEB-4",
	"web.domain_duplicate":        "WEB-4",

	// Rule WEB-1: the homepage.
	"web.homepage_required":       "WEB-1",
	"web.homepage_scheme":         "WEB-1",
	"web.homepage_space":          "WEB-1",
	"web.homepage_query":          "WEB-1",
	"web.homepage_port":           "WEB-1",
	"web.homepage_ip":             "WEB-1",
	"web.homepage_invalid":        "WEB-1",
	"web.homepage_path_invalid":   "WEB-1",
	"web.homepage_not_own_domain": "WEB-1",
	"web.homepage_not_www":        "WEB-1",

	// Rule WEB-2: names, personal filings, pre-approvals.
	"web.name_required":          "WEB-2",
	"web.name_too_short":         "WEB-2",
	"web.name_too_long":          "WEB-2",
	"web.name_digits_only":       "WEB-2",
	"web.name_latin_only":        "WEB-2",
	"web.name_is_domain":         "WEB-2",
	"web.name_reserved_prefix":   "WEB-2",
	"web.name_personal_word":     "WEB-2",
	"web.remark_personal_word":   "WEB-2",
	"web.preapproval_individual": "WEB-2",
	"web.preapproval_unknown":    "WEB-2",
	"web.preapproval_duplicate":  "WEB-2",

	// Rule WEB-3: service content and remarks.
	"web.service_content_required": "WEB-3",
	"web.service_content_unknown":  "WEB-3",
	"web.remark_required":          "WEB-3",
	"web.remark_too_long":          "WEB-3",
	"web.remark_same_site_missing": "WEB-3",
	"web.remark_medical_licence":   "WEB-3",

	// Rule TYPE-2: commercial filings.
	"type.commercial_not_offered": "TYPE-2",

	// Rule NUM-1: filing numbers.
	"num.required":              "NUM-1",
	"num.invalid":               "NUM-1",
	"num.province_unknown":      "NUM-1",
	"num.serial_length":         "NUM-1",
	"num.licence_serial_length": "NUM-1",
	"num.serial_year":           "NUM-1",
	"num.site_invalid":          "NUM-1",
}

// webAdd appends a problem whose rule ID comes from webCodes, so that code
// and rule never drift apart. An unlisted code is a programming error that
// the tests of this package catch.
func webAdd(ps *beian.Problems, code, field string, args ...string) {
	rule, ok := webCodes[code]
	if !ok {
		panic("validate: problem code missing from webCodes: " + code)
	}
	ps.Add(code, rule, field, args...)
}
