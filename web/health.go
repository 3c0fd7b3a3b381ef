package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Healthz answers liveness: the process is up and serving HTTP.
func Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// Readiness is the answer of a readiness check: Ready false answers 503.
// Warnings name conditions an operator must see that do not stop serving
// (e.g. a notification channel without a sender, whose messages stay queued).
type Readiness struct {
	Ready    bool              `json:"ready"`
	Checks   map[string]string `json:"checks"`
	Warnings []string          `json:"warnings,omitempty"`
}

// Readyz answers GET /readyz from check, bounded to 5 seconds.
func Readyz(check func(ctx context.Context) Readiness) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		res := check(ctx)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if !res.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(res)
	}
}

// NewMux returns the routes served so far: GET /healthz, and GET /readyz
// when ready is not nil.
func NewMux(ready func(ctx context.Context) Readiness) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", Healthz)
	if ready != nil {
		mux.HandleFunc("GET /readyz", Readyz(ready))
	}
	return mux
}
