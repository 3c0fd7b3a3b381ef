package page

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/web/page/browsertest"
	"github.com/chromedp/chromedp"
)

// Rule REV-3 in a real headless Chromium, without JavaScript of ours: a
// provider reviewer opens the initial-review queue, claims the order,
// lands on its page, rejects one field with an item built in the form
// (field, reason from the list, suggestion, action), and lands back on
// the queue with the notice; the order is in needs_fix with only that
// field flagged and exactly that item. SQLite only: the HTTP tests cover
// both engines.
func TestReviewRejectBrowser(t *testing.T) {
	browsertest.Find(t)
	reviewEach(t, func(t *testing.T, e *rEnv) {
		if !strings.HasSuffix(t.Name(), "/sqlite") {
			t.Skip("the browser flow runs once, on SQLite")
		}
		o := e.submitted(t, rForm("jia-one.com", "110101198001015678"))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("X-Test-As", rAs(e.reviewer)) // the signed-in reviewer, as identity.Authenticate would say
			e.h.ServeHTTP(w, r)
		}))
		defer srv.Close()
		tab := browsertest.New(t)
		browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/review?lang=zh-CN"))
		if got := browsertest.Text(t, tab, "h1"); !strings.Contains(got, "初审队列") {
			t.Fatalf("queue heading %q", got)
		}
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`form[action$="/claim"] button`))); status != http.StatusOK {
			t.Fatalf("claim: %d", status)
		}
		if got := browsertest.Text(t, tab, "h1"); !strings.Contains(got, o.Number) {
			t.Fatalf("order page heading %q", got)
		}
		if got := browsertest.Text(t, tab, ".notice"); !strings.Contains(got, "已认领") {
			t.Errorf("claim notice %q", got)
		}
		browsertest.Do(t, tab,
			chromedp.Click(chromedp.CSS(`input[name="decision"][value="reject"]`)),
			chromedp.SetValue(chromedp.ID("f-items-0-field"), "websites[0].homepage"),
			chromedp.SetValue(chromedp.ID("f-items-0-reason"), "reachable_before_number"),
			chromedp.SendKeys(chromedp.ID("f-items-0-suggestion"), "关闭网站后重新提交"),
			chromedp.SetValue(chromedp.ID("f-items-0-action"), "fix_website"),
		)
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.ID("decision-submit"))); status != http.StatusOK {
			t.Fatalf("after the decision: %d", status)
		}
		if got := browsertest.Text(t, tab, ".notice"); !strings.Contains(got, "已驳回") || !strings.Contains(got, o.Number) {
			t.Errorf("notice %q", got)
		}
		after := e.order(t, o.ID)
		items, _, err := e.svc.Store.ReviewItems(e.ctx, o.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := beian.ReviewItem{Field: "websites[0].homepage", Reason: "网站在取得备案号前可以访问", Suggestion: "关闭网站后重新提交", Action: beian.ActionFixWebsite}
		if after.Stage != beian.StageNeedsFix || len(after.Flagged) != 1 || after.Flagged[0] != want.Field || len(items) != 1 || items[0] != want {
			t.Errorf("after the rejection: %s %v, items %+v", after.Stage, after.Flagged, items)
		}
	})
}
