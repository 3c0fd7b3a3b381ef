package page

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/beian/beian/i18n"
	"github.com/beian/beian/web"
)

// CSP is the Content-Security-Policy of every page: nothing inline, nothing
// from elsewhere, no framing.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// view is the dot of every template: the layout's needs and the page's Data.
type view struct {
	Viewer    Viewer
	Lang      i18n.Lang
	OtherLang i18n.Lang // the language the switch link leads to
	LangURL   string    // this URL in OtherLang
	Path      string    // the request's path
	CSRF      string    // the token forms carry in their "csrf" field
	Data      any       // the page's own data
}

// SecurityHeaders sets the headers every answer of the desks carries: the
// CSP, nosniff, same-origin referrers, no framing, and Cache-Control
// no-store (the static handler replaces it for its files).
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// Render executes the page name with data (the template's .Data) in the
// request's language into a buffer, then answers it with the status, the
// security headers and Content-Language. On an error nothing is written:
// the caller returns it and the handler adapter answers a 500 page, so a
// template error never sends half a page.
func (p *Pages) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	lang := web.Lang(r)
	t := p.tmpl[lang][name]
	if t == nil {
		return errorf("no page %q", name)
	}
	v, newToken := p.view(r, lang, data)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return errorf("render %s: %w", name, err)
	}
	if newToken {
		http.SetCookie(w, p.csrfCookie(v.CSRF))
	}
	h := w.Header()
	setSecurityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", string(lang))
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Add("Vary", "Cookie")
	h.Add("Vary", "Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // a failed write means the client left: nothing more to answer
	return nil
}

// view builds the dot for a page. newToken reports that an anonymous
// viewer got a fresh double-submit token, to be set as a cookie.
func (p *Pages) view(r *http.Request, lang i18n.Lang, data any) (v view, newToken bool) {
	v = view{Viewer: p.viewer(r), Lang: lang, Path: r.URL.Path, Data: data}
	v.OtherLang, v.LangURL = switchURL(r, lang)
	if v.Viewer.SignedIn {
		v.CSRF = v.Viewer.CSRF
	} else {
		v.CSRF, newToken = anonToken(r)
	}
	return v, newToken
}
