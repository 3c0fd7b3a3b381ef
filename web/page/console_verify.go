package page

import "net/http"

// consoleVerifyRoutes registers the console's verification, SMS
// confirmation and authorization-code pages.
func (p *Pages) consoleVerifyRoutes(mux *http.ServeMux) {}
