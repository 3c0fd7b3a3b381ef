package page

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/workflow"
)

const opsAdmin = "provider_admin"

// The dashboard is for provider_admin accounts: anonymous visitors are
// sent to the login page with next, other roles get the 403 page, and
// without the provider service it is 404.
func TestOpsAccess(t *testing.T) {
	opsEach(t, func(t *testing.T, e *oEnv) {
		w := e.get(t, "", "/ops?lang=en")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next="+url.QueryEscape("/ops?lang=en") {
			t.Errorf("anonymous: %d %q", w.Code, w.Header().Get("Location"))
		}
		for _, as := range []string{"customer", "provider_reviewer", "verifier", "bureau_reviewer"} {
			if w := e.get(t, as, "/ops"); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "<html") {
				t.Errorf("%s: %d, want the 403 page", as, w.Code)
			}
		}
		w = e.get(t, opsAdmin, "/ops")
		if w.Code != http.StatusOK || w.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("admin: %d, CSP %q", w.Code, w.Header().Get("Content-Security-Policy"))
		}
		if strings.Contains(w.Body.String(), "<script") {
			t.Error("the dashboard carries a script")
		}
	})
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.OpsRoutes(mux)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/ops", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("without a provider: %d, want 404", w.Code)
	}
}

// cell returns the data-table cell after the row heading in the body.
func cell(b, row string) string {
	m := regexp.MustCompile(`<th scope="row">` + regexp.QuoteMeta(row) + `</th><td>([^<]*)</td>`).FindStringSubmatch(b)
	if m == nil {
		return ""
	}
	return m[1]
}

// Rules REV-1, REV-2, REV-4, CAL-1: orders created and moved through the
// provider's store change the figures — orders per stage, the share of
// reviews on time within 1 business day, the bureau review's length in
// business days per province, approvals per day, the outbox and timer
// backlogs — each drawn as SVG bars with <title> tooltips and a data
// table. zh-CN by default, English by ?lang=en.
func TestOpsFigures(t *testing.T) {
	opsEach(t, func(t *testing.T, e *oEnv) {
		w := e.get(t, opsAdmin, "/ops")
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if cell(b, "草稿") != "0" || cell(b, "已通过") != "0" || !strings.Contains(b, "近期暂无管局作出结论的订单") || !strings.Contains(b, "暂无待执行的定时任务") {
			t.Fatalf("empty dashboard:\n%s", b)
		}
		// A: initial review on time, photo review late, bureau review 5
		// business days (Thu → next Thu); B waits past its deadline.
		a := e.order(t, "110105194912310021")
		a = e.move(t, a, workflow.Submit, workflow.Customer, oDay(0, 10))
		a = e.move(t, a, workflow.ApproveInitial, workflow.ProviderReviewer, oDay(1, 9))
		a = e.move(t, a, workflow.SubmitVerification, workflow.Customer, oDay(1, 9))
		a = e.move(t, a, workflow.ApprovePhoto, workflow.ProviderReviewer, oDay(3, 9))
		a = e.move(t, a, workflow.SMSConfirmed, workflow.System, oDay(3, 9))
		e.move(t, a, workflow.BureauApprove, workflow.System, oDay(10, 9))
		e.clock.Set(oDay(4, 16))
		bo := e.order(t, "11010519491231004X")
		e.move(t, bo, workflow.Submit, workflow.Customer, oDay(4, 16))
		e.clock.Set(oDay(10, 17))
		err := e.svc.DB.InTx(e.ctx, func(tx *sqlstore.Tx) error {
			ob, _ := outbox.New("registry")
			if _, err := ob.Enqueue(e.ctx, tx, outbox.Message{Channel: outbox.Email, To: "a@example.com", Template: "t"}); err != nil {
				return err
			}
			tm, _ := timer.New("provider")
			return tm.Schedule(e.ctx, tx, "supplement_due", "1", oDay(10, 12), "")
		})
		if err != nil {
			t.Fatal(err)
		}
		w = e.get(t, opsAdmin, "/ops")
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		for row, want := range map[string]string{"草稿": "0", "初审中": "1", "已通过": "1", "浙江省": "1", "2026-12-10": "1", "2026-12-09": "0",
			"工信部备案系统 · 邮件": "1", "服务商 · 短信": "0", "服务商 · supplement_due": "1"} {
			if got := cell(b, row); got != want {
				t.Errorf("row %q: %q, want %q", row, got, want)
			}
		}
		for _, want := range []string{
			`<th scope="row">初审</th><td>1</td><td>1</td><td>100%</td><td>1</td><td>1</td>`,
			`<th scope="row">复审（照片）</th><td>1</td><td>0</td><td>0%</td><td>0</td><td>0</td>`,
			`<th scope="row">浙江省</th><td>1</td><td>1</td><td>0</td>`, // 5 business days: the 0–5 bin
			"<title>初审: 1/1 按时完成 (100%)</title>",
			"<title>浙江省 · 0–5 个工作日: 1</title>",
			"<title>2026-12-10: 1</title>",
			`role="img" aria-label="各阶段订单数"`,
		} {
			if !strings.Contains(b, want) {
				t.Errorf("dashboard lacks %q", want)
			}
		}
		if n := strings.Count(b, "<svg class=\"chart\""); n != 6 {
			t.Errorf("%d charts, want 6 (stages, SLA, one province, approvals, outbox, timers)", n)
		}
		w = e.get(t, opsAdmin, "/ops?lang=en")
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if !strings.Contains(b, `lang="en"`) || cell(b, "Approved") != "1" || cell(b, "Zhejiang") != "1" ||
			!strings.Contains(b, "<title>Initial review: 1/1 on time (100%)</title>") {
			t.Errorf("?lang=en:\n%s", b)
		}
	})
}
