package regulator

import (
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
)

// Rule WEB-6: each of the registry's five domain checks fails on its own
// with its own code, and a domain without a record fails with
// registry.domain_no_record (it is never waved through).
func TestPrecheckDomainChecks(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const cert = "330106199001011234"
		good := func(d string) DomainRecord { return goodRecord(d, "resident_id", cert) }
		today := t0
		for _, tc := range []struct {
			name   string
			rec    *DomainRecord // nil: no record
			domain string
			opts   PrecheckOptions
			want   string // the only problem's code, "" for none
		}{
			{"OK", ptr(good("pass.com")), "pass.com", PrecheckOptions{}, ""},
			{"OKUnicodeRequestDomain", ptr(good("例子.中国")), "例子.中国", PrecheckOptions{}, ""},
			{"OKRegistrarAlias", ptr(with(good("alias.com"), func(r *DomainRecord) { r.Registrar = "万网" })), "alias.com", PrecheckOptions{}, ""},
			{"OKRegistrarFullWidthParens", ptr(with(good("paren.com"), func(r *DomainRecord) { r.Registrar = "阿里云计算有限公司（万网）" })), "paren.com", PrecheckOptions{}, ""},
			{"ErrNoRecord", nil, "norecord.com", PrecheckOptions{}, "registry.domain_no_record"},
			{"ErrTLDNotApproved", ptr(good("only-tld.io")), "only-tld.io", PrecheckOptions{}, "registry.domain_tld"},
			{"ErrRegistrar", ptr(with(good("registrar.com"), func(r *DomainRecord) { r.Registrar = "Unknown Registrar LLC" })), "registrar.com", PrecheckOptions{}, "registry.domain_registrar"},
			{"ErrExpired", ptr(with(good("expired.com"), func(r *DomainRecord) { r.ExpiresOn = today.AddDate(0, 0, -1) })), "expired.com", PrecheckOptions{}, "registry.domain_expired"},
			{"ErrExpiresToday", ptr(with(good("today.com"), func(r *DomainRecord) { r.ExpiresOn = today.Add(13 * time.Hour) })), "today.com", PrecheckOptions{}, "registry.domain_expired"},
			{"ErrExpiring90Days", ptr(with(good("soon.com"), func(r *DomainRecord) { r.ExpiresOn = today.AddDate(0, 0, 90) })), "soon.com", PrecheckOptions{MinRemainingDays: 90}, "registry.domain_expiring"},
			{"OK91DaysLeft", ptr(with(good("later.com"), func(r *DomainRecord) { r.ExpiresOn = today.AddDate(0, 0, 91) })), "later.com", PrecheckOptions{MinRemainingDays: 90}, ""},
			{"ErrNotRealName", ptr(with(good("noreal.com"), func(r *DomainRecord) { r.RealNameVerified = false })), "noreal.com", PrecheckOptions{}, "registry.domain_not_real_name"},
			{"ErrHolderCertNumber", ptr(with(good("holder.com"), func(r *DomainRecord) { r.HolderCertNumber = "330106199001015678" })), "holder.com", PrecheckOptions{}, "registry.domain_holder_mismatch"},
			{"ErrHolderCertType", ptr(with(good("holdtype.com"), func(r *DomainRecord) { r.HolderCertType = "passport" })), "holdtype.com", PrecheckOptions{}, "registry.domain_holder_mismatch"},
			{"ErrNotRegistrable", nil, "www.pass.com", PrecheckOptions{}, "registry.domain_invalid"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.rec != nil {
					e.put(t, *tc.rec)
				}
				res, err := e.PrecheckWith(e.ctx, beian.PrecheckRequest{Province: "330000", Nature: "individual", CertType: "resident_id",
					CertNumber: cert, Domains: []string{tc.domain}}, tc.opts)
				if err != nil || len(res.Domains) != 1 {
					t.Fatalf("%+v, %v", res, err)
				}
				ps := res.Domains[0].Problems
				if tc.want == "" && len(ps) == 0 {
					return
				}
				if len(ps) != 1 || ps[0].Code != tc.want || ps[0].Field != "domains[0]" {
					t.Fatalf("problems %v, want only %s at domains[0]", ps, tc.want)
				}
				if ps[0].Code != "registry.domain_invalid" && ps[0].Rule != "WEB-6" {
					t.Fatalf("rule %s", ps[0].Rule)
				}
			})
		}
		// Rules WEB-6, SUBJ-4: Precheck reads the province's requirement
		// (北京 wants 90 days left in the seed data; 浙江 none).
		t.Run("ErrProvinceWants90Days", func(t *testing.T) {
			req := beian.PrecheckRequest{Province: "110000", Nature: "individual", CertType: "resident_id", CertNumber: cert, Domains: []string{"soon.com"}}
			res, err := e.Precheck(e.ctx, req)
			if err != nil || !res.Domains[0].Problems.Has("registry.domain_expiring") {
				t.Fatalf("%+v, %v", res, err)
			}
			req.Province = "浙江"
			if res, err = e.Precheck(e.ctx, req); err != nil || len(res.Domains[0].Problems) != 0 {
				t.Fatalf("%+v, %v", res, err)
			}
		})
		t.Run("ErrProvinceUnknown", func(t *testing.T) {
			if _, err := e.Precheck(e.ctx, beian.PrecheckRequest{Province: "川"}); !beian.IsKind(err, beian.KindInvalid) {
				t.Fatalf("err %v", err)
			}
		})
	})
}

// Rules SUBJ-1, TYPE-1, CAN-1: the precheck names the certificate's subject
// number, a domain of another subject as a conflict with its website
// number, a domain of the same subject as filed (a transfer-in), and
// blacklist hits.
func TestPrecheckConflicts(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		wa := e.website(t, a, "甲公司官网", []string{"jia-one.com"}, "其他云")
		b := e.org(t, "杭州乙科技有限公司", "91330100MA0000002B")
		wb := e.website(t, b, "乙公司官网", []string{"yi-one.com"})
		if err := e.Blacklist(e.ctx, BlacklistCert, "91330100MA0000009Z", "illegal_content"); err != nil {
			t.Fatal(err)
		}
		if err := e.Blacklist(e.ctx, BlacklistWebsiteName, "违规网站", "illegal_content"); err != nil {
			t.Fatal(err)
		}
		req := beian.PrecheckRequest{Province: "330000", Nature: "institution", CertType: "uscc", CertNumber: "91330100ma0000001a",
			Domains: []string{"jia-one.com", "yi-one.com", "free.com"}, WebsiteNames: []string{"好网站", "违规网站"}}
		res, err := e.PrecheckWith(e.ctx, req, PrecheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OKSubjectNumberDespiteOtherNature", func(t *testing.T) {
			if res.SubjectNumber != a.Number || strings.Join(res.SubjectProviders, ",") != "其他云" {
				t.Fatalf("subject %q providers %v", res.SubjectNumber, res.SubjectProviders)
			}
		})
		t.Run("ErrDomainOfAnotherSubject", func(t *testing.T) {
			if len(res.Conflicts) != 1 || res.Conflicts[0] != (beian.Conflict{Field: "domains[1]", Number: wb.Number}) {
				t.Fatalf("conflicts %+v", res.Conflicts)
			}
		})
		t.Run("OKFiledDomains", func(t *testing.T) {
			want := []beian.FiledDomain{{Domain: "jia-one.com", WebsiteNumber: wa.Number, SameSubject: true}, {Domain: "yi-one.com", WebsiteNumber: wb.Number}}
			if len(res.Filed) != 2 || res.Filed[0] != want[0] || res.Filed[1] != want[1] {
				t.Fatalf("filed %+v", res.Filed)
			}
		})
		t.Run("ErrBlacklistedName", func(t *testing.T) {
			if len(res.Blacklist) != 1 || res.Blacklist[0].Field != "website_names[1]" {
				t.Fatalf("blacklist %+v", res.Blacklist)
			}
		})
		t.Run("ErrBlacklistedCert", func(t *testing.T) {
			r2, err := e.PrecheckWith(e.ctx, beian.PrecheckRequest{Province: "330000", CertType: "business_license", CertNumber: "91330100MA0000009Z"}, PrecheckOptions{})
			if err != nil || len(r2.Blacklist) != 1 || r2.Blacklist[0].Field != "cert_number" || r2.SubjectNumber != "" {
				t.Fatalf("%+v, %v", r2, err)
			}
		})
		t.Run("OKNewCertificateNoSubject", func(t *testing.T) {
			r2, err := e.PrecheckWith(e.ctx, beian.PrecheckRequest{Province: "330000", CertType: "uscc", CertNumber: "91330100MA0000003C", Domains: []string{"jia-one.com"}}, PrecheckOptions{})
			if err != nil || r2.SubjectNumber != "" || len(r2.Conflicts) != 1 || r2.Conflicts[0].Number != wa.Number || r2.Filed[0].SameSubject {
				t.Fatalf("%+v, %v", r2, err)
			}
		})
		t.Run("OKCancelledWebsiteNoConflict", func(t *testing.T) {
			if _, err := e.CancelSubject(e.ctx, b.Number, "subject_request"); err != nil {
				t.Fatal(err)
			}
			r2, err := e.PrecheckWith(e.ctx, req, PrecheckOptions{})
			if err != nil || len(r2.Conflicts) != 0 || len(r2.Filed) != 1 {
				t.Fatalf("%+v, %v", r2, err)
			}
		})
	})
}

func ptr[T any](v T) *T { return &v }

// with returns the record changed by fn.
func with(r DomainRecord, fn func(*DomainRecord)) DomainRecord {
	fn(&r)
	return r
}
