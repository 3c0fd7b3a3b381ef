package page

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web/page/browsertest"
)

// The public registry pages in headless Chromium, without JavaScript of
// their own: the query finds a seeded filing by a subdomain with the
// person's name masked (Rule QRY-1); both responsible persons confirm their
// codes on /sms-verify and the order goes to the bureau (Rule VER-3); the
// password form answers generically and a new password goes out (Rule
// PWD-3); ?lang=en is remembered.
func TestPublicBrowser(t *testing.T) {
	eachPublic(t, func(t *testing.T, e *pubEnv) {
		tab := browsertest.New(t) // a browser per engine: no cookie carries over
		srv := httptest.NewServer(e.h)
		defer srv.Close()
		site := e.zhang(t)
		id, codes := e.submit(t)

		t.Run("QueryBySubdomainMasked", func(t *testing.T) {
			browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/query"), chromedp.SendKeys(chromedp.ID("f-q"), "blog.www.zhang-blog.cn"))
			if st := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`form[role="search"] button`))); st != 200 {
				t.Fatalf("status %d", st)
			}
			if got := browsertest.Text(t, tab, `td[data-field="unitName"]`); got != "张**" {
				t.Errorf("unitName %q", got)
			}
			if got := browsertest.Text(t, tab, `td[data-field="serviceLicence"]`); got != site {
				t.Errorf("serviceLicence %q, want %s", got, site)
			}
		})

		t.Run("SMSVerify", func(t *testing.T) {
			for i, p := range []struct{ phone, last6, want string }{
				{pubSitePhone, pubSiteLast6, "还有 1 位负责人需完成短信核验"},
				{pubSubjPhone, pubSubjLast6, "已提交管局审核"},
			} {
				browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/sms-verify"),
					chromedp.SendKeys(chromedp.ID("f-code"), codes[p.phone]),
					chromedp.SendKeys(chromedp.ID("f-phone"), p.phone),
					chromedp.SendKeys(chromedp.ID("f-cert_last6"), p.last6))
				if st := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`form[action="/sms-verify"] button`))); st != 200 {
					t.Fatalf("person %d: status %d", i+1, st)
				}
				if got := browsertest.Text(t, tab, "#notice"); !strings.Contains(got, "核验成功") || !strings.Contains(got, p.want) {
					t.Fatalf("person %d: notice %q", i+1, got)
				}
			}
			if s := e.status(t, id); s != regulator.SubmissionBureau {
				t.Fatalf("submission %s", s)
			}
		})

		t.Run("PasswordGeneric", func(t *testing.T) {
			res, err := e.reg.Decide(e.ctx, regulator.Reviewer{Province: "330000", Actor: "account:7"}, id, regulator.Decision{Approve: true})
			if err != nil {
				t.Fatal(err)
			}
			browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/password"),
				chromedp.SetValue(chromedp.ID("f-province"), "330000"),
				chromedp.SendKeys(chromedp.ID("f-number"), res.SubjectNumber),
				chromedp.SetValue(chromedp.ID("f-cert_type"), "uscc"),
				chromedp.SendKeys(chromedp.ID("f-cert_number"), pubOrgCert))
			if st := browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS(`form[action="/password"] button`))); st != 200 {
				t.Fatalf("status %d", st)
			}
			if got := browsertest.Text(t, tab, "#notice"); !strings.Contains(got, "新的备案密码已通过短信和电子邮件发送给主体负责人") {
				t.Fatalf("notice %q", got)
			}
			if n := len(e.outbox(t, regulator.TemplatePasswordReset)); n != 1 {
				t.Fatalf("%d password messages", n)
			}
			if v, err := chromedp.Run(tab, chromedp.Value(chromedp.ID("f-cert_number"))); err != nil || v != "" {
				t.Fatalf("certificate number shown again: %q, %v", v, err)
			}
		})

		t.Run("EnglishRemembered", func(t *testing.T) {
			browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/query?lang=en"), chromedp.Navigate(srv.URL+"/password"))
			if got := browsertest.Text(t, tab, "h1"); got != "Retrieve the filing password" {
				t.Fatalf("h1 %q", got)
			}
		})
	})
}
