package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore/sqltest"
)

// Who may call a route besides the roles of API.md.
const (
	roleAnyone     beian.Role = "*"          // anyone, also anonymous
	roleCredential beian.Role = "credential" // a provider's credential at the registry (the connector)
)

// Tenancy of a route: whose data it reaches.
const (
	ownAccount  = "account"  // the customer's own: another customer gets 404
	ownProvince = "province" // the bureau reviewer's province: another province gets 404
	ownProvider = "provider" // the provider's own submissions: another provider gets 404
)

var (
	mxCustomerAndStaff = []beian.Role{beian.RoleCustomer, beian.RoleProviderReviewer, beian.RoleVerifier, beian.RoleProviderAdmin}
	mxCustomer         = []beian.Role{beian.RoleCustomer}
	mxReviewer         = []beian.Role{beian.RoleProviderReviewer}
	mxBureau           = []beian.Role{beian.RoleBureauReviewer}
	mxRegAdmin         = []beian.Role{beian.RoleRegistryAdmin}
	mxAnyone           = []beian.Role{roleAnyone}
	mxConnector        = []beian.Role{roleCredential}
)

// matrixRoute is one row of the authorization matrix: the method, the path
// template ({order}, {doc}, {code}, {submission}, {request}, {filing} and
// {provider} are filled from the fixtures), the roles allowed, and the
// tenancy ("" when the route reaches no other account's data).
type matrixRoute struct {
	method, path string
	allowed      []beian.Role
	tenant       string
}

// matrix lists every provider and registry route of the JSON API (and the
// sandbox surface), as API.md and the routes' doc comments give them.
var matrix = []matrixRoute{
	// The provider (package provider).
	{"GET", "/api/v1/resources", []beian.Role{beian.RoleCustomer, beian.RoleProviderAdmin}, ""},
	{"POST", "/api/v1/resources", []beian.Role{beian.RoleProviderAdmin}, ""},
	{"POST", "/api/v1/resources/import", []beian.Role{beian.RoleProviderAdmin}, ""},
	{"GET", "/api/v1/auth-codes", mxCustomer, ""},
	{"POST", "/api/v1/auth-codes", mxCustomer, ownAccount}, // the body names the customer's resource
	{"DELETE", "/api/v1/auth-codes/{code}", mxCustomer, ownAccount},
	{"POST", "/api/v1/precheck", mxCustomer, ""},
	{"GET", "/api/v1/filings", mxCustomer, ""},
	{"GET", "/api/v1/orders", mxCustomer, ""},
	{"POST", "/api/v1/orders", mxCustomer, ""},
	{"GET", "/api/v1/orders/{order}", mxCustomerAndStaff, ownAccount},
	{"PATCH", "/api/v1/orders/{order}", mxCustomer, ownAccount},
	{"GET", "/api/v1/orders/{order}/preview", mxCustomerAndStaff, ownAccount},
	{"GET", "/api/v1/orders/{order}/timeline", mxCustomerAndStaff, ownAccount},
	{"POST", "/api/v1/orders/{order}/documents", mxCustomer, ownAccount},
	{"GET", "/api/v1/orders/{order}/documents/{doc}", mxCustomerAndStaff, ownAccount},
	{"POST", "/api/v1/orders/{order}/verification", mxCustomer, ownAccount},
	{"POST", "/api/v1/orders/{order}/submit", mxCustomer, ownAccount},
	{"POST", "/api/v1/orders/{order}/withdraw", mxCustomer, ownAccount},
	{"GET", "/api/v1/review/queue?stage=initial_review", mxReviewer, ""},
	{"POST", "/api/v1/review/orders/{order}/claim", mxReviewer, ""},
	{"POST", "/api/v1/review/orders/{order}/decision", mxReviewer, ""},
	{"POST", "/api/v1/review/orders/{order}/supplement-request", mxReviewer, ""},
	{"POST", "/api/v1/review/orders/{order}/verification-photo", []beian.Role{beian.RoleVerifier}, ""},
	{"POST", "/api/v1/orders/{order}/abandon", mxCustomer, ownAccount}, // last of the order's moves: it is final
	// The registry (package regulator): public, bureau desk, administration, connector.
	{"GET", "/api/v1/registry/query?domain={domain}", mxAnyone, ""},
	{"POST", "/api/v1/registry/password-retrievals", mxAnyone, ""},
	{"POST", "/api/v1/registry/sms-confirmations", mxAnyone, ""},
	{"GET", "/api/v1/bureau/queue", mxBureau, ""},
	{"GET", "/api/v1/bureau/orders/{submission}", mxBureau, ownProvince},
	{"POST", "/api/v1/bureau/orders/{submission}/decision", mxBureau, ownProvince},
	{"GET", "/api/v1/bureau/password-requests", mxBureau, ""},
	{"POST", "/api/v1/bureau/password-requests", mxBureau, ""},
	{"POST", "/api/v1/bureau/password-requests/{request}/answer", mxBureau, ownProvince},
	{"GET", "/api/v1/bureau/cancellations", mxBureau, ""},
	{"POST", "/api/v1/bureau/cancellations", mxBureau, ""},
	{"POST", "/api/v1/bureau/conflict-claims", mxBureau, ""},
	{"GET", "/api/v1/bureau/spot-checks", mxBureau, ""},
	{"POST", "/api/v1/bureau/spot-checks", mxBureau, ""},
	{"GET", "/api/v1/bureau/blacklist", mxBureau, ""},
	{"POST", "/api/v1/bureau/blacklist", mxBureau, ""},
	{"GET", "/api/v1/registry/providers", mxRegAdmin, ""},
	{"POST", "/api/v1/registry/providers", mxRegAdmin, ""},
	{"POST", "/api/v1/registry/providers/{provider}/credential", mxRegAdmin, ""},
	{"DELETE", "/api/v1/registry/providers/{provider}/credential", mxRegAdmin, ""},
	{"POST", "/api/v1/connector/precheck", mxConnector, ""},
	{"POST", "/api/v1/connector/submissions", mxConnector, ""},
	{"POST", "/api/v1/connector/cancel-access", mxConnector, ""},
	{"POST", "/api/v1/connector/transfer-in-checks", mxConnector, ""},
	{"GET", "/api/v1/connector/filings/{filing}", mxConnector, ""},
	{"GET", "/api/v1/connector/submissions/{submission}/confirmations", mxConnector, ownProvider},
	{"GET", "/api/v1/connector/events", mxConnector, ""},
	// The sandbox surface (registry_admin).
	{"GET", "/api/v1/sandbox/clock", mxRegAdmin, ""},
	{"POST", "/api/v1/sandbox/clock", mxRegAdmin, ""},
	{"POST", "/api/v1/sandbox/domains", mxRegAdmin, ""},
	{"POST", "/api/v1/sandbox/registry", mxRegAdmin, ""},
	{"GET", "/api/v1/sandbox/messages?to=13900000000", mxRegAdmin, ""},
	{"POST", "/api/v1/sandbox/app-verifications", mxRegAdmin, ""},
	{"GET", "/api/v1/sandbox/bureau-policy", mxRegAdmin, ""},
	{"PUT", "/api/v1/sandbox/bureau-policy", mxRegAdmin, ""},
}

// matrixBodies are the bodies of the routes whose allowed call needs one
// naming a fixture ({} for every other route).
var matrixBodies = map[string]string{
	"POST /api/v1/auth-codes": `{"resource_id":{resource}}`,
}

// matrixCaller is one caller of the matrix: its role (roleAnyone for
// anonymous), its API client, and whether it is the other tenant.
type matrixCaller struct {
	name  string
	role  beian.Role
	c     *api
	other string // the tenancy it is the other tenant of
}

// Issue 6, done means: every provider and registry route called as
// anonymous (401), as every role (403 for a wrong role; never 401, 403 or
// 404 for an allowed one) and as another tenant (404: another customer,
// another province's bureau reviewer, another provider's credential).
func TestAuthorizationMatrix(t *testing.T) {
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			e := newE2E(t, eng)
			f := e.firstFiling(t) // a filed customer with an order the registry approved
			fx := matrixFixtures(t, e, f)
			callers := []matrixCaller{
				{name: "anonymous", role: roleAnyone, c: e.anon()},
				{name: "other customer", role: beian.RoleCustomer, c: e.signup(t), other: ownAccount},
				{name: "other province", role: beian.RoleBureauReviewer, c: e.staffAccount(t, beian.RoleBureauReviewer, "330000"), other: ownProvince},
				{name: "other provider", role: roleCredential, c: &api{e: e, token: fx["other-credential"]}, other: ownProvider},
				{name: "provider_reviewer", role: beian.RoleProviderReviewer, c: e.reviewer},
				{name: "verifier", role: beian.RoleVerifier, c: e.verifier},
				{name: "provider_admin", role: beian.RoleProviderAdmin, c: e.padmin},
				{name: "registry_admin", role: beian.RoleRegistryAdmin, c: e.regAdmin},
				{name: "bureau_reviewer", role: beian.RoleBureauReviewer, c: e.bureau},
				{name: "customer", role: beian.RoleCustomer, c: f.c},
				{name: "provider credential", role: roleCredential, c: &api{e: e, token: fx["credential"]}},
			}
			for _, r := range matrix {
				path := r.path
				for k, v := range fx {
					path = strings.ReplaceAll(path, "{"+k+"}", v)
				}
				var in any = map[string]any{}
				if b, ok := matrixBodies[r.method+" "+r.path]; ok {
					for k, v := range fx {
						b = strings.ReplaceAll(b, "{"+k+"}", v)
					}
					if err := json.Unmarshal([]byte(b), &in); err != nil {
						t.Fatal(err)
					}
				}
				for _, cl := range callers {
					code, body, _ := cl.c.do(t, r.method, path, in)
					allowed := slices.Contains(r.allowed, roleAnyone) || slices.Contains(r.allowed, cl.role)
					var want string
					switch {
					case !allowed && (cl.role == roleAnyone || cl.role == roleCredential || slices.Contains(r.allowed, roleCredential)):
						want = "401" // no principal here: anonymous, or a credential outside the connector (and no credential on it)
					case !allowed:
						want = "403"
					case r.tenant != "" && cl.other == r.tenant:
						want = "404"
					default:
						want = "not 401/403/404"
					}
					ok := fmt.Sprint(code) == want || want == "not 401/403/404" && code != 401 && code != 403 && code != 404
					if !ok {
						t.Errorf("%s %s as %s: %d, want %s: %.200s", r.method, r.path, cl.name, code, want, body)
					}
				}
			}
		})
	}
}

// matrixFixtures makes the data the matrix's paths name: the customer's
// draft order with a document, an authorization code, the approved
// order's submission at the registry, a password request of the bureau's
// province, and two provider credentials (this provider's, rotated, and
// another provider's).
func matrixFixtures(t *testing.T, e *e2e, f e2eFiled) map[string]string {
	t.Helper()
	fx := map[string]string{"domain": f.co.domain, "filing": f.website, "resource": fmt.Sprint(f.resource), "provider": "matrix-cloud"}
	o := f.c.create(t, beian.NewWebsite, map[string]any{"websites": []any{f.co.website("星河科技商城", "shop-"+f.co.domain, f.resource)}})
	fx["order"] = fmt.Sprint(o.ID)
	var doc struct{ ID int64 }
	f.c.call(t, 201, "POST", e2eOrderPath(o.ID, "/documents?kind=id_front"), e2ePhoto(t), &doc, "Content-Type", "image/png")
	fx["doc"] = fmt.Sprint(doc.ID)
	var code struct{ Code string }
	f.c.call(t, 201, "POST", "/api/v1/auth-codes", map[string]any{"resource_id": f.resource}, &code)
	fx["code"] = code.Code
	var sub string
	if err := e.m.db.SQL.QueryRowContext(e.ctx, `SELECT submission_id FROM order_submissions WHERE state = 'accepted' ORDER BY id LIMIT 1`).Scan(&sub); err != nil {
		t.Fatal(err)
	}
	fx["submission"] = sub
	var req struct{ ID int64 }
	e.bureau.call(t, 201, "POST", "/api/v1/bureau/password-requests", map[string]any{"applicant_name": f.co.name, "subject_number": f.subject,
		"contact_phone": "13800000000"}, &req)
	fx["request"] = fmt.Sprint(req.ID)
	var cred struct{ Credential string }
	e.regAdmin.call(t, 200, "POST", "/api/v1/registry/providers/"+DefaultProviderName+"/credential", nil, &cred)
	fx["credential"] = cred.Credential
	e.regAdmin.call(t, 201, "POST", "/api/v1/registry/providers", map[string]string{"name": "matrix-other"}, &cred)
	fx["other-credential"] = cred.Credential
	e.regAdmin.call(t, 201, "POST", "/api/v1/registry/providers", map[string]string{"name": "matrix-cloud"}, nil)
	return fx
}

// The matrix lists every provider and registry route the code serves: all
// of /api/v1/ but the identity routes, the API description and the gate's
// public check (servedRoutes scans the sources).
func TestAuthorizationMatrixComplete(t *testing.T) {
	listed := map[string]bool{}
	for _, r := range matrix {
		path, _, _ := strings.Cut(r.path, "?")
		listed[normRoute(r.method, path)] = true
	}
	for r, where := range servedRoutes(t, filepath.Join("..", "..")) {
		_, path, _ := strings.Cut(r, " ")
		switch {
		case !strings.HasPrefix(path, "/api/v1/"), path == "/api/v1/openapi.json", path == "/api/v1/gate/check",
			slices.Contains([]string{"/api/v1/signup", "/api/v1/sessions", "/api/v1/sessions/current", "/api/v1/me", "/api/v1/tokens"}, path):
		case !listed[r]:
			t.Errorf("%s (%s) is not in the authorization matrix", r, where)
		}
	}
}
