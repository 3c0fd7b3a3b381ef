package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/beian/beian"
)

func TestETag(t *testing.T) {
	if got := ETag(7); got != `"v7"` {
		t.Errorf("ETag(7) = %s", got)
	}
	w := httptest.NewRecorder()
	SetETag(w, 12)
	if got := w.Header().Get("ETag"); got != `"v12"` {
		t.Errorf("SetETag: %s", got)
	}
}

func TestIfMatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []string
		version int64
		kind    beian.Kind
		code    string
	}{
		{"OK", []string{`"v3"`}, 3, "", ""},
		{"OKSpaces", []string{` "v42" `}, 42, "", ""},
		{"OKRoundTrip", []string{ETag(9007199254740993)}, 9007199254740993, "", ""},
		{"ErrRequired", nil, 0, beian.KindPreconditionRequired, "request.if_match_required"},
		{"ErrRequiredEmpty", []string{""}, 0, beian.KindPreconditionRequired, "request.if_match_required"},
		{"ErrStar", []string{"*"}, 0, beian.KindBadRequest, "request.if_match_invalid"},
		{"ErrWeak", []string{`W/"v3"`}, 0, beian.KindBadRequest, "request.if_match_invalid"},
		{"ErrUnquoted", []string{"v3"}, 0, beian.KindBadRequest, "request.if_match_invalid"},
		{"ErrBareNumber", []string{`"3"`}, 0, beian.KindBadRequest, "request.if_match_invalid"},
		{"ErrList", []string{`"v3", "v4"`}, 0, beian.KindBadRequest, "request.if_match_invalid"},
		{"ErrTwoHeaders", []string{`"v3"`, `"v4"`}, 0, beian.KindBadRequest, "request.if_match_invalid"},
		{"ErrNegative", []string{`"v-3"`}, 0, beian.KindBadRequest, "request.if_match_invalid"},
		{"ErrLeadingZero", []string{`"v03"`}, 0, beian.KindBadRequest, "request.if_match_invalid"},
		{"ErrEmptyVersion", []string{`"v"`}, 0, beian.KindBadRequest, "request.if_match_invalid"},
		{"ErrOverflow", []string{`"v99999999999999999999"`}, 0, beian.KindBadRequest, "request.if_match_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("PATCH", "/api/v1/orders/1", nil)
			for _, h := range tc.headers {
				r.Header.Add("If-Match", h)
			}
			v, err := IfMatch(r)
			if beian.KindOf(err) != tc.kind || v != tc.version {
				t.Fatalf("IfMatch = %d, %v", v, err)
			}
			if err != nil && err.(*beian.Error).Code != tc.code {
				t.Errorf("code %s, want %s", err.(*beian.Error).Code, tc.code)
			}
		})
	}
}

// Through the adapter, a missing If-Match answers 428.
func TestIfMatchStatus(t *testing.T) {
	h := Handle(func(w http.ResponseWriter, r *http.Request) error {
		_, err := IfMatch(r)
		return err
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("PATCH", "/api/v1/orders/1", nil))
	if w.Code != http.StatusPreconditionRequired {
		t.Errorf("status %d", w.Code)
	}
}
