package page

import "net/http"

// sessionCookie is the identity package's session cookie, cleared at logout.
const sessionCookie = "beian_session"

// logout answers POST /logout: a checked form, Options.Logout when set,
// the session cookie cleared, and a 303 to /login.
func (p *Pages) logout(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := p.CheckForm(r); err != nil {
		return err
	}
	if p.opts.Logout != nil {
		if err := p.opts.Logout(r); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: p.opts.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
