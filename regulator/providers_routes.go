package regulator

import (
	"context"
	"net/http"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web"
)

// ProviderCredentialJSON is the answer that carries a new credential: the
// only place it ever appears (it is stored as a hash).
type ProviderCredentialJSON struct {
	Provider   Provider `json:"provider"`
	Credential string   `json:"credential"`
}

// ProviderRoutes registers the registry's provider administration on mux,
// for registry administrators (identity.RequireRole; Authenticate must run
// before). Writes are audited as the administrator's account.
//
//	GET    /api/v1/registry/providers → 200 {"items":[Provider…]}
//	POST   /api/v1/registry/providers {"name"} → 201 ProviderCredentialJSON
//	       (409 connector.provider_exists for a known name)
//	POST   /api/v1/registry/providers/{name}/credential → 200 ProviderCredentialJSON (a new credential; the old one stops working)
//	DELETE /api/v1/registry/providers/{name}/credential → 200 Provider (revoked)
//
// Answers that carry a credential are marked Cache-Control: no-store and
// web.NoReplay, so that neither caches nor the idempotency store keep it.
func (r *Registry) ProviderRoutes(mux *http.ServeMux) {
	only := identity.RequireRole(beian.RoleRegistryAdmin)
	mux.Handle("GET /api/v1/registry/providers", only(web.Handle(func(w http.ResponseWriter, req *http.Request) error {
		ps, err := r.Providers(req.Context())
		if err != nil {
			return err
		}
		return web.WriteJSON(w, http.StatusOK, map[string]any{"items": ps})
	})))
	mux.Handle("POST /api/v1/registry/providers", only(web.Handle(func(w http.ResponseWriter, req *http.Request) error {
		var in struct {
			Name string `json:"name"`
		}
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		p, cred, err := r.AddProvider(adminActor(req), in.Name)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		web.NoReplay(req)
		return web.WriteJSON(w, http.StatusCreated, ProviderCredentialJSON{Provider: p, Credential: cred})
	})))
	mux.Handle("POST /api/v1/registry/providers/{name}/credential", only(web.Handle(func(w http.ResponseWriter, req *http.Request) error {
		p, cred, err := r.RotateCredential(adminActor(req), req.PathValue("name"))
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		web.NoReplay(req)
		return web.WriteJSON(w, http.StatusOK, ProviderCredentialJSON{Provider: p, Credential: cred})
	})))
	mux.Handle("DELETE /api/v1/registry/providers/{name}/credential", only(web.Handle(func(w http.ResponseWriter, req *http.Request) error {
		p, err := r.RevokeCredential(adminActor(req), req.PathValue("name"))
		if err != nil {
			return err
		}
		return web.WriteJSON(w, http.StatusOK, p)
	})))
}

// adminActor is the request's context with the administrator as audit actor.
func adminActor(req *http.Request) context.Context {
	if p, ok := identity.FromContext(req.Context()); ok {
		return WithActor(req.Context(), p.Actor())
	}
	return req.Context()
}
