package regulator

// DeskCodes returns every message code the bureau desk and the password
// retrieval add (password_retrieval*.go, password_requests*.go, desk_*.go),
// mapped to its rule ID. The catalogues
// (i18n/messages/*/registry_desk.json) hold each in every language; a test
// in this package checks. Codes (codes.go) should include them.
func DeskCodes() map[string]string {
	return map[string]string{
		"registry.password_retrieval_accepted":     "PWD-3",
		"registry.password_retrieval_rate_limited": "PWD-3",
		"registry.password_online_only":            "PWD-4",
		"registry.contact_phone_invalid":           "PWD-4",
		"registry.password_request_not_found":      "PWD-4",
		"registry.password_request_closed":         "PWD-4",
		"registry.password_no_contact":             "PWD-4",
		"registry.cancel_reason":                   "CAN-1",
		"registry.blacklist_reason":                "CAN-1",
		"registry.claim_not_filed":                 "CAN-1",
		"registry.claim_no_record":                 "WEB-6",
		"registry.claim_old_holder":                "CAN-1",
		"registry.spot_check_result":               "CAN-1",
		"registry.spot_check_reason":               "CAN-1",
	}
}
