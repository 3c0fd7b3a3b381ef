package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/web/page/browsertest"
	"github.com/chromedp/chromedp"
)

// Issue 7, "Done means": the desks in a real headless Chromium against the
// real `beian serve --sandbox` (SQLite; the HTTP walks of e2e_api_test.go
// cover both engines). Each person acts only through the pages; the
// harness stands in for the provider admin (staff accounts, the
// customer's server), the registry's domain records, the sandbox clock
// and the sandbox mailbox. BEIAN_SCREENSHOTS=DIR saves each key page
// (scripts/screenshots.sh).

// TestBrowserFirstFiling: a customer signs up, prechecks (Rule TYPE-1),
// fills 主体信息 and 网站信息, uploads the documents and submits; a provider
// reviewer claims and approves on /review (Rule REV-3); the customer
// chooses the photo upload (Rule VER-1) — or, while the console's
// verification page is not served, the verification point's operator
// uploads the photo on /review/verification; the photo review passes
// (Rule REV-4); the customer confirms the registry's SMS code on
// /sms-verify, read from the sandbox mailbox (Rule VER-3); the bureau desk
// shows the order with its due date, and the sandbox bureau (auto)
// approves it at the due date once the sandbox clock has moved 20
// business days (Rule REV-2); the console then shows the numbers (Rule
// NUM-1) and /query finds the website (Rule QRY-1).
func TestBrowserFirstFiling(t *testing.T) {
	browsertest.Find(t)
	e := newE2E(t, sqlstore.SQLite)
	b := newBrowser(t, e)

	// The public pages anyone sees first.
	anon := b.user("visitor")
	anon.openOK("/login")
	anon.shot("login")
	anon.openOK("/password")
	anon.shot("password")
	if st := anon.openHost("www.unfiled-example.cn", "/gate/blocked"); st != http.StatusForbidden {
		t.Errorf("block page of an unfiled host: status %d", st)
	}
	if got := anon.body(); !strings.Contains(got, "unfiled-example.cn") {
		t.Errorf("block page does not name the host: %q", got)
	}
	anon.shot("gate-blocked")

	f := b.fileThroughPages(true)
	cust := f.u

	// Initial review on /review: the queue, claim, the order with its
	// reject form, approve (Rule REV-3).
	rev := b.staff("reviewer", e.reviewer)
	rev.openOK("/review?stage=initial_review")
	if got := rev.text("table.queue"); !strings.Contains(got, f.number) {
		t.Fatalf("initial-review queue without %s: %q", f.number, got)
	}
	rev.shot("review-queue")
	rev.claim(f.id)
	rev.shot("review-order", `form[action$="/decision"]`)
	rev.approve()
	e.waitFor(t, cust.api, f.id, beian.StageVerification)

	// Verification (Rule VER-1).
	cust.verify(b, f)
	e.waitFor(t, cust.api, f.id, beian.StagePhotoReview)

	// Photo review (Rule REV-4): the photo beside its sharpness.
	rev.openOK("/review?stage=photo_review")
	rev.claim(f.id)
	if got := rev.text("#photo-sharpness"); got == "" {
		t.Errorf("photo review without the sharpness")
	}
	rev.shot("review-photo", `form[action$="/decision"]`)
	since := e.now(t)
	rev.approve()

	// SMS confirmation on /sms-verify with the code from the mailbox (Rule VER-3).
	e.waitFor(t, cust.api, f.id, beian.StageSMSConfirmation)
	code := e.mailbox(t, f.co.person.Mobile, "registry.sms_code", since, smsCodeRE)
	cust.openOK(orderPath(f.id))
	cust.shot("order-sms-confirmation")
	if cust.has(`a[href^="/sms-verify"]`) { // the order page's way to the registry's page
		cust.clickOK(`a[href^="/sms-verify"]`)
	} else {
		cust.openOK("/sms-verify")
	}
	cust.do(
		chromedp.SendKeys(chromedp.ID("f-code"), code),
		chromedp.SendKeys(chromedp.ID("f-phone"), f.co.person.Mobile),
		chromedp.SendKeys(chromedp.ID("f-cert_last6"), f.co.person.CertNumber[len(f.co.person.CertNumber)-6:]),
	)
	cust.shot("sms-verify")
	cust.clickOK(`form[action="/sms-verify"] button[type=submit]`)
	if cls := cust.attr("#notice", "class"); cls != "notice" {
		t.Fatalf("SMS confirmation: %q", cust.text("#notice"))
	}
	cust.shot("sms-verify-done")
	e.waitFor(t, cust.api, f.id, beian.StageBureauReview)

	// The bureau desk: the province's queue with the due date, the order
	// with its decision form; the sandbox bureau (auto) decides at the due
	// date (Rule REV-2).
	bur := b.staff("bureau", e.bureau)
	bur.openOK("/bureau")
	href := eval[string](bur, `[...document.querySelectorAll('a[href^="/bureau/orders/"]')].find(a => a.textContent.includes(`+jsString(f.number)+`))?.getAttribute('href') ?? ''`)
	if href == "" {
		t.Fatalf("bureau queue without %s: %q", f.number, bur.text("main"))
	}
	bur.shot("bureau-queue")
	bur.openOK(href)
	if !bur.has(`form[action$="/decision"] input[name="decision"][value="approve"]`) {
		t.Errorf("bureau order page without the decision form")
	}
	bur.shot("bureau-order", `form[action$="/decision"]`)
	e.bureauDecides(t, cust.api, f.id)

	// The console shows the numbers (Rule NUM-1), the website served.
	fl := cust.api.filings(t)
	if fl.Subject == nil || len(fl.Websites) != 1 || fl.Websites[0].Number == "" {
		t.Fatalf("filings: %+v", fl)
	}
	number := fl.Websites[0].Number
	cust.openOK("/console")
	home := cust.body()
	for _, want := range []string{fl.Subject.Number, number, "已接入"} {
		if !strings.Contains(home, want) {
			t.Errorf("console home without %q: %q", want, home)
		}
	}
	cust.shot("console-home")
	cust.openOK(orderPath(f.id))
	if got := cust.text(".facts"); !strings.Contains(got, "已通过") {
		t.Errorf("order page stage after the approval: %q", got)
	}
	cust.shot("order-approved")

	// /query finds it by the domain (Rule QRY-1).
	anon.queryDomain(f.co.domain)
	if got := anon.body(); !strings.Contains(got, number) {
		t.Errorf("query of %s without %s: %q", f.co.domain, number, got)
	}
	anon.shot("query")

	// The ops dashboard, as the provider admin.
	adm := b.staff("admin", e.padmin)
	adm.openOK("/ops")
	adm.shot("ops")
}

// TestBrowserRejectOneField: a provider reviewer rejects one field
// (websites[0].name) on /review with an item built in the form; the
// customer sees the item beside that field, only that field is editable
// (Rule REV-3), fixes it and resubmits (Rule REV-8).
func TestBrowserRejectOneField(t *testing.T) {
	browsertest.Find(t)
	e := newE2E(t, sqlstore.SQLite)
	b := newBrowser(t, e)
	f := b.fileThroughPages(false)
	cust := f.u

	const field, suggestion = "websites[0].name", "请使用与网站内容一致的名称"
	rev := b.staff("reviewer", e.reviewer)
	rev.openOK("/review?stage=initial_review")
	rev.claim(f.id)
	rev.do(
		chromedp.Click(chromedp.CSS(`input[name="decision"][value="reject"]`)),
		chromedp.SetValue(chromedp.ID("f-items-0-field"), field),
		chromedp.SetValue(chromedp.ID("f-items-0-reason"), "incomplete_website"),
		chromedp.SendKeys(chromedp.ID("f-items-0-suggestion"), suggestion),
		chromedp.SetValue(chromedp.ID("f-items-0-action"), "fix_website"),
	)
	rev.shot("review-reject", `form[action$="/decision"]`)
	rev.clickOK("#decision-submit")
	if got := rev.text(".notice"); !strings.Contains(got, f.number) {
		t.Errorf("after the rejection: %q", got)
	}
	e.waitFor(t, cust.api, f.id, beian.StageNeedsFix)

	// The order page lists the item and links to its field.
	cust.openOK(orderPath(f.id))
	items := cust.text(`section[aria-labelledby="items-title"]`)
	if !strings.Contains(items, field) || !strings.Contains(items, "网站信息不完整") || !strings.Contains(items, suggestion) {
		t.Fatalf("order page items: %q", items)
	}
	cust.shot("order-needs-fix")
	cust.clickOK(`section[aria-labelledby="items-title"] a`)

	// Beside the field: the reason and the suggestion; that field alone is
	// editable, on this step and on the other.
	if got := cust.text("#f-websites-0-name-item"); !strings.Contains(got, "网站信息不完整") || !strings.Contains(got, suggestion) {
		t.Errorf("item beside the field: %q", got)
	}
	editable := eval[[]string](cust, `[...document.querySelectorAll('form input:not([type=hidden]), form select')].filter(el => !el.readOnly && !el.disabled).map(el => el.name)`)
	if len(editable) != 1 || editable[0] != field {
		t.Errorf("editable on the website step: %v, want only %s", editable, field)
	}
	cust.shot("console-fix")
	cust.do(chromedp.SetValue(chromedp.ID("f-websites-0-name"), "星河科技产品中心"))
	cust.clickOK(`button[name="next"]`)
	cust.openOK(fmt.Sprintf("/console/orders/%d/edit?step=subject", f.id))
	editable = eval[[]string](cust, `[...document.querySelectorAll('form input:not([type=hidden]), form select')].filter(el => !el.readOnly && !el.disabled).map(el => el.name)`)
	if len(editable) != 0 {
		t.Errorf("editable on the subject step: %v, want none", editable)
	}

	// Resubmit (Rule REV-8): back to the initial review, with the fix.
	cust.openOK(orderPath(f.id))
	cust.clickOK(`a.button[href$="step=submit"]`)
	cust.clickOK(`form[action$="/submit"] button`)
	o := e.waitFor(t, cust.api, f.id, beian.StageInitialReview)
	if !strings.Contains(string(o.Data), "星河科技产品中心") || strings.Contains(string(o.Data), "星河科技官网") {
		t.Errorf("resubmitted data: %s", o.Data)
	}
	if got := cust.text(".facts"); !strings.Contains(got, "服务商初审") {
		t.Errorf("order page after the resubmission: %q", got)
	}
}

// TestBrowserCancelAccess: a filed customer cancels the website's access
// here from the console home (GET,POST /console/websites/{id}/cancel-access):
// the confirmation page says what will happen, the customer confirms
// (Rule CAN-6), the provider tells the registry at once (Rule CAN-5), the
// console shows the access cancelled, the gate blocks the website, and the
// public query still shows its number.
func TestBrowserCancelAccess(t *testing.T) {
	browsertest.Find(t)
	e := newE2E(t, sqlstore.SQLite)
	f := e.firstFiling(t) // the first filing, over HTTP (TestBrowserFirstFiling walks it on the pages)
	b := newBrowser(t, e)
	cust := b.user("customer")
	cust.api = f.c
	cust.login(f.c.login)
	cust.openOK("/console")
	if !cust.has(`a[href$="/cancel-access"]`) {
		t.Fatalf("no cancel-access link on the console home (GET,POST /console/websites/{id}/cancel-access): %q", cust.body())
	}
	cust.clickOK(`a[href$="/cancel-access"]`)
	warning := cust.body()
	if !strings.Contains(warning, f.website) || !strings.Contains(warning, "30") {
		t.Errorf("the confirmation does not name the website %s and the 30 days (Rule CAN-5): %q", f.website, warning)
	}
	cust.shot("cancel-access")
	if cust.has(`input[name="confirm"][type="checkbox"]`) {
		cust.do(chromedp.Click(chromedp.CSS(`input[name="confirm"][type="checkbox"]`)))
	}
	cust.clickOK(`form:has(input[name="confirm"]) button[type=submit]`)

	// Rule CAN-5: at once, without review nor the bureau.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, access := f.c.filings(t).website(t, f.website)
		if access == beian.GateAccessCancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("access of %s: %s, want access_cancelled", f.website, access)
		}
		e.nudge(t)
		time.Sleep(50 * time.Millisecond)
	}
	cust.openOK("/console")
	if got := cust.text(`section[aria-labelledby="websites-title"]`); !strings.Contains(got, f.website) || !strings.Contains(got, "已取消接入") {
		t.Errorf("console home websites: %q", got)
	}
	cust.shot("console-access-cancelled")

	// The gate blocks it; the registry keeps the number.
	if st := cust.openHost("www."+f.co.domain, "/gate/blocked"); st != http.StatusForbidden {
		t.Errorf("block page of the cancelled website: status %d", st)
	}
	anon := b.user("visitor")
	anon.queryDomain(f.co.domain)
	if got := anon.body(); !strings.Contains(got, f.website) {
		t.Errorf("query of %s after the access was cancelled, without %s: %q", f.co.domain, f.website, got)
	}
}
