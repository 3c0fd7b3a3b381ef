package page

import (
	"errors"
	"net/http"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/web"
)

// signupData is the sign-up page's .Data.
type signupData struct {
	Form *Form
}

// consoleSignupForm answers GET /console/signup: the sign-up form (a
// signed-in customer goes to the console; 404 without Options.Provider).
func (p *Pages) consoleSignupForm(w http.ResponseWriter, r *http.Request) error {
	if p.opts.Provider == nil {
		return beian.Errorf(beian.KindNotFound, "") // customers exist only where the provider runs
	}
	if p.viewer(r).SignedIn {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return nil
	}
	return p.Render(w, r, http.StatusOK, "console_signup", signupData{Form: &Form{}})
}

// consoleSignup answers POST /console/signup with the rules of POST
// /api/v1/signup: the attempt counts against the login client limit (one
// address cannot create accounts in bulk); identity CreateAccount checks
// the login and password (every problem beside its field; a taken login is
// a conflict at the login). The two passwords must match. Success signs
// the new customer in (Options.Login) and redirects to the console; the
// password is never shown again.
func (p *Pages) consoleSignup(accounts *identity.Service) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if p.opts.Provider == nil {
			return beian.Errorf(beian.KindNotFound, "")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := p.CheckForm(r); err != nil {
			return err
		}
		login, name := strings.TrimSpace(r.PostFormValue("login")), strings.TrimSpace(r.PostFormValue("name"))
		password, again := r.PostFormValue("password"), r.PostFormValue("password_again")
		d := signupData{Form: &Form{Values: map[string]string{"login": login, "name": name}}}
		fail := func(err error) error {
			status := web.Status(err)
			if status >= 500 {
				return err
			}
			var e *beian.Error
			if errors.As(err, &e) && status == http.StatusTooManyRequests && e.Args["retry_after"] != "" {
				w.Header().Set("Retry-After", e.Args["retry_after"])
			}
			d.Form.Err = err
			return p.Render(w, r, status, "console_signup", d)
		}
		if password != again {
			var ps beian.Problems
			ps.Add("page.console_password_mismatch", "", "password_again")
			return fail(ps.Err())
		}
		lim, rule := accounts.Limiter, accounts.LoginClient
		if lim == nil {
			lim = &ratelimit.Limiter{DB: accounts.DB}
		}
		if rule.Limit == 0 {
			rule = ratelimit.LoginClient
		}
		dec, err := lim.Allow(r.Context(), rule, clientAddr(r))
		if err != nil {
			return err
		}
		if !dec.Allowed {
			err := ratelimit.Error(dec)
			var e *beian.Error
			if errors.As(err, &e) {
				e.Code = "auth.too_many_attempts"
			}
			return fail(err)
		}
		pr, err := accounts.CreateAccount(r.Context(), identity.NewAccount{Login: login, Password: password, Name: name,
			Role: beian.RoleCustomer}, "signup")
		if err != nil {
			return fail(err)
		}
		if p.opts.Login == nil {
			return errorf("signup: Options.Login is not set")
		}
		cookie, err := p.opts.Login(r.Context(), pr.Login, password, clientAddr(r))
		if err != nil {
			return fail(err)
		}
		if cookie != nil {
			cookie.Secure = cookie.Secure || p.opts.Secure
			http.SetCookie(w, cookie)
		}
		http.SetCookie(w, &http.Cookie{Name: csrfCookieName, Path: "/", MaxAge: -1, HttpOnly: true,
			Secure: p.opts.Secure, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/console?notice=signed_up", http.StatusSeeOther)
		return nil
	}
}
