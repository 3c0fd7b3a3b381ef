package regulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
)

// The bureau desk's API: bureau reviewers only, each in its own province
// (another province's order is 404, never 403).
func TestBureauRoutes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		rc := e.toBureau(t, provA, e.firstFiling(t, "O-1"), "k")
		mux := http.NewServeMux()
		e.BureauRoutes(mux)
		// the test's Authenticate: the principal named by two headers
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if role := r.Header.Get("X-Role"); role != "" {
				r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Context: identity.ContextRegistry, AccountID: 9,
					Role: beian.Role(role), Province: r.Header.Get("X-Province")}))
			}
			mux.ServeHTTP(w, r)
		}))
		defer srv.Close()
		orders := "/api/v1/bureau/orders/" + rc.SubmissionID
		for _, tc := range []struct {
			name, role, province, method, path, body string
			status                                   int
			want                                     string
		}{
			{"ErrAnonymous", "", "", "GET", "/api/v1/bureau/queue", "", 401, "unauthenticated"},
			{"ErrCustomer", "customer", "", "GET", "/api/v1/bureau/queue", "", 403, "forbidden"},
			{"ErrNoProvince", "bureau_reviewer", "", "GET", "/api/v1/bureau/queue", "", 403, "forbidden"},
			{"OtherProvinceQueueEmpty", "bureau_reviewer", "110000", "GET", "/api/v1/bureau/queue", "", 200, `{"items":[]}`},
			{"ErrOtherProvinceOrder", "bureau_reviewer", "110000", "GET", orders, "", 404, "not_found"},
			{"ErrOtherProvinceDecision", "bureau_reviewer", "110000", "POST", orders + "/decision", `{"approve":true}`, 404, "not_found"},
			{"Queue", "bureau_reviewer", "330000", "GET", "/api/v1/bureau/queue", "", 200, `"submission_id":"` + rc.SubmissionID + `"`},
			{"Order", "bureau_reviewer", "330000", "GET", orders, "", 200, `"order_number":"O-1"`},
			{"ErrBadJSON", "bureau_reviewer", "330000", "POST", orders + "/decision", `{"approve":"yes"}`, 400, "bad_request"},
			{"ErrRejectWithoutItems", "bureau_reviewer", "330000", "POST", orders + "/decision", `{"approve":false}`, 422, "registry.decision_items_required"},
			{"Approve", "bureau_reviewer", "330000", "POST", orders + "/decision", `{"approve":true}`, 200, `"subject_number":"浙ICP备2026000001号"`},
		} {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("X-Role", tc.role)
			req.Header.Set("X-Province", tc.province)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s: %d %s", tc.name, resp.StatusCode, b)
			}
		}
		var actor string
		if err := e.DB.SQL.QueryRow(`SELECT actor FROM registry_audit WHERE action = 'submission.decide'`).Scan(&actor); err != nil || actor != "account:9" {
			t.Fatalf("decision audited as %q, %v", actor, err)
		}
	})
}
