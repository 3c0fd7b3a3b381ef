package page

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/web/page/browsertest"
	"github.com/chromedp/chromedp"
)

// Rule REV-5 in a real headless Chromium, without JavaScript of ours: a
// Zhejiang reviewer opens the queue, opens the order, rejects it with one
// item built in the form (field, reason from the list, suggestion, action,
// photo flag) in zh-CN (chosen once by ?lang=, remembered), lands back on the queue with the notice, and the provider
// receives exactly that item. SQLite only: the HTTP tests cover both
// engines.
func TestBureauDecisionBrowser(t *testing.T) {
	browsertest.Find(t)
	bureauEach(t, func(t *testing.T, e *bEnv) {
		if !strings.HasSuffix(t.Name(), "/sqlite") {
			t.Skip("the browser flow runs once, on SQLite")
		}
		e.toBureau(t, "O-1", "330000", "杭州甲科技有限公司", "91330100MA0000001A", "jia-one.com")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("X-Test-As", zjReviewer) // the signed-in reviewer, as identity.Authenticate would say
			e.h.ServeHTTP(w, r)
		}))
		defer srv.Close()
		tab := browsertest.New(t)
		browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/bureau?lang=zh-CN"))
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`a[href^="/bureau/orders/"]`))); status != http.StatusOK {
			t.Fatalf("order page: %d", status)
		}
		if got := browsertest.Text(t, tab, "h1"); !strings.Contains(got, "O-1") {
			t.Fatalf("order page heading %q", got)
		}
		browsertest.Do(t, tab,
			chromedp.Click(chromedp.CSS(`input[name="decision"][value="reject"]`)),
			chromedp.SetValue(chromedp.ID("f-items-0-field"), "websites[0].homepage"),
			chromedp.SetValue(chromedp.ID("f-items-0-reason"), "reachable_before_number"),
			chromedp.SendKeys(chromedp.ID("f-items-0-suggestion"), "关闭网站后重新提交"),
			chromedp.SetValue(chromedp.ID("f-items-0-action"), "fix_website"),
			chromedp.Click(chromedp.CSS(`input[name="items[0].photo"]`)),
		)
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`form button.button`))); status != http.StatusOK {
			t.Fatalf("after the decision: %d", status)
		}
		if got := browsertest.Text(t, tab, ".notice"); !strings.Contains(got, "已驳回") || !strings.Contains(got, "O-1") {
			t.Errorf("notice %q", got)
		}
		page, err := e.reg.Events(e.ctx, bProvider, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var items []beian.ReviewItem
		for _, ev := range page.Events {
			if ev.Type == beian.EventRejected {
				var p beian.RejectedPayload
				if err := json.Unmarshal(ev.Payload, &p); err != nil {
					t.Fatal(err)
				}
				items = p.Items
			}
		}
		want := beian.ReviewItem{Field: "websites[0].homepage", Reason: "网站在取得备案号前可以访问", Suggestion: "关闭网站后重新提交",
			Action: beian.ActionFixWebsite, Photo: true}
		if len(items) != 1 || items[0] != want {
			t.Errorf("rejected items %+v, want [%+v]", items, want)
		}
	})
}
