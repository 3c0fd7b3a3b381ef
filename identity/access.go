package identity

import (
	"crypto/subtle"
	"net"
	"net/http"

	"github.com/beian/beian"
	"github.com/beian/beian/web"
)

// errUnauthenticated is the answer to an anonymous request that needs an account.
func errUnauthenticated() error {
	return beian.Errorf(beian.KindUnauthenticated, "auth.required")
}

// RequireAuth answers 401 unauthenticated (auth.required) to an anonymous
// request and passes the others on. It relies on Authenticate having run.
func RequireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := FromContext(r.Context()); !ok {
			web.Fail(w, r, errUnauthenticated())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireRole lets through callers with one of the roles: anonymous → 401
// unauthenticated, another role → 403 forbidden (auth.role).
func RequireRole(roles ...beian.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := FromContext(r.Context())
			if !ok {
				web.Fail(w, r, errUnauthenticated())
				return
			}
			if !hasRole(roles, p.Role) {
				web.Fail(w, r, beian.Errorf(beian.KindForbidden, "auth.role"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireProvince keeps a bureau reviewer to its own province (one
// province each, PRODUCT.md): when provinceFromRequest names another
// province's GB/T 2260 code the answer is 404 not_found, as for any other
// tenant's data, never 403 (API.md, "Errors"). An empty province (the
// request names none) and callers of other roles pass; anonymous → 401.
// Use it after RequireRole.
func RequireProvince(provinceFromRequest func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := FromContext(r.Context())
			if !ok {
				web.Fail(w, r, errUnauthenticated())
				return
			}
			if p.Role == beian.RoleBureauReviewer {
				if prov := provinceFromRequest(r); prov != "" && prov != p.Province {
					web.Fail(w, r, beian.Errorf(beian.KindNotFound, ""))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CSRFHeader carries the session's CSRF token on unsafe API requests.
const CSRFHeader = "X-CSRF-Token"

// CSRFField is the form field that carries it on page forms.
const CSRFField = "csrf"

// CheckCSRF checks that an unsafe request (POST, PUT, PATCH, DELETE)
// authenticated by the session cookie carries the session's CSRF token, in
// the X-CSRF-Token header or the form field "csrf" (reading the form parses
// the body: call it where the page handler would parse the form anyway).
// Safe methods, anonymous requests and bearer credentials need none. A
// missing or wrong token is 403 forbidden, code auth.csrf. Authenticate
// already applies it, header only, to every request under /api/.
func CheckCSRF(r *http.Request) error { return checkCSRF(r, true) }

func checkCSRF(r *http.Request, form bool) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return nil
	}
	p, ok := FromContext(r.Context())
	if !ok || p.Via != ViaSession {
		return nil
	}
	if _, isBearer := bearer(r); isBearer { // not an ambient credential
		return nil
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" && form {
		got = r.PostFormValue(CSRFField)
	}
	if got == "" || p.CSRF == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) != 1 {
		return beian.Errorf(beian.KindForbidden, "auth.csrf")
	}
	return nil
}

// ClientAddr is the client's address for rate limits: the host of
// r.RemoteAddr (trusting proxies' headers is a later configuration).
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
