package provider

import (
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Rule ACC-3: a code is issued for an eligible own resource with the
// default expiry (90 days) and use limit (1), listed by its issuer only,
// revoked while unused; another account's code or resource is not found.
func TestAuthCodesIssueListRevoke(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		alice, bob := e.customer(t), e.customer(t)
		r := e.resource(t, alice.id)
		post := e.resource(t, alice.id, func(r *beian.Resource) { r.Billing = beian.Postpaid })
		var c AuthCodeJSON
		alice.call(t, 201, "POST", "/api/v1/auth-codes", map[string]any{"resource_id": r.ID}, &c)
		if c.UseLimit != 1 || !c.ExpiresAt.Equal(t0.Add(90*24*time.Hour)) || c.State != "active" || len(c.Code) != 16 {
			t.Fatalf("issued: %+v", c)
		}
		// Rule ACC-2: a pay-as-you-go resource cannot back a code.
		var eb errorBody
		alice.call(t, 422, "POST", "/api/v1/auth-codes", map[string]any{"resource_id": post.ID}, &eb)
		wantProblems(t, eb, "resource.postpaid@*")
		// Tenant isolation: bob cannot issue on alice's resource, nor see or revoke her code.
		bob.call(t, 404, "POST", "/api/v1/auth-codes", map[string]any{"resource_id": r.ID}, nil)
		bob.call(t, 404, "DELETE", "/api/v1/auth-codes/"+c.Code, nil, nil)
		var list struct{ Items []AuthCodeJSON }
		bob.call(t, 200, "GET", "/api/v1/auth-codes", nil, &list)
		if len(list.Items) != 0 {
			t.Errorf("bob lists %d codes", len(list.Items))
		}
		alice.call(t, 200, "GET", "/api/v1/auth-codes", nil, &list)
		if len(list.Items) != 1 || list.Items[0].Code != c.Code {
			t.Errorf("alice lists %+v", list.Items)
		}
		var revoked AuthCodeJSON
		alice.call(t, 200, "DELETE", "/api/v1/auth-codes/"+c.Code, nil, &revoked)
		if revoked.State != "revoked" || revoked.RevokedAt == nil {
			t.Errorf("revoked: %+v", revoked)
		}
		// Staff are not customers here.
		e.account(t, beian.RoleProviderAdmin, "").call(t, 403, "GET", "/api/v1/auth-codes", nil, nil)
	})
}

// Rule ACC-3: a code from another account makes the precheck qualify; it
// stops qualifying when revoked, when used up, and when expired; a used
// code cannot be revoked.
func TestAuthCodeQualifiesUntilRevokedUsedOrExpired(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner, filer := e.customer(t), e.customer(t)
		r := e.resource(t, owner.id)
		co := newCompany(t, 2)
		e.seedDomain(t, co.domain, co.name, "uscc", co.uscc)
		issue := func(body map[string]any) AuthCodeJSON {
			var c AuthCodeJSON
			owner.call(t, 201, "POST", "/api/v1/auth-codes", body, &c)
			return c
		}
		pre := func(code string, want int) errorBody {
			var eb errorBody
			filer.call(t, want, "POST", "/api/v1/precheck", map[string]any{"province": "110000", "nature": "enterprise",
				"cert_type": "uscc", "cert_number": co.uscc, "domains": []string{co.domain}, "auth_codes": []string{code}}, &eb)
			return eb
		}
		// Without a code the filer has no available resources (暂无可用资源).
		var eb errorBody
		filer.call(t, 422, "POST", "/api/v1/precheck", map[string]any{"province": "110000", "nature": "enterprise",
			"cert_type": "uscc", "cert_number": co.uscc, "domains": []string{co.domain}}, &eb)
		wantProblems(t, eb, "precheck.no_resources@resources")

		c := issue(map[string]any{"resource_id": r.ID, "valid_for_days": 10})
		var ok PrecheckJSON
		filer.call(t, 200, "POST", "/api/v1/precheck", map[string]any{"province": "110000", "nature": "enterprise",
			"cert_type": "uscc", "cert_number": co.uscc, "domains": []string{co.domain}, "auth_codes": []string{c.Code}}, &ok)
		if len(ok.Resources) != 1 || ok.Resources[0].AuthCode != c.Code || ok.Resources[0].UsesLeft != 1 {
			t.Fatalf("qualifying: %+v", ok.Resources)
		}
		// The issuer cannot use its own code.
		eb = errorBody{}
		owner.call(t, 422, "POST", "/api/v1/precheck", map[string]any{"province": "110000", "nature": "enterprise",
			"cert_type": "uscc", "cert_number": co.uscc, "domains": []string{co.domain}, "auth_codes": []string{c.Code}}, &eb)
		wantProblems(t, eb, "authcode.own_account@auth_codes[0]")

		// Revoked.
		owner.call(t, 200, "DELETE", "/api/v1/auth-codes/"+c.Code, nil, nil)
		wantProblems(t, pre(c.Code, 422), "authcode.revoked@auth_codes[0]", "precheck.no_resources@resources")

		// Used up: one use allowed; a used code cannot be revoked.
		c2 := issue(map[string]any{"resource_id": r.ID})
		if err := e.db.InTx(e.ctx, func(tx *sqlstore.Tx) error {
			_, err := e.svc.Store.UseAuthCode(e.ctx, tx, c2.Code, filer.id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		wantProblems(t, pre(c2.Code, 422), "authcode.exhausted@auth_codes[0]")
		owner.call(t, 409, "DELETE", "/api/v1/auth-codes/"+c2.Code, nil, nil)

		// Expired: a 10-day code is usable on day 9, not on day 11.
		c3 := issue(map[string]any{"resource_id": r.ID, "valid_for_days": 10, "use_limit": 2})
		e.advance(t, 9*24*time.Hour)
		e.relogin(t, filer)
		pre(c3.Code, 200)
		e.advance(t, 2*24*time.Hour)
		e.relogin(t, filer)
		wantProblems(t, pre(c3.Code, 422), "authcode.expired@auth_codes[0]")
		// An unknown code is named as such.
		wantProblems(t, pre("ZZZZ-ZZZZ-ZZZZ-ZZZZ", 422), "authcode.unknown@auth_codes[0]")
	})
}
