package identity

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/beian/beian"
)

// testRoutes mounts handlers behind the access middleware.
func testRoutes(mux *http.ServeMux) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Handle("GET /test/any", RequireAuth(ok))
	mux.Handle("POST /api/v1/test/write", RequireAuth(ok))
	mux.Handle("GET /test/admin", RequireRole(beian.RoleProviderAdmin)(ok))
	mux.Handle("GET /test/bureau/{province}", RequireRole(beian.RoleBureauReviewer, beian.RoleRegistryAdmin)(
		RequireProvince(func(r *http.Request) string { return r.PathValue("province") })(ok)))
}

func TestRequireRole(t *testing.T) {
	t.Parallel()
	each(t, nil, testRoutes, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		e.create(t, "admin", beian.RoleProviderAdmin, "")
		customer, _ := e.login(t, "alice")
		admin, _ := e.login(t, "admin")
		for _, tc := range []struct {
			name, path string
			opts       []opt
			want       int
		}{
			{"ErrAnonymous", "/test/admin", nil, 401},
			{"ErrOtherRole", "/test/admin", []opt{withCookie(customer)}, 403},
			{"OK", "/test/admin", []opt{withCookie(admin)}, 200},
			{"ErrAnonymousRequireAuth", "/test/any", nil, 401},
			{"OKRequireAuth", "/test/any", []opt{withCookie(customer)}, 200},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if r := e.do(t, "GET", tc.path, nil, tc.opts...); r.status != tc.want {
					t.Fatalf("%d %s, want %d", r.status, r.raw, tc.want)
				}
			})
		}
	})
}

// A bureau reviewer acts in its own province only; another province's data
// is not found (API.md, "Errors": 404 also for another tenant's data).
func TestRequireProvince(t *testing.T) {
	t.Parallel()
	each(t, nil, testRoutes, func(t *testing.T, e *env) {
		e.create(t, "zj-bureau", beian.RoleBureauReviewer, "330000")
		e.create(t, "miit", beian.RoleRegistryAdmin, "")
		zj, _ := e.login(t, "zj-bureau")
		miit, _ := e.login(t, "miit")
		for _, tc := range []struct {
			name, cookie, province string
			want                   int
		}{
			{"OKOwnProvince", zj, "330000", 200},
			{"ErrOtherProvince", zj, "110000", 404},
			{"OKRegistryAdminAnyProvince", miit, "110000", 200},
			{"ErrAnonymous", "", "330000", 401},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if r := e.do(t, "GET", "/test/bureau/"+tc.province, nil, withCookie(tc.cookie)); r.status != tc.want {
					t.Fatalf("%d %s, want %d", r.status, r.raw, tc.want)
				}
			})
		}
	})
}

// Cookie-authenticated unsafe API requests carry X-CSRF-Token; bearer
// credentials need none (they are not sent by the browser on its own).
func TestCSRF(t *testing.T) {
	t.Parallel()
	each(t, nil, testRoutes, func(t *testing.T, e *env) {
		e.create(t, "alice", beian.RoleCustomer, "")
		cookie, csrf := e.login(t, "alice")
		sessionToken := cookie // the login answer's token is also a bearer credential
		for _, tc := range []struct {
			name string
			opts []opt
			want int
		}{
			{"ErrCookieWithoutToken", []opt{withCookie(cookie)}, 403},
			{"ErrCookieWrongToken", []opt{withCookie(cookie), withCSRF("x" + csrf)}, 403},
			{"OKCookieWithToken", []opt{withCookie(cookie), withCSRF(csrf)}, 200},
			{"OKBearerNeedsNone", []opt{withBearer(sessionToken)}, 200},
			{"ErrAnonymous", nil, 401},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(t, "POST", "/api/v1/test/write", nil, tc.opts...)
				if r.status != tc.want {
					t.Fatalf("%d %s, want %d", r.status, r.raw, tc.want)
				}
				if tc.want == 403 && (r.code() != "forbidden" || !strings.Contains(r.raw, "X-CSRF-Token")) {
					t.Fatalf("body %s", r.raw)
				}
			})
		}
		t.Run("OKSafeMethod", func(t *testing.T) {
			if r := e.do(t, "GET", "/test/any", nil, withCookie(cookie)); r.status != 200 {
				t.Fatalf("%d", r.status)
			}
		})
	})
}

// CheckCSRF for page forms accepts the form field "csrf".
func TestCheckCSRFForm(t *testing.T) {
	t.Parallel()
	p := Principal{Context: "provider", AccountID: 1, Role: beian.RoleCustomer, Via: ViaSession, CSRF: "tok123"}
	form := func(v string) *http.Request {
		r := httptest.NewRequest("POST", "/console/orders", strings.NewReader(url.Values{"csrf": {v}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r.WithContext(WithPrincipal(r.Context(), p))
	}
	if err := CheckCSRF(form("tok123")); err != nil {
		t.Errorf("OK: %v", err)
	}
	if err := CheckCSRF(form("nope")); !beian.IsKind(err, beian.KindForbidden) {
		t.Errorf("ErrWrongToken: %v", err)
	}
	anon := httptest.NewRequest("POST", "/login", nil)
	if err := CheckCSRF(anon); err != nil {
		t.Errorf("OKAnonymous: %v", err)
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"192.0.2.1:5555": "192.0.2.1", "[2001:db8::1]:443": "2001:db8::1", "odd": "odd"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = in
		if got := ClientAddr(r); got != want {
			t.Errorf("ClientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
