package regulator

import (
	"net/http"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web"
)

// BureauOrderJSON is a bureau's view of one order.
type BureauOrderJSON struct {
	SubmissionID  string                  `json:"submission_id"`
	OrderNumber   string                  `json:"order_number"`
	Provider      string                  `json:"provider"`
	Type          beian.OrderType         `json:"type"`
	Province      string                  `json:"province"`
	Status        string                  `json:"status"`
	SubjectNumber string                  `json:"subject_number,omitempty"`
	DueDate       string                  `json:"due_date"` // YYYY-MM-DD, CST
	Submission    beian.Submission        `json:"submission"`
	Confirmations beian.ConfirmationState `json:"confirmations"`
}

// BureauRoutes registers the bureau desk's API on mux, for bureau
// reviewers of one province each (identity.RequireRole; Authenticate must
// run before). Another province's order is 404, as any other tenant's data.
//
//	GET  /api/v1/bureau/queue → 200 {"items":[QueueItem…]} (Rule REV-2: oldest due first)
//	GET  /api/v1/bureau/orders/{id} → 200 BureauOrderJSON
//	POST /api/v1/bureau/orders/{id}/decision {"approve":bool,"items":[{"field","reason","suggestion","action","photo"}]}
//	     → 200 DecisionResult (Rules REV-5, PWD-1, CAN-4)
//
// Viewing an order writes an audit record naming the reviewer (Rule
// PRIV-1: see BureauOrder). The rest of the desk — password requests,
// cancellations, conflict claims, spot checks and the blacklist — is
// registered here too (deskRoutes, desk_routes.go).
func (r *Registry) BureauRoutes(mux *http.ServeMux) {
	only := identity.RequireRole(beian.RoleBureauReviewer)
	r.deskRoutes(mux, only)
	mux.Handle("GET /api/v1/bureau/queue", only(web.Handle(func(w http.ResponseWriter, req *http.Request) error {
		rv, err := bureauReviewer(req)
		if err != nil {
			return err
		}
		items, err := r.BureauQueue(req.Context(), rv.Province)
		if err != nil {
			return err
		}
		return web.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	})))
	mux.Handle("GET /api/v1/bureau/orders/{id}", only(web.Handle(func(w http.ResponseWriter, req *http.Request) error {
		rv, err := bureauReviewer(req)
		if err != nil {
			return err
		}
		s, cs, err := r.BureauOrder(req.Context(), rv, req.PathValue("id"))
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		return web.WriteJSON(w, http.StatusOK, BureauOrderJSON{SubmissionID: s.ID, OrderNumber: s.OrderNumber, Provider: s.Provider,
			Type: s.Type, Province: s.Province, Status: s.Status, SubjectNumber: s.SubjectNumber, DueDate: dateString(s.DueDate),
			Submission: s.Data, Confirmations: cs})
	})))
	mux.Handle("POST /api/v1/bureau/orders/{id}/decision", only(web.Handle(func(w http.ResponseWriter, req *http.Request) error {
		rv, err := bureauReviewer(req)
		if err != nil {
			return err
		}
		var d Decision
		if err := web.DecodeJSON(req, &d); err != nil {
			return err
		}
		res, err := r.Decide(req.Context(), rv, req.PathValue("id"), d)
		if err != nil {
			return err
		}
		return web.WriteJSON(w, http.StatusOK, res)
	})))
}

// bureauReviewer is the reviewer of a request: the principal's province
// and audit actor. A bureau reviewer without a province is forbidden: an
// empty province would reach every province.
func bureauReviewer(req *http.Request) (Reviewer, error) {
	p, ok := identity.FromContext(req.Context())
	if !ok {
		return Reviewer{}, beian.Errorf(beian.KindUnauthenticated, "auth.required")
	}
	if p.Province == "" {
		return Reviewer{}, beian.Errorf(beian.KindForbidden, "auth.role")
	}
	return Reviewer{Province: p.Province, Actor: p.Actor()}, nil
}
