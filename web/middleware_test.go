package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beian/beian/i18n"
)

// plumbingCodes are the message codes this file's package answers with.
var plumbingCodes = []string{
	"request.idempotency_key_invalid", "request.idempotency_in_flight", "request.idempotency_key_reused",
	"request.if_match_required", "request.if_match_invalid", "request.body_too_large", "request.body_unreadable",
}

func TestPlumbingCodesInCatalogue(t *testing.T) {
	for _, lang := range i18n.Langs {
		for _, code := range plumbingCodes {
			if !i18n.Default().Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
}

func TestChainOrder(t *testing.T) {
	var got []string
	mw := func(name string) Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = append(got, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got = append(got, "h") }), mw("a"), mw("b"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if strings.Join(got, ",") != "a,b,h" {
		t.Errorf("order %v", got)
	}
}

func TestRequestID(t *testing.T) {
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"Kept", "req-2026.09:abc_DEF", true},
		{"ReplacedWhenMissing", "", false},
		{"ReplacedWhenShort", "abc1234", false},
		{"ReplacedWhenLong", strings.Repeat("a", 65), false},
		{"ReplacedWhenUnsafe", "abc 1234<script>", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var inCtx string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inCtx = RequestIDFrom(r.Context()) }))
			r := httptest.NewRequest("GET", "/", nil)
			if tc.sent != "" {
				r.Header.Set(HeaderRequestID, tc.sent)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := w.Header().Get(HeaderRequestID)
			if got != inCtx || !safeRequestID(got) || (got == tc.sent) != tc.kept {
				t.Errorf("sent %q: header %q, context %q", tc.sent, got, inCtx)
			}
		})
	}
}

// The access log has one line with the request's facts, and no query string,
// header value, cookie or body: those may hold personal data or credentials.
func TestAccessLogLeavesOutQueryAndHeaders(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte("hello"))
	}), RequestID, AccessLog(log))
	r := httptest.NewRequest("POST", "/api/v1/sandbox/messages/13812345678?to=13987654321&id=110105194912310021", strings.NewReader(`{"phone":"13700000000"}`))
	r.Header.Set("Authorization", "Bearer tok-secret-1")
	r.Header.Set("X-CSRF-Token", "csrf-secret-2")
	r.AddCookie(&http.Cookie{Name: "beian_session", Value: "cookie-secret-3"})
	r.Header.Set(HeaderRequestID, "trace-12345678")
	h.ServeHTTP(httptest.NewRecorder(), r)
	line := buf.String()
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("want one line, got %q", line)
	}
	for _, secret := range []string{"13987654321", "110105194912310021", "13812345678", "13700000000", "to=", "tok-secret-1", "csrf-secret-2", "cookie-secret-3"} {
		if strings.Contains(line, secret) {
			t.Errorf("log line holds %q: %s", secret, line)
		}
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["method"] != "POST" || rec["path"] != "/api/v1/sandbox/messages/138****5678" || rec["status"] != 200.0 ||
		rec["bytes"] != 5.0 || rec["request_id"] != "trace-12345678" || rec["duration"] == nil {
		t.Errorf("log record %v", rec)
	}
}

func TestRecover(t *testing.T) {
	t.Run("PanicBecomes500", func(t *testing.T) {
		var buf bytes.Buffer
		h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom 13812345678") }),
			RequestID, Recover(slog.New(slog.NewJSONHandler(&buf, nil))))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/me", nil))
		var body i18n.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 500 || body.Code != "internal" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "boom") {
			t.Error("panic value leaked to the client")
		}
		if log := buf.String(); !strings.Contains(log, "goroutine") || !strings.Contains(log, "boom 138****5678") || !strings.Contains(log, "request_id") {
			t.Errorf("log lacks the stack or the panic: %s", log)
		}
	})
	t.Run("PanicAfterWriteAborts", func(t *testing.T) {
		h := Recover(slog.New(slog.NewTextHandler(io.Discard, nil)))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("partial"))
			panic("late")
		}))
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	})
}

func TestLimitBody(t *testing.T) {
	decode := Handle(func(w http.ResponseWriter, r *http.Request) error {
		var v map[string]string
		if err := DecodeJSON(r, &v); err != nil {
			return err
		}
		return WriteJSON(w, 200, v)
	})
	var readErr error
	direct := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, readErr = io.ReadAll(r.Body) })
	big := `{"a":"` + strings.Repeat("x", 100) + `"}`
	for _, tc := range []struct {
		name          string
		h             http.Handler
		body          string
		knownLength   bool
		status        int
		code, message string
	}{
		{"OK", decode, `{"a":"b"}`, true, 200, "", ""},
		{"ErrTooLargeDeclared", decode, big, true, 413, "too_large", "The request body is over the limit of 64 bytes."},
		{"ErrTooLargeStreamed", decode, big, false, 413, "too_large", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(tc.body))
			r.Header.Set("Accept-Language", "en")
			if !tc.knownLength {
				r.ContentLength = -1
			}
			w := httptest.NewRecorder()
			LimitBody(64)(tc.h).ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var body i18n.ErrorBody
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if body.Code != tc.code || !strings.HasPrefix(body.Message, tc.message) {
				t.Errorf("body %+v", body)
			}
		})
	}
	t.Run("ErrMaxBytesForDirectReaders", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/upload", strings.NewReader(big))
		r.ContentLength = -1
		LimitBody(64)(direct).ServeHTTP(httptest.NewRecorder(), r)
		var mbe *http.MaxBytesError
		if !errors.As(readErr, &mbe) || mbe.Limit != 64 {
			t.Errorf("read error %v", readErr)
		}
	})
	if byteSize(DefaultBodyLimit) != "1 MiB" || byteSize(512<<10) != "512 KiB" {
		t.Errorf("byteSize: %s, %s", byteSize(DefaultBodyLimit), byteSize(512<<10))
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Mobile", "call 13812345678 now", "call 138****5678 now"},
		{"MobileWithCountryCode", "+8613812345678", "+86138****5678"},
		{"MobileInChinese", "手机13812345678号", "手机138****5678号"},
		{"ResidentID", "id=110105194912310021&x", "id=11****1&x"},
		{"ResidentIDWithX", "身份证11010519491231002X。", "身份证11****X。"},
		{"Email", "mail zhang.san+x@example.com.cn please", "mail z***@example.com.cn please"},
		{"EmailWithDigits", "13812345678@163.com", "1***@163.com"},
		{"Several", "a@b.cn, 15900001111, 440301199001011234", "a***@b.cn, 159****1111, 44****4"},
		{"OtherNumbersKept", "order 12345 at 1790000000000000 ", "order 12345 at 1790000000000000 "},
		{"LandlineKept", "010-12345678", "010-12345678"},
		{"NotMobilePrefixKept", "12012345678", "12012345678"},
		{"Empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.in); got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLogHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("svc", "x")
	RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "one")
		log.InfoContext(r.Context(), "two", "request_id", RequestIDFrom(r.Context()))
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"request_id":"`) || strings.Count(lines[1], `"request_id"`) != 1 {
		t.Errorf("log %s", buf.String())
	}
}
