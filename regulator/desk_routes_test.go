package regulator

import (
	"strings"
	"testing"
)

// The bureau desk over HTTP: bureau reviewers of the filing's province
// only (another province's is 404), creations 201, lists of the
// province's own rows, certificate numbers masked in the blacklist
// (Rule CAN-1); every view of an order's personal data is audited with
// the reviewer as actor (Rule PRIV-1).
func TestDeskRoutes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		srv := e.deskServer(t)
		rc := e.toBureau(t, provA, e.firstFiling(t, "O-1"), "k")
		orders := "/api/v1/bureau/orders/" + rc.SubmissionID
		views := func() int {
			return e.count(t, `SELECT COUNT(*) FROM registry_audit WHERE action = 'submission.view' AND entity_id = $1 AND actor = 'account:9'`, rc.SubmissionID)
		}
		t.Run("PRIV-1", func(t *testing.T) {
			if status, _, _ := call(t, srv, "bureau_reviewer", "110000", "GET", orders, ""); status != 404 || views() != 0 {
				t.Fatalf("another province: %d, %d views audited", status, views())
			}
			for i := 1; i <= 2; i++ {
				status, b, _ := call(t, srv, "bureau_reviewer", "330000", "GET", orders, "")
				if status != 200 || !strings.Contains(b, subjCert) || views() != i {
					t.Fatalf("view %d: %d, %d views audited", i, status, views())
				}
			}
			if n := e.count(t, `SELECT COUNT(*) FROM registry_audit WHERE action = 'submission.view' AND (after_json LIKE '%' || $1 || '%' OR after_json LIKE '%' || $2 || '%')`,
				subjCert, subjPhone); n != 0 {
				t.Fatal("personal data in the audit record")
			}
		})
		if status, b, _ := call(t, srv, "bureau_reviewer", "330000", "POST", orders+"/decision", `{"approve":true}`); status != 200 {
			t.Fatalf("approve: %d %s", status, b)
		}
		subject, w1 := "浙ICP备2026000001号", "浙ICP备2026000001号-1"
		w2 := e.secondSite(t, subject)
		e.put(t, goodRecord("jia-two.com", "uscc", "91440300MA5000001X"))
		for _, tc := range []struct {
			name, role, province, method, path, body string
			status                                   int
			want                                     string
		}{
			{"ErrAnonymous", "", "", "GET", "/api/v1/bureau/cancellations", "", 401, "unauthenticated"},
			{"ErrCustomer", "customer", "", "POST", "/api/v1/bureau/blacklist", `{}`, 403, "forbidden"},
			{"ErrNoProvince", "bureau_reviewer", "", "GET", "/api/v1/bureau/spot-checks", "", 403, "forbidden"},
			{"ErrBadJSON", "bureau_reviewer", "330000", "POST", "/api/v1/bureau/cancellations", `{"number":1}`, 400, "bad_request"},
			{"ErrOtherProvinceCancel", "bureau_reviewer", "110000", "POST", "/api/v1/bureau/cancellations",
				`{"number":"` + w1 + `","reason":"false_information"}`, 404, "not_found"},
			{"ErrOtherProvinceClaim", "bureau_reviewer", "110000", "POST", "/api/v1/bureau/conflict-claims", `{"domain":"jia-two.com"}`, 404, "本省有效的网站备案"},
			{"ErrOtherProvinceSpotCheck", "bureau_reviewer", "110000", "POST", "/api/v1/bureau/spot-checks",
				`{"number":"` + w1 + `","result":"passed"}`, 404, "not_found"},
			{"ErrOldHolder", "bureau_reviewer", "330000", "POST", "/api/v1/bureau/conflict-claims", `{"domain":"` + siteDomain + `"}`, 422, "registry.claim_old_holder"},
			{"Claim", "bureau_reviewer", "330000", "POST", "/api/v1/bureau/conflict-claims", `{"domain":"jia-two.com"}`, 201, `"websites":["` + w2 + `"]`},
			{"SpotCheck", "bureau_reviewer", "330000", "POST", "/api/v1/bureau/spot-checks", `{"number":"` + w1 + `","result":"passed"}`, 201, `"result":"passed"`},
			{"SpotChecks", "bureau_reviewer", "330000", "GET", "/api/v1/bureau/spot-checks", "", 200, `"number":"` + w1 + `"`},
			{"OtherProvinceSpotChecks", "bureau_reviewer", "110000", "GET", "/api/v1/bureau/spot-checks", "", 200, `{"items":[]}`},
			{"ErrBlacklistWithoutIllegal", "bureau_reviewer", "330000", "POST", "/api/v1/bureau/cancellations",
				`{"number":"` + w1 + `","reason":"subject_request","blacklist":true}`, 422, "registry.blacklist_reason"},
			{"Cancel", "bureau_reviewer", "330000", "POST", "/api/v1/bureau/cancellations",
				`{"number":"` + w1 + `","reason":"illegal_content","blacklist":true}`, 201, `"subject_number":"` + subject + `"`},
			{"Cancellations", "bureau_reviewer", "330000", "GET", "/api/v1/bureau/cancellations", "", 200, `"reason":"conflict_claim"`},
			{"OtherProvinceCancellations", "bureau_reviewer", "110000", "GET", "/api/v1/bureau/cancellations", "", 200, `{"items":[]}`},
			{"BlacklistAdd", "bureau_reviewer", "110000", "POST", "/api/v1/bureau/blacklist",
				`{"kind":"cert","value":"110101198001019999","reason":"严重违法"}`, 201, `"value":"****9999"`},
			{"Blacklist", "bureau_reviewer", "330000", "GET", "/api/v1/bureau/blacklist", "", 200, `"value":"****001A"`},
		} {
			status, b, _ := call(t, srv, tc.role, tc.province, tc.method, tc.path, tc.body)
			if status != tc.status || !strings.Contains(b, tc.want) {
				t.Errorf("%s: %d %s", tc.name, status, b)
			}
		}
		if _, b, _ := call(t, srv, "bureau_reviewer", "330000", "GET", "/api/v1/bureau/blacklist", ""); strings.Contains(b, orgCert) ||
			strings.Contains(b, "110101198001019999") || !strings.Contains(b, siteName) {
			t.Fatalf("blacklist list: %s", b)
		}
		if got := e.cancelledEvents(t, provA); got[w1] != ReasonIllegalContent || got[subject] != ReasonIllegalContent {
			t.Fatalf("provA's events %v", got)
		}
	})
}
