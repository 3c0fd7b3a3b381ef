package regulator

import (
	"net/http"

	"github.com/beian/beian/web"
)

// deskRoutes registers the bureau desk's routes beyond the review queue,
// each behind only (the bureau_reviewer role) and scoped to the
// reviewer's province (another province's data is 404). Lists answer
// {"items":[…]}, newest first, at most DeskListLimit; creations 201.
//
//	GET,POST /api/v1/bureau/password-requests          PasswordRequest (Rule PWD-4)
//	POST     /api/v1/bureau/password-requests/{id}/answer PasswordAnswer → 200 PasswordRequest
//	GET,POST /api/v1/bureau/cancellations              CancellationInput → DeskCancellation (Rules CAN-1..4)
//	POST     /api/v1/bureau/conflict-claims            ClaimInput → DeskCancellation (Rules CAN-1, WEB-6)
//	GET,POST /api/v1/bureau/spot-checks                SpotCheckInput → SpotCheck (Rule CAN-1)
//	GET,POST /api/v1/bureau/blacklist                  BlacklistInput → BlacklistEntry (Rule CAN-1; national)
func (r *Registry) deskRoutes(mux *http.ServeMux, only func(http.Handler) http.Handler) {
	handle := func(pattern string, fn func(w http.ResponseWriter, req *http.Request, rv Reviewer) error) {
		mux.Handle(pattern, only(web.Handle(func(w http.ResponseWriter, req *http.Request) error {
			rv, err := bureauReviewer(req)
			if err != nil {
				return err
			}
			w.Header().Set("Cache-Control", "no-store")
			return fn(w, req, rv)
		})))
	}
	handle("GET /api/v1/bureau/password-requests", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		items, err := r.PasswordRequests(req.Context(), rv, 0)
		return reply(w, http.StatusOK, map[string]any{"items": items}, err)
	})
	handle("POST /api/v1/bureau/password-requests", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		var in PasswordRequestInput
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		v, err := r.RecordPasswordRequest(req.Context(), rv, in)
		return reply(w, http.StatusCreated, v, err)
	})
	handle("POST /api/v1/bureau/password-requests/{id}/answer", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		var in PasswordAnswer
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		v, err := r.AnswerPasswordRequest(req.Context(), rv, req.PathValue("id"), in)
		return reply(w, http.StatusOK, v, err)
	})
	handle("GET /api/v1/bureau/cancellations", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		items, err := r.BureauCancellations(req.Context(), rv, 0)
		return reply(w, http.StatusOK, map[string]any{"items": items}, err)
	})
	handle("POST /api/v1/bureau/cancellations", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		var in CancellationInput
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		v, err := r.BureauCancel(req.Context(), rv, in)
		return reply(w, http.StatusCreated, v, err)
	})
	handle("POST /api/v1/bureau/conflict-claims", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		var in ClaimInput
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		v, err := r.ConflictClaim(req.Context(), rv, in)
		return reply(w, http.StatusCreated, v, err)
	})
	handle("GET /api/v1/bureau/spot-checks", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		items, err := r.SpotChecks(req.Context(), rv, 0)
		return reply(w, http.StatusOK, map[string]any{"items": items}, err)
	})
	handle("POST /api/v1/bureau/spot-checks", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		var in SpotCheckInput
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		v, err := r.RecordSpotCheck(req.Context(), rv, in)
		return reply(w, http.StatusCreated, v, err)
	})
	handle("GET /api/v1/bureau/blacklist", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		items, err := r.BlacklistEntries(req.Context(), 0)
		return reply(w, http.StatusOK, map[string]any{"items": items}, err)
	})
	handle("POST /api/v1/bureau/blacklist", func(w http.ResponseWriter, req *http.Request, rv Reviewer) error {
		var in BlacklistInput
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		v, err := r.BureauBlacklist(req.Context(), rv, in)
		return reply(w, http.StatusCreated, v, err)
	})
}

// reply writes v with the status, or returns err.
func reply(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	return web.WriteJSON(w, status, v)
}
