package page

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web/page/browsertest"
	"github.com/chromedp/chromedp"
)

// Issue 7's cancel-access flow in a real headless Chromium, without
// JavaScript of ours: from the home the customer opens 取消接入, reads the
// warning (Rule CAN-5: the number stays in the registry; the empty-shell
// cancellation), confirms (Rule CAN-6), and the home shows the access
// cancelled while the public query still finds the number. SQLite only:
// the HTTP tests cover both engines.
func TestConsoleCancelAccessBrowser(t *testing.T) {
	browsertest.Find(t)
	consoleEach(t, func(t *testing.T, e *cEnv) {
		if !strings.HasSuffix(t.Name(), "/sqlite") {
			t.Skip("the browser flow runs once, on SQLite")
		}
		c := e.customer(t, true)
		fl := e.chFiled(t, c, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("X-Test-As", c.as) // the signed-in customer, as identity.Authenticate would say
			e.h.ServeHTTP(w, r)
		}))
		defer srv.Close()
		tab := browsertest.New(t)
		browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/console?lang=zh-CN"))
		path := chSite(fl.sites[0], "cancel-access")
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`a[href="`+path+`"]`))); status != http.StatusOK {
			t.Fatalf("confirmation: %d", status)
		}
		if got := browsertest.Text(t, tab, ".change-what"); !strings.Contains(got, "仍保留在工信部备案系统中") || !strings.Contains(got, "空壳网站") {
			t.Errorf("warning %q", got)
		}
		if status := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`form[action="`+path+`"] button`))); status != http.StatusOK {
			t.Fatalf("confirm: %d", status)
		}
		browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/console"))
		if got := browsertest.Text(t, tab, ".access"); !strings.Contains(got, "已取消接入") {
			t.Errorf("home's access %q", got)
		}
		res, err := e.reg.Query(e.ctx, regulator.QueryRequest{Number: fl.sites[0]})
		if err != nil || len(res.Items) == 0 || res.Items[0].ServiceLicence != fl.sites[0] {
			t.Errorf("public query after cancel access (Rule CAN-5): %+v, %v", res, err)
		}
	})
}
