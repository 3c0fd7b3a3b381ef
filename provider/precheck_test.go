package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
)

// precheckBody is the precheck's short input for a company.
func precheckBody(co company) map[string]any {
	return map[string]any{"province": "110000", "nature": "enterprise", "cert_type": "uscc", "cert_number": co.uscc,
		"domains": []string{co.domain}}
}

// Rule TYPE-1: the precheck answers the order type with its reason — a
// first filing; a new website when the subject is filed here; a transfer-in
// when the subject is filed through another provider — and the qualifying
// resources (Rule ACC-2); Rule ACC-1 refuses a second subject on an account
// naming both ways out.
func TestPrecheckTypes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		// First filing: nothing in the registry.
		first := e.customer(t)
		r := e.resource(t, first.id)
		c1 := newCompany(t, 1)
		e.seedDomain(t, c1.domain, c1.name, "uscc", c1.uscc)
		var out PrecheckJSON
		first.call(t, 200, "POST", "/api/v1/precheck", precheckBody(c1), &out)
		if out.Type != beian.FirstFiling || out.Reason.Code != "precheck.reason_first_filing" || out.Reason.Message == "" {
			t.Errorf("first filing: %+v", out)
		}
		if len(out.Resources) != 1 || out.Resources[0].ResourceID != r.ID {
			t.Errorf("qualifying resources: %+v", out.Resources)
		}
		if out.Requirements.DomainMinRemainingDays != 90 || out.Requirements.Province != "110000" {
			t.Errorf("Beijing's requirements (Rule SUBJ-4): %+v", out.Requirements)
		}

		// New website: the subject is filed here.
		here := e.customer(t)
		e.resource(t, here.id)
		c2 := newCompany(t, 2)
		s2, err := e.reg.CreateSubject(e.ctx, regulator.SubjectInput{Province: "110000", Nature: "enterprise", UnitName: c2.name, CertType: "uscc", CertNumber: c2.uscc})
		if err != nil {
			t.Fatal(err)
		}
		e.bindSubject(t, here.id, c2, s2.Number)
		e.seedDomain(t, c2.domain, c2.name, "uscc", c2.uscc)
		here.call(t, 200, "POST", "/api/v1/precheck", precheckBody(c2), &out)
		if out.Type != beian.NewWebsite || out.SubjectNumber != s2.Number {
			t.Errorf("new website: %+v", out)
		}

		// Transfer-in: the subject and its website are filed through another provider.
		moving := e.customer(t)
		e.resource(t, moving.id)
		c3 := newCompany(t, 3)
		if _, _, err := e.reg.EnsureProvider(e.ctx, "othercloud"); err != nil {
			t.Fatal(err)
		}
		s3, err := e.reg.CreateSubject(e.ctx, regulator.SubjectInput{Province: "110000", Nature: "enterprise", UnitName: c3.name, CertType: "uscc", CertNumber: c3.uscc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.reg.AddWebsite(e.ctx, s3.ID, regulator.WebsiteInput{Name: "星辰三号", HomeURL: "www." + c3.domain,
			Domains: []string{c3.domain}, Providers: []string{"othercloud"}}); err != nil {
			t.Fatal(err)
		}
		moving.call(t, 200, "POST", "/api/v1/precheck", precheckBody(c3), &out)
		if out.Type != beian.TransferIn || out.Reason.Code != "precheck.reason_transfer_in" ||
			len(out.SubjectProviders) != 1 || out.SubjectProviders[0] != "othercloud" {
			t.Errorf("transfer-in: %+v", out)
		}
		// Asking for a first filing of it is refused with the type that applies.
		body := precheckBody(c3)
		body["type"] = "first_filing"
		var eb errorBody
		moving.call(t, 422, "POST", "/api/v1/precheck", body, &eb)
		wantProblems(t, eb, "precheck.type_mismatch@type")

		// Rule ACC-1: the account filed here for c2 cannot precheck another subject.
		eb = errorBody{}
		here.lang = "en"
		here.call(t, 422, "POST", "/api/v1/precheck", precheckBody(c1), &eb)
		wantProblems(t, eb, "acc.one_subject@cert_number")
		for _, it := range eb.Errors {
			if it.Code == "acc.one_subject" && (it.Rule != "ACC-1" || !containsAll(it.Message, "another account", "authorization code")) {
				t.Errorf("ACC-1 item: %+v", it)
			}
		}
	})
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// Rule ACC-2: with no eligible resource the answer is 暂无可用资源 with the
// two ways out; a pay-as-you-go or foreign server does not count.
func TestPrecheckNoResources(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.customer(t)
		e.resource(t, c.id, func(r *beian.Resource) { r.Billing = beian.Postpaid })
		e.resource(t, c.id, func(r *beian.Resource) { r.Mainland = false })
		e.resource(t, c.id, func(r *beian.Resource) { r.TermStart, r.TermEnd = t0.AddDate(0, 0, -10), t0.AddDate(0, 1, 0) })
		co := newCompany(t, 4)
		e.seedDomain(t, co.domain, co.name, "uscc", co.uscc)
		var eb errorBody
		c.call(t, 422, "POST", "/api/v1/precheck", precheckBody(co), &eb)
		if len(eb.Errors) != 1 || !eb.has("precheck.no_resources", "resources") {
			t.Fatalf("no resources: %s", eb)
		}
		m := eb.Errors[0].Message
		if eb.Errors[0].Rule != "ACC-2" || !containsAll(m, "暂无可用资源", "授权码", "包年包月") {
			t.Errorf("no resources item: %+v", eb.Errors[0])
		}
	})
}

// Every problem at once (Rule TYPE-1 and the rules of the form): a form
// with many different errors gets all of them in one 422, each with its
// rule and the field path of the order form.
func TestPrecheckEveryProblemAtOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.customer(t)
		r := e.resource(t, c.id)
		co := newCompany(t, 5)
		e.seedDomain(t, co.domain, co.name, "uscc", co.uscc)
		data := co.form(t, r.ID)
		data.Subject.CertNumber = co.uscc[:17] + map[bool]string{true: "1", false: "0"}[co.uscc[17] == '0'] // SUBJ-3 checksum
		data.Subject.Province, data.Subject.City, data.Subject.District = "330000", "330100", "330106"      // TYPE-2: Hangzhou
		data.Subject.Person.Mobile = "12345"                                                                // SUBJ-3
		w := &data.Websites[0]
		w.Homepage = co.domain                                       // WEB-1: no www.
		w.Name = "123456"                                            // WEB-2: digits only
		w.Resources = []beian.ResourceRef{{ResourceID: r.ID + 1000}} // ACC-2: not the account's
		data.Websites = append(data.Websites, beian.WebsiteForm{WebsiteData: beian.WebsiteData{Name: "星辰博客",
			Domains: []string{"no-record-example.cn"}, Homepage: "www.no-record-example.cn", ServiceContent: "org_portal",
			Person: testPerson(t)}}) // WEB-6: no registration record; ACC-2: no resource
		var eb errorBody
		c.call(t, 422, "POST", "/api/v1/precheck", map[string]any{"data": data, "commercial": true}, &eb)
		wantProblems(t, eb,
			"subj.uscc_checksum@subject.cert_number",
			"subj.mobile_invalid@subject.person.mobile",
			"type.commercial_not_offered@commercial",
			"web.homepage_not_www@websites[0].homepage",
			"web.name_digits_only@websites[0].name",
			"check.resource_unknown@websites[0].resources[0]",
			"check.resources_required@websites[1].resources",
			"registry.domain_no_record@websites[1].domains[0]",
		)
		if eb.Code != "invalid" {
			t.Errorf("kind %q", eb.Code)
		}
		for _, it := range eb.Errors {
			if it.Rule == "" || it.Message == "" {
				t.Errorf("item without rule or message: %+v", it)
			}
		}
	})
}

// Rule TYPE-2: a commercial filing is offered only in the 7 cities.
func TestPrecheckCommercialCities(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.customer(t)
		e.resource(t, c.id)
		co := newCompany(t, 6)
		e.seedDomain(t, co.domain, co.name, "uscc", co.uscc)
		for _, tt := range []struct {
			province, city string
			want           int
		}{{"110000", "110100", 200}, {"440000", "440300", 200}, {"330000", "330100", 422}, {"440000", "440600", 422}} {
			body := precheckBody(co)
			body["province"], body["city"], body["commercial"] = tt.province, tt.city, true
			var eb errorBody
			c.call(t, tt.want, "POST", "/api/v1/precheck", body, &eb)
			if tt.want == 422 {
				wantProblems(t, eb, "type.commercial_not_offered@commercial")
			}
		}
	})
}

// Rules SUBJ-1, CAN-1, WEB-6: a domain filed by another subject is a
// conflict naming its number; a blacklisted certificate is refused.
func TestPrecheckConflictsAndBlacklist(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.customer(t)
		e.resource(t, c.id)
		other, mine := newCompany(t, 7), newCompany(t, 8)
		s, err := e.reg.CreateSubject(e.ctx, regulator.SubjectInput{Province: "110000", Nature: "enterprise", UnitName: other.name, CertType: "uscc", CertNumber: other.uscc})
		if err != nil {
			t.Fatal(err)
		}
		w, err := e.reg.AddWebsite(e.ctx, s.ID, regulator.WebsiteInput{Name: "别人的网站", HomeURL: "www." + other.domain, Domains: []string{other.domain}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.reg.Blacklist(e.ctx, regulator.BlacklistCert, mine.uscc, "test"); err != nil {
			t.Fatal(err)
		}
		body := precheckBody(mine)
		body["domains"] = []string{other.domain}
		var eb errorBody
		c.call(t, 422, "POST", "/api/v1/precheck", body, &eb)
		wantProblems(t, eb, "registry.domain_conflict@domains[0]", "registry.cert_blacklisted@cert_number")
		for _, it := range eb.Errors {
			if it.Code == "registry.domain_conflict" && !strings.Contains(it.Message, w.Number) {
				t.Errorf("conflict does not name %s: %q", w.Number, it.Message)
			}
		}
	})
}

// Rule WEB-5: the probe reports a live site and tolerates an "under
// construction" page; it refuses loopback addresses unless the test
// setting allows them (no SSRF).
func TestPrecheckProbe(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		page := "<html><body>欢迎光临星辰商城，全场包邮</body></html>"
		site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(page)) }))
		defer site.Close()
		u, _ := url.Parse(site.URL)
		e.svc.Prober = &Prober{Port: u.Port(), Lookup: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}}
		c := e.customer(t)
		e.resource(t, c.id)
		co := newCompany(t, 9)
		e.seedDomain(t, co.domain, co.name, "uscc", co.uscc)
		body := precheckBody(co)
		body["probe"] = true

		var eb errorBody
		c.call(t, 422, "POST", "/api/v1/precheck", body, &eb)
		if len(eb.Errors) != 1 || !eb.has("precheck.probe_refused", "domains[0]") {
			t.Fatalf("loopback without the test setting: %s", eb)
		}
		e.svc.Options.ProbeAllowPrivate = true
		eb = errorBody{}
		c.call(t, 422, "POST", "/api/v1/precheck", body, &eb)
		if len(eb.Errors) != 1 || !eb.has("precheck.site_live", "domains[0]") {
			t.Fatalf("live site: %s", eb)
		}
		page = "<html><title>网站建设中</title></html>"
		var out PrecheckJSON
		c.call(t, 200, "POST", "/api/v1/precheck", body, &out)
		if len(out.Probe) != 2 || out.Probe[0].Outcome != "placeholder" {
			t.Errorf("under construction: %+v", out.Probe)
		}
	})
}

// publicAddr refuses every non-public range (Rule WEB-5, no SSRF).
func TestProbePublicAddr(t *testing.T) {
	for a, want := range map[string]bool{
		"47.100.1.1": true, "2400:3200::1": true, "127.0.0.1": false, "10.1.2.3": false, "192.168.1.1": false,
		"172.16.0.1": false, "169.254.169.254": false, "100.64.0.1": false, "::1": false, "fe80::1": false,
		"fd00::1": false, "::ffff:127.0.0.1": false, "0.0.0.0": false, "64:ff9b::a00:1": false,
	} {
		if got := publicAddr(netip.MustParseAddr(a)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", a, got, want)
		}
	}
}
