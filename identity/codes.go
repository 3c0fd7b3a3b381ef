package identity

// Codes lists the message codes this package produces, each with a short
// description, so that a test can check the catalogues
// (i18n/messages/*/identity_auth.json) cover them.
func Codes() map[string]string {
	return map[string]string{
		"auth.required":             "the request needs a signed-in account (401)",
		"auth.bad_credentials":      "wrong login or password, one answer for both (401)",
		"auth.account_disabled":     "the account is disabled (401)",
		"auth.role":                 "the account's role may not do this (403)",
		"auth.csrf":                 "a cookie-authenticated unsafe request without the session's CSRF token (403)",
		"auth.session_required":     "API tokens are created only from a session (403)",
		"auth.too_many_attempts":    "login attempts per client address exceeded (429); {retry_after}",
		"auth.too_many_failures":    "failed logins per login exceeded (429); {retry_after}",
		"auth.login_invalid":        "login length or characters; {min} {max}",
		"auth.login_taken":          "login used in either context (409)",
		"auth.password_too_short":   "password under the minimum; {min}",
		"auth.password_too_long":    "password over the maximum; {max}",
		"auth.password_is_login":    "password equals the login",
		"auth.role_unknown":         "unknown role; {roles}",
		"auth.province_required":    "bureau reviewer without a province",
		"auth.province_unknown":     "unknown province; {province}",
		"auth.province_not_allowed": "a province on a role that has none",
		"auth.name_too_long":        "display name over the maximum; {max}",
		"auth.token_name_invalid":   "token name empty or too long; {max}",
		"auth.token_ttl_invalid":    "token lifetime out of range; {max}",
	}
}
