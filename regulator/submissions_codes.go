package regulator

// PipelineCodes returns every message code the submission pipeline adds
// (submissions, SMS confirmation, events, bureau decisions, passwords),
// mapped to its rule ID ("" where no rule of RULES.md applies). The
// catalogues (i18n/messages/*/registry_pipeline.json) hold each in every
// language; a test in this package checks. Codes (codes.go) should include
// them.
func PipelineCodes() map[string]string {
	return map[string]string{
		"registry.idempotency_key":             "",
		"registry.idempotency_conflict":        "",
		"registry.type_invalid":                "TYPE-1",
		"registry.subject_not_filed":           "TYPE-1",
		"registry.subject_mismatch":            "SUBJ-1",
		"registry.subject_in_review":           "ACC-4",
		"registry.websites_required":           "WEB-0",
		"registry.cancel_required":             "CAN-4",
		"registry.website_not_of_subject":      "",
		"registry.password_check_failed":       "PWD-2",
		"registry.transfer_check_failed":       "PWD-2",
		"registry.transfer_check_rate_limited": "PWD-2",
		"registry.sms_confirmation_failed":     "VER-3",
		"registry.sms_rate_limited":            "VER-3",
		"registry.submission_not_found":        "",
		"registry.submission_not_in_review":    "REV-2",
		"registry.decision_items_required":     "REV-5",
		"registry.decision_item_invalid":       "REV-5",
		"registry.cursor_invalid":              "",
	}
}
