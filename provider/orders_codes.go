package provider

// OrderCodes returns the message codes the order routes can produce
// (orders, documents, timeline), with their rule IDs ("" for codes not
// tied to a rule); the catalogues i18n/messages/*/provider_orders.json hold
// them in every language.
func OrderCodes() map[string]string {
	return map[string]string{
		"order.type_unknown":               "TYPE-1",
		"order.data_invalid":               "",
		"order.page_invalid":               "",
		"order.subject_not_filed":          "TYPE-1",
		"order.subject_filed":              "TYPE-1",
		"order.subject_required":           "TYPE-1",
		"order.subject_fixed":              "ACC-1",
		"order.nature_to_person":           "OTH-2",
		"order.cert_number_changed":        "OTH-2",
		"order.subject_name_changed":       "OTH-2",
		"order.change_empty":               "OTH-2",
		"order.change_out_of_scope":        "OTH-2",
		"order.transfer_required":          "OTH-1",
		"order.password_required":          "PWD-2",
		"order.cancel_required":            "CAN-4",
		"order.cancels_subject":            "CAN-4",
		"order.cancel_access_one":          "CAN-5",
		"order.website_not_served":         "CAN-5",
		"order.empty_shell_warning":        "CAN-5",
		"order.confirm_required":           "CAN-6",
		"order.cancel_irrevocable_warning": "CAN-6",
		"order.document_form_invalid":      "",
		"order.document_kind_invalid":      "PRIV-1",
		"order.documents_locked":           "REV-3",
		"order.document_empty":             "PRIV-1",
		"order.document_type_invalid":      "PRIV-1",
		"order.document_too_large":         "PRIV-1",
	}
}
