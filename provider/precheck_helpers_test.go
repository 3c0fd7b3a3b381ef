package provider

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// The resource, authorization-code, precheck and filings areas on the
// shared harness.
func init() {
	routeMounts = append(routeMounts, (*Service).ResourceRoutes, (*Service).AuthCodeRoutes,
		(*Service).PrecheckRoutes, (*Service).FilingRoutes)
	timerMounts = append(timerMounts, (*Service).ResourceTimerHandlers)
}

// testRID completes a resident ID number from its region and birth date.
func testRID(tb testing.TB, region, birth, seq string) string {
	tb.Helper()
	body := region + birth + seq
	c := validate.ResidentIDCheck(body)
	if c == 0 {
		tb.Fatalf("ResidentIDCheck(%q)", body)
	}
	return body + string(c)
}

// testUSCC builds a valid unified social credit code (Rule SUBJ-3).
func testUSCC(tb testing.TB, head8, org8 string) string {
	tb.Helper()
	body := head8 + org8 + string(validate.OrgCodeCheck(org8))
	c := validate.USCCCheck(body)
	if c == 0 {
		tb.Fatalf("USCCCheck(%q)", body)
	}
	return body + string(c)
}

// testPerson is an adult responsible person from Beijing.
func testPerson(tb testing.TB) beian.Person {
	return beian.Person{Name: "张伟", CertType: "resident_id", CertNumber: testRID(tb, "110105", "19900307", "123"),
		Mobile: "13800138000", Email: "zhangwei@example.com"}
}

// company is a Beijing enterprise with its own certificate and domain.
type company struct {
	name, uscc, domain string
}

func newCompany(tb testing.TB, n int) company {
	return company{name: fmt.Sprintf("北京星辰%d科技有限公司", n), uscc: testUSCC(tb, "91110105", fmt.Sprintf("MA0%dABCD", n)),
		domain: fmt.Sprintf("xingchen%d-example.cn", n)}
}

// seedDomain stores a clean registration record of the domain for the
// holder at the registry (Rule WEB-6).
func (e *env) seedDomain(tb testing.TB, domain, holder, certType, cert string) {
	tb.Helper()
	err := e.reg.PutDomainRecord(e.ctx, regulator.DomainRecord{Domain: domain, HolderName: holder, HolderCertType: certType,
		HolderCertNumber: cert, Registrar: "阿里云计算有限公司(万网)", RegisteredOn: t0.AddDate(-1, 0, 0),
		ExpiresOn: t0.AddDate(2, 0, 0), RealNameVerified: true})
	if err != nil {
		tb.Fatal(err)
	}
}

// resourceSeq numbers the test resources.
var resourceSeq atomic.Int64

// resource registers a resource for the account; mod may change it.
func (e *env) resource(tb testing.TB, accountID int64, mod ...func(*beian.Resource)) beian.Resource {
	tb.Helper()
	n := resourceSeq.Add(1)
	r := beian.Resource{AccountID: accountID, ExternalID: fmt.Sprintf("ecs-%d-%d", accountID, n), Billing: beian.Prepaid,
		Mainland: true, PublicIPs: []string{fmt.Sprintf("47.100.%d.%d", accountID%200, n%200+1)},
		TermStart: t0.AddDate(0, -1, 0), TermEnd: t0.AddDate(0, 11, 0), Active: true}
	for _, m := range mod {
		m(&r)
	}
	out, err := e.svc.Store.CreateResource(e.ctx, r, "test")
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// form is a clean first-filing form of the company on resource rid.
func (c company) form(tb testing.TB, rid int64) beian.OrderData {
	p := testPerson(tb)
	return beian.OrderData{
		Subject: beian.SubjectForm{SubjectData: beian.SubjectData{Nature: "enterprise", Name: c.name, CertType: "uscc",
			CertNumber: c.uscc, Province: "110000", City: "110100", District: "110105", Address: "北京市朝阳区建国路1号", Person: p}},
		Websites: []beian.WebsiteForm{{WebsiteData: beian.WebsiteData{Name: "星辰科技官网", Domains: []string{c.domain},
			Homepage: "www." + c.domain, ServiceContent: "org_portal", Person: p}, Resources: []beian.ResourceRef{{ResourceID: rid}}}},
	}
}

// bindSubject records the account's subject in the provider's tables, as
// an approved first filing leaves it (status active with its number).
func (e *env) bindSubject(tb testing.TB, accountID int64, c company, number string) int64 {
	tb.Helper()
	var id int64
	err := e.db.InTx(e.ctx, func(tx *sqlstore.Tx) error {
		return tx.QueryRowContext(e.ctx, `INSERT INTO subjects (account_id, subject_key, nature, name, cert_type, cert_number, province, number, status, created_at, updated_at)
			VALUES ($1, $2, 'enterprise', $3, 'uscc', $4, '110000', $5, 'active', $6, $6) RETURNING id`,
			accountID, beian.SubjectKey("uscc", c.uscc), c.name, c.uscc, number, sqlstore.Micro(tx.Now)).Scan(&id)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// relogin gives the client a fresh API token after the clock moved past
// its token's lifetime.
func (e *env) relogin(tb testing.TB, c *client) {
	tb.Helper()
	tok, err := e.ident.CreateToken(e.ctx, identity.Principal{Context: identity.ContextProvider, AccountID: c.id, Login: c.login,
		Role: beian.RoleCustomer}, "test", 24*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	c.token = tok
}

// errorBody is the error shape of API.md.
type errorBody struct {
	Code   string `json:"code"`
	Errors []struct {
		Code, Rule, Field, Message string
	} `json:"errors"`
}

// has reports whether the body holds the problem code at the field ("*": any field).
func (b errorBody) has(code, field string) bool {
	for _, it := range b.Errors {
		if it.Code == code && (field == "*" || it.Field == field) {
			return true
		}
	}
	return false
}

func (b errorBody) String() string {
	var s []string
	for _, it := range b.Errors {
		s = append(s, it.Code+"@"+it.Field)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// wantProblems fails unless every code@field is present.
func wantProblems(tb testing.TB, b errorBody, want ...string) {
	tb.Helper()
	for _, w := range want {
		code, field, _ := strings.Cut(w, "@")
		if !b.has(code, field) {
			tb.Errorf("missing %s in %s", w, b)
		}
	}
}

// Every code these areas produce has a message in both languages with the
// same placeholders (the i18n package checks the other packages' codes).
func TestPrecheckCodesCatalogued(t *testing.T) {
	c := i18n.Default()
	for code := range PrecheckCodes() {
		for _, lang := range i18n.Langs {
			if !c.Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
	for _, code := range []string{"registry.domain_conflict", "registry.subject_conflict", "registry.cert_blacklisted", "acc.one_subject", "subj.minor"} {
		if !c.Has(i18n.EN, code) || !c.Has(i18n.ZH, code) {
			t.Errorf("no message for %s", code)
		}
	}
}
