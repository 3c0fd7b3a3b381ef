package identity

import (
	"context"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/i18n"
)

// Every code this package produces has a message in both catalogues.
func TestCodesHaveMessages(t *testing.T) {
	t.Parallel()
	c := i18n.Default()
	for code := range Codes() {
		for _, lang := range i18n.Langs {
			if !c.Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
}

func TestContextOf(t *testing.T) {
	t.Parallel()
	for role, want := range map[beian.Role]string{
		beian.RoleCustomer: "provider", beian.RoleProviderReviewer: "provider", beian.RoleVerifier: "provider",
		beian.RoleProviderAdmin: "provider", beian.RoleBureauReviewer: "registry", beian.RoleRegistryAdmin: "registry",
		"root": "",
	} {
		if got := ContextOf(role); got != want {
			t.Errorf("ContextOf(%s) = %q, want %q", role, got, want)
		}
	}
}

func TestCreateAccount(t *testing.T) {
	t.Parallel()
	each(t, nil, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			p, err := e.s.CreateAccount(ctx, NewAccount{Login: " Alice@Example.com ", Password: goodPassword, Role: beian.RoleCustomer, Name: "爱丽丝"}, "test")
			if err != nil {
				t.Fatal(err)
			}
			if p.Context != "provider" || p.Login != "alice@example.com" || p.AccountID == 0 || p.Name != "爱丽丝" {
				t.Fatalf("got %+v", p)
			}
			// The audit record names the account, never the password (PRIV-1).
			ch, _ := audit.New("provider")
			recs, err := ch.Records(ctx, e.db, "account", itoa(p.AccountID))
			if err != nil || len(recs) != 1 || recs[0].Action != "account.create" || recs[0].Actor != "test" {
				t.Fatalf("audit: %+v %v", recs, err)
			}
			if strings.Contains(recs[0].After, goodPassword) || strings.Contains(recs[0].After, "argon2") || !strings.Contains(recs[0].After, "alice@example.com") {
				t.Fatalf("audit after: %s", recs[0].After)
			}
		})
		t.Run("BureauReviewerProvinceByName", func(t *testing.T) {
			p, err := e.s.CreateAccount(ctx, NewAccount{Login: "zj-bureau", Password: goodPassword, Role: beian.RoleBureauReviewer, Province: "浙江"}, "test")
			if err != nil {
				t.Fatal(err)
			}
			if p.Context != "registry" || p.Province != "330000" {
				t.Fatalf("got %+v", p)
			}
			ch, _ := audit.New("registry")
			if recs, _ := ch.Records(ctx, e.db, "account", itoa(p.AccountID)); len(recs) != 1 {
				t.Fatalf("not in the registry chain: %+v", recs)
			}
		})
		t.Run("ErrLoginTakenAcrossContexts", func(t *testing.T) {
			// The schema keeps logins unique per table; the service across both.
			for _, a := range []NewAccount{
				{Login: "ALICE@example.com", Password: goodPassword, Role: beian.RoleProviderAdmin},
				{Login: "alice@example.com", Password: goodPassword, Role: beian.RoleRegistryAdmin},
				{Login: "zj-bureau", Password: goodPassword, Role: beian.RoleCustomer},
			} {
				_, err := e.s.CreateAccount(ctx, a, "test")
				if !beian.IsKind(err, beian.KindConflict) || !problems(err).Has("auth.login_taken") {
					t.Errorf("%s as %s: %v", a.Login, a.Role, err)
				}
			}
		})
		for _, tc := range []struct {
			name string
			a    NewAccount
			code string
		}{
			{"ErrLoginShort", NewAccount{Login: "ab", Password: goodPassword, Role: beian.RoleCustomer}, "auth.login_invalid"},
			{"ErrLoginLong", NewAccount{Login: strings.Repeat("a", 65), Password: goodPassword, Role: beian.RoleCustomer}, "auth.login_invalid"},
			{"ErrLoginChars", NewAccount{Login: "bob smith", Password: goodPassword, Role: beian.RoleCustomer}, "auth.login_invalid"},
			{"ErrLoginChinese", NewAccount{Login: "张三丰", Password: goodPassword, Role: beian.RoleCustomer}, "auth.login_invalid"},
			{"ErrPasswordShort", NewAccount{Login: "bob", Password: "123456789", Role: beian.RoleCustomer}, "auth.password_too_short"},
			{"ErrPasswordLong", NewAccount{Login: "bob", Password: strings.Repeat("x", MaxPasswordLen+1), Role: beian.RoleCustomer}, "auth.password_too_long"},
			{"ErrPasswordIsLogin", NewAccount{Login: "bob.the.builder", Password: "Bob.The.Builder", Role: beian.RoleCustomer}, "auth.password_is_login"},
			{"ErrRoleUnknown", NewAccount{Login: "bob", Password: goodPassword, Role: "root"}, "auth.role_unknown"},
			{"ErrProvinceRequired", NewAccount{Login: "bob", Password: goodPassword, Role: beian.RoleBureauReviewer}, "auth.province_required"},
			{"ErrProvinceUnknown", NewAccount{Login: "bob", Password: goodPassword, Role: beian.RoleBureauReviewer, Province: "Atlantis"}, "auth.province_unknown"},
			{"ErrProvinceNotAllowed", NewAccount{Login: "bob", Password: goodPassword, Role: beian.RoleRegistryAdmin, Province: "330000"}, "auth.province_not_allowed"},
			{"ErrNameLong", NewAccount{Login: "bob", Password: goodPassword, Role: beian.RoleCustomer, Name: strings.Repeat("名", 65)}, "auth.name_too_long"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.s.CreateAccount(ctx, tc.a, "test")
				if !beian.IsKind(err, beian.KindInvalid) || !problems(err).Has(tc.code) {
					t.Fatalf("want %s, got %v", tc.code, err)
				}
			})
		}
		t.Run("ProblemsAllAtOnce", func(t *testing.T) {
			_, err := e.s.CreateAccount(ctx, NewAccount{Login: "x", Password: "short", Role: "root"}, "test")
			if ps := problems(err); len(ps) != 3 {
				t.Fatalf("want 3 problems, got %v", err)
			}
		})
	})
}
