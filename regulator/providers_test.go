package regulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/connector"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
)

// Provider credentials: issued once, stored as a hash, one answer for every
// bad credential; rotation and revocation take effect at once.
func TestProviderCredentials(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		p, cred, err := e.AddProvider(WithActor(e.ctx, "cli:test"), " "+provA+" ")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OKIssued", func(t *testing.T) {
			if p.Name != provA || !strings.HasPrefix(cred, CredentialPrefix) || len(cred) < len(CredentialPrefix)+43 ||
				p.CredentialHint != cred[:credentialHintLen] || !p.CredentialAt.Equal(t0) || p.CreatedBy != "cli:test" {
				t.Fatalf("provider %+v, credential of %d characters", p, len(cred))
			}
			var stored string
			if err := e.DB.SQL.QueryRow(`SELECT credential_hash FROM registry_providers WHERE name = $1`, provA).Scan(&stored); err != nil ||
				stored != credentialHash(cred) || strings.Contains(stored, cred[len(CredentialPrefix):]) {
				t.Fatalf("stored %q, %v", stored, err)
			}
			if name, err := e.AuthenticateProvider(e.ctx, cred); err != nil || name != provA {
				t.Fatalf("authenticate: %q, %v", name, err)
			}
		})
		t.Run("ErrBadCredentials", func(t *testing.T) {
			for _, bad := range []string{"", "bpc_", "nope", cred[:len(cred)-1], strings.ToUpper(cred), "Bearer " + cred} {
				if _, err := e.AuthenticateProvider(e.ctx, bad); !beian.IsKind(err, beian.KindUnauthenticated) || codeOf(err) != "connector.credential_invalid" {
					t.Errorf("%.10q: %v", bad, err)
				}
			}
		})
		t.Run("ErrExists", func(t *testing.T) {
			if _, _, err := e.AddProvider(e.ctx, provA); !beian.IsKind(err, beian.KindConflict) || codeOf(err) != "connector.provider_exists" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("ErrName", func(t *testing.T) {
			for _, name := range []string{"", "  ", strings.Repeat("云", MaxProviderName+1), "a\nb"} {
				if _, _, err := e.AddProvider(e.ctx, name); !e.hasProblem(err, "registry.provider_invalid") {
					t.Errorf("%q: %v", name, err)
				}
			}
		})
		t.Run("RotateThenRevoke", func(t *testing.T) {
			e.clock.Advance(time.Hour)
			p2, cred2, err := e.RotateCredential(e.ctx, provA)
			if err != nil || cred2 == cred || p2.CredentialHint != cred2[:credentialHintLen] || !p2.CredentialAt.Equal(t0.Add(time.Hour)) {
				t.Fatalf("rotate: %+v, %v", p2, err)
			}
			if _, err := e.AuthenticateProvider(e.ctx, cred); !beian.IsKind(err, beian.KindUnauthenticated) {
				t.Fatalf("the old credential still works: %v", err)
			}
			if name, err := e.AuthenticateProvider(e.ctx, cred2); err != nil || name != provA {
				t.Fatalf("the new credential: %q, %v", name, err)
			}
			p3, err := e.RevokeCredential(e.ctx, provA)
			if err != nil || p3.CredentialHint != "" || p3.RevokedAt.IsZero() {
				t.Fatalf("revoke: %+v, %v", p3, err)
			}
			if _, err := e.AuthenticateProvider(e.ctx, cred2); !beian.IsKind(err, beian.KindUnauthenticated) {
				t.Fatalf("a revoked credential works: %v", err)
			}
			if _, _, err := e.RotateCredential(e.ctx, "无此服务商"); !beian.IsKind(err, beian.KindNotFound) || codeOf(err) != "connector.provider_not_found" {
				t.Fatalf("rotate unknown: %v", err)
			}
		})
		t.Run("EnsureIsIdempotentAndHasNoCredential", func(t *testing.T) {
			for i, want := range []bool{true, false} {
				p, created, err := e.EnsureProvider(e.ctx, provB)
				if err != nil || created != want || p.Name != provB || p.CredentialHint != "" {
					t.Fatalf("call %d: %+v, %v, %v", i, p, created, err)
				}
			}
			if n := e.count(t, `SELECT COUNT(*) FROM registry_providers WHERE name = $1`, provB); n != 1 {
				t.Fatalf("%d rows", n)
			}
			// the empty hash of a provider without credential never matches
			if _, err := e.AuthenticateProvider(e.ctx, CredentialPrefix); !beian.IsKind(err, beian.KindUnauthenticated) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("ListedAndAuditedWithoutCredential", func(t *testing.T) {
			ps, err := e.Providers(e.ctx)
			if err != nil || len(ps) != 2 || ps[0].Name > ps[1].Name {
				t.Fatalf("providers %+v, %v", ps, err)
			}
			var all strings.Builder
			rows, _ := e.DB.SQL.Query(`SELECT action, before_json, after_json FROM registry_audit WHERE entity = 'provider' ORDER BY seq`)
			for rows.Next() {
				var a, b, c string
				rows.Scan(&a, &b, &c)
				all.WriteString(a + " " + b + " " + c + "\n")
			}
			rows.Close()
			for _, action := range []string{"provider.add", "provider.credential_rotate", "provider.credential_revoke"} {
				if !strings.Contains(all.String(), action) {
					t.Errorf("no %s in the audit log:\n%s", action, all.String())
				}
			}
			if strings.Contains(all.String(), cred[credentialHintLen:]) {
				t.Fatal("a credential in the audit log")
			}
		})
	})
}

// GET,POST /api/v1/registry/providers: registry administrators only; the
// credential appears in the POST answer and nowhere else.
func TestProviderRoutes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		mux := http.NewServeMux()
		e.ProviderRoutes(mux)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if role := r.Header.Get("X-Role"); role != "" { // the test's Authenticate
				r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Context: identity.ContextRegistry, AccountID: 3, Role: beian.Role(role)}))
			}
			mux.ServeHTTP(w, r)
		}))
		defer srv.Close()
		call := func(role, method, path, body string) (int, string, http.Header) {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			req.Header.Set("X-Role", role)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header
		}
		const admin = string(beian.RoleRegistryAdmin)
		for _, tc := range []struct {
			name, role, method, path, body string
			status                         int
			want                           string
		}{
			{"ErrAnonymous", "", "GET", "/api/v1/registry/providers", "", 401, "unauthenticated"},
			{"ErrBureauReviewer", "bureau_reviewer", "POST", "/api/v1/registry/providers", `{"name":"x"}`, 403, "forbidden"},
			{"ErrBadJSON", admin, "POST", "/api/v1/registry/providers", `{"nom":"x"}`, 400, "bad_request"},
			{"ErrBadName", admin, "POST", "/api/v1/registry/providers", `{"name":""}`, 422, "registry.provider_invalid"},
			{"ErrRotateUnknown", admin, "POST", "/api/v1/registry/providers/nobody/credential", "", 404, "not_found"},
		} {
			if code, body, _ := call(tc.role, tc.method, tc.path, tc.body); code != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%s: %d %s", tc.name, code, body)
			}
		}
		code, body, hdr := call(admin, "POST", "/api/v1/registry/providers", `{"name":"`+provA+`"}`)
		var created ProviderCredentialJSON
		if err := json.Unmarshal([]byte(body), &created); code != 201 || err != nil || hdr.Get("Cache-Control") != "no-store" {
			t.Fatalf("POST: %d %s %v", code, body, hdr)
		}
		if name, err := e.AuthenticateProvider(e.ctx, created.Credential); err != nil || name != provA || created.Provider.CreatedBy != "account:3" {
			t.Fatalf("credential of the answer: %q %v; %+v", name, err, created.Provider)
		}
		if code, body, _ := call(admin, "POST", "/api/v1/registry/providers", `{"name":"`+provA+`"}`); code != 409 || !strings.Contains(body, "conflict") || !strings.Contains(body, provA) {
			t.Fatalf("again: %d %s", code, body)
		}
		code, body, _ = call(admin, "GET", "/api/v1/registry/providers", "")
		if code != 200 || !strings.Contains(body, `"name":"`+provA+`"`) || !strings.Contains(body, created.Provider.CredentialHint) ||
			strings.Contains(body, created.Credential) {
			t.Fatalf("GET: %d %s", code, body)
		}
		code, body, _ = call(admin, "POST", "/api/v1/registry/providers/"+provA+"/credential", "")
		var rotated ProviderCredentialJSON
		if err := json.Unmarshal([]byte(body), &rotated); code != 200 || err != nil || rotated.Credential == created.Credential {
			t.Fatalf("rotate: %d %s", code, body)
		}
		if code, body, _ = call(admin, "DELETE", "/api/v1/registry/providers/"+provA+"/credential", ""); code != 200 || !strings.Contains(body, `"revoked_at"`) {
			t.Fatalf("revoke: %d %s", code, body)
		}
		if _, err := e.AuthenticateProvider(e.ctx, rotated.Credential); !beian.IsKind(err, beian.KindUnauthenticated) {
			t.Fatalf("revoked credential: %v", err)
		}
	})
}

// Every connector.* code of the registry and of the HTTP client has a
// message in every language, and the catalogues hold no other connector.* code.
func TestConnectorCodesHaveMessages(t *testing.T) {
	cat := i18n.Default()
	codes := ConnectorCodes()
	for code, rule := range connector.Codes() {
		codes[code] = rule
	}
	for code := range codes {
		for _, lang := range i18n.Langs {
			if !cat.Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
	for _, lang := range i18n.Langs {
		for _, code := range cat.Codes(lang) {
			if _, ok := codes[code]; strings.HasPrefix(code, "connector.") && !ok {
				t.Errorf("%s: message for %s, which no Codes lists", lang, code)
			}
		}
	}
}
