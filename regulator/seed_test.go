package regulator

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
)

// Valid unified social credit codes (Rule SUBJ-3: the seed checks them).
const (
	seedCert  = "91330100MA0000015W"
	seedCert2 = "91330100MA0000023P"
)

// seedFiling is an enterprise filed through provB, with its certificate
// and a filing password.
func seedFiling() SeedFiling {
	return SeedFiling{UnitName: orgName, Nature: "enterprise", Province: "浙江", CertType: "uscc", CertNumber: seedCert,
		Password: "Seed-Pass-2026", ApprovedOn: "2024-05-20",
		Websites: []SeedWebsite{{Name: siteName, HomeURL: "www." + siteDomain, Domains: []string{siteDomain}, Providers: []string{provB}}}}
}

// Rules OTH-1, TYPE-1, PWD-2: a seeded filing held through another provider
// is what a precheck finds for its certificate (a transfer-in), and its
// password opens the transfer-in check; only the password's hash is kept.
func TestSeed(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		out, err := e.Seed(e.ctx, []SeedFiling{seedFiling()})
		if err != nil || len(out) != 1 {
			t.Fatalf("seed: %+v, %v", out, err)
		}
		subject := out[0].SubjectNumber
		t.Run("OKNumbered", func(t *testing.T) {
			if subject != "浙ICP备2026000001号" || !slices.Equal(out[0].Websites, []string{subject + "-1"}) || !out[0].PasswordSet {
				t.Fatalf("answer %+v", out[0])
			}
		})
		t.Run("OKPrecheckFindsTransferIn", func(t *testing.T) {
			res, err := e.PrecheckWith(e.ctx, beian.PrecheckRequest{Province: "330000", CertType: "uscc", CertNumber: seedCert,
				Domains: []string{siteDomain}}, PrecheckOptions{})
			if err != nil || res.SubjectNumber != subject || !slices.Equal(res.SubjectProviders, []string{provB}) ||
				len(res.Filed) != 1 || !res.Filed[0].SameSubject || len(res.Conflicts) != 0 {
				t.Fatalf("precheck %+v, %v", res, err)
			}
		})
		t.Run("OKPasswordOpensTransferIn", func(t *testing.T) {
			tc, err := e.CheckTransferIn(e.ctx, subject, "Seed-Pass-2026")
			if err != nil || !slices.Equal(tc.Websites, []string{subject + "-1"}) {
				t.Fatalf("transfer-in check %+v, %v", tc, err)
			}
			h := e.subjectHash(t, subject)
			if ok, _ := identity.VerifyPassword(h, "Seed-Pass-2026"); !ok || strings.Contains(h, "Seed-Pass") {
				t.Fatalf("stored %q", h)
			}
		})
		t.Run("OKProviderRegistered", func(t *testing.T) {
			if n := e.count(t, `SELECT COUNT(*) FROM registry_providers WHERE name = $1`, provB); n != 1 {
				t.Fatalf("%d providers named %s", n, provB)
			}
		})
		t.Run("OKGivenNumbersAndRepeatSkipped", func(t *testing.T) {
			f := SeedFiling{SubjectNumber: "京ICP备12345678号", UnitName: "北京旧站科技有限公司", Nature: "enterprise", Province: "110000",
				Websites: []SeedWebsite{{WebsiteNumber: "京ICP备12345678号-3", Name: "旧站", Domains: []string{"old-site.cn"}, Providers: []string{provA, provB}}}}
			for i, want := range []string{"created", "skipped"} {
				out, err := e.Seed(e.ctx, []SeedFiling{f})
				if err != nil {
					t.Fatal(err)
				}
				got := "created"
				if len(out[0].Skipped) == 1 && len(out[0].Websites) == 0 {
					got = "skipped"
				}
				if got != want || out[0].SubjectNumber != "京ICP备12345678号" {
					t.Fatalf("run %d: %+v, want %s", i, out[0], want)
				}
			}
			fl, err := e.Filing(e.ctx, "京ICP备12345678号-3")
			if err != nil || !slices.Equal(fl.Websites[0].Providers, slices.Sorted(slices.Values([]string{provA, provB}))) {
				t.Fatalf("filing %+v, %v", fl, err)
			}
		})
	})
}

// A seed is all or nothing, each problem at its field in the list.
func TestSeedErrors(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		if _, err := e.Seed(e.ctx, []SeedFiling{seedFiling()}); err != nil {
			t.Fatal(err)
		}
		mod := func(fn func(f *SeedFiling)) []SeedFiling {
			f := seedFiling()
			f.CertNumber, f.Websites[0].Domains = seedCert2, []string{"yi-two.com"}
			fn(&f)
			return []SeedFiling{f}
		}
		for _, tc := range []struct {
			name, code, field string
			in                []SeedFiling
		}{
			{"ErrNoProviders", "registry.required", "[0].websites[0].providers", mod(func(f *SeedFiling) { f.Websites[0].Providers = nil })},
			{"ErrDomain", "", "[0].websites[0].domains[0]", mod(func(f *SeedFiling) { f.Websites[0].Domains = []string{"not a domain"} })},
			{"ErrDomainFiled", "registry.domain_conflict", "[0].websites[0].domains[0]", mod(func(f *SeedFiling) { f.Websites[0].Domains = []string{siteDomain} })},
			{"ErrCertificate", "", "[0].cert_number", mod(func(f *SeedFiling) { f.CertNumber = "91330100MA0000023Q" })},
			{"ErrCertType", "registry.cert_type_unknown", "[0].cert_type", mod(func(f *SeedFiling) { f.CertType = "visa" })},
			{"ErrCertFiled", "registry.subject_conflict", "[0].cert_number", mod(func(f *SeedFiling) { f.CertNumber = seedCert })},
			{"ErrPasswordShort", "sandbox.seed_password", "[0].password", mod(func(f *SeedFiling) { f.Password = "short" })},
			{"ErrApprovedFuture", "sandbox.seed_approved_on", "[0].approved_on", mod(func(f *SeedFiling) { f.ApprovedOn = "2027-01-01" })},
			{"ErrNoWebsites", "sandbox.seed_websites", "[0].websites", mod(func(f *SeedFiling) { f.Websites = nil })},
			{"ErrProvince", "registry.province_unknown", "[0].province", mod(func(f *SeedFiling) { f.Province = "火星" })},
			{"ErrNature", "registry.nature_unknown", "[0].nature", mod(func(f *SeedFiling) { f.Nature = "club" })},
			{"ErrWebsiteNumber", "sandbox.seed_website_number", "[0].websites[0].website_number", mod(func(f *SeedFiling) {
				f.SubjectNumber, f.Websites[0].WebsiteNumber = "浙ICP备2020000009号", "浙ICP备2020000008号-1"
			})},
			{"ErrSubjectMismatch", "sandbox.seed_subject_mismatch", "[0].subject_number", mod(func(f *SeedFiling) {
				f.SubjectNumber, f.UnitName, f.CertNumber, f.CertType = "浙ICP备2026000001号", "另一个名称", "", ""
			})},
			{"ErrSecondFilingRollsBackFirst", "registry.domain_conflict", "[1].websites[0].domains[0]", append(mod(func(*SeedFiling) {}), mod(func(f *SeedFiling) {
				f.CertType, f.CertNumber, f.UnitName = "", "", "另一家公司"
			})...)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.count(t, `SELECT COUNT(*) FROM registry_websites`)
				_, err := e.Seed(e.ctx, tc.in)
				var be *beian.Error
				if !errors.As(err, &be) || be.Kind != beian.KindInvalid {
					t.Fatalf("got %v", err)
				}
				found := false
				for _, p := range be.Problems {
					found = found || (p.Field == tc.field && (tc.code == "" || p.Code == tc.code))
				}
				if !found {
					t.Fatalf("problems %+v, want %s at %s", be.Problems, tc.code, tc.field)
				}
				if after := e.count(t, `SELECT COUNT(*) FROM registry_websites`); after != before {
					t.Fatalf("a refused seed wrote %d websites", after-before)
				}
			})
		}
		t.Run("ErrCount", func(t *testing.T) {
			if _, err := e.Seed(e.ctx, nil); codeOf(err) != "sandbox.seed_count" || !beian.IsKind(err, beian.KindBadRequest) {
				t.Fatalf("got %v", err)
			}
		})
	})
}

// Rule WEB-6's records as the sandbox writes them: all or none, every
// problem at its field; an unapproved registrar or an expired domain is
// accepted, for the five checks to report.
func TestPutDomainRecords(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	good := func() DomainRecordInput {
		return DomainRecordInput{Domain: "例子.中国", HolderName: "持有人", HolderCertType: "uscc", HolderCertNumber: seedCert,
			Registrar: "GoDaddy.com, LLC", RegisteredOn: "2020-01-01", ExpiresOn: "2026-01-01", RealNameVerified: &no}
	}
	each(t, func(t *testing.T, e *env) {
		t.Run("OK", func(t *testing.T) {
			second := good()
			second.Domain, second.RealNameVerified = "Jia-One.com", &yes
			got, err := e.PutDomainRecords(e.ctx, []DomainRecordInput{good(), second})
			if err != nil || !slices.Equal(got, []string{"xn--fsqu00a.xn--fiqs8s", "jia-one.com"}) {
				t.Fatalf("%v, %v", got, err)
			}
			rec, err := e.DomainRecordOf(e.ctx, "jia-one.com")
			if err != nil || !rec.RealNameVerified || rec.ExpiresOn.Format("2006-01-02") != "2026-01-01" {
				t.Fatalf("%+v, %v", rec, err)
			}
		})
		for _, tc := range []struct {
			name, code, field string
			fn                func(d *DomainRecordInput)
		}{
			{"ErrSubdomain", "registry.domain_invalid", "[0].domain", func(d *DomainRecordInput) { d.Domain = "www.example.com" }},
			{"ErrHolder", "registry.required", "[0].holder_name", func(d *DomainRecordInput) { d.HolderName = " " }},
			{"ErrCertType", "registry.cert_type_unknown", "[0].holder_cert_type", func(d *DomainRecordInput) { d.HolderCertType = "x" }},
			{"ErrCert", "", "[0].holder_cert_number", func(d *DomainRecordInput) { d.HolderCertNumber = "91330100MA0000015X" }},
			{"ErrRegistrar", "registry.required", "[0].registrar", func(d *DomainRecordInput) { d.Registrar = "" }},
			{"ErrDate", "sandbox.domain_date", "[0].expires_on", func(d *DomainRecordInput) { d.ExpiresOn = "2026/01/01" }},
			{"ErrDates", "sandbox.domain_dates", "[0].expires_on", func(d *DomainRecordInput) { d.ExpiresOn = "2019-12-31" }},
			{"ErrRegisteredFuture", "sandbox.domain_dates", "[0].expires_on", func(d *DomainRecordInput) { d.RegisteredOn = "2026-03-03" }},
			{"ErrRealName", "registry.required", "[0].real_name_verified", func(d *DomainRecordInput) { d.RealNameVerified = nil }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d := good()
				d.Domain = "fresh.cn"
				tc.fn(&d)
				_, err := e.PutDomainRecords(e.ctx, []DomainRecordInput{d})
				var be *beian.Error
				if !errors.As(err, &be) || len(be.Problems) == 0 || be.Problems[0].Field != tc.field || (tc.code != "" && be.Problems[0].Code != tc.code) {
					t.Fatalf("got %v", err)
				}
				if _, err := e.DomainRecordOf(e.ctx, "fresh.cn"); !beian.IsKind(err, beian.KindNotFound) {
					t.Fatalf("a refused record was stored: %v", err)
				}
			})
		}
		t.Run("ErrDuplicate", func(t *testing.T) {
			_, err := e.PutDomainRecords(e.ctx, []DomainRecordInput{good(), good()})
			if code, _, field, _ := problemCode(err); code != "sandbox.domain_duplicate" || field != "[1].domain" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("ErrCount", func(t *testing.T) {
			if _, err := e.PutDomainRecords(e.ctx, nil); codeOf(err) != "sandbox.domain_count" {
				t.Fatalf("got %v", err)
			}
		})
	})
}
