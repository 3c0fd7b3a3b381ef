// Package web is beian's HTTP layer: the error adapter that maps error kinds
// to status codes and answers in the caller's language, the health endpoints
// and (in later issues) the JSON API and the server-rendered desks.
package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
)

// statusOf is the one table mapping error kinds to HTTP status (API.md, "Errors").
var statusOf = map[beian.Kind]int{
	beian.KindBadRequest:           http.StatusBadRequest,
	beian.KindUnauthenticated:      http.StatusUnauthorized,
	beian.KindForbidden:            http.StatusForbidden,
	beian.KindNotFound:             http.StatusNotFound,
	beian.KindConflict:             http.StatusConflict,
	beian.KindInvalidState:         http.StatusConflict,
	beian.KindStale:                http.StatusPreconditionFailed,
	beian.KindTooLarge:             http.StatusRequestEntityTooLarge,
	beian.KindInvalid:              http.StatusUnprocessableEntity,
	beian.KindPreconditionRequired: http.StatusPreconditionRequired,
	beian.KindRateLimited:          http.StatusTooManyRequests,
	beian.KindInternal:             http.StatusInternalServerError,
	beian.KindUnavailable:          http.StatusServiceUnavailable,
}

// Status returns the HTTP status of an error's kind.
func Status(err error) int {
	if s, ok := statusOf[beian.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// WriteError answers err as the JSON error body of API.md in the request's
// language. A 5xx is logged in full (its text may hold internals) and
// answered with the generic message only.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := Status(err)
	observeError(r, err)
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	var e *beian.Error
	if status == http.StatusTooManyRequests && errors.As(err, &e) && e.Args["retry_after"] != "" {
		w.Header().Set("Retry-After", e.Args["retry_after"])
	}
	body := i18n.Default().Render(Lang(r), err)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Language", string(Lang(r)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// Lang is the language of the request: the lang query parameter, then the
// lang cookie (the remembered ?lang= switch), then Accept-Language; zh-CN
// by default.
func Lang(r *http.Request) i18n.Lang {
	if l, ok := i18n.Parse(r.URL.Query().Get("lang")); ok {
		return l
	}
	if c, err := r.Cookie("lang"); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l
		}
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}
