package providerdb

// Codes returns the message codes this package can produce, with their rule
// IDs ("" for codes not tied to a rule); the catalogues must hold them.
func Codes() map[string]string {
	return map[string]string{
		"acc.one_subject":        "ACC-1",
		"acc.order_in_flight":    "ACC-4",
		"order.field_locked":     "REV-3",
		"web.domain_taken_here":  "WEB-4",
		"account.role_unknown":   "",
		"website.access_unknown": "",
		"store.constraint":       "",
	}
}
