package page

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// bT0 is 2026-03-02 10:00 CST, a Monday.
var bT0 = time.Date(2026, 3, 2, 10, 0, 0, 0, beian.CST)

// bCSRF is the test session's CSRF token.
const bCSRF = "CSRFTOKENBUREAU2345674567"

// bProvider is the provider the test orders come from.
const bProvider = "甲云"

// bEnv is a registry on a fresh database and the bureau pages on it.
type bEnv struct {
	reg   *regulator.Registry
	clock *beian.ManualClock
	h     http.Handler
	ctx   context.Context
}

// bureauEach runs fn on both engines with the bureau desk's handler: the
// request's principal comes from the X-Test-As header, "role province"
// (account 7, the session's token bCSRF), as identity.Authenticate would
// put it in the context.
func bureauEach(t *testing.T, fn func(t *testing.T, e *bEnv)) {
	t.Helper()
	clock := beian.NewManualClock(bT0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(bT0)
		reg, err := regulator.New(db)
		if err != nil {
			t.Fatal(err)
		}
		e := &bEnv{reg: reg, clock: clock, ctx: context.Background()}
		if _, _, err := reg.EnsureProvider(e.ctx, bProvider); err != nil {
			t.Fatal(err)
		}
		p, err := New(Options{Registry: reg, Viewer: func(r *http.Request) Viewer {
			pr, ok := identity.FromContext(r.Context())
			if !ok {
				return Viewer{}
			}
			return Viewer{Login: pr.Login, Role: string(pr.Role), Context: pr.Context, CSRF: pr.CSRF, SignedIn: true}
		}})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		p.BureauRoutes(mux)
		e.h = SecurityHeaders(p.LangCookie(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if as := r.Header.Get("X-Test-As"); as != "" {
				role, province, _ := strings.Cut(as, " ")
				r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Context: identity.ContextRegistry, AccountID: 7,
					Login: "reviewer", Role: beian.Role(role), Province: province, CSRF: bCSRF, Via: identity.ViaSession}))
			}
			mux.ServeHTTP(w, r)
		})))
		fn(t, e)
	})
}

// get answers a GET as the principal ("" for anonymous).
func (e *bEnv) get(tb testing.TB, as, target string) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept", "text/html")
	if as != "" {
		r.Header.Set("X-Test-As", as)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// post answers a form POST as the principal with the session's token
// added unless the form has a "csrf" of its own.
func (e *bEnv) post(tb testing.TB, as, target string, form url.Values) *httptest.ResponseRecorder {
	tb.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", bCSRF)
	}
	r := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "text/html")
	if as != "" {
		r.Header.Set("X-Test-As", as)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// The reviewers of the tests.
const (
	zjReviewer = "bureau_reviewer 330000" // Zhejiang
	bjReviewer = "bureau_reviewer 110000" // Beijing
)

// toBureau submits a first filing of the subject (certificate cert) in the
// province with one website on domain, confirms its SMS codes and returns
// the submission ID: the order is in bureau review.
func (e *bEnv) toBureau(tb testing.TB, order, province, unit, cert, domain string) string {
	tb.Helper()
	now := e.clock.Now()
	if err := e.reg.PutDomainRecord(e.ctx, regulator.DomainRecord{Domain: domain, HolderName: unit, HolderCertType: "uscc", HolderCertNumber: cert,
		Registrar: "阿里云计算有限公司(万网)", RegisteredOn: now.AddDate(-1, 0, 0), ExpiresOn: now.AddDate(1, 0, 0), RealNameVerified: true}); err != nil {
		tb.Fatal(err)
	}
	city, district := province[:2]+"0100", province[:2]+"0106"
	s := beian.Submission{OrderNumber: order, Type: beian.FirstFiling, Province: province,
		Subject: beian.SubjectData{Nature: "enterprise", Name: unit, CertType: "uscc", CertNumber: cert, Province: province, City: city, District: district,
			Address: "文三路 1 号", Person: beian.Person{Name: "张三", CertType: "resident_id", CertNumber: "330106199001011234", Mobile: "13800138000", Email: "zhang@example.com"}},
		Websites: []beian.WebsiteData{{Name: unit[:len(unit)-len("有限公司")] + "官网", Domains: []string{domain}, Homepage: "www." + domain, ServiceContent: "org_portal",
			Person: beian.Person{Name: "李四", CertType: "resident_id", CertNumber: "110101198001015678", Mobile: "13900139000"}, ServerIPs: []string{"203.0.113.10"}}},
		Documents:   []beian.Document{{Kind: "photo", SHA256: strings.Repeat("ab", 32), Bytes: 1234}},
		SubmittedAt: now}
	rc, err := e.reg.Submit(e.ctx, bProvider, s, "key-"+order)
	if err != nil {
		tb.Fatalf("submit %s: %v", order, err)
	}
	codes := map[string]string{}
	rows, err := e.reg.DB.SQL.QueryContext(e.ctx, `SELECT recipient, data FROM registry_outbox WHERE template = $1 AND channel = 'sms' ORDER BY created_at, id`, regulator.TemplateSMSCode)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var to, data string
		if err := rows.Scan(&to, &data); err != nil {
			tb.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			tb.Fatal(err)
		}
		if m["order"] == order {
			codes[to] = m["code"]
		}
	}
	rows.Close()
	for phone, last6 := range map[string]string{"13800138000": "011234", "13900139000": "015678"} {
		if _, err := e.reg.ConfirmSMS(e.ctx, codes[phone], phone, last6, "test"); err != nil {
			tb.Fatalf("confirm %s for %s: %v", phone, order, err)
		}
	}
	return rc.SubmissionID
}

// approve decides an order of the province as approved and returns the
// subject and website numbers.
func (e *bEnv) approve(tb testing.TB, province, id string) (subject, website string) {
	tb.Helper()
	res, err := e.reg.Decide(e.ctx, regulator.Reviewer{Province: province, Actor: "test"}, id, regulator.Decision{Approve: true})
	if err != nil || len(res.Websites) != 1 {
		tb.Fatalf("approve %s: %+v, %v", id, res, err)
	}
	return res.SubjectNumber, res.Websites[0]
}
