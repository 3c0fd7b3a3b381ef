package provider

// PrecheckCodes returns the message codes the resource, authorization-code,
// precheck and form-check areas produce beyond those of validate,
// providerdb and the registry, with their rule IDs ("" for codes not tied
// to a rule); the catalogues (provider_precheck.json,
// provider_resources.json) must hold each in every language.
func PrecheckCodes() map[string]string {
	return map[string]string{
		// The form's checks (CheckData).
		"check.type_unknown":           "TYPE-1",
		"check.province_unknown":       "SUBJ-4",
		"check.city_invalid":           "SUBJ-4",
		"check.district_invalid":       "SUBJ-4",
		"check.nature_unknown":         "SUBJ-3",
		"check.cert_type_not_accepted": "SUBJ-3",
		"check.name_required":          "SUBJ-3",
		"check.address_required":       "SUBJ-3",
		"check.person_cert_type":       "SUBJ-3",
		"check.websites_required":      "WEB-0",
		"check.websites_too_many":      "WEB-0",
		"check.domains_per_order":      "SUBJ-4",
		"check.domain_repeated":        "WEB-4",
		"check.website_unknown":        "TYPE-1",
		"check.resources_required":     "ACC-2",
		"check.resource_ref_invalid":   "ACC-2",
		"check.resource_unknown":       "ACC-2",
		"check.server_ip_not_resource": "ACC-2",
		"check.subject_not_filed_here": "TYPE-1",
		"check.domain_already_filed":   "TYPE-1",
		"check.nothing_to_transfer":    "TYPE-1",
		"check.transfer_required":      "OTH-1",
		"check.password_required":      "PWD-2",
		"check.cancel_required":        "CAN-4",
		"check.cancel_one":             "CAN-5",
		"check.confirm_required":       "CAN-6",
		// The precheck (POST /api/v1/precheck).
		"precheck.no_resources":             "ACC-2",
		"precheck.type_mismatch":            "TYPE-1",
		"precheck.site_live":                "WEB-5",
		"precheck.probe_refused":            "WEB-5",
		"precheck.reason_first_filing":      "TYPE-1",
		"precheck.reason_new_website":       "TYPE-1",
		"precheck.reason_transfer_in":       "TYPE-1",
		"precheck.reason_website_elsewhere": "TYPE-1",
		"precheck.reason_requested":         "TYPE-1",
		// Resources and their import.
		"resource.account_param": "",
		"resource.term_ending":   "NOTE-1",
		"import.header_invalid":  "ACC-2",
		"import.row_malformed":   "ACC-2",
		"import.value_invalid":   "ACC-2",
	}
}
