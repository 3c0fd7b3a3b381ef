package identity

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// A session cannot be used after logout, and logout needs the CSRF token.
func TestLogout(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		cookie, csrf := e.login(t, "alice")
		if r := e.do(t, "DELETE", "/api/v1/sessions/current", nil, withCookie(cookie)); r.status != 403 {
			t.Fatalf("logout without the CSRF token: %d %s", r.status, r.raw)
		}
		r := e.do(t, "DELETE", "/api/v1/sessions/current", nil, withCookie(cookie), withCSRF(csrf))
		if r.status != http.StatusNoContent {
			t.Fatalf("logout: %d %s", r.status, r.raw)
		}
		var cleared bool
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			cleared = cleared || c.Name == CookieName && c.MaxAge < 0
		}
		if !cleared {
			t.Fatalf("cookie not cleared: %v", r.header["Set-Cookie"])
		}
		if r := e.do(t, "GET", "/api/v1/me", nil, withCookie(cookie)); r.status != 401 || r.code() != "unauthenticated" {
			t.Fatalf("old cookie after logout: %d %s", r.status, r.raw)
		}
		if r := e.do(t, "DELETE", "/api/v1/sessions/current", nil, withCookie(cookie), withCSRF(csrf)); r.status != 401 {
			t.Fatalf("second logout: %d", r.status)
		}
	})
}

// API tokens: issued from a session, used as bearer, refused after revocation.
func TestTokens(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleProviderAdmin, "")
		cookie, csrf := e.login(t, "alice")
		r := e.do(t, "POST", "/api/v1/tokens", map[string]any{"name": "ci", "ttl_hours": 24}, withCookie(cookie), withCSRF(csrf))
		tok, _ := r.body["token"].(string)
		if r.status != 201 || len(tok) < 40 || tok[:3] != "bt_" || r.body["name"] != "ci" {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		t.Run("OK", func(t *testing.T) {
			me := e.do(t, "GET", "/api/v1/me", nil, withBearer(tok))
			if me.status != 200 || me.body["login"] != "alice" || me.body["via"] != "token" || me.body["csrf"] != nil {
				t.Fatalf("me: %d %s", me.status, me.raw)
			}
		})
		t.Run("ErrTokenCannotMintTokens", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/tokens", map[string]any{"name": "more"}, withBearer(tok))
			if r.status != 403 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			for _, body := range []map[string]any{{"name": ""}, {"name": "x", "ttl_hours": 100000}, {"name": "x", "ttl_hours": -1}} {
				if r := e.do(t, "POST", "/api/v1/tokens", body, withCookie(cookie), withCSRF(csrf)); r.status != 422 {
					t.Errorf("%v: %d %s", body, r.status, r.raw)
				}
			}
		})
		t.Run("ErrExpired", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/tokens", map[string]any{"name": "short", "ttl_hours": 1}, withCookie(cookie), withCSRF(csrf))
			short := r.body["token"].(string)
			e.clock.Advance(time.Hour + time.Second)
			defer e.clock.Set(start)
			if r := e.do(t, "GET", "/api/v1/me", nil, withBearer(short)); r.status != 401 {
				t.Fatalf("expired token: %d", r.status)
			}
		})
		t.Run("ErrRevoked", func(t *testing.T) {
			// DELETE /api/v1/sessions/current with a bearer token revokes that token.
			if r := e.do(t, "DELETE", "/api/v1/sessions/current", nil, withBearer(tok)); r.status != 204 {
				t.Fatalf("revoke: %d %s", r.status, r.raw)
			}
			if r := e.do(t, "GET", "/api/v1/me", nil, withBearer(tok)); r.status != 401 {
				t.Fatalf("revoked token: %d", r.status)
			}
			if r := e.do(t, "GET", "/api/v1/me", nil, withCookie(cookie)); r.status != 200 {
				t.Fatalf("the session went with the token: %d", r.status)
			}
		})
		t.Run("ErrBadBearerDoesNotFallBackToCookie", func(t *testing.T) {
			if r := e.do(t, "GET", "/api/v1/me", nil, withBearer("bt_nonsense"), withCookie(cookie)); r.status != 401 {
				t.Fatalf("%d", r.status)
			}
		})
	})
}

// The session lives SessionTTL after its last extension: a request after
// more than half of it extends it, at most once a minute.
func TestSlidingExpiry(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		cookie, _ := e.login(t, "alice")
		me := func() reply { return e.do(t, "GET", "/api/v1/me", nil, withCookie(cookie)) }
		e.clock.Advance(5 * time.Hour) // 7h left of 12h: no extension
		if r := me(); r.status != 200 || len(r.header["Set-Cookie"]) != 0 {
			t.Fatalf("5h: %d %v", r.status, r.header["Set-Cookie"])
		}
		e.clock.Advance(2 * time.Hour) // 5h left: extended to 7h + 12h
		r := me()
		if r.status != 200 || len(r.header["Set-Cookie"]) != 1 {
			t.Fatalf("7h: %d %v", r.status, r.header["Set-Cookie"])
		}
		if c := (&http.Response{Header: r.header}).Cookies()[0]; c.Value != cookie || !c.Expires.Equal(start.Add(19*time.Hour)) {
			t.Fatalf("renewed cookie %+v", c)
		}
		e.clock.Advance(6 * time.Hour) // 13h: past the first expiry, within the extended one
		if r := me(); r.status != 200 {
			t.Fatalf("13h: %d", r.status)
		}
		e.clock.Set(start.Add(19*time.Hour + time.Second))
		if r := me(); r.status != 401 {
			t.Fatalf("19h: expired session still works: %d", r.status)
		}
	})
	t.Run("AtMostOncePerMinute", func(t *testing.T) {
		each(t, func(s *Service) { s.SessionTTL = 90 * time.Second }, nil, func(t *testing.T, e *env) {
			e.create(t, "alice", beian.RoleCustomer, "")
			cookie, _ := e.login(t, "alice")
			e.clock.Advance(50 * time.Second) // 40s left < 45s, but written 50s ago
			if r := e.do(t, "GET", "/api/v1/me", nil, withCookie(cookie)); r.status != 200 || len(r.header["Set-Cookie"]) != 0 {
				t.Fatalf("50s: %d %v", r.status, r.header["Set-Cookie"])
			}
			e.clock.Advance(11 * time.Second)
			if r := e.do(t, "GET", "/api/v1/me", nil, withCookie(cookie)); r.status != 200 || len(r.header["Set-Cookie"]) != 1 {
				t.Fatalf("61s: %d %v", r.status, r.header["Set-Cookie"])
			}
		})
	})
}

// An expired session is anonymous: /me answers 401, not an error.
func TestExpiredSession(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		cookie, _ := e.login(t, "alice")
		e.clock.Advance(DefaultSessionTTL + time.Second)
		if r := e.do(t, "GET", "/api/v1/me", nil, withCookie(cookie)); r.status != 401 || r.code() != "unauthenticated" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := e.do(t, "GET", "/api/v1/me", nil, withCookie("garbage")); r.status != 401 {
			t.Fatalf("garbage cookie: %d", r.status)
		}
	})
}

// A session is found in whichever served context holds it — the provider's
// or the registry's, with its province — by one statement on PostgreSQL
// (every request makes it); an unknown token is anonymous.
func TestSessionPrincipalContexts(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		e.create(t, "rev", beian.RoleBureauReviewer, "330000")
		ca, _ := e.login(t, "alice")
		cr, _ := e.login(t, "rev")
		for _, c := range []struct{ tok, context, login, province string }{
			{ca, ContextProvider, "alice", ""}, {cr, ContextRegistry, "rev", "330000"}, {"no-such-token", "", "", ""},
		} {
			var n sqlstore.StatementCount
			p, ok, _, err := e.s.sessionPrincipal(sqlstore.CountStatements(context.Background(), &n), c.tok)
			if err != nil || ok != (c.context != "") || p.Context != c.context || p.Login != c.login || p.Province != c.province {
				t.Fatalf("%s: %+v %v %v", c.login, p, ok, err)
			}
			if e.db.Driver == sqlstore.Postgres && n.Load() != 1 {
				t.Errorf("%q: %d statements, want 1", c.login, n.Load())
			}
		}
		// API tokens likewise (their first use also notes it: one more).
		token := func(cookie, csrf string) string {
			r := e.do(t, "POST", "/api/v1/tokens", map[string]any{"name": "ci"}, withCookie(cookie), withCSRF(csrf))
			tok, _ := r.body["token"].(string)
			if r.status != 201 || tok == "" {
				t.Fatalf("token: %d %s", r.status, r.raw)
			}
			return tok
		}
		ca2, csrfA := e.login(t, "alice")
		cr2, csrfR := e.login(t, "rev")
		for _, c := range []struct{ tok, context, login, province string }{
			{token(ca2, csrfA), ContextProvider, "alice", ""}, {token(cr2, csrfR), ContextRegistry, "rev", "330000"}, {TokenPrefix + "unknown", "", "", ""},
		} {
			for use := range 2 {
				var n sqlstore.StatementCount
				p, ok, err := e.s.tokenPrincipal(sqlstore.CountStatements(context.Background(), &n), c.tok)
				if err != nil || ok != (c.context != "") || p.Context != c.context || p.Login != c.login || p.Province != c.province {
					t.Fatalf("token of %s: %+v %v %v", c.login, p, ok, err)
				}
				want := int64(1)
				if c.context != "" && use == 0 {
					want = 2
				}
				if e.db.Driver == sqlstore.Postgres && n.Load() != want {
					t.Errorf("token of %q, use %d: %d statements, want %d", c.login, use+1, n.Load(), want)
				}
			}
		}
	})
}
