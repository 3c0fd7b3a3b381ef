package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian/docs"
)

// openAPIETag is the strong entity tag of the embedded document: a hash of
// its bytes, so that a new build with a changed document gets a new tag.
var openAPIETag = func() string {
	sum := sha256.Sum256(docs.OpenAPI)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// OpenAPI answers GET /api/v1/openapi.json with the embedded description
// (docs/openapi.json) as application/json, with an ETag; a request whose
// If-None-Match names the tag gets 304 Not Modified.
func OpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("ETag", openAPIETag)
	h.Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagListed(inm, openAPIETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(docs.OpenAPI)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(docs.OpenAPI)
	}
}

// etagListed reports whether an If-None-Match list names tag ("*" names
// every tag); If-None-Match compares weakly, so W/ prefixes are ignored.
func etagListed(list, tag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
