package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/beian/beian/docs"
)

// docs/openapi.json is a valid OpenAPI 3.0 document describing the routes
// served so far.
func TestOpenAPIDocumentValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for path, methods := range map[string][]string{
		"/healthz": {"GET"}, "/readyz": {"GET"}, "/metrics": {"GET"}, "/api/v1/openapi.json": {"GET"},
		"/api/v1/signup": {"POST"}, "/api/v1/sessions": {"POST"}, "/api/v1/sessions/current": {"DELETE"},
		"/api/v1/me": {"GET"}, "/api/v1/tokens": {"POST"},
		"/api/v1/sandbox/clock": {"GET", "POST"}, "/api/v1/sandbox/messages": {"GET"},
	} {
		item := doc.Paths.Find(path)
		if item == nil {
			t.Errorf("%s is not described", path)
			continue
		}
		for _, m := range methods {
			op := item.GetOperation(m)
			if op == nil {
				t.Errorf("%s %s is not described", m, path)
				continue
			}
			if m == "POST" && path != "/api/v1/openapi.json" && op.Parameters.GetByInAndName("header", HeaderIdempotencyKey) == nil {
				t.Errorf("%s %s does not document Idempotency-Key", m, path)
			}
		}
	}
	if doc.Components.Schemas["Error"] == nil || len(doc.Components.SecuritySchemes) != 3 {
		t.Error("the Error schema or the security schemes are missing")
	}
}

func TestOpenAPIHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/openapi.json", OpenAPI)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json; charset=utf-8" || w.Header().Get("ETag") == "" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	var v struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || v.OpenAPI != "3.0.3" {
		t.Errorf("body: %v %q", err, v.OpenAPI)
	}
	r := httptest.NewRequest("GET", "/api/v1/openapi.json", nil)
	r.Header.Set("If-None-Match", w.Header().Get("ETag"))
	w2 := httptest.NewRecorder()
	mux.ServeHTTP(w2, r)
	if w2.Code != http.StatusNotModified || w2.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", w2.Code)
	}
}
