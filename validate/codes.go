package validate

// Codes returns every problem code this package can produce, mapped to the
// rule ID it belongs to. The message catalogues must hold each of them in
// every language (a test in package i18n checks).
func Codes() map[string]string {
	all := map[string]string{}
	for _, m := range []map[string]string{identityCodes, webCodes} {
		for code, rule := range m {
			all[code] = rule
		}
	}
	return all
}
