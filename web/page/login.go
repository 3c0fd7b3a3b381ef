package page

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/web"
)

// loginData is the login page's .Data.
type loginData struct {
	Form *Form
	Next string // a local path to return to, or ""
	// Provider and Registry say which desks this process serves, so the
	// page links only to what exists (customer sign-up; the registry's
	// password retrieval and query).
	Provider, Registry bool
}

// loginForm answers GET /login: the form, keeping a safe ?next=.
func (p *Pages) loginForm(w http.ResponseWriter, r *http.Request) error {
	return p.Render(w, r, http.StatusOK, "login", loginData{Form: &Form{}, Next: safeNext(r.URL.Query().Get("next")),
		Provider: p.opts.Provider != nil, Registry: p.opts.Registry != nil})
}

// login answers POST /login: a checked form, then Options.Login; success
// sets its cookie and redirects (303) to next or "/", failure shows the
// form again with the error's message, the login kept and never the password.
func (p *Pages) login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := p.CheckForm(r); err != nil {
		return err
	}
	login, password := strings.TrimSpace(r.PostFormValue("login")), r.PostFormValue("password")
	d := loginData{Form: &Form{Values: map[string]string{"login": login}}, Next: safeNext(r.PostFormValue("next")),
		Provider: p.opts.Provider != nil, Registry: p.opts.Registry != nil}
	var ps beian.Problems
	if login == "" {
		ps.Add("page.login_required", "", "login")
	}
	if password == "" {
		ps.Add("page.password_required", "", "password")
	}
	if d.Form.Err = ps.Err(); d.Form.Err != nil {
		return p.Render(w, r, http.StatusUnprocessableEntity, "login", d)
	}
	if p.opts.Login == nil {
		return errorf("login: Options.Login is not set")
	}
	cookie, err := p.opts.Login(r.Context(), login, password, clientAddr(r))
	if err != nil {
		status := web.Status(err)
		if status >= 500 {
			p.log.ErrorContext(r.Context(), "login failed", "status", status, "err", err)
		}
		var e *beian.Error
		if errors.As(err, &e) && status == http.StatusTooManyRequests && e.Args["retry_after"] != "" {
			w.Header().Set("Retry-After", e.Args["retry_after"])
		}
		d.Form.Err = err
		return p.Render(w, r, status, "login", d)
	}
	if cookie != nil {
		cookie.Secure = cookie.Secure || p.opts.Secure
		http.SetCookie(w, cookie)
	}
	// Signed-in forms carry the session's token from now on.
	http.SetCookie(w, &http.Cookie{Name: csrfCookieName, Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: p.opts.Secure, SameSite: http.SameSiteStrictMode})
	to := d.Next
	if to == "" {
		to = "/"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// safeNext keeps next only when it is a path on this site.
func safeNext(next string) string {
	if localPath(next) {
		return next
	}
	return ""
}

// clientAddr is the client's IP address as the server saw it (a proxy in
// front must be handled by the wiring).
func clientAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
