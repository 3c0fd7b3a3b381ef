package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
)

// DefaultTimeout bounds one call of an HTTP whose Client is nil.
const DefaultTimeout = 30 * time.Second

// DefaultMaxResponse bounds the body of one answer read by HTTP.
const DefaultMaxResponse = 16 << 20

// HTTP is beian.Connector over HTTP: a provider calling a remote `beian
// regulator` at BaseURL with its credential Token (`beian provider add`).
// It keeps the connector's error contract (beian.Connector): an error
// answer comes back as the same *beian.Error (kind, code, args, problems);
// a network failure, a 5xx or an answer it cannot read is KindUnavailable
// (connector.unavailable or connector.bad_response, wrapping the cause):
// the outcome is unknown and the call may be retried, Submit and
// CancelAccess with the same idempotency key; rate_limited carries
// Args["retry_after"] in seconds (from the body or the Retry-After header).
// Credentials, passwords and personal data are never logged or put in a URL.
type HTTP struct {
	BaseURL string       // the regulator's base URL, e.g. https://regulator.example:8443
	Token   string       // this provider's credential at the regulator
	Client  *http.Client // nil: a client with DefaultTimeout
	// MaxResponse bounds an answer's body (0: DefaultMaxResponse); a longer
	// one is connector.bad_response.
	MaxResponse int64
}

var _ beian.Connector = (*HTTP)(nil)

// Precheck calls POST /api/v1/connector/precheck.
func (c *HTTP) Precheck(ctx context.Context, req beian.PrecheckRequest) (res beian.PrecheckResult, err error) {
	err = c.do(ctx, http.MethodPost, PathPrecheck, nil, "", req, &res)
	return res, err
}

// Submit calls POST /api/v1/connector/submissions with the Idempotency-Key.
func (c *HTTP) Submit(ctx context.Context, s beian.Submission, idempotencyKey string) (rc beian.Receipt, err error) {
	err = c.do(ctx, http.MethodPost, PathSubmissions, nil, idempotencyKey, s, &rc)
	return rc, err
}

// CancelAccess calls POST /api/v1/connector/cancel-access with the Idempotency-Key.
func (c *HTTP) CancelAccess(ctx context.Context, req beian.CancelAccessRequest, idempotencyKey string) (rc beian.Receipt, err error) {
	err = c.do(ctx, http.MethodPost, PathCancelAccess, nil, idempotencyKey, req, &rc)
	return rc, err
}

// CheckTransferIn calls POST /api/v1/connector/transfer-in-checks, the
// password in the body.
func (c *HTTP) CheckTransferIn(ctx context.Context, number, password string) (res beian.TransferInCheck, err error) {
	err = c.do(ctx, http.MethodPost, PathTransferCheck, nil, "", TransferCheckRequest{Number: number, Password: password}, &res)
	return res, err
}

// Filing calls GET /api/v1/connector/filings/{number}.
func (c *HTTP) Filing(ctx context.Context, number string) (f beian.Filing, err error) {
	err = c.do(ctx, http.MethodGet, PathFilings+url.PathEscape(number), nil, "", nil, &f)
	return f, err
}

// Confirmations calls GET /api/v1/connector/submissions/{id}/confirmations.
func (c *HTTP) Confirmations(ctx context.Context, submissionID string) (cs beian.ConfirmationState, err error) {
	err = c.do(ctx, http.MethodGet, PathConfirmations+url.PathEscape(submissionID)+"/confirmations", nil, "", nil, &cs)
	return cs, err
}

// Events calls GET /api/v1/connector/events?cursor=&limit=.
func (c *HTTP) Events(ctx context.Context, cursor string, limit int) (page beian.EventPage, err error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	err = c.do(ctx, http.MethodGet, PathEvents, q, "", nil, &page)
	return page, err
}

// unavailable is the error of an unknown outcome.
func unavailable(code string, cause error) error {
	return &beian.Error{Kind: beian.KindUnavailable, Code: code, Err: cause}
}

// do sends one request and decodes a 2xx answer into out, or the error answer.
func (c *HTTP) do(ctx context.Context, method, path string, query url.Values, key string, in, out any) error {
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		js, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return unavailable("connector.unavailable", fmt.Errorf("connector request %s %s: %w", method, path, err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set(HeaderIdempotencyKey, key)
	}
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error names the URL, which carries no credential or personal data.
		return unavailable("connector.unavailable", err)
	}
	defer resp.Body.Close()
	limit := c.MaxResponse
	if limit <= 0 {
		limit = DefaultMaxResponse
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		return unavailable("connector.unavailable", fmt.Errorf("connector %s %s: read the answer: %w", method, path, err))
	case int64(len(b)) > limit:
		return unavailable("connector.bad_response", fmt.Errorf("connector %s %s: answer over %d bytes", method, path, limit))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return unavailable("connector.bad_response", fmt.Errorf("connector %s %s: %d answer: %w", method, path, resp.StatusCode, err))
		}
		return nil
	}
	return answerError(method, path, resp, b)
}

// answerError turns an error answer back into the *beian.Error it carries.
func answerError(method, path string, resp *http.Response, b []byte) error {
	cause := fmt.Errorf("connector %s %s: status %d", method, path, resp.StatusCode)
	var eb ErrorBody
	e, ok := (*beian.Error)(nil), false
	if json.Unmarshal(b, &eb) == nil {
		e, ok = eb.AsError()
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if !ok || e.Kind != beian.KindRateLimited {
			e = &beian.Error{Kind: beian.KindRateLimited}
		}
		if e.Args["retry_after"] == "" {
			if e.Args == nil {
				e.Args = map[string]string{}
			}
			e.Args["retry_after"] = retryAfter(resp.Header.Get("Retry-After"))
		}
	case resp.StatusCode >= 500:
		// Unknown outcome, whatever the body says, except an unavailable
		// answer of the regulator itself, which keeps its code.
		if !ok || e.Kind != beian.KindUnavailable || e.Code == "" {
			e = &beian.Error{Kind: beian.KindUnavailable, Code: "connector.unavailable"}
		}
	case !ok:
		// Not the regulator's answer (a proxy's page, a wrong base URL).
		e = &beian.Error{Kind: beian.KindUnavailable, Code: "connector.bad_response"}
	}
	e.Err = cause
	return e
}

// retryAfter reads a Retry-After header in seconds (at least 1; an HTTP
// date or nothing counts as 1).
func retryAfter(h string) string {
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 1 {
		return strconv.Itoa(n)
	}
	return "1"
}
