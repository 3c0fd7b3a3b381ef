package page

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/beian/beian/web/page/browsertest"
	"github.com/chromedp/chromedp"
)

// The field check on blur in a real headless Chromium (static/console.js):
// a wrong mobile number shows the rule's own message beside the field as
// soon as the user leaves it — nothing is submitted, the page and the
// order stay as they were — and the message goes once the value is right.
// SQLite only: the HTTP tests cover both engines.
func TestConsoleCheckOnBlurBrowser(t *testing.T) {
	browsertest.Find(t)
	consoleEach(t, func(t *testing.T, e *cEnv) {
		if !strings.HasSuffix(t.Name(), "/sqlite") {
			t.Skip("the browser flow runs once, on SQLite")
		}
		c := e.customer(t, true)
		o := e.create(t, c)
		assets, err := New(Options{}) // the same embedded static files
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /static/", assets.Static())
		mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("X-Test-As", c.as) // the signed-in customer, as identity.Authenticate would say
			e.h.ServeHTTP(w, r)
		}))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		page := srv.URL + "/console/orders/" + strconv.FormatInt(o.ID, 10) + "/edit?step=subject"
		tab := browsertest.New(t)
		browsertest.Do(t, tab, chromedp.Navigate(page))
		browsertest.Do(t, tab,
			chromedp.SendKeys(chromedp.ID("f-subject-person-mobile"), "12345"),
			chromedp.Focus(chromedp.ID("f-subject-person-email")), // leaves the mobile: focusout
		)
		got := browsertest.Text(t, tab, "#f-subject-person-mobile-error") // waits until it shows
		if !strings.Contains(got, "手机号码") {
			t.Errorf("message beside the mobile %q", got)
		}
		loc, err := chromedp.Run(tab, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		invalid, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById('f-subject-person-mobile').getAttribute('aria-invalid') + ' ' +
			document.getElementById('f-subject-person-mobile').getAttribute('aria-describedby')`))
		if err != nil {
			t.Fatal(err)
		}
		if loc != page || invalid != "true f-subject-person-mobile-error" {
			t.Errorf("after blur: at %q, aria %q", loc, invalid)
		}
		if now := e.order(t, c); now.Version != o.Version {
			t.Errorf("the blur saved the order: version %d → %d", o.Version, now.Version)
		}
		browsertest.Do(t, tab,
			chromedp.SetValue(chromedp.ID("f-subject-person-mobile"), "13800138000"),
			chromedp.Focus(chromedp.ID("f-subject-person-mobile")),
			chromedp.Focus(chromedp.ID("f-subject-person-email")),
			chromedp.WaitNotPresent(chromedp.ID("f-subject-person-mobile-error")),
		)
	})
}
