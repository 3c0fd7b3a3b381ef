package provider

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
)

// Rule ACC-2: a provider admin registers servers; a customer lists its own
// with their eligibility and cannot register any (403); another account's
// resources are not in its list.
func TestResourcesCreateListRoles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.account(t, beian.RoleProviderAdmin, "")
		alice, bob := e.customer(t), e.customer(t)
		body := map[string]any{"account_id": alice.id, "external_id": "ecs-a1", "billing": "prepaid", "mainland": true,
			"public_ips": []string{"47.100.1.1"}, "term_start": "2026-01-01", "term_end": "2027-01-01"}
		var created ResourceJSON
		admin.call(t, 201, "POST", "/api/v1/resources", body, &created)
		if !created.Eligible || created.AccountID != alice.id {
			t.Fatalf("created: %+v", created)
		}
		admin.call(t, 201, "POST", "/api/v1/resources", map[string]any{"account_id": alice.id, "external_id": "ecs-a2",
			"billing": "postpaid", "mainland": true, "public_ips": []string{"47.100.1.2"}, "term_start": "2026-01-01", "term_end": "2027-01-01"}, nil)
		// Rule ACC-2: a customer cannot register resources.
		alice.call(t, 403, "POST", "/api/v1/resources", body, nil)
		// A resource for a staff account or an unknown one is refused.
		body["account_id"], body["external_id"] = admin.id, "ecs-x"
		admin.call(t, 422, "POST", "/api/v1/resources", body, nil)

		var list struct{ Items []ResourceJSON }
		alice.call(t, 200, "GET", "/api/v1/resources", nil, &list)
		if len(list.Items) != 2 || !list.Items[0].Eligible || list.Items[1].Eligible {
			t.Fatalf("alice's resources: %+v", list.Items)
		}
		if p := list.Items[1].Ineligible; len(p) != 1 || p[0].Code != "resource.postpaid" || p[0].Message == "" {
			t.Errorf("postpaid reasons: %+v", p)
		}
		bob.call(t, 200, "GET", "/api/v1/resources", nil, &list)
		if len(list.Items) != 0 {
			t.Errorf("bob sees %d resources", len(list.Items))
		}
		admin.call(t, 200, "GET", fmt.Sprintf("/api/v1/resources?account=%d", alice.id), nil, &list)
		if len(list.Items) != 2 {
			t.Errorf("admin sees %d of alice's resources", len(list.Items))
		}
		admin.call(t, 400, "GET", "/api/v1/resources", nil, nil)
		e.anonymous().call(t, 401, "GET", "/api/v1/resources", nil, nil)
		e.account(t, beian.RoleProviderReviewer, "").call(t, 403, "GET", "/api/v1/resources", nil, nil)
	})
}

// Rule ACC-2: the billing import upserts by external ID, imports the good
// rows and reports every bad row with its line number.
func TestResourcesImportReportsBadRows(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.account(t, beian.RoleProviderAdmin, "")
		alice := e.customer(t)
		e.resource(t, alice.id, func(r *beian.Resource) { r.ExternalID = "ecs-old"; r.PublicIPs = []string{"47.100.9.9"} })
		csv := strings.Join([]string{
			"external_id,account_login,billing,mainland,public_ips,term_start,term_end,active",
			"ecs-new1," + alice.login + ",prepaid,true,47.100.2.1;47.100.2.2,2026-01-01,2027-01-01,true", // line 2: created
			"ecs-old," + alice.login + ",prepaid,true,47.100.9.10,2026-01-01,2027-06-01,",                // line 3: updated
			"ecs-bad-ip," + alice.login + ",prepaid,true,10.0.0.1,2026-01-01,2027-01-01,true",            // line 4: private IP
			"ecs-nobody,nobody-here,prepaid,true,47.100.2.3,2026-01-01,2027-01-01,true",                  // line 5: unknown account
			"ecs-new1," + alice.login + ",prepaid,true,47.100.2.4,2026-01-01,2027-01-01,true",            // line 6: repeated ID
			"ecs-date," + alice.login + ",monthly,maybe,47.100.2.5,2026-13-01,2027-01-01,true",           // line 7: three bad values
		}, "\n") + "\n"
		var rep ImportReportJSON
		admin.call(t, 200, "POST", "/api/v1/resources/import", []byte(csv), &rep, "Content-Type", "text/csv")
		if rep.Created != 1 || rep.Updated != 1 {
			t.Errorf("created %d updated %d, want 1 and 1", rep.Created, rep.Updated)
		}
		want := map[int]string{4: "resource.ip_not_public", 5: "resource.account_unknown", 6: "resource.external_id_duplicate", 7: "import.value_invalid"}
		if len(rep.Rejected) != len(want) {
			t.Fatalf("rejected: %+v", rep.Rejected)
		}
		for _, r := range rep.Rejected {
			if len(r.Errors) == 0 || r.Errors[0].Code != want[r.Line] {
				t.Errorf("line %d: %+v, want %s", r.Line, r.Errors, want[r.Line])
			}
		}
		fields := map[string]bool{}
		for _, it := range rep.Rejected[3].Errors {
			fields[it.Field] = true
		}
		if !fields["billing"] || !fields["mainland"] || !fields["term_start"] { // every bad value of line 7
			t.Errorf("line 7 errors: %+v", rep.Rejected[3].Errors)
		}
		rs, err := e.svc.Store.ResourcesOf(e.ctx, alice.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 || rs[0].PublicIPs[0] != "47.100.9.10" {
			t.Errorf("alice's resources after import: %+v", rs)
		}
		// The same file again changes nothing.
		admin.call(t, 200, "POST", "/api/v1/resources/import", []byte(csv), &rep)
		if rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != 2 {
			t.Errorf("repeat: %+v", rep)
		}
		// A header without the required columns is refused as a whole.
		var eb errorBody
		admin.call(t, 400, "POST", "/api/v1/resources/import", []byte("external_id,billing\nx,prepaid\n"), &eb)
		if eb.Code != "bad_request" {
			t.Errorf("bad header: %+v", eb)
		}
		alice.call(t, 403, "POST", "/api/v1/resources/import", []byte(csv), nil)
	})
}

// Rule NOTE-1: a server term ending within 30 days warns the customer's
// responsible person by SMS and email, once per resource and term; a
// renewed term is warned again when it nears its end.
func TestResourceTermWarningOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		alice := e.customer(t)
		co := newCompany(t, 1)
		r := e.resource(t, alice.id, func(r *beian.Resource) { r.TermStart, r.TermEnd = t0.AddDate(0, -6, 0), t0.AddDate(0, 0, 40) })
		// The responsible person is known from the account's order.
		data, _ := json.Marshal(co.form(t, r.ID))
		if _, err := e.db.SQL.ExecContext(e.ctx, `INSERT INTO orders (number, account_id, subject_key, type, stage, data, created_at, updated_at, stage_at)
			VALUES ('T-1', $1, 'k', 'first_filing', 'draft', $2, 0, 0, 0)`, alice.id, string(data)); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.EnsureTermSweep(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.fire(t)
		if n := e.outboxCount(t, TemplateTermWarning); n != 0 {
			t.Fatalf("warned 40 days ahead: %d messages", n)
		}
		for range 12 { // day by day to 28 days before the end
			e.advance(t, 24*time.Hour)
		}
		if n := e.outboxCount(t, TemplateTermWarning); n != 2 {
			t.Fatalf("messages after entering the window: %d, want 2 (SMS and email)", n)
		}
		var list struct{ Items []ResourceJSON }
		e.relogin(t, alice)
		alice.call(t, 200, "GET", "/api/v1/resources", nil, &list)
		if list.Items[0].TermWarning == nil || list.Items[0].TermWarning.DaysLeft != 28 {
			t.Errorf("term warning in the list: %+v", list.Items[0].TermWarning)
		}
		e.advance(t, 5*24*time.Hour)
		if n := e.outboxCount(t, TemplateTermWarning); n != 2 {
			t.Fatalf("warned again within the same term: %d messages", n)
		}
		// Renewed: a new term is warned once when it nears its end.
		r.TermEnd = r.TermEnd.AddDate(0, 0, 60)
		if _, _, err := e.svc.Store.ImportResources(e.ctx, []beian.Resource{r}, "test"); err != nil {
			t.Fatal(err)
		}
		e.advance(t, 55*24*time.Hour)
		if n := e.outboxCount(t, TemplateTermWarning); n != 4 {
			t.Fatalf("messages after the renewed term nears its end: %d, want 4", n)
		}
	})
}

// outboxCount counts the provider's outbox messages of the template.
func (e *env) outboxCount(tb testing.TB, template string) int {
	tb.Helper()
	var n int
	if err := e.db.SQL.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM provider_outbox WHERE template = $1`, template).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
