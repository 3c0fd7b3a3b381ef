package identity

import (
	"net/http"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/web"
)

// AccountJSON is the wire form of an account (GET /api/v1/me, the login answer).
type AccountJSON struct {
	ID       int64      `json:"id"`
	Login    string     `json:"login"`
	Role     beian.Role `json:"role"`
	Province string     `json:"province"`
	Name     string     `json:"name"`
	Context  string     `json:"context"`
}

// accountJSON renders p.
func accountJSON(p Principal) AccountJSON {
	return AccountJSON{ID: p.AccountID, Login: p.Login, Role: p.Role, Province: p.Province, Name: p.Name, Context: p.Context}
}

// Routes registers the identity API on mux (API.md, "HTTP"):
//
//	POST   /api/v1/signup            customer self sign-up {login, password, name} → 201 {id, login, role}; only where the provider context is served
//	POST   /api/v1/sessions          {login, password} → 201 {token, csrf, expires_at, account}, and the session cookie
//	DELETE /api/v1/sessions/current  204: revokes the session (or the bearer API token) and clears the cookie
//	GET    /api/v1/me                200 the account, with via and (for a session) csrf; 401 anonymous
//	POST   /api/v1/tokens            {name, ttl_hours} → 201 {id, token, name, expires_at}; sessions only
//
// The handlers expect the caller to wrap the whole mux with s.Authenticate.
func (s *Service) Routes(mux *http.ServeMux) {
	s.init()
	if s.serves(ContextProvider) {
		mux.Handle("POST /api/v1/signup", web.Handle(s.signup))
	}
	mux.Handle("POST /api/v1/sessions", web.Handle(s.login))
	mux.Handle("DELETE /api/v1/sessions/current", web.Handle(s.logout))
	mux.Handle("GET /api/v1/me", web.Handle(s.me))
	mux.Handle("POST /api/v1/tokens", web.Handle(s.token))
}

// signup creates a customer account. Sign-ups count against the login
// client limit, so one address cannot create accounts in bulk.
func (s *Service) signup(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Login    string `json:"login"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.limiter.Allow(r.Context(), s.LoginClient, ClientAddr(r))
	if err != nil {
		return err
	}
	if !d.Allowed {
		return rateLimited(d, s.LoginClient, s.DB.Clock.Now(), "auth.too_many_attempts")
	}
	p, err := s.CreateAccount(r.Context(), NewAccount{Login: in.Login, Password: in.Password, Name: in.Name, Role: beian.RoleCustomer}, "signup")
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusCreated, map[string]any{"id": p.AccountID, "login": p.Login, "role": p.Role})
}

// login opens a session and sets its cookie.
func (s *Service) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	sess, err := s.Login(r.Context(), in.Login, in.Password, ClientAddr(r))
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(sess.Token, sess.Expires))
	w.Header().Set("Cache-Control", "no-store")
	web.NoReplay(r)
	return web.WriteJSON(w, http.StatusCreated, map[string]any{
		"token": sess.Token, "csrf": sess.CSRF, "expires_at": sess.Expires, "account": accountJSON(sess.Principal),
	})
}

// logout revokes the caller's session or token.
func (s *Service) logout(w http.ResponseWriter, r *http.Request) error {
	p, ok := FromContext(r.Context())
	if !ok {
		return errUnauthenticated()
	}
	if err := s.Logout(r.Context(), p); err != nil {
		return err
	}
	if p.Via == ViaSession {
		http.SetCookie(w, s.clearCookie())
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// me answers who the caller is.
func (s *Service) me(w http.ResponseWriter, r *http.Request) error {
	p, ok := FromContext(r.Context())
	if !ok {
		return errUnauthenticated()
	}
	out := struct {
		AccountJSON
		Via  string `json:"via"`
		CSRF string `json:"csrf,omitempty"`
	}{accountJSON(p), p.Via, p.CSRF}
	w.Header().Set("Cache-Control", "no-store")
	web.NoReplay(r)
	return web.WriteJSON(w, http.StatusOK, out)
}

// token issues an API token; an API token cannot mint another.
func (s *Service) token(w http.ResponseWriter, r *http.Request) error {
	p, ok := FromContext(r.Context())
	if !ok {
		return errUnauthenticated()
	}
	if p.Via != ViaSession {
		return beian.Errorf(beian.KindForbidden, "auth.session_required")
	}
	var in struct {
		Name     string `json:"name"`
		TTLHours int    `json:"ttl_hours"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.TTLHours < 0 || in.TTLHours > int(MaxTokenTTL/time.Hour) {
		in.TTLHours = -1 // CreateToken names the bound
	}
	tok, info, err := s.createToken(r.Context(), p, in.Name, time.Duration(in.TTLHours)*time.Hour)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.NoReplay(r)
	return web.WriteJSON(w, http.StatusCreated, map[string]any{
		"id": info.ID, "token": tok, "name": info.Name, "expires_at": info.Expires,
	})
}
