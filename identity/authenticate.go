package identity

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/web"
)

// CookieName is the session cookie.
const CookieName = "beian_session"

// touchEvery bounds how often one session or token is written to on use.
const touchEvery = time.Minute

// Authenticate is the middleware that finds the caller: the bearer token of
// "Authorization: Bearer …" (an API token, or a session token from POST
// /api/v1/sessions) or else the session cookie CookieName. A valid one puts
// the Principal in the request's context; none, or one that is unknown,
// expired, revoked or of a disabled account, leaves the request anonymous
// for the handlers to decide (a bad bearer does not fall back to the
// cookie). A session that has used more than half its lifetime is extended
// by a full one, at most once a minute (sliding expiry), and its cookie
// renewed. Cookie-authenticated unsafe requests under /api/ must pass
// CheckCSRF (403 auth.csrf otherwise). Credentials are never logged.
func (s *Service) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.init()
		p, ok, err := s.authenticate(w, r)
		if err != nil {
			web.Fail(w, r, err)
			return
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		r = r.WithContext(WithPrincipal(r.Context(), p))
		if strings.HasPrefix(r.URL.Path, "/api/") {
			if err := checkCSRF(r, false); err != nil {
				web.Fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bearer returns the bearer credential of the request, if any.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// authenticate resolves the request's credential; ok false: anonymous.
func (s *Service) authenticate(w http.ResponseWriter, r *http.Request) (p Principal, ok bool, err error) {
	defer beian.Wrap(&err, "authenticate")
	ctx := r.Context()
	if tok, isBearer := bearer(r); isBearer {
		if strings.HasPrefix(tok, TokenPrefix) {
			return s.tokenPrincipal(ctx, tok)
		}
		p, ok, _, err := s.sessionPrincipal(ctx, tok)
		return p, ok, err
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return Principal{}, false, nil
	}
	p, ok, renewed, err := s.sessionPrincipal(ctx, c.Value)
	if ok && !renewed.IsZero() {
		http.SetCookie(w, s.cookie(c.Value, renewed))
	}
	return p, ok, err
}

// sessionPrincipal looks a session token up in the served contexts and
// slides its expiry; renewed is the new expiry when it moved. One
// statement whatever the contexts (every request makes it).
func (s *Service) sessionPrincipal(ctx context.Context, tok string) (p Principal, ok bool, renewed time.Time, err error) {
	s.init()
	query, served := s.sessionSQL, s.served
	if tok == "" || len(served) == 0 {
		return Principal{}, false, time.Time{}, nil
	}
	hash := hashToken(tok)
	now := s.DB.Clock.Now()
	var which int
	var expires, lastSeen int64
	err = s.DB.QueryRow(ctx, query, hash, sqlstore.Micro(now)).
		Scan(&which, &p.CSRF, &expires, &lastSeen, &p.AccountID, &p.Login, &p.Role, &p.Province, &p.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, false, time.Time{}, nil
	}
	if err != nil {
		return Principal{}, false, time.Time{}, err
	}
	c := served[which]
	t := tablesOf[c]
	p.Context, p.Via, p.SessionHash = c, ViaSession, hash
	ttl := s.ttl()
	if sqlstore.FromMicro(expires).Sub(now) < ttl/2 && now.Sub(sqlstore.FromMicro(lastSeen)) >= touchEvery {
		renewed = sqlstore.FromMicro(sqlstore.Micro(now.Add(ttl)))
		if _, err := s.DB.SQL.ExecContext(ctx, `UPDATE `+t.sessions+` SET expires_at = $1, last_seen_at = $2
			WHERE id_hash = $3 AND revoked_at = 0`, sqlstore.Micro(renewed), sqlstore.Micro(now), hash); err != nil {
			return Principal{}, false, time.Time{}, err
		}
	}
	return p, true, renewed, nil
}

// sessionSelect finds a live session of an enabled account in one
// context's tables.
func sessionSelect(t tables) string {
	return `SELECT s.csrf, s.expires_at, s.last_seen_at, a.id, a.login, a.role, ` + t.province + ` AS province, a.name
		FROM ` + t.sessions + ` s JOIN ` + t.accounts + ` a ON a.id = s.account_id
		WHERE s.id_hash = $1 AND s.revoked_at = 0 AND s.expires_at > $2 AND a.disabled_at = 0`
}

// tokenSelect finds a live API token of an enabled account in one
// context's tables.
func tokenSelect(t tables) string {
	return `SELECT t.id, t.last_used_at, a.id, a.login, a.role, ` + t.province + ` AS province, a.name
		FROM ` + t.tokens + ` t JOIN ` + t.accounts + ` a ON a.id = t.account_id
		WHERE t.token_hash = $1 AND t.revoked_at = 0 AND (t.expires_at = 0 OR t.expires_at > $2) AND a.disabled_at = 0`
}

// servedUnion joins one SELECT per served context (made by sel from its
// tables) with UNION ALL, each preceded by a column naming its place in
// served; the first served context's row wins.
func (s *Service) servedUnion(sel func(tables) string) (query string, served []string) {
	var parts []string
	for _, c := range s.contexts() {
		t, known := tablesOf[c]
		if !known {
			continue
		}
		parts = append(parts, `SELECT `+strconv.Itoa(len(served))+` AS o, q.* FROM (`+sel(t)+`) q`)
		served = append(served, c)
	}
	return strings.Join(parts, ` UNION ALL `) + ` ORDER BY o LIMIT 1`, served
}

// tokenPrincipal looks an API token up in the served contexts (one
// statement, as sessionPrincipal) and notes its use (at most once a
// minute).
func (s *Service) tokenPrincipal(ctx context.Context, tok string) (p Principal, ok bool, err error) {
	s.init()
	query, served := s.tokenSQL, s.served
	if len(served) == 0 {
		return Principal{}, false, nil
	}
	hash := hashToken(tok)
	now := sqlstore.Micro(s.DB.Clock.Now())
	var which int
	var lastUsed int64
	err = s.DB.QueryRow(ctx, query, hash, now).
		Scan(&which, &p.TokenID, &lastUsed, &p.AccountID, &p.Login, &p.Role, &p.Province, &p.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, false, nil
	}
	if err != nil {
		return Principal{}, false, err
	}
	c := served[which]
	p.Context, p.Via = c, ViaToken
	if now-lastUsed >= touchEvery.Microseconds() {
		if _, err := s.DB.SQL.ExecContext(ctx, `UPDATE `+tablesOf[c].tokens+` SET last_used_at = $1 WHERE id = $2`, now, p.TokenID); err != nil {
			return Principal{}, false, err
		}
	}
	return p, true, nil
}

// cookie is the session cookie carrying value until expires.
func (s *Service) cookie(value string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode,
	}
}

// clearCookie removes the session cookie from the browser.
func (s *Service) clearCookie() *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode,
	}
}

// Cookie is the session cookie for a login's session, for the sign-in page.
func (s *Service) Cookie(sess Session) *http.Cookie { return s.cookie(sess.Token, sess.Expires) }
