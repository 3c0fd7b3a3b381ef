package provider

import (
	"net/http"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
)

// AuthCodeJSON is an authorization code (备案授权码, Rule ACC-3) as its
// issuer sees it.
type AuthCodeJSON struct {
	Code       string     `json:"code"`
	ResourceID int64      `json:"resource_id"`
	ExpiresAt  time.Time  `json:"expires_at"`
	UseLimit   int        `json:"use_limit"`
	Uses       int        `json:"uses"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	// State is "active", "used_up", "expired" or "revoked".
	State string `json:"state"`
}

// AuthCodeInput is the body of POST /api/v1/auth-codes. Zero values take
// the provider's defaults (Options.AuthCodeTTL, Options.AuthCodeUses).
type AuthCodeInput struct {
	ResourceID   int64 `json:"resource_id"`
	ValidForDays int   `json:"valid_for_days,omitempty"`
	UseLimit     int   `json:"use_limit,omitempty"`
}

// AuthCodeRoutes registers the customer's authorization-code routes (Rule ACC-3):
//
//	GET    /api/v1/auth-codes          the codes the account issued
//	POST   /api/v1/auth-codes          issue one for an eligible own resource → 201
//	DELETE /api/v1/auth-codes/{code}   revoke it while unused → 200
//
// Another account's resource or code answers 404.
func (s *Service) AuthCodeRoutes(mux *http.ServeMux) {
	only := identity.RequireRole(beian.RoleCustomer)
	mux.Handle("GET /api/v1/auth-codes", only(web.Handle(s.listAuthCodes)))
	mux.Handle("POST /api/v1/auth-codes", only(web.Handle(s.issueAuthCode)))
	mux.Handle("DELETE /api/v1/auth-codes/{code}", only(web.Handle(s.revokeAuthCode)))
}

func (s *Service) listAuthCodes(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	cs, err := s.Store.AuthCodesOf(r.Context(), p.AccountID)
	if err != nil {
		return err
	}
	items := make([]AuthCodeJSON, 0, len(cs))
	for _, c := range cs {
		items = append(items, s.authCodeJSON(c))
	}
	return web.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Service) issueAuthCode(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	var in AuthCodeInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	ttl := s.Options.AuthCodeTTL
	if in.ValidForDays != 0 {
		ttl = time.Duration(in.ValidForDays) * 24 * time.Hour
	}
	uses := s.Options.AuthCodeUses
	if in.UseLimit != 0 {
		uses = in.UseLimit
	}
	c, err := s.Store.IssueAuthCode(r.Context(), p.AccountID, in.ResourceID, s.now().Add(ttl), uses, s.Options.MinTermMonths, p.Actor())
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusCreated, s.authCodeJSON(c))
}

func (s *Service) revokeAuthCode(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	if err := s.Store.RevokeAuthCode(r.Context(), p.AccountID, r.PathValue("code"), p.Actor()); err != nil {
		return err
	}
	cs, err := s.Store.AuthCodesOf(r.Context(), p.AccountID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Code == providerdb.NormalizeAuthCode(r.PathValue("code")) {
			return web.WriteJSON(w, http.StatusOK, s.authCodeJSON(c))
		}
	}
	return beian.Errorf(beian.KindNotFound, "authcode.unknown")
}

// authCodeJSON renders a code with its state now.
func (s *Service) authCodeJSON(c beian.AuthCode) AuthCodeJSON {
	out := AuthCodeJSON{Code: c.Code, ResourceID: c.ResourceID, ExpiresAt: c.ExpiresAt.In(beian.CST), UseLimit: c.UseLimit,
		Uses: c.Uses, CreatedAt: c.CreatedAt.In(beian.CST), State: "active"}
	switch {
	case !c.RevokedAt.IsZero():
		t := c.RevokedAt.In(beian.CST)
		out.RevokedAt, out.State = &t, "revoked"
	case c.Uses >= c.UseLimit:
		out.State = "used_up"
	case !s.now().Before(c.ExpiresAt):
		out.State = "expired"
	}
	return out
}
