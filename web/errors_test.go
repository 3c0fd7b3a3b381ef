package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
)

// Every kind of API.md maps to its status, and the body follows Accept-Language.
func TestWriteErrorEveryKind(t *testing.T) {
	want := map[beian.Kind]int{
		"bad_request": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404,
		"conflict": 409, "invalid_state": 409, "stale": 412, "too_large": 413, "invalid": 422,
		"precondition_required": 428, "rate_limited": 429, "internal": 500, "unavailable": 503,
	}
	if len(want) != len(beian.Kinds) {
		t.Fatalf("test table covers %d kinds, the package has %d", len(want), len(beian.Kinds))
	}
	for _, k := range beian.Kinds {
		for _, lang := range []string{"zh-CN", "en"} {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Header.Set("Accept-Language", lang)
			w := httptest.NewRecorder()
			WriteError(w, r, nil, beian.Errorf(k, ""))
			if w.Code != want[k] {
				t.Errorf("%s: status %d, want %d", k, w.Code, want[k])
			}
			var body i18n.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Code != string(k) || body.Message != i18n.Default().Message(i18n.Lang(lang), i18n.KindCode(k), nil) {
				t.Errorf("%s %s: body %+v", k, lang, body)
			}
		}
	}
	w := httptest.NewRecorder()
	WriteError(w, httptest.NewRequest("GET", "/", nil), nil, errors.New("boom"))
	if w.Code != 500 {
		t.Errorf("untyped error: status %d", w.Code)
	}
}

func TestLang(t *testing.T) {
	r := httptest.NewRequest("GET", "/?lang=en", nil)
	if Lang(r) != i18n.EN {
		t.Error("?lang=en ignored")
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "lang", Value: "en"})
	r.Header.Set("Accept-Language", "zh-CN")
	if Lang(r) != i18n.EN {
		t.Error("remembered lang cookie ignored")
	}
	if Lang(httptest.NewRequest("GET", "/", nil)) != i18n.ZH {
		t.Error("default is not zh-CN")
	}
}

func TestHealthz(t *testing.T) {
	w := httptest.NewRecorder()
	NewMux(nil).ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 || w.Body.String() != "{\"status\":\"ok\"}\n" {
		t.Errorf("healthz: %d %q", w.Code, w.Body.String())
	}
}

func TestRateLimitedSetsRetryAfter(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, httptest.NewRequest("POST", "/api/v1/sessions", nil), nil, beian.Errorf(beian.KindRateLimited, "", "retry_after", "42"))
	if w.Code != 429 || w.Header().Get("Retry-After") != "42" {
		t.Fatalf("%d %q", w.Code, w.Header().Get("Retry-After"))
	}
}
