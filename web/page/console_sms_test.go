package page

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/regulator"
)

// Rule VER-3: during the registry's SMS confirmation the order page shows
// who has and who has not confirmed (phones masked, never whole) and the
// time left before the 24-hour deadline at the pinned clock, with the way
// to /sms-verify where this process serves it; Rules PWD-1, PWD-3: once
// approved, the page says where the filing password went and links its
// retrieval where /password is served.
func TestConsoleSMSStatus(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		siteCert := cvCert("11010119850412234")
		o, rv := e.cvToVerification(t, c, func(_, w url.Values) {
			w.Set("websites[0].person.name", "李娜")
			w.Set("websites[0].person.cert_number", siteCert)
			w.Set("websites[0].person.mobile", "13900139000")
			w.Set("websites[0].person.email", "lina@example.com")
		})
		id := strconv.FormatInt(o.ID, 10)
		if w := e.cvUpload(t, c.as, o, rPNG(t, true), true); w.Code != http.StatusSeeOther {
			t.Fatalf("photo: %d %s", w.Code, w.Body.String())
		}
		if after := e.cvDecide(t, rv, e.order(t, c), provider.Decision{Approve: true}); after.Stage != beian.StageSMSConfirmation {
			t.Fatalf("after photo review: %s", after.Stage)
		}
		e.clock.Advance(5*time.Hour + 30*time.Minute)
		b := bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, "/console/orders/"+id).Body.String())
		sms := cvSection(b, "sms")
		for _, want := range []string{"工信部短信核验", "主体负责人", "张伟", "138****8000", "网站负责人 · 云帆科技官网", "李娜", "139****9000",
			"还剩 18 小时 30 分钟", `datetime="2026-03-03T10:00:00+08:00"`, "2026-03-03 10:00", "已核验 0 人，共需 2 人核验", "请打开短信中的链接"} {
			if !strings.Contains(sms, want) {
				t.Errorf("SMS section lacks %q: %s", want, sms)
			}
		}
		if strings.Count(sms, "未核验") != 2 || strings.Contains(sms, "13800138000") || strings.Contains(sms, "13900139000") {
			t.Errorf("SMS section before any confirmation: %s", sms)
		}
		if strings.Contains(sms, `href="/sms-verify"`) {
			t.Error("links /sms-verify though this process does not serve it")
		}

		codes := e.cvSMSCodes(t)
		if _, err := e.reg.ConfirmSMS(e.ctx, codes["13800138000"], "13800138000", cPerson(t)[12:], "test"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, "/console/orders/"+id+"?lang=en").Body.String())
		sms = cvSection(b, "sms")
		if !strings.Contains(sms, "17 h 30 min left") || !strings.Contains(sms, "1 of 2 persons have confirmed") ||
			strings.Count(sms, "Not confirmed yet") != 1 || strings.Count(sms, ">Confirmed<") != 1 {
			t.Errorf("after the subject's confirmation: %s", sms)
		}
		row, _, _ := strings.Cut(sms[max(strings.Index(sms, "Subject's responsible person"), 0):], "</tr>")
		if !strings.Contains(row, "Subject's responsible person") || !strings.Contains(row, ">Confirmed<") {
			t.Errorf("the subject's person is not the one confirmed: %s", sms)
		}
		withRegistry := e.cvRegistryHandler(t)
		b = bodyOf(t, http.StatusOK, http.StatusOK, cvGet(withRegistry, c.as, "/console/orders/"+id).Body.String())
		if !strings.Contains(cvSection(b, "sms"), `href="/sms-verify"`) {
			t.Errorf("no link to /sms-verify where it is served: %s", cvSection(b, "sms"))
		}

		if _, err := e.reg.ConfirmSMS(e.ctx, codes["13900139000"], "13900139000", siteCert[12:], "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PullEvents(e.ctx); err != nil {
			t.Fatal(err)
		}
		if st := e.order(t, c).Stage; st != beian.StageBureauReview {
			t.Fatalf("after both confirmations: %s", st)
		}
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, "/console/orders/"+id).Body.String())
		if strings.Contains(b, `id="sms"`) || strings.Contains(b, `id="password"`) {
			t.Errorf("bureau review shows the SMS or password part: %s", b)
		}
		var sub string
		if err := e.svc.DB.SQL.QueryRowContext(e.ctx, `SELECT submission_id FROM order_submissions WHERE order_id = $1 AND state = 'accepted'`, o.ID).Scan(&sub); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reg.Decide(e.ctx, regulator.Reviewer{Province: "110000", Actor: "test"}, sub, regulator.Decision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PullEvents(e.ctx); err != nil {
			t.Fatal(err)
		}
		if st := e.order(t, c).Stage; st != beian.StageApproved {
			t.Fatalf("after the bureau: %s", st)
		}
		b = bodyOf(t, http.StatusOK, http.StatusOK, e.get(t, c.as, "/console/orders/"+id).Body.String())
		if pw := cvSection(b, "password"); !strings.Contains(pw, "备案密码") || strings.Contains(pw, `href="/password"`) || !strings.Contains(pw, "可在工信部备案系统找回") {
			t.Errorf("approved order without /password served: %s", pw)
		}
		b = bodyOf(t, http.StatusOK, http.StatusOK, cvGet(withRegistry, c.as, "/console/orders/"+id).Body.String())
		if !strings.Contains(cvSection(b, "password"), `href="/password"`) {
			t.Errorf("approved order: no link to /password: %s", cvSection(b, "password"))
		}
	})
}
