package page

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// pubT0 is 2026-03-02 10:00 CST, a Monday.
var pubT0 = time.Date(2026, 3, 2, 10, 0, 0, 0, beian.CST)

// The public fixtures: a filing of an enterprise whose responsible persons
// confirm by SMS, and a personal filing found by its domain.
const (
	pubProvider  = "甲云"
	pubOrgCert   = "91330100MA0000001A"
	pubOrgName   = "杭州甲科技有限公司"
	pubSubjPhone = "13800138000"
	pubSubjLast6 = "011234" // of 330106199001011234
	pubSitePhone = "13900139000"
	pubSiteLast6 = "015678" // of 110101198001015678
	pubZhangCert = "330106199001011234"
)

// pubEnv is the public registry pages composed as cmd/beian composes
// serve: the registry on a fresh database with a manual clock, its public
// API and the pages, behind the pages' middleware.
type pubEnv struct {
	reg   *regulator.Registry
	db    *sqlstore.DB
	clock *beian.ManualClock
	h     http.Handler
	ctx   context.Context
}

// eachPublic runs fn on a fresh pubEnv per engine (sqltest.Each).
func eachPublic(t *testing.T, fn func(t *testing.T, e *pubEnv)) {
	t.Helper()
	clock := beian.NewManualClock(pubT0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(pubT0)
		reg, err := regulator.New(db)
		if err != nil {
			t.Fatal(err)
		}
		lim := &ratelimit.Limiter{DB: db}
		p, err := New(Options{Registry: reg, Limiter: lim})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		reg.Routes(mux, lim)
		reg.SMSRoutes(mux)
		p.Routes(mux)
		fn(t, &pubEnv{reg: reg, db: db, clock: clock, h: SecurityHeaders(p.LangCookie(mux)), ctx: context.Background()})
	})
}

// zhang files a personal website, zhang-blog.cn, and returns its number.
func (e *pubEnv) zhang(tb testing.TB) string {
	tb.Helper()
	s, err := e.reg.CreateSubject(e.ctx, regulator.SubjectInput{Province: "浙江", Nature: "individual", UnitName: "张三丰",
		CertType: "resident_id", CertNumber: pubZhangCert})
	if err != nil {
		tb.Fatal(err)
	}
	w, err := e.reg.AddWebsite(e.ctx, s.ID, regulator.WebsiteInput{Name: "三丰的博客", HomeURL: "www.zhang-blog.cn",
		Domains: []string{"zhang-blog.cn"}, ServiceContent: "blog"})
	if err != nil {
		tb.Fatal(err)
	}
	return w.Number
}

// orgs files n organisations named 杭州乙科技分公司<i>, one website each.
func (e *pubEnv) orgs(tb testing.TB, n int) {
	tb.Helper()
	for i := range n {
		s, err := e.reg.CreateSubject(e.ctx, regulator.SubjectInput{Province: "浙江", Nature: "enterprise",
			UnitName: fmt.Sprintf("杭州乙科技分公司%02d", i), CertType: "uscc", CertNumber: fmt.Sprintf("91330100MA00001%02dX", i)})
		if err != nil {
			tb.Fatal(err)
		}
		d := fmt.Sprintf("branch%02d.com", i)
		if _, err := e.reg.AddWebsite(e.ctx, s.ID, regulator.WebsiteInput{Name: "分公司网站", HomeURL: "www." + d,
			Domains: []string{d}, ServiceContent: "org_portal"}); err != nil {
			tb.Fatal(err)
		}
	}
}

// submit sends a first filing of the enterprise to the registry, which
// puts it in SMS confirmation (Rule VER-3), and returns its submission ID
// and the codes sent, by phone.
func (e *pubEnv) submit(tb testing.TB) (string, map[string]string) {
	tb.Helper()
	if _, _, err := e.reg.EnsureProvider(e.ctx, pubProvider); err != nil {
		tb.Fatal(err)
	}
	if err := e.reg.PutDomainRecord(e.ctx, regulator.DomainRecord{Domain: "jia-one.com", HolderName: pubOrgName,
		HolderCertType: "uscc", HolderCertNumber: pubOrgCert, Registrar: "阿里云计算有限公司(万网)",
		RegisteredOn: pubT0.AddDate(-1, 0, 0), ExpiresOn: pubT0.AddDate(1, 0, 0), RealNameVerified: true}); err != nil {
		tb.Fatal(err)
	}
	s := beian.Submission{OrderNumber: "O-1", Type: beian.FirstFiling, Province: "330000",
		Subject: beian.SubjectData{Nature: "enterprise", Name: pubOrgName, CertType: "uscc", CertNumber: pubOrgCert,
			Province: "330000", City: "330100", District: "330106", Address: "杭州市西湖区文三路 1 号",
			Person: beian.Person{Name: "张三", CertType: "resident_id", CertNumber: "330106199001011234", Mobile: pubSubjPhone, Email: "zhang@example.com"}},
		Websites: []beian.WebsiteData{{Name: "甲公司官网", Domains: []string{"jia-one.com"}, Homepage: "www.jia-one.com", ServiceContent: "org_portal",
			Person:    beian.Person{Name: "李四", CertType: "resident_id", CertNumber: "110101198001015678", Mobile: pubSitePhone},
			ServerIPs: []string{"203.0.113.10"}}},
		SubmittedAt: e.clock.Now()}
	rc, err := e.reg.Submit(e.ctx, pubProvider, s, "k-1")
	if err != nil {
		tb.Fatal(err)
	}
	codes := map[string]string{}
	for _, m := range e.outbox(tb, regulator.TemplateSMSCode) {
		codes[m.to] = m.data["code"]
	}
	if len(codes[pubSubjPhone]) != 6 || len(codes[pubSitePhone]) != 6 {
		tb.Fatalf("codes %v", codes)
	}
	return rc.SubmissionID, codes
}

// pubMessage is a message of the registry outbox.
type pubMessage struct {
	to   string
	data map[string]string
}

// outbox returns the registry's SMS messages of the template, oldest first.
func (e *pubEnv) outbox(tb testing.TB, template string) []pubMessage {
	tb.Helper()
	rows, err := e.db.SQL.QueryContext(e.ctx, `SELECT recipient, data FROM registry_outbox WHERE template = $1 AND channel = 'sms'
		ORDER BY created_at, id`, template)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []pubMessage
	for rows.Next() {
		var m pubMessage
		var data string
		if err := rows.Scan(&m.to, &data); err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal([]byte(data), &m.data); err != nil {
			tb.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// status reads a submission's status at the registry.
func (e *pubEnv) status(tb testing.TB, id string) string {
	tb.Helper()
	var s string
	if err := e.db.SQL.QueryRowContext(e.ctx, `SELECT status FROM registry_submissions WHERE id = $1`, id).Scan(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// approve confirms both persons and has Zhejiang's bureau approve the
// filing; it returns the subject number the registry issued.
func (e *pubEnv) approve(tb testing.TB, id string, codes map[string]string) string {
	tb.Helper()
	for phone, last6 := range map[string]string{pubSubjPhone: pubSubjLast6, pubSitePhone: pubSiteLast6} {
		if _, err := e.reg.ConfirmSMS(e.ctx, codes[phone], phone, last6, "fixture"); err != nil {
			tb.Fatal(err)
		}
	}
	res, err := e.reg.Decide(e.ctx, regulator.Reviewer{Province: "330000", Actor: "account:7"}, id, regulator.Decision{Approve: true})
	if err != nil || res.SubjectNumber == "" {
		tb.Fatalf("decide: %+v, %v", res, err)
	}
	return res.SubjectNumber
}

// body fails tb unless the answer has the status and is a whole page with
// the security headers; it returns the page.
func body(tb testing.TB, w *httptest.ResponseRecorder, status int) string {
	tb.Helper()
	if w.Code != status {
		tb.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	checkPage(tb, w)
	return w.Body.String()
}

// mustContain fails tb unless s holds every want, and none of the never.
func mustContain(tb testing.TB, s string, want, never []string) {
	tb.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			tb.Errorf("page lacks %q", w)
		}
	}
	for _, n := range never {
		if strings.Contains(s, n) {
			tb.Errorf("page holds %q", n)
		}
	}
}
