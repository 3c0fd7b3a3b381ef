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

// The console's main flow in a real headless Chromium, without JavaScript
// of ours: a customer with a prepaid server prechecks (验证备案类型, Rule
// TYPE-1), creates the first filing, fills 主体信息 and 网站信息 (a wrong
// homepage first: the WEB-1 message stands beside the field), passes
// 上传资料, submits on 提交 and lands on the order page with the order
// number and stage (Rule REV-7). SQLite only: the HTTP tests cover both
// engines.
func TestConsoleFilingBrowser(t *testing.T) {
	browsertest.Find(t)
	consoleEach(t, func(t *testing.T, e *cEnv) {
		if !strings.HasSuffix(t.Name(), "/sqlite") {
			t.Skip("the browser flow runs once, on SQLite")
		}
		c := e.customer(t, true)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("X-Test-As", c.as) // the signed-in customer, as identity.Authenticate would say
			e.h.ServeHTTP(w, r)
		}))
		defer srv.Close()
		tab := browsertest.New(t)
		browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/console?lang=zh-CN"))
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`a[href="/console/precheck"].button`))); status != http.StatusOK {
			t.Fatalf("precheck page: %d", status)
		}
		browsertest.Do(t, tab,
			chromedp.SetValue(chromedp.ID("f-province"), "110000"),
			chromedp.SetValue(chromedp.ID("f-nature"), "enterprise"),
			chromedp.SetValue(chromedp.ID("f-cert_type"), "uscc"),
			chromedp.SendKeys(chromedp.ID("f-cert_number"), c.uscc),
			chromedp.SendKeys(chromedp.ID("f-domains"), c.domain),
		)
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`form[action="/console/precheck"] button`))); status != http.StatusOK {
			t.Fatalf("precheck: %d", status)
		}
		if got := browsertest.Text(t, tab, "#result-title"); !strings.Contains(got, "首次备案") {
			t.Fatalf("precheck result %q", got)
		}
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`form[action="/console/orders/new"] button`))); status != http.StatusOK {
			t.Fatalf("create: %d", status)
		}
		o := e.order(t, c)
		if got := browsertest.Text(t, tab, "h1"); !strings.Contains(got, o.Number) {
			t.Fatalf("form heading %q, want the order number %s", got, o.Number)
		}
		var fill []chromedp.Action[chromedp.Void]
		for name, v := range c.subjectForm(t, 0) {
			if name != "step" && name != "version" {
				fill = append(fill, chromedp.SetValue(chromedp.ID(FieldID(name)), v[0]))
			}
		}
		browsertest.Do(t, tab, fill...)
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`button[name="next"]`))); status != http.StatusOK {
			t.Fatalf("subject step: %d", status)
		}
		if got := browsertest.Text(t, tab, "[aria-current=step]"); !strings.Contains(got, "网站信息") {
			t.Fatalf("after 主体信息: step %q", got)
		}
		fill = fill[:0]
		for name, v := range c.websiteForm(t, 0) {
			if name == "websites[0].homepage" {
				v = []string{"blog." + c.domain}
			}
			if name != "step" && name != "version" {
				fill = append(fill, chromedp.SetValue(chromedp.ID(FieldID(name)), v[0]))
			}
		}
		browsertest.Do(t, tab, fill...)
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`button[name="next"]`))); status != http.StatusUnprocessableEntity {
			t.Fatalf("website step with a wrong homepage: %d", status)
		}
		if got := browsertest.Text(t, tab, "#f-websites-0-homepage-error"); !strings.Contains(got, "www.") {
			t.Errorf("homepage error %q", got)
		}
		browsertest.Do(t, tab, chromedp.SetValue(chromedp.ID("f-websites-0-homepage"), "www."+c.domain))
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`button[name="next"]`))); status != http.StatusOK {
			t.Fatalf("website step: %d", status)
		}
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`a.button[href$="step=submit"]`))); status != http.StatusOK {
			t.Fatalf("to the submit step: %d", status)
		}
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`form[action$="/submit"] button`))); status != http.StatusOK {
			t.Fatalf("submit: %d", status)
		}
		if got := browsertest.Text(t, tab, "h1"); !strings.Contains(got, o.Number) {
			t.Errorf("order page heading %q", got)
		}
		if got := browsertest.Text(t, tab, ".facts"); !strings.Contains(got, "服务商初审") {
			t.Errorf("stage %q", got)
		}
		if st := e.order(t, c).Stage; st != beian.StageInitialReview {
			t.Errorf("stage %s, want initial_review", st)
		}
	})
}
