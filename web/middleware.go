package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
)

// Middleware wraps a handler (CONVENTIONS.md habit 6: plain
// func(http.Handler) http.Handler).
type Middleware func(http.Handler) http.Handler

// Chain wraps h in mws, the first outermost: Chain(h, a, b) is a(b(h)), so a
// request passes a, then b, then h. The intended order around a ServeMux is
//
//	Chain(mux, RequestID, AccessLog(log), m.Middleware, LimitBody(0), idem.Middleware, Recover(log))
//
// Recover sits innermost so that every outer middleware sees the 500 it
// answers. When h is a *http.ServeMux, Chain also leaves the pattern it
// matched where Metrics and AccessLog find it (the request's route slot),
// since a middleware between them and the mux may replace the request
// (authentication does, to carry the caller), and the mux sets Pattern on
// the request it gets.
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	if mux, ok := h.(*http.ServeMux); ok {
		h = routeRecorder{mux}
	}
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// HeaderRequestID is the header carrying the request ID both ways.
const HeaderRequestID = "X-Request-ID"

type requestIDKey struct{}

// RequestID takes the client's X-Request-ID when it is 8 to 64 safe
// characters (letters, digits, '.', '_', ':', '-'), makes a random one
// otherwise, sets it on the response and puts it in the request's context
// (RequestIDFrom). Error pages and support tickets quote it.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if !safeRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(HeaderRequestID, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// RequestIDFrom returns the request ID RequestID put in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func safeRequestID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// LogHandler wraps a slog handler so that every record logged with a
// request's context carries its request_id (e.g. the 5xx lines of
// WriteError, which log with r.Context()).
func LogHandler(h slog.Handler) slog.Handler { return ctxHandler{h} }

type ctxHandler struct{ slog.Handler }

func (h ctxHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestIDFrom(ctx); id != "" {
		has := false
		rec.Attrs(func(a slog.Attr) bool {
			has = a.Key == "request_id"
			return !has
		})
		if !has {
			rec.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.Handler.Handle(ctx, rec)
}

func (h ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ctxHandler{h.Handler.WithAttrs(as)}
}
func (h ctxHandler) WithGroup(name string) slog.Handler { return ctxHandler{h.Handler.WithGroup(name)} }

// routeKey holds a *string in which the mux's route recorder and
// Metrics.Middleware leave the route pattern for AccessLog outside them.
type routeKey struct{}

// routeRecorder serves the mux and writes the pattern it matched into the
// request's route slot, if there is one and it is empty (also when the
// handler panics).
type routeRecorder struct{ mux *http.ServeMux }

func (rr routeRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if slot, ok := r.Context().Value(routeKey{}).(*string); ok && *slot == "" {
			*slot = r.Pattern
		}
	}()
	rr.mux.ServeHTTP(w, r)
}

// AccessLog logs one line per request: method, path without the query
// string (queries may hold phone and ID numbers) and with Redact applied,
// the route pattern, status, bytes, duration and request ID. It never logs
// headers, cookies or bodies. 5xx answers log at level Error.
func AccessLog(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now() // wall time of the server, not the domain clock
			rec := &recorder{ResponseWriter: w}
			route := new(string)
			r = r.WithContext(context.WithValue(r.Context(), routeKey{}, route))
			defer func() {
				if *route == "" {
					*route = r.Pattern
				}
				status := rec.Status()
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelError
				}
				log.LogAttrs(r.Context(), level, "request",
					slog.String("method", r.Method),
					slog.String("path", Redact(r.URL.Path)),
					slog.String("route", *route),
					slog.Int("status", status),
					slog.Int64("bytes", rec.bytes),
					slog.Duration("duration", time.Since(start)),
					slog.String("request_id", RequestIDFrom(r.Context())))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// Recover turns a panic into a 500 answered through Fail, logged at level
// Error with its stack. A panic after the answer has started aborts the
// connection (http.ErrAbortHandler), so the client sees a broken answer
// instead of a truncated one that looks complete.
func Recover(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &recorder{ResponseWriter: w}
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.LogAttrs(r.Context(), slog.LevelError, "panic",
					slog.String("method", r.Method),
					slog.String("path", Redact(r.URL.Path)),
					slog.String("panic", Redact(fmt.Sprint(p))),
					slog.String("stack", string(debug.Stack())),
					slog.String("request_id", RequestIDFrom(r.Context())))
				if rec.wrote {
					panic(http.ErrAbortHandler)
				}
				Fail(rec, r, &beian.Error{Kind: beian.KindInternal, Err: fmt.Errorf("panic: %v", p)})
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

var (
	emailRE  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	numberRE = regexp.MustCompile(`[0-9]+[Xx]?`)
)

// Redact masks personal data in free text bound for a log line: e-mail
// addresses keep their first character and domain (a***@example.com),
// mainland mobile numbers (11 digits from 13 to 19, optionally after 86)
// keep the first 3 and last 4 digits (138****5678), and 18-character resident
// ID numbers keep the first 2 and the last character (11****X). It works on
// whole runs of digits, so longer numbers (timestamps, IDs of rows) pass
// unchanged; numbers written with spaces inside are not recognised.
func Redact(s string) string {
	if s == "" {
		return s
	}
	if strings.IndexByte(s, '@') >= 0 {
		s = emailRE.ReplaceAllStringFunc(s, func(m string) string {
			return m[:1] + "***" + m[strings.IndexByte(m, '@'):]
		})
	}
	return numberRE.ReplaceAllStringFunc(s, maskNumber)
}

func maskNumber(m string) string {
	digits, suffix := m, ""
	if c := m[len(m)-1]; c == 'X' || c == 'x' {
		if len(m) == 18 {
			return m[:2] + "****" + m[17:]
		}
		digits, suffix = m[:len(m)-1], m[len(m)-1:]
	}
	switch {
	case len(digits) == 18:
		return digits[:2] + "****" + digits[17:] + suffix
	case len(digits) == 11 && isMobile(digits):
		return digits[:3] + "****" + digits[7:] + suffix
	case len(digits) == 13 && strings.HasPrefix(digits, "86") && isMobile(digits[2:]):
		return "86" + digits[2:5] + "****" + digits[9:] + suffix
	}
	return m
}

func isMobile(d string) bool { return d[0] == '1' && d[1] >= '3' && d[1] <= '9' }

// DefaultBodyLimit is the body limit of JSON requests (1 MiB). Upload routes
// are wrapped in LimitBody with their own, larger limit instead; since the
// smallest of nested limits wins, mount them outside the JSON limit.
const DefaultBodyLimit int64 = 1 << 20

// LimitBody limits request bodies to n bytes (DefaultBodyLimit when n <= 0).
// A declared Content-Length over the limit is answered 413 at once; a longer
// body of unknown length fails its read with *http.MaxBytesError, which
// DecodeJSON answers as too_large and a handler reading the body directly
// can detect with errors.As.
func LimitBody(n int64) Middleware {
	if n <= 0 {
		n = DefaultBodyLimit
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				Fail(w, r, tooLarge(n, nil))
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// tooLarge is the too_large error naming the limit.
func tooLarge(n int64, cause error) error {
	return &beian.Error{Kind: beian.KindTooLarge, Code: "request.body_too_large",
		Args: map[string]string{"max": byteSize(n)}, Err: cause}
}

// byteSize renders a limit for messages: 1 MiB, 512 KiB, 100 bytes.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// recorder notes the status and size of an answer while passing it on;
// with tee set it also keeps a copy of the body and of the headers that
// an idempotent replay repeats.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
	tee    *bytes.Buffer
	header http.Header // replayable headers as sent, when tee is set
}

// Status is the status sent, 200 when the handler wrote nothing (as net/http
// answers then).
func (w *recorder) Status() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.status
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote && code >= 200 { // 1xx answers are informational: the real one follows
		w.wrote, w.status = true, code
		if w.tee != nil {
			w.header = http.Header{}
			for _, k := range replayHeaders {
				if v := w.Header().Values(k); len(v) > 0 {
					w.header[k] = append([]string(nil), v...)
				}
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	if w.tee != nil {
		w.tee.Write(b[:n])
	}
	return n, err
}

// Flush passes a flush on, so streaming handlers keep working.
func (w *recorder) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
