package page

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/web"
)

// csrfCookieName is the anonymous forms' double-submit cookie.
const csrfCookieName = "beian_csrf"

// maxForm bounds the body of the forms this package reads.
const maxForm = 64 << 10

// errFormExpired answers a form whose token is missing or wrong: 403 with
// the page saying the form expired and to reload it.
func errFormExpired(cause error) error {
	return &beian.Error{Kind: beian.KindForbidden, Code: "page.form_expired", Err: cause}
}

// CheckForm parses the request's form and checks its "csrf" field. A
// signed-in viewer's form carries the session's token and is checked with
// Options.CSRFCheck (or against Viewer.CSRF when that is nil); an anonymous
// form carries the same random value as the beian_csrf cookie (double
// submit). A missing or wrong token is a forbidden error with the code
// page.form_expired; an unreadable body is bad_request or too_large.
func (p *Pages) CheckForm(r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	got := r.PostFormValue("csrf")
	if v := p.viewer(r); v.SignedIn {
		if p.opts.CSRFCheck != nil {
			if err := p.opts.CSRFCheck(r); err != nil {
				return errFormExpired(err)
			}
			return nil
		}
		if !sameToken(got, v.CSRF) {
			return errFormExpired(nil)
		}
		return nil
	}
	c, err := r.Cookie(csrfCookieName)
	if err != nil || !sameToken(got, c.Value) {
		return errFormExpired(err)
	}
	return nil
}

// parseForm reads a urlencoded or multipart body (a handler that uploads
// files parses its multipart form with its own limit first).
func parseForm(r *http.Request) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if r.MultipartForm == nil {
			err = r.ParseMultipartForm(maxForm)
		}
	} else {
		err = r.ParseForm()
	}
	if err == nil {
		if web.HasNUL(r.Form) || (r.MultipartForm != nil && web.HasNUL(r.MultipartForm.Value)) {
			return web.ErrNUL()
		}
		return nil
	}
	if _, ok := err.(*http.MaxBytesError); ok || strings.Contains(err.Error(), "too large") {
		return &beian.Error{Kind: beian.KindTooLarge, Err: err}
	}
	return &beian.Error{Kind: beian.KindBadRequest, Err: err}
}

// sameToken compares in constant time; an empty token never matches.
func sameToken(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// anonToken returns the request's double-submit token, or a fresh one
// (fresh true) when it has none or a malformed one.
func anonToken(r *http.Request) (token string, fresh bool) {
	if c, err := r.Cookie(csrfCookieName); err == nil && validToken(c.Value) {
		return c.Value, false
	}
	return rand.Text(), true
}

// validToken accepts what rand.Text makes (base32), within sane lengths.
func validToken(s string) bool {
	if len(s) < 20 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// csrfCookie is the double-submit cookie: HTTP-only, SameSite=Strict, for
// the browser session.
func (p *Pages) csrfCookie(token string) *http.Cookie {
	return &http.Cookie{
		Name: csrfCookieName, Value: token, Path: "/", HttpOnly: true,
		Secure: p.opts.Secure, SameSite: http.SameSiteStrictMode,
	}
}
