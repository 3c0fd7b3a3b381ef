package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"sync"
	"time"

	"github.com/beian/beian/audit"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/sqlstore"
)

// DefaultSessionTTL is how long a session lives without use (sliding).
const DefaultSessionTTL = 12 * time.Hour

// Service is identity for the contexts one process serves. Its zero fields
// take defaults (see each); set the fields before first use and do not change
// them after. A Service is safe for concurrent use.
type Service struct {
	DB *sqlstore.DB
	// Limiter counts login attempts (API.md, "Rate limits"); nil: a limiter
	// on DB.
	Limiter *ratelimit.Limiter
	// Contexts are the contexts whose accounts may log in here:
	// ["provider","registry"] for serve, ["registry"] for `beian regulator`;
	// nil means both. Set before the first request (the lookups are built
	// from it once).
	Contexts []string
	// SessionTTL is a session's lifetime, extended while it is used
	// (sliding); 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// Secure marks the session cookie Secure (behind TLS).
	Secure bool
	// Params are the argon2id costs of new password hashes; zero fields take
	// DefaultHashParams.
	Params HashParams
	// LoginFailures and LoginClient override the rate-limit rules; zero
	// values take ratelimit.LoginFailures and ratelimit.LoginClient.
	LoginFailures, LoginClient ratelimit.Rule

	once      sync.Once
	limiter   *ratelimit.Limiter
	dummyHash string // verified when a login does not exist, to take the same time
	// The one-statement lookups of a session and of an API token over the
	// served contexts, and those contexts in the order of their first
	// column (authenticate.go), built once: every request makes one.
	sessionSQL, tokenSQL string
	served               []string
}

// init fills the defaults once.
func (s *Service) init() {
	s.once.Do(func() {
		s.limiter = s.Limiter
		if s.limiter == nil {
			s.limiter = &ratelimit.Limiter{DB: s.DB}
		}
		if s.LoginFailures.Limit == 0 {
			s.LoginFailures = ratelimit.LoginFailures
		}
		if s.LoginClient.Limit == 0 {
			s.LoginClient = ratelimit.LoginClient
		}
		// A hash of nothing anyone can type: the password is random.
		s.dummyHash, _ = HashPassword(s.Params, randomToken())
		s.sessionSQL, s.served = s.servedUnion(sessionSelect)
		s.tokenSQL, _ = s.servedUnion(tokenSelect)
	})
}

// contexts returns the served contexts.
func (s *Service) contexts() []string {
	if len(s.Contexts) == 0 {
		return []string{ContextProvider, ContextRegistry}
	}
	return s.Contexts
}

// serves reports whether the context is served.
func (s *Service) serves(c string) bool { return slices.Contains(s.contexts(), c) }

// ttl returns the session lifetime.
func (s *Service) ttl() time.Duration {
	if s.SessionTTL <= 0 {
		return DefaultSessionTTL
	}
	return s.SessionTTL
}

// tables are the table names of one context, never built from input.
type tables struct {
	accounts, sessions, tokens string
	province                   string // the province column expression
}

var tablesOf = map[string]tables{
	ContextProvider: {"provider_accounts", "provider_sessions", "provider_tokens", "''"},
	ContextRegistry: {"registry_accounts", "registry_sessions", "registry_tokens", "a.province"},
}

// chain returns the audit chain of a known context.
func chain(c string) *audit.Chain {
	ch, err := audit.New(c)
	if err != nil {
		panic(err) // c comes from tablesOf's keys only
	}
	return ch
}

// randomToken returns 32 random bytes, base64url without padding.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("identity: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashToken returns the stored form of a session or API token: hex SHA-256.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}
