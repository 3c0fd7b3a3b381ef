package page

import "net/http"

// home answers GET /: a landing page linking the desks (a later issue
// replaces it).
func (p *Pages) home(w http.ResponseWriter, r *http.Request) error {
	return p.Render(w, r, http.StatusOK, "home", nil)
}
