package page

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beian/beian/web/page/browsertest"
	"github.com/beian/beian/workflow"
	"github.com/chromedp/chromedp"
)

// The dashboard in a real headless Chromium, without JavaScript of ours:
// the provider admin sees the stage chart's bars (SVG, drawn by the
// server), an order moved through the store moves its bar on reload, the
// data table opens from the keyboard, and ?lang=en is remembered. SQLite
// only: the HTTP tests cover both engines.
func TestOpsBrowser(t *testing.T) {
	browsertest.Find(t)
	opsEach(t, func(t *testing.T, e *oEnv) {
		if !strings.HasSuffix(t.Name(), "/sqlite") {
			t.Skip("the browser flow runs once, on SQLite")
		}
		o := e.order(t, "110105194912310021")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("X-Test-As", opsAdmin) // the signed-in admin, as identity.Authenticate would say
			e.h.ServeHTTP(w, r)
		}))
		defer srv.Close()
		tab := browsertest.New(t)
		// The width of the bar of a stage in the stages chart (its
		// <title> starts with the stage's name).
		barWidth := func(stage string) float64 {
			t.Helper()
			w, err := chromedp.Run(tab, chromedp.Evaluate[float64](`(() => {
				for (const r of document.querySelectorAll('svg[aria-label="各阶段订单数"] rect'))
					if (r.querySelector('title').textContent.startsWith(`+"`"+stage+`: `+"`"+`)) return r.getBBox().width;
				return -1; })()`))
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/ops?lang=zh-CN"))
		if got := browsertest.Text(t, tab, "h1"); got != "运营看板" {
			t.Fatalf("heading %q", got)
		}
		if d, ir := barWidth("草稿"), barWidth("初审中"); d <= 0 || ir != 0 {
			t.Fatalf("bars before: draft %v, initial review %v", d, ir)
		}
		e.move(t, o, workflow.Submit, workflow.Customer, oDay(0, 11))
		browsertest.Do(t, tab, chromedp.Reload())
		if d, ir := barWidth("草稿"), barWidth("初审中"); d != 0 || ir <= 0 {
			t.Fatalf("bars after the submit: draft %v, initial review %v", d, ir)
		}
		// The data table is behind a <details>: Enter on its summary opens it.
		browsertest.Do(t, tab, chromedp.Focus(chromedp.CSS(`#ops-stages ~ details summary`)), chromedp.KeyEvent("\r"))
		if got := browsertest.Text(t, tab, `#ops-stages ~ details tbody tr:nth-child(2)`); !strings.Contains(got, "初审中") || !strings.Contains(got, "1") {
			t.Errorf("data table row %q", got)
		}
		browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/ops?lang=en"), chromedp.Navigate(srv.URL+"/ops"))
		if got := browsertest.Text(t, tab, "h1"); got != "Operations dashboard" {
			t.Errorf("English not remembered: %q", got)
		}
	})
}
