// Package connector is the connector over HTTP (docs/connector.md): the
// wire format of the routes /api/v1/connector/… that the regulator serves
// (regulator.Registry.ConnectorRoutes) and HTTP, the client that
// implements beian.Connector on them for a provider with its credential.
// Both sides share this package's types, so that an error crosses the
// wire and comes back as the same *beian.Error.
package connector

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/web"
)

// The routes, relative to the regulator's base URL.
const (
	PathPrecheck      = "/api/v1/connector/precheck"
	PathSubmissions   = "/api/v1/connector/submissions"
	PathCancelAccess  = "/api/v1/connector/cancel-access"
	PathTransferCheck = "/api/v1/connector/transfer-in-checks"
	PathFilings       = "/api/v1/connector/filings/"     // + number
	PathConfirmations = "/api/v1/connector/submissions/" // + id + "/confirmations"
	PathEvents        = "/api/v1/connector/events"
)

// HeaderIdempotencyKey carries the idempotency key of Submit and
// CancelAccess (required on those routes).
const HeaderIdempotencyKey = "Idempotency-Key"

// TransferCheckRequest is the body of POST /api/v1/connector/transfer-in-checks.
// The password travels in the body, never in a URL (Rule PWD-1).
type TransferCheckRequest struct {
	Number   string `json:"number"`
	Password string `json:"password"`
}

// ErrorBody is an error answer of the connector routes: the error shape of
// API.md (code is the kind, message in the request's language, errors the
// failed rules) plus what the client needs to rebuild the *beian.Error
// exactly: detail is its Code, args its Args, and each item carries its
// problem's args. The caller is an authenticated provider, which sent the
// data the args may echo.
type ErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Errors  []ErrorItem       `json:"errors,omitempty"`
	Detail  string            `json:"detail,omitempty"`
	Args    map[string]string `json:"args,omitempty"`
}

// ErrorItem is one failed rule of an ErrorBody.
type ErrorItem struct {
	i18n.ErrorItem
	Args map[string]string `json:"args,omitempty"`
}

// Codes returns the message codes the client produces, mapped to their
// rule ID (none applies). The catalogues (i18n/messages/*/connector.json)
// hold each in every language; a test checks.
func Codes() map[string]string {
	return map[string]string{
		"connector.unavailable":  "",
		"connector.bad_response": "",
	}
}

// WriteError answers err as an ErrorBody with the status of its kind
// (web.Status), Retry-After for rate_limited. A 5xx is logged in full with
// log (nil: web.Logger) and answered with the generic message only, as
// web.WriteError does.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if log == nil {
		log = web.Logger
	}
	status := web.Status(err)
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "connector request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	lang := web.Lang(r)
	rendered := i18n.Default().Render(lang, err)
	body := ErrorBody{Code: rendered.Code, Message: rendered.Message}
	var e *beian.Error
	if rendered.Code != string(beian.KindInternal) && errors.As(err, &e) {
		body.Detail, body.Args = e.Code, e.Args
		for i, item := range rendered.Errors {
			body.Errors = append(body.Errors, ErrorItem{ErrorItem: item, Args: e.Problems[i].Args})
		}
		if e.Kind == beian.KindRateLimited && e.Args["retry_after"] != "" {
			w.Header().Set("Retry-After", e.Args["retry_after"])
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Language", string(lang))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// AsError rebuilds the *beian.Error an ErrorBody describes; ok is false
// when the body names no known kind.
func (b ErrorBody) AsError() (e *beian.Error, ok bool) {
	kind := beian.Kind(b.Code)
	known := false
	for _, k := range beian.Kinds {
		known = known || k == kind
	}
	if !known {
		return nil, false
	}
	e = &beian.Error{Kind: kind, Code: b.Detail, Args: b.Args}
	for _, it := range b.Errors {
		e.Problems = append(e.Problems, beian.Problem{Code: it.Code, Rule: it.Rule, Field: it.Field, Args: it.Args})
	}
	return e, true
}
