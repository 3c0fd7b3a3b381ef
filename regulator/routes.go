package regulator

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/web"
)

// QueryRule is the public query's rate limit per client address (API.md,
// "Rate limits": 60 per minute), so that the registry cannot be enumerated
// (Rule QRY-1).
var QueryRule = ratelimit.PublicQuery

// Routes registers the registry's public API on mux:
//
//	GET /api/v1/registry/query?domain=|number=|name=[&page=&page_size=]
//	    → 200 {"items":[PublicFiling…],"total":N,"page":P} (Rule QRY-1)
//
//	POST /api/v1/registry/password-retrievals {"province","number","cert_type","cert_number"}
//	    → 202 RetrievalAnswer, the same body whether the data matched or not
//	    (Rule PWD-3; see RetrievePassword), 429 with Retry-After over
//	    RetrievalNumberRule or RetrievalClientRule, whatever lim is
//
// Exactly one of domain, number and name is required (400
// registry.query_one_of otherwise). Every request counts against
// QueryRule for the client address (identity.ClientAddr); over the limit
// the answer is 429 with Retry-After. A nil lim leaves the route unlimited.
func (r *Registry) Routes(mux *http.ServeMux, lim *ratelimit.Limiter) {
	mux.Handle("GET /api/v1/registry/query", web.Handle(func(w http.ResponseWriter, req *http.Request) error {
		return r.serveQuery(w, req, lim)
	}))
	mux.Handle("POST /api/v1/registry/password-retrievals", web.Handle(r.servePasswordRetrieval))
}

// serveQuery answers one public query.
func (r *Registry) serveQuery(w http.ResponseWriter, req *http.Request, lim *ratelimit.Limiter) error {
	if lim != nil {
		d, err := lim.Allow(req.Context(), QueryRule, identity.ClientAddr(req))
		if err != nil {
			return err
		}
		if !d.Allowed {
			err := ratelimit.Error(d)
			var e *beian.Error
			if errors.As(err, &e) {
				e.Code = "registry.query_rate_limited"
			}
			return err
		}
	}
	v := req.URL.Query()
	q := QueryRequest{Domain: v.Get("domain"), Number: v.Get("number"), Name: v.Get("name")}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &q.Page}, {"page_size", &q.PageSize}} {
		s := strings.TrimSpace(v.Get(p.name))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return beian.Errorf(beian.KindBadRequest, "registry.query_page", "max", strconv.Itoa(MaxPageSize))
		}
		*p.dst = n
	}
	res, err := r.Query(req.Context(), q)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return web.WriteJSON(w, http.StatusOK, res)
}
