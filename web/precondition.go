package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
)

// ETag is the entity tag of a row version: the strong tag "v<version>".
// Strong, because If-Match compares strongly (RFC 9110 §13.1.1): a weak tag
// could never match there.
func ETag(version int64) string {
	return `"v` + strconv.FormatInt(version, 10) + `"`
}

// SetETag sets the ETag header of an answer carrying a row of the version.
func SetETag(w http.ResponseWriter, version int64) {
	w.Header().Set("ETag", ETag(version))
}

// IfMatch returns the version a change is based on, from the request's
// If-Match header as ETag writes it. A missing header is
// precondition_required (428, request.if_match_required); a malformed one,
// a list of tags, a weak tag or "*" is bad_request (400,
// request.if_match_invalid): a change must name the one version it read.
// Whether the version is still current is for the store to say (kind stale,
// 412).
func IfMatch(r *http.Request) (version int64, err error) {
	vals := r.Header.Values("If-Match")
	if len(vals) == 0 {
		return 0, beian.Errorf(beian.KindPreconditionRequired, "request.if_match_required")
	}
	invalid := beian.Errorf(beian.KindBadRequest, "request.if_match_invalid", "example", ETag(3))
	if len(vals) > 1 {
		return 0, invalid
	}
	v := strings.TrimSpace(vals[0])
	if v == "" {
		return 0, beian.Errorf(beian.KindPreconditionRequired, "request.if_match_required")
	}
	digits, ok := strings.CutPrefix(v, `"v`)
	if !ok {
		return 0, invalid
	}
	digits, ok = strings.CutSuffix(digits, `"`)
	if !ok || digits == "" || len(digits) > 18 || (len(digits) > 1 && digits[0] == '0') {
		return 0, invalid
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, invalid
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, invalid
	}
	return n, nil
}
