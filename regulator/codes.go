package regulator

// Codes returns every message code this package produces, mapped to its
// rule ID ("" where no rule of RULES.md applies). The catalogues
// (i18n/messages/*/registry.json) hold each in every language; a test in
// this package checks.
func Codes() map[string]string {
	m := map[string]string{
		"registry.province_unknown":         "SUBJ-4",
		"registry.nature_unknown":           "",
		"registry.cert_type_unknown":        "SUBJ-3",
		"registry.required":                 "",
		"registry.cert_blacklisted":         "CAN-1",
		"registry.website_name_blacklisted": "CAN-1",
		"registry.subject_conflict":         "SUBJ-1",
		"registry.domain_conflict":          "WEB-4",
		"registry.domain_invalid":           "WEB-4",
		"registry.domain_tld":               "WEB-6",
		"registry.domain_no_record":         "WEB-6",
		"registry.domain_registrar":         "WEB-6",
		"registry.domain_expired":           "WEB-6",
		"registry.domain_expiring":          "WEB-6",
		"registry.domain_not_real_name":     "WEB-6",
		"registry.domain_holder_mismatch":   "WEB-6",
		"registry.number_not_found":         "",
		"registry.not_active":               "CAN-3",
		"registry.already_cancelled":        "CAN-3",
		"registry.serials_exhausted":        "NUM-1",
		"registry.sites_exhausted":          "NUM-1",
		"registry.service_content_unknown":  "",
		"registry.provider_invalid":         "OTH-1",
		"registry.access_not_found":         "CAN-5",
		"registry.reason_invalid":           "",
		"registry.blacklist_kind":           "CAN-1",
		"registry.query_one_of":             "QRY-1",
		"registry.query_page":               "QRY-1",
		"registry.query_domain_invalid":     "QRY-1",
		"registry.query_number_invalid":     "QRY-1",
		"registry.query_name_short":         "QRY-1",
		"registry.query_rate_limited":       "QRY-1",
	}
	for code, rule := range PipelineCodes() {
		m[code] = rule
	}
	for code, rule := range DeskCodes() {
		m[code] = rule
	}
	return m
}
