package page

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestStatic(t *testing.T) {
	_, h := newPages(t, Options{})
	m := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{8}\.css)"`).FindStringSubmatch(get(t, h, "/").Body.String())
	if m == nil {
		t.Fatal("layout does not link the hashed stylesheet")
	}
	t.Run("OKHashedImmutable", func(t *testing.T) {
		w := get(t, h, m[1])
		if w.Code != 200 || w.Header().Get("Cache-Control") != immutableCache ||
			!strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") || !strings.Contains(w.Body.String(), ":focus-visible") {
			t.Errorf("status %d, headers %v", w.Code, w.Header())
		}
	})
	t.Run("OKPlainShortCache", func(t *testing.T) {
		w := get(t, h, "/static/app.css")
		if w.Code != 200 || w.Header().Get("Cache-Control") != shortCache {
			t.Errorf("status %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
		}
	})
	t.Run("ErrStaleHash", func(t *testing.T) {
		if w := get(t, h, "/static/app.00000000.css"); w.Code != http.StatusNotFound {
			t.Errorf("status %d", w.Code)
		}
	})
	t.Run("OKNotModified", func(t *testing.T) {
		r := httptest.NewRequest("GET", m[1], nil)
		r.Header.Set("If-None-Match", get(t, h, m[1]).Header().Get("ETag"))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotModified {
			t.Errorf("status %d, want 304", w.Code)
		}
	})
}
