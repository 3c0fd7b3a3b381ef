package identity

import (
	"context"
	"slices"
	"strconv"

	"github.com/beian/beian"
)

// The bounded contexts an account can belong to.
const (
	ContextProvider = "provider" // customers and provider staff
	ContextRegistry = "registry" // bureau reviewers and registry admins
)

// How a principal authenticated (Principal.Via).
const (
	ViaSession = "session" // the session cookie, or the session token as a bearer
	ViaToken   = "token"   // an API token ("bt_…") as a bearer
)

// Principal is the authenticated caller of a request.
type Principal struct {
	Context     string     // ContextProvider or ContextRegistry
	AccountID   int64      // the row in <context>_accounts
	Login       string     // lower case
	Role        beian.Role // one of Roles
	Province    string     // GB/T 2260 code; bureau reviewers only
	Name        string     // display name, may be empty
	SessionHash string     // hex SHA-256 of the session token; "" for token auth
	CSRF        string     // the session's CSRF token; "" for token auth
	Via         string     // ViaSession or ViaToken; "" for a principal not authenticated (CreateAccount)
	TokenID     int64      // the row in <context>_tokens for token auth; 0 otherwise
}

// Actor is the principal's name in audit records of its context's chain:
// "account:<id>".
func (p Principal) Actor() string { return "account:" + strconv.FormatInt(p.AccountID, 10) }

type principalKey struct{}

// FromContext returns the principal that Authenticate put in the request's
// context; false for an anonymous request.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// WithPrincipal returns ctx carrying p (Authenticate does this; tests and
// background jobs acting for an account may too).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// Roles lists every role of API.md, provider context first.
var Roles = []beian.Role{
	beian.RoleCustomer, beian.RoleProviderReviewer, beian.RoleVerifier, beian.RoleProviderAdmin,
	beian.RoleBureauReviewer, beian.RoleRegistryAdmin,
}

// ContextOf returns the context whose tables hold accounts of the role:
// ContextProvider for customer, provider_reviewer, verifier and
// provider_admin; ContextRegistry for bureau_reviewer and registry_admin;
// "" for an unknown role.
func ContextOf(role beian.Role) string {
	switch role {
	case beian.RoleCustomer, beian.RoleProviderReviewer, beian.RoleVerifier, beian.RoleProviderAdmin:
		return ContextProvider
	case beian.RoleBureauReviewer, beian.RoleRegistryAdmin:
		return ContextRegistry
	}
	return ""
}

// RoleNames lists the roles as strings, for messages.
func RoleNames() []string {
	out := make([]string, len(Roles))
	for i, r := range Roles {
		out[i] = string(r)
	}
	return out
}

// hasRole reports whether role is among roles.
func hasRole(roles []beian.Role, role beian.Role) bool { return slices.Contains(roles, role) }
