package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp"
)

// The steps the browser journeys share: a first filing on the console's
// pages, the review desk's claim and approval, the verification, the
// public query and the gate's block page under a website's own name.

// bFiled is a first filing a customer submitted on the pages.
type bFiled struct {
	u      *bUser
	co     e2eCompany
	id     int64
	number string
}

// orderIDRE finds the order ID in a console path.
var orderIDRE = regexp.MustCompile(`^/console/orders/(\d+)`)

// fileThroughPages signs a customer up on the pages and files a first
// filing there: precheck, 主体信息, 网站信息, 上传资料 (two documents), 提交.
// The harness gives the customer a prepaid server (as the provider admin)
// and records the domain at the sandbox registry. With shots, the pages
// are saved along the way.
func (b *bBrowser) fileThroughPages(shots bool) bFiled {
	t, e := b.t, b.e
	t.Helper()
	shot := func(u *bUser, name string) {
		if shots {
			u.shot(name)
		}
	}
	u := b.user("customer")
	login := fmt.Sprintf("web%d", e2eSeq.Add(1))
	u.openOK("/console/signup")
	u.do(
		chromedp.SendKeys(chromedp.ID("f-login"), login),
		chromedp.SendKeys(chromedp.ID("f-name"), "张伟"),
		chromedp.SendKeys(chromedp.ID("f-password"), bPassword),
		chromedp.SendKeys(chromedp.ID("f-password_again"), bPassword),
	)
	shot(u, "console-signup")
	u.clickOK(`form[action="/console/signup"] button[type=submit]`)
	if !strings.HasPrefix(u.last, "/console") {
		t.Fatalf("after the sign-up: %s", u.last)
	}
	u.api = e.customerAPI(t, login)

	co := newE2ECompany(t)
	e.resource(t, u.api, fmt.Sprintf("47.102.%d.%d", e2eSeq.Add(1)%250, 20))
	e.seedDomain(t, co, co.domain)

	// 验证备案类型 (Rule TYPE-1).
	u.openOK("/console")
	u.clickOK(`a[href="/console/precheck"].button`)
	u.fill([2]string{"province", "110000"}, [2]string{"nature", "enterprise"}, [2]string{"cert_type", "uscc"})
	u.do(chromedp.SendKeys(chromedp.ID("f-cert_number"), co.uscc), chromedp.SendKeys(chromedp.ID("f-domains"), co.domain))
	u.clickOK(`form[action="/console/precheck"] button`)
	if got := u.text("#result-title"); !strings.Contains(got, "首次备案") {
		t.Fatalf("precheck result %q", got)
	}
	shot(u, "precheck")
	u.clickOK(`form[action="/console/orders/new"] button`)
	m := orderIDRE.FindStringSubmatch(u.last)
	if m == nil {
		t.Fatalf("after creating the order: %s", u.last)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	number := u.text("h1 .order-number")

	// 主体信息 and 网站信息 (Rules SUBJ-2, SUBJ-3, WEB-1…WEB-4).
	p := co.person
	u.fill(
		[2]string{"subject.nature", "enterprise"}, [2]string{"subject.name", co.name}, [2]string{"subject.cert_type", "uscc"},
		[2]string{"subject.cert_number", co.uscc}, [2]string{"subject.province", "110000"}, [2]string{"subject.city", "110100"},
		[2]string{"subject.district", "110105"}, [2]string{"subject.address", "北京市朝阳区建国路1号"},
		[2]string{"subject.person.name", p.Name}, [2]string{"subject.person.cert_type", p.CertType},
		[2]string{"subject.person.cert_number", p.CertNumber}, [2]string{"subject.person.mobile", p.Mobile},
		[2]string{"subject.person.email", p.Email},
	)
	shot(u, "filing-form")
	u.clickOK(`button[name="next"]`)
	if got := u.text("[aria-current=step]"); !strings.Contains(got, "网站信息") {
		t.Fatalf("after 主体信息: step %q: %s", got, u.text("main"))
	}
	w := "websites[0]."
	u.fill(
		[2]string{w + "name", "星河科技官网"}, [2]string{w + "domains", co.domain}, [2]string{w + "homepage", "www." + co.domain},
		[2]string{w + "service_content", "org_portal"}, [2]string{w + "person.name", p.Name},
		[2]string{w + "person.cert_type", p.CertType}, [2]string{w + "person.cert_number", p.CertNumber},
		[2]string{w + "person.mobile", p.Mobile}, [2]string{w + "person.email", p.Email},
	)
	u.clickOK(`button[name="next"]`)
	if got := u.text("[aria-current=step]"); !strings.Contains(got, "上传资料") {
		t.Fatalf("after 网站信息: step %q: %s", got, u.text("main"))
	}

	// 上传资料: the licence and the person's ID card.
	photo := photoFile(t)
	for _, kind := range []string{"license", "id_front"} {
		u.do(chromedp.SetValue(chromedp.ID("f-kind"), kind))
		u.upload("#f-file", photo)
		u.clickOK(`form[action$="/documents"] button[type=submit]`)
	}
	if got := u.text(`section[aria-labelledby="docs-title"] ul`); strings.Count(got, "image/png") != 2 {
		t.Fatalf("documents after two uploads: %q", got)
	}
	shot(u, "filing-documents")

	// 提交 (Rule REV-7): the order page with its timeline.
	u.clickOK(`a.button[href$="step=submit"]`)
	shot(u, "filing-submit")
	u.clickOK(`form[action$="/submit"] button`)
	if got := u.text("h1"); !strings.Contains(got, number) {
		t.Fatalf("order page heading %q, want %s", got, number)
	}
	if got := u.text(".facts"); !strings.Contains(got, "服务商初审") {
		t.Fatalf("stage after the submission: %q", got)
	}
	if got := u.text("ol.timeline"); !strings.Contains(got, "管局") {
		t.Errorf("timeline without the bureau's predicted date: %q", got)
	}
	shot(u, "order")
	return bFiled{u: u, co: co, id: id, number: number}
}

// claim claims the order on its review page (from the queue's claim form).
func (u *bUser) claim(id int64) {
	u.t.Helper()
	u.clickOK(fmt.Sprintf(`form[action="/review/orders/%d/claim"] button`, id))
	if got := u.text(".notice"); !strings.Contains(got, "已认领") {
		u.t.Errorf("claim notice %q", got)
	}
}

// approve approves the claimed order on its review page.
func (u *bUser) approve() {
	u.t.Helper()
	u.do(chromedp.Click(chromedp.CSS(`input[name="decision"][value="approve"]`)))
	u.clickOK("#decision-submit")
}

// verify has the customer choose the photo upload on the console's
// verification page (GET,POST /console/orders/{id}/verification with
// method=upload and photo) and take its immediate verdict. While that page
// is not served (404), the verification point's operator uploads the
// photo on /review/verification instead (Rule VER-1).
func (u *bUser) verify(b *bBrowser, f bFiled) {
	u.t.Helper()
	photo := photoFile(u.t)
	path := orderPath(f.id) + "/verification"
	switch st := u.open(path); st {
	case http.StatusOK:
		for _, m := range []string{"point", "curtain", "upload"} {
			if !u.has(`input[name="method"][value="` + m + `"]`) {
				u.t.Errorf("verification choices without %s: %q", m, u.body())
			}
		}
		u.shot("verification")
		form := `form:has(input[name="photo"])`
		if u.has(form + ` input[name="method"][value="upload"][type="radio"]`) {
			u.do(chromedp.Click(chromedp.CSS(form + ` input[name="method"][value="upload"]`)))
		}
		u.upload(form+` input[name="photo"]`, photo)
		u.clickOK(form + ` button[type=submit]`)
		if got := u.text(".notice"); got == "" {
			u.t.Errorf("no verdict after the photo upload")
		}
		u.shot("verification-done")
	case http.StatusNotFound:
		u.t.Logf("%s answers 404: the verification point uploads the photo instead", path)
		v := b.staff("verifier", b.e.verifier)
		v.openOK("/review/verification")
		v.do(chromedp.SendKeys(chromedp.ID("f-order"), f.number))
		v.upload("#f-photo", photo)
		v.shot("review-verification")
		v.clickOK(`form[action="/review/verification"] button[type=submit]`)
		if got := v.text(".notice"); !strings.Contains(got, f.number) {
			u.t.Errorf("verifier's upload: %q", got)
		}
	default:
		u.t.Fatalf("%s: status %d: %s", path, st, u.body())
	}
}

// queryDomain searches /query by the domain through its form.
func (u *bUser) queryDomain(domain string) {
	u.t.Helper()
	u.openOK("/query")
	u.do(chromedp.Click(chromedp.CSS(`input[name="by"][value="domain"]`)), chromedp.SendKeys(chromedp.ID("f-q"), domain))
	u.clickOK(`form[action="/query"] button[type=submit]`)
}

// openHost opens the path on the test server under another host name
// (the browser resolves every .cn host to the server) and returns the
// status.
func (u *bUser) openHost(host, path string) int64 {
	u.t.Helper()
	base, err := url.Parse(u.e.m.URL())
	if err != nil {
		u.t.Fatal(err)
	}
	u.last = host + path
	resp, err := chromedp.RunResponse(u.ctx, chromedp.Navigate("http://"+host+":"+base.Port()+path))
	if err != nil {
		u.t.Fatalf("%s opens %s%s: %v", u.who, host, path, err)
	}
	return resp.Status
}
