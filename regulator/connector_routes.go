package regulator

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/connector"
	"github.com/beian/beian/web"
)

// connectorHandler is a connector route's handler: the provider is the
// one the request's credential names.
type connectorHandler func(w http.ResponseWriter, req *http.Request, provider string) error

// ConnectorRoutes registers the connector over HTTP on mux (machine to
// machine; docs/connector.md), each route calling the registry as the
// provider that the request's "Authorization: Bearer <credential>" names
// (AuthenticateProvider; identity sessions play no part):
//
//	POST /api/v1/connector/precheck            beian.PrecheckRequest → 200 beian.PrecheckResult
//	POST /api/v1/connector/submissions         beian.Submission, Idempotency-Key → 201 beian.Receipt (200 for a repeat)
//	POST /api/v1/connector/cancel-access       beian.CancelAccessRequest, Idempotency-Key → 201 beian.Receipt (200 for a repeat)
//	POST /api/v1/connector/transfer-in-checks  connector.TransferCheckRequest → 200 beian.TransferInCheck
//	GET  /api/v1/connector/filings/{number}    → 200 beian.Filing
//	GET  /api/v1/connector/submissions/{id}/confirmations → 200 beian.ConfirmationState
//	GET  /api/v1/connector/events?cursor=&limit= → 200 beian.EventPage
//
// Errors are connector.ErrorBody answers that keep the *beian.Error's
// kind, code, args and problems (connector.WriteError; Retry-After for
// rate_limited). The registry keeps the idempotency of Submit and
// CancelAccess per provider and key (Registry.Submit), so these routes
// must not also pass through web.Idempotency, whose replays would hide
// Receipt.Duplicate.
func (r *Registry) ConnectorRoutes(mux *http.ServeMux) {
	mux.Handle("POST "+connector.PathPrecheck, r.connectorHandle(func(w http.ResponseWriter, req *http.Request, _ string) error {
		var in beian.PrecheckRequest
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		res, err := r.Precheck(req.Context(), in)
		if err != nil {
			return err
		}
		return web.WriteJSON(w, http.StatusOK, res)
	}))
	mux.Handle("POST "+connector.PathSubmissions, r.connectorHandle(func(w http.ResponseWriter, req *http.Request, provider string) error {
		var in beian.Submission
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		rc, err := r.Submit(req.Context(), provider, in, req.Header.Get(connector.HeaderIdempotencyKey))
		return writeReceipt(w, rc, err)
	}))
	mux.Handle("POST "+connector.PathCancelAccess, r.connectorHandle(func(w http.ResponseWriter, req *http.Request, provider string) error {
		var in beian.CancelAccessRequest
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		rc, err := r.CancelAccess(req.Context(), provider, in, req.Header.Get(connector.HeaderIdempotencyKey))
		return writeReceipt(w, rc, err)
	}))
	mux.Handle("POST "+connector.PathTransferCheck, r.connectorHandle(func(w http.ResponseWriter, req *http.Request, _ string) error {
		var in connector.TransferCheckRequest
		if err := web.DecodeJSON(req, &in); err != nil {
			return err
		}
		res, err := r.CheckTransferIn(req.Context(), in.Number, in.Password)
		if err != nil {
			return err
		}
		return web.WriteJSON(w, http.StatusOK, res)
	}))
	mux.Handle("GET "+connector.PathFilings+"{number}", r.connectorHandle(func(w http.ResponseWriter, req *http.Request, _ string) error {
		f, err := r.Filing(req.Context(), req.PathValue("number"))
		if err != nil {
			return err
		}
		return web.WriteJSON(w, http.StatusOK, f)
	}))
	mux.Handle("GET "+connector.PathConfirmations+"{id}/confirmations", r.connectorHandle(func(w http.ResponseWriter, req *http.Request, provider string) error {
		cs, err := r.Confirmations(req.Context(), provider, req.PathValue("id"))
		if err != nil {
			return err
		}
		return web.WriteJSON(w, http.StatusOK, cs)
	}))
	mux.Handle("GET "+connector.PathEvents, r.connectorHandle(func(w http.ResponseWriter, req *http.Request, provider string) error {
		limit := 0
		if s := strings.TrimSpace(req.URL.Query().Get("limit")); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return beian.Errorf(beian.KindBadRequest, "connector.limit_invalid", "max", strconv.Itoa(MaxEventPage))
			}
			limit = n
		}
		page, err := r.Events(req.Context(), provider, req.URL.Query().Get("cursor"), limit)
		if err != nil {
			return err
		}
		return web.WriteJSON(w, http.StatusOK, page)
	}))
}

// connectorHandle authenticates the provider, runs h with the registry's
// writes audited as "provider:<name>", and answers errors with
// connector.WriteError. Answers are never cached: they may carry personal
// data the provider sent.
func (r *Registry) connectorHandle(h connectorHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		provider, err := r.authenticateRequest(req.Context(), req)
		if err == nil {
			req = req.WithContext(WithActor(req.Context(), "provider:"+provider))
			err = h(w, req, provider)
		}
		if err != nil {
			connector.WriteError(w, req, nil, err)
		}
	})
}

// authenticateRequest returns the provider named by the request's bearer credential.
func (r *Registry) authenticateRequest(ctx context.Context, req *http.Request) (string, error) {
	h := req.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", errCredentialInvalid()
	}
	return r.AuthenticateProvider(ctx, h[7:])
}

// writeReceipt answers a Submit or CancelAccess: 201 for a new submission,
// 200 for a repeat (Receipt.Duplicate).
func writeReceipt(w http.ResponseWriter, rc beian.Receipt, err error) error {
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if rc.Duplicate {
		status = http.StatusOK
	}
	return web.WriteJSON(w, status, rc)
}
