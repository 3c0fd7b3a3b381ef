package page

import (
	"net/http"

	"github.com/beian/beian/i18n"
)

// langCookieAge is how long the ?lang= choice is remembered: one year.
const langCookieAge = 365 * 24 * 60 * 60

// LangCookie remembers the ?lang= switch: a request with ?lang=en (or
// zh-CN) gets a "lang" cookie, which web.Lang reads on later requests.
func (p *Pages) LangCookie(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query().Get("lang"); q != "" {
			if lang, ok := i18n.Parse(q); ok {
				http.SetCookie(w, &http.Cookie{
					Name: "lang", Value: string(lang), Path: "/", MaxAge: langCookieAge,
					HttpOnly: true, Secure: p.opts.Secure, SameSite: http.SameSiteLaxMode,
				})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// switchURL returns the other language and the request's URL (path and
// query) with lang set to it. Only the path and query are used, so the link
// stays on this site.
func switchURL(r *http.Request, lang i18n.Lang) (i18n.Lang, string) {
	other := i18n.EN
	if lang == i18n.EN {
		other = i18n.ZH
	}
	q := r.URL.Query()
	q.Set("lang", string(other))
	path := r.URL.EscapedPath()
	if !localPath(path) {
		path = "/"
	}
	return other, path + "?" + q.Encode()
}
