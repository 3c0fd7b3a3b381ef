package page

import "net/http"

// consoleChangeRoutes registers the console's change, transfer-in and
// cancellation pages.
func (p *Pages) consoleChangeRoutes(mux *http.ServeMux) {}
