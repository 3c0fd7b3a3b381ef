package provider

import (
	"maps"
	"net/http"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/timer"
)

// Routes registers the provider's whole JSON API (API.md, "HTTP") on mux:
// resources, authorization codes, the precheck, the filings view, orders
// with their documents and timeline, and the review desk. The caller wraps
// the mux with identity's Authenticate and the idempotency middleware.
func (s *Service) Routes(mux *http.ServeMux) {
	s.ResourceRoutes(mux)
	s.AuthCodeRoutes(mux)
	s.PrecheckRoutes(mux)
	s.FilingRoutes(mux)
	s.OrderRoutes(mux)
	s.ReviewRoutes(mux)
}

// TimerHandlers returns the handlers of every durable timer of the
// provider context (term warnings, document retention, supplement
// deadlines, transfer-in lapses, submission retries).
func (s *Service) TimerHandlers() map[string]timer.Handler {
	hs := map[string]timer.Handler{}
	maps.Copy(hs, s.ResourceTimerHandlers())
	maps.Copy(hs, s.OrderTimerHandlers())
	maps.Copy(hs, s.ReviewTimerHandlers())
	return hs
}

// RegisterTemplates adds the provider's message templates to t (NOTE-1).
func RegisterTemplates(t *notify.Templates) {
	var s *Service
	s.ResourceTemplates(t)
	s.ReviewTemplates(t)
}
