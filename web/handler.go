package web

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/beian/beian"
)

// Handler is an HTTP handler that returns an error instead of writing one;
// Handle maps the error to its status and answers in the caller's language,
// JSON for API clients and an HTML page for browsers.
type Handler func(w http.ResponseWriter, r *http.Request) error

// ErrorPage, when set (by the page framework), renders an error for a
// browser. It is called with the status and the rendered message.
var ErrorPage func(w http.ResponseWriter, r *http.Request, status int, err error)

// Logger is the logger Handle uses for 5xx errors; nil discards.
var Logger *slog.Logger

// Handle adapts h to http.Handler (CONVENTIONS.md habit 6).
func Handle(h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			Fail(w, r, err)
		}
	})
}

// Fail answers err: an HTML page when the client prefers HTML and a page
// renderer is set, the JSON error body of API.md otherwise.
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	if ErrorPage != nil && WantsHTML(r) {
		status := Status(err)
		observeError(r, err)
		if status >= 500 && Logger != nil {
			Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
		}
		ErrorPage(w, r, status, err)
		return
	}
	WriteError(w, r, Logger, err)
}

// WantsHTML reports whether the request comes from a browser page rather
// than an API client: not under /api/ and accepting text/html.
func WantsHTML(r *http.Request) bool {
	return !strings.HasPrefix(r.URL.Path, "/api/") && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// WriteJSON answers v as JSON with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// DecodeJSON reads a JSON body into v, strictly: unknown fields, trailing
// data and a body over the limit are bad_request or too_large.
func DecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(&nulGuard{r: r.Body})
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &beian.Error{Kind: beian.KindTooLarge, Err: err}
		}
		if errors.Is(err, errNUL) {
			return ErrNUL()
		}
		return &beian.Error{Kind: beian.KindBadRequest, Code: "request.bad_json", Args: map[string]string{"detail": jsonDetail(err)}, Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &beian.Error{Kind: beian.KindBadRequest, Code: "request.bad_json", Args: map[string]string{"detail": "trailing data after the JSON value"}}
	}
	return nil
}

// errNUL is nulGuard's read error.
var errNUL = errors.New("the JSON text holds a \\u0000 escape")

// ErrNUL is the answer to a request whose text holds U+0000: no field may
// hold it (PostgreSQL's text refuses it; no rule allows it anywhere).
func ErrNUL() error {
	return beian.Errorf(beian.KindBadRequest, "request.nul_character")
}

// HasNUL reports whether any of the values holds U+0000 (form fields).
func HasNUL(values map[string][]string) bool {
	for k, vs := range values {
		if strings.IndexByte(k, 0) >= 0 {
			return true
		}
		for _, v := range vs {
			if strings.IndexByte(v, 0) >= 0 {
				return true
			}
		}
	}
	return false
}

// nulGuard passes a JSON text through and fails with errNUL at a \u0000
// escape inside a string (a raw NUL byte is a syntax error anyway). It
// follows strings and escapes across reads, so "\\u0000" (an escaped
// backslash, then text) passes.
type nulGuard struct {
	r        io.Reader
	inString bool
	esc      bool
	zeros    int // after \u: how many of the four digits were '0' so far (0: not in one)
	inU      bool
}

func (g *nulGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	for _, b := range p[:n] {
		switch {
		case !g.inString:
			g.inString = b == '"'
		case g.inU:
			if b != '0' {
				g.inU = false
				continue
			}
			if g.zeros++; g.zeros == 4 {
				return 0, errNUL
			}
		case g.esc:
			g.esc = false
			if b == 'u' {
				g.inU, g.zeros = true, 0
			}
		case b == '\\':
			g.esc = true
		case b == '"':
			g.inString = false
		}
	}
	return n, err
}

// jsonDetail describes a decoding error without echoing the body.
func jsonDetail(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error"
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	case errors.Is(err, io.EOF):
		return "empty body"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "malformed JSON"
}
