package page

import "net/http"

// Routes registers the pages of this package: the landing page, /login,
// /logout and the static files. Wrap the mux (or these routes) with
// SecurityHeaders and LangCookie.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", p.handle(p.home))
	mux.Handle("GET /login", p.handle(p.loginForm))
	mux.Handle("POST /login", p.handle(p.login))
	mux.Handle("POST /logout", p.handle(p.logout))
	mux.Handle("GET /static/", p.Static())
	p.publicRoutes(mux) // the public registry pages, with Options.Registry
}
