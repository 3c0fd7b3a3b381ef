package regulator

import (
	"net/http"

	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web"
)

// RetrievalAccepted is the code of the one answer an online password
// retrieval gets, match or not (Rule PWD-3).
const RetrievalAccepted = "registry.password_retrieval_accepted"

// RetrievalAnswer is the body of 202 Accepted to every password retrieval
// that is well formed and within its rate limits: the same bytes whether
// the data matched or not (Rule PWD-3).
type RetrievalAnswer struct {
	Status  string `json:"status"` // "accepted"
	Code    string `json:"code"`   // RetrievalAccepted
	Message string `json:"message"`
}

// servePasswordRetrieval answers POST /api/v1/registry/password-retrievals
// (Rule PWD-3): 202 with RetrievalAnswer in the request's language; 422 for
// a missing field; 429 with Retry-After over a rate limit.
func (r *Registry) servePasswordRetrieval(w http.ResponseWriter, req *http.Request) error {
	var in RetrievalRequest
	if err := web.DecodeJSON(req, &in); err != nil {
		return err
	}
	if err := r.RetrievePassword(req.Context(), in, identity.ClientAddr(req)); err != nil {
		return err
	}
	lang := web.Lang(req)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", string(lang))
	return web.WriteJSON(w, http.StatusAccepted, RetrievalAnswer{Status: "accepted", Code: RetrievalAccepted,
		Message: i18n.Default().Message(lang, RetrievalAccepted, nil)})
}
