package identity

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/sqlstore"
)

// Session is a browser session just created by Login.
type Session struct {
	Token     string    // the cookie value: 32 random bytes, base64url; only its SHA-256 is stored
	CSRF      string    // the token unsafe cookie-authenticated requests must echo
	Expires   time.Time // extended while the session is used (sliding)
	Principal Principal // the account, Via ViaSession
}

// errBadCredentials is the one answer to a wrong login or a wrong password.
func errBadCredentials() error {
	return beian.Errorf(beian.KindUnauthenticated, "auth.bad_credentials")
}

// rateLimited is the rate_limited error of a refused decision under rule, with
// the message code and Retry-After (the end of the rule's fixed window).
func rateLimited(d ratelimit.Decision, r ratelimit.Rule, now time.Time, code string) error {
	if d.RetryAfter <= 0 { // a decision from Peek carries none
		d.RetryAfter = now.Truncate(r.Window).Add(r.Window).Sub(now)
	}
	err := ratelimit.Error(d)
	var e *beian.Error
	if errors.As(err, &e) {
		e.Code = code
	}
	return err
}

// Login checks a login and password against the accounts of the served
// contexts and opens a session (API.md, "Rate limits"): every attempt counts
// against LoginClient for the client address, and against LoginFailures for
// the login before the password is checked, so that once 5 failures are
// counted even the right password is refused (429) until the window ends,
// and a burst of parallel guesses gets no more than 5 checks; a success
// clears the login's count, so that only failures remain counted. An
// unknown login and a wrong password give the same error
// (auth.bad_credentials) after the same work (a dummy hash is verified). A
// disabled account cannot log in (auth.account_disabled, told only to the
// right password).
func (s *Service) Login(ctx context.Context, login, password, client string) (sess Session, err error) {
	defer beian.Wrap(&err, "login")
	s.init()
	login = NormalizeLogin(login)
	now := s.DB.Clock.Now()
	d, err := s.limiter.Allow(ctx, s.LoginClient, client)
	if err != nil {
		return Session{}, err
	}
	if !d.Allowed {
		return Session{}, rateLimited(d, s.LoginClient, now, "auth.too_many_attempts")
	}
	if d, err = s.limiter.Allow(ctx, s.LoginFailures, login); err != nil {
		return Session{}, err
	}
	if !d.Allowed {
		return Session{}, rateLimited(d, s.LoginFailures, now, "auth.too_many_failures")
	}
	a, found, err := s.findAccount(ctx, login)
	if err != nil {
		return Session{}, err
	}
	ok := false
	if found {
		ok, err = VerifyPassword(a.hash, password)
	}
	if !found || err != nil { // no account, or one without a usable hash: spend the same time
		_, _ = VerifyPassword(s.dummyHash, password)
		ok = false
	}
	if !ok {
		return Session{}, errBadCredentials() // already counted
	}
	if a.disabled {
		return Session{}, beian.Errorf(beian.KindUnauthenticated, "auth.account_disabled")
	}
	if err := s.limiter.Reset(ctx, s.LoginFailures, login); err != nil {
		return Session{}, err
	}
	return s.openSession(ctx, a.Principal)
}

// openSession stores a new session of p.
func (s *Service) openSession(ctx context.Context, p Principal) (Session, error) {
	sess := Session{Token: randomToken(), CSRF: randomToken()}
	p.Via, p.SessionHash, p.CSRF, p.TokenID = ViaSession, hashToken(sess.Token), sess.CSRF, 0
	t := tablesOf[p.Context]
	err := s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		sess.Expires = sqlstore.FromMicro(sqlstore.Micro(tx.Now.Add(s.ttl())))
		now := sqlstore.Micro(tx.Now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+t.sessions+` (id_hash, account_id, csrf, created_at, expires_at, last_seen_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, p.SessionHash, p.AccountID, p.CSRF, now, sqlstore.Micro(sess.Expires), now); err != nil {
			return err
		}
		err := chain(p.Context).Append(ctx, tx, audit.Entry{
			Actor: p.Actor(), Action: "session.create", Entity: "account", EntityID: strconv.FormatInt(p.AccountID, 10),
			After: map[string]string{"expires_at": sess.Expires.Format(time.RFC3339)},
		})
		return err
	})
	sess.Principal = p
	return sess, err
}

// Logout ends what p authenticated with: a session is revoked, and so is an
// API token presented as the bearer (DELETE /api/v1/sessions/current).
// Revoking twice is not an error.
func (s *Service) Logout(ctx context.Context, p Principal) (err error) {
	defer beian.Wrap(&err, "logout")
	t, ok := tablesOf[p.Context]
	if !ok {
		return beian.Errorf(beian.KindUnauthenticated, "auth.required")
	}
	return s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		var res sql.Result
		var err error
		action := "session.revoke"
		switch p.Via {
		case ViaSession:
			res, err = tx.ExecContext(ctx, `UPDATE `+t.sessions+` SET revoked_at = $1 WHERE id_hash = $2 AND account_id = $3 AND revoked_at = 0`,
				sqlstore.Micro(tx.Now), p.SessionHash, p.AccountID)
		case ViaToken:
			action = "token.revoke"
			res, err = tx.ExecContext(ctx, `UPDATE `+t.tokens+` SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at = 0`,
				sqlstore.Micro(tx.Now), p.TokenID, p.AccountID)
		default:
			return beian.Errorf(beian.KindUnauthenticated, "auth.required")
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // already revoked: nothing to record
		}
		e := audit.Entry{Actor: p.Actor(), Action: action, Entity: "account", EntityID: strconv.FormatInt(p.AccountID, 10)}
		if p.Via == ViaToken {
			e.After = map[string]int64{"token_id": p.TokenID}
		}
		err = chain(p.Context).Append(ctx, tx, e)
		return err
	})
}

// API token lifetimes.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 366 * 24 * time.Hour
	MaxTokenName    = 64 // characters
)

// TokenPrefix starts every API token, so that a leaked one is recognisable.
const TokenPrefix = "bt_"

// Token is an API token's stored facts (never the token itself).
type Token struct {
	ID      int64
	Name    string
	Expires time.Time
}

// CreateToken issues an API token for p's account: TokenPrefix and 32
// random bytes, base64url, returned once and stored only as its SHA-256. A
// ttl of 0 means DefaultTokenTTL; more than MaxTokenTTL, or a name empty or
// over MaxTokenName characters, is invalid. The routes allow it only to a
// session (an API token cannot mint more).
func (s *Service) CreateToken(ctx context.Context, p Principal, name string, ttl time.Duration) (token string, err error) {
	token, _, err = s.createToken(ctx, p, name, ttl)
	return token, err
}

func (s *Service) createToken(ctx context.Context, p Principal, name string, ttl time.Duration) (token string, info Token, err error) {
	defer beian.Wrap(&err, "create token")
	t, ok := tablesOf[p.Context]
	if !ok || p.AccountID == 0 {
		return "", Token{}, beian.Errorf(beian.KindUnauthenticated, "auth.required")
	}
	var ps beian.Problems
	info.Name = strings.TrimSpace(name)
	if info.Name == "" || utf8.RuneCountInString(info.Name) > MaxTokenName {
		ps.Add("auth.token_name_invalid", "", "name", "max", strconv.Itoa(MaxTokenName))
	}
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < 0 || ttl > MaxTokenTTL {
		ps.Add("auth.token_ttl_invalid", "", "ttl_hours", "max", strconv.Itoa(int(MaxTokenTTL/time.Hour)))
	}
	if err := ps.Err(); err != nil {
		return "", Token{}, err
	}
	token = TokenPrefix + randomToken()
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		info.Expires = sqlstore.FromMicro(sqlstore.Micro(tx.Now.Add(ttl)))
		if err := tx.QueryRowContext(ctx, `INSERT INTO `+t.tokens+` (token_hash, account_id, name, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, hashToken(token), p.AccountID, info.Name, sqlstore.Micro(tx.Now),
			sqlstore.Micro(info.Expires)).Scan(&info.ID); err != nil {
			return sqlstore.MapErr(err)
		}
		err := chain(p.Context).Append(ctx, tx, audit.Entry{
			Actor: p.Actor(), Action: "token.create", Entity: "account", EntityID: strconv.FormatInt(p.AccountID, 10),
			After: map[string]any{"token_id": info.ID, "name": info.Name, "expires_at": info.Expires.Format(time.RFC3339)},
		})
		return err
	})
	if err != nil {
		return "", Token{}, err
	}
	return token, info, nil
}
