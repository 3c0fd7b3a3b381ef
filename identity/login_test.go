package identity

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		e.create(t, "zj-bureau", beian.RoleBureauReviewer, "浙")
		t.Run("OK", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/sessions", map[string]string{"login": "Alice", "password": goodPassword})
			if r.status != http.StatusCreated {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			var c *http.Cookie
			for _, x := range (&http.Response{Header: r.header}).Cookies() {
				if x.Name == CookieName {
					c = x
				}
			}
			if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.Value != r.body["token"] {
				t.Fatalf("cookie %+v, body %s", c, r.raw)
			}
			acc, _ := r.body["account"].(map[string]any)
			if acc["login"] != "alice" || acc["role"] != "customer" || acc["context"] != "provider" || r.body["csrf"] == "" || r.body["expires_at"] == nil {
				t.Fatalf("body %s", r.raw)
			}
			if exp, _ := time.Parse(time.RFC3339, r.body["expires_at"].(string)); !exp.Equal(start.Add(DefaultSessionTTL)) {
				t.Fatalf("expires_at %v", r.body["expires_at"])
			}
			// Only the SHA-256 of the token is stored.
			var n int
			_ = e.db.SQL.QueryRow(`SELECT COUNT(*) FROM provider_sessions WHERE id_hash = $1`, c.Value).Scan(&n)
			if n != 0 {
				t.Fatal("the raw session token is stored")
			}
			me := e.do(t, "GET", "/api/v1/me", nil, withCookie(c.Value))
			if me.status != 200 || me.body["login"] != "alice" || me.body["via"] != "session" || me.body["csrf"] != r.body["csrf"] {
				t.Fatalf("me: %d %s", me.status, me.raw)
			}
		})
		t.Run("OKRegistryContext", func(t *testing.T) {
			sess, err := e.s.Login(context.Background(), "zj-bureau", goodPassword, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			if p := sess.Principal; p.Context != "registry" || p.Role != beian.RoleBureauReviewer || p.Province != "330000" || p.Via != "session" {
				t.Fatalf("got %+v", p)
			}
		})
		t.Run("ErrBadCredentialsSameForUnknownLogin", func(t *testing.T) {
			wrong := e.do(t, "POST", "/api/v1/sessions", map[string]string{"login": "alice", "password": "not the password"}, withLang("en"))
			unknown := e.do(t, "POST", "/api/v1/sessions", map[string]string{"login": "nobody", "password": goodPassword}, withLang("en"))
			if wrong.status != 401 || wrong.code() != "unauthenticated" || wrong.raw != unknown.raw || wrong.status != unknown.status {
				t.Fatalf("wrong password %d %s; unknown login %d %s", wrong.status, wrong.raw, unknown.status, unknown.raw)
			}
			_, err := e.s.Login(context.Background(), "nobody", goodPassword, "192.0.2.1")
			var be *beian.Error
			if !asError(err, &be) || be.Code != "auth.bad_credentials" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("ErrAccountDisabled", func(t *testing.T) {
			cookie, _ := e.login(t, "alice")
			if _, err := e.db.SQL.Exec(`UPDATE provider_accounts SET disabled_at = 1 WHERE login = 'alice'`); err != nil {
				t.Fatal(err)
			}
			defer e.db.SQL.Exec(`UPDATE provider_accounts SET disabled_at = 0 WHERE login = 'alice'`)
			_, err := e.s.Login(context.Background(), "alice", goodPassword, "192.0.2.1")
			var be *beian.Error
			if !asError(err, &be) || be.Code != "auth.account_disabled" {
				t.Fatalf("got %v", err)
			}
			if r := e.do(t, "GET", "/api/v1/me", nil, withCookie(cookie)); r.status != 401 {
				t.Fatalf("a disabled account's session still works: %d", r.status)
			}
		})
	})
}

// `beian regulator` serves only the registry: provider accounts cannot log
// in there and there is no customer sign-up.
func TestLoginServedContexts(t *testing.T) {
	t.Parallel()
	each(t, func(s *Service) { s.Contexts = []string{"registry"} }, nil, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		e.create(t, "admin", beian.RoleRegistryAdmin, "")
		t.Run("ErrProviderAccount", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/sessions", map[string]string{"login": "alice", "password": goodPassword})
			if r.status != 401 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
		t.Run("OKRegistryAccount", func(t *testing.T) { e.login(t, "admin") })
		t.Run("NoSignup", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/signup", map[string]string{"login": "carol", "password": goodPassword})
			if r.status != 404 && r.status != 405 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	})
}

// API.md, "Rate limits": 5 failures per login per 15 minutes; the 6th
// attempt is refused even with the right password, with Retry-After. A
// burst of parallel guesses gets no more than 5 password checks.
func TestLoginFailureLimit(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.try("POST", "/api/v1/sessions", map[string]string{"login": "alice", "password": "guess-guess"})
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if statuses[401] != 5 || statuses[429] != 5 {
			t.Fatalf("burst of 10 guesses: %v, want 5×401 and 5×429", statuses)
		}
		r := e.do(t, "POST", "/api/v1/sessions", map[string]string{"login": "alice", "password": goodPassword}, withLang("en"))
		if r.status != 429 || r.code() != "rate_limited" || r.header.Get("Retry-After") != "900" || !strings.Contains(r.body["message"].(string), "900 seconds") {
			t.Fatalf("right password after 5 failures: %d %v %s", r.status, r.header.Get("Retry-After"), r.raw)
		}
		t.Run("OKAfterTheWindow", func(t *testing.T) {
			e.clock.Advance(15 * time.Minute)
			e.login(t, "alice")
		})
		t.Run("SuccessResetsFailures", func(t *testing.T) {
			for i := 0; i < 4; i++ {
				e.do(t, "POST", "/api/v1/sessions", map[string]string{"login": "alice", "password": "guess-guess"})
			}
			e.login(t, "alice")
			for i := 0; i < 5; i++ {
				if r := e.do(t, "POST", "/api/v1/sessions", map[string]string{"login": "alice", "password": "guess-guess"}); r.status != 401 {
					t.Fatalf("failure %d after a success: %d", i+1, r.status)
				}
			}
		})
	})
}

// API.md, "Rate limits": 30 attempts per client address per minute, every
// attempt counted.
func TestLoginClientLimit(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		for i := 0; i < 29; i++ { // distinct logins: the per-login limit stays out of the way
			if r := e.do(t, "POST", "/api/v1/sessions", map[string]string{"login": "nobody" + itoa(int64(i)), "password": goodPassword}); r.status != 401 {
				t.Fatalf("attempt %d: %d %s", i+1, r.status, r.raw)
			}
		}
		e.login(t, "alice") // the 30th, a success, counts too
		r := e.do(t, "POST", "/api/v1/sessions", map[string]string{"login": "alice", "password": goodPassword})
		if r.status != 429 || r.header.Get("Retry-After") != "60" {
			t.Fatalf("31st attempt: %d %q %s", r.status, r.header.Get("Retry-After"), r.raw)
		}
		e.clock.Advance(time.Minute)
		e.login(t, "alice")
	})
}

func TestSignup(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		e.create(t, "taken", beian.RoleRegistryAdmin, "")
		t.Run("OK", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/signup", map[string]string{"login": "carol", "password": goodPassword, "name": "Carol"})
			if r.status != 201 || r.body["login"] != "carol" || r.body["role"] != "customer" || r.body["id"] == nil {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			e.login(t, "carol")
		})
		t.Run("ErrLoginTaken", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/signup", map[string]string{"login": "taken", "password": goodPassword})
			if r.status != 409 || !strings.Contains(r.raw, "auth.login_taken") {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/signup", map[string]string{"login": "dave", "password": "short"})
			if r.status != 422 || !strings.Contains(r.raw, `"field":"password"`) {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
		t.Run("ErrBadJSON", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/signup", map[string]string{"login": "dave", "role": "registry_admin"})
			if r.status != 400 {
				t.Fatalf("unknown field accepted: %d %s", r.status, r.raw)
			}
		})
	})
}

// An unknown login takes about as long as a wrong password (a dummy hash is
// verified), so that timing does not tell which logins exist. Default costs:
// with the test costs the hash is too cheap to see.
func TestLoginTimingUnknownLogin(t *testing.T) {
	db := sqltest.Open(t, sqlstore.SQLite, nil)
	s := &Service{DB: db}
	if _, err := s.CreateAccount(context.Background(), NewAccount{Login: "alice", Password: goodPassword, Role: beian.RoleCustomer}, "test"); err != nil {
		t.Fatal(err)
	}
	fastest := func(login string) time.Duration {
		best := time.Hour
		for i := 0; i < 3; i++ {
			t0 := time.Now()
			_, err := s.Login(context.Background(), login, "not the password", "192.0.2.1")
			if d := time.Since(t0); d < best {
				best = d
			}
			if !beian.IsKind(err, beian.KindUnauthenticated) {
				t.Fatalf("%s: %v", login, err)
			}
		}
		return best
	}
	wrong, unknown := fastest("alice"), fastest("nobody")
	t.Logf("fastest of 3: wrong password %v, unknown login %v", wrong, unknown)
	if unknown < wrong/3 {
		t.Fatalf("unknown login %v, wrong password %v: the difference tells which logins exist", unknown, wrong)
	}
}
