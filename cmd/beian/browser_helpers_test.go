package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web/page"
	"github.com/beian/beian/web/page/browsertest"
	"github.com/chromedp/chromedp"
)

// The browser journeys of issue 7 drive the real `beian serve --sandbox`
// (the e2e harness, on SQLite: the HTTP walks cover both engines) in a
// real headless Chromium, one browser per test and one browser context
// (its own cookies) per person. People act only through the pages; the
// harness plays the provider admin (staff accounts, servers), the
// registry's domain records, the sandbox clock and the sandbox mailbox.
//
// With BEIAN_SCREENSHOTS=DIR every key page is also saved as a full-page
// PNG, 1280 pixels wide, under a stable name in DIR (scripts/screenshots.sh
// fills docs/screenshots/ this way).

// EnvScreenshots names the folder the browser journeys save their
// screenshots in; unset, they save none.
const envScreenshots = "BEIAN_SCREENSHOTS"

// bViewport is the fixed viewport of every tab (and so of the screenshots).
const bViewportWidth, bViewportHeight = 1280, 800

// bPassword is every browser user's password (the harness's staff use it too).
const bPassword = "correct horse battery"

// bTimeout bounds one browser journey. Each takes well under a minute
// on an idle two-core machine; the bound leaves room for a loaded one (a
// shared CI runner), where a journey has taken over two minutes.
const bTimeout = 5 * time.Minute

// bStepTimeout bounds one step (a page load, a wait for an element), so
// that a missing element fails the step instead of the whole journey's
// time.
const bStepTimeout = 45 * time.Second

// bBrowser is one headless Chromium for a test, with every .cn host
// resolved to the test server's address (so that the gate's block page
// can be shown for a website's own name).
type bBrowser struct {
	t   *testing.T
	e   *e2e
	ctx context.Context // the first tab's context: the browser
}

// newBrowser starts the browser for the test against the harness's server.
func newBrowser(t *testing.T, e *e2e) *bBrowser {
	t.Helper()
	path := browsertest.Find(t)
	opts := append(browsertest.Options(path), chromedp.Flag("host-resolver-rules", "MAP *.cn 127.0.0.1"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(bctx); err != nil { // starts the browser, without the timeout (chromedp.Run's rules)
		t.Fatalf("start %s: %v", path, err)
	}
	ctx, cancel := context.WithTimeout(bctx, bTimeout)
	t.Cleanup(cancel)
	return &bBrowser{t: t, e: e, ctx: ctx}
}

// bUser is one person in the browser: a tab in a browser context of its own.
type bUser struct {
	t    *testing.T
	e    *e2e
	ctx  context.Context
	who  string // for failure messages
	api  *api   // the harness's view of the same account (reads only), when known
	last string // the path of the last page opened or landed on
}

// user opens a tab in a fresh browser context, with the fixed viewport.
func (b *bBrowser) user(who string) *bUser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	// The first run opens the tab; it must carry no step timeout, which
	// would close the tab with it (chromedp.Run's rules).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(bViewportWidth, bViewportHeight)); err != nil {
		b.t.Fatalf("open a tab for %s: %v", who, err)
	}
	u := &bUser{t: b.t, e: b.e, ctx: ctx, who: who}
	return u
}

// staff opens a tab for the harness's staff account and signs it in on /login.
func (b *bBrowser) staff(who string, a *api) *bUser {
	b.t.Helper()
	u := b.user(who)
	u.api = a
	u.login(a.login)
	return u
}

// step is the tab's context for one step, cancelled with the returned func.
func (u *bUser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(u.ctx, bStepTimeout)
}

// do runs the actions in the user's tab and fails the test on an error.
func (u *bUser) do(actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	ctx, cancel := u.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		u.t.Fatalf("%s on %s: %v", u.who, u.last, err)
	}
}

// open navigates to the server's path and returns the answer's status.
func (u *bUser) open(path string) int64 {
	u.t.Helper()
	u.last = path
	ctx, cancel := u.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(u.e.m.URL()+path))
	if err != nil {
		u.t.Fatalf("%s opens %s: %v", u.who, path, err)
	}
	return resp.Status
}

// openOK opens the path and fails the test unless it answers 200.
func (u *bUser) openOK(path string) {
	u.t.Helper()
	if st := u.open(path); st != http.StatusOK {
		u.t.Fatalf("%s opens %s: status %d: %s", u.who, path, st, u.text("main"))
	}
}

// click clicks the element (a link or a form's button), waits for the page
// it loads and returns its status.
func (u *bUser) click(css string) int64 {
	u.t.Helper()
	ctx, cancel := u.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(css)))
	if err != nil {
		u.t.Fatalf("%s clicks %s on %s: %v", u.who, css, u.last, err)
	}
	u.last = u.location()
	return resp.Status
}

// clickOK clicks and fails the test unless the page it lands on answers 200.
func (u *bUser) clickOK(css string) {
	u.t.Helper()
	if st := u.click(css); st != http.StatusOK {
		u.t.Fatalf("%s clicks %s: status %d on %s: %s", u.who, css, st, u.last, u.text("main"))
	}
}

// location is the tab's current path and query.
func (u *bUser) location() string {
	u.t.Helper()
	loc, err := chromedp.Run(u.ctx, chromedp.Location())
	if err != nil {
		u.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, u.e.m.URL())
}

// text is the visible text of the first element matching css (waiting for it).
func (u *bUser) text(css string) string {
	u.t.Helper()
	ctx, cancel := u.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		u.t.Fatalf("%s: text of %s on %s: %v", u.who, css, u.last, err)
	}
	return s
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func eval[T any](u *bUser, expr string) T {
	u.t.Helper()
	ctx, cancel := u.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		u.t.Fatalf("%s: %s on %s: %v", u.who, expr, u.last, err)
	}
	return v
}

// has says whether an element matches css on the current page, without waiting.
func (u *bUser) has(css string) bool {
	u.t.Helper()
	return eval[bool](u, "document.querySelector("+jsString(css)+") !== null")
}

// attr is the attribute of the first element matching css ("" when absent).
func (u *bUser) attr(css, name string) string {
	u.t.Helper()
	return eval[string](u, "(document.querySelector("+jsString(css)+")?.getAttribute("+jsString(name)+")) ?? ''")
}

// body is the page's whole visible text.
func (u *bUser) body() string {
	u.t.Helper()
	return eval[string](u, "document.body.innerText")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fill sets form fields by their names (the page's field IDs, page.FieldID):
// selects and inputs alike.
func (u *bUser) fill(fields ...[2]string) {
	u.t.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for _, f := range fields {
		acts = append(acts, chromedp.SetValue(chromedp.ID(page.FieldID(f[0])), f[1]))
	}
	u.do(acts...)
}

// upload sets the file input's file.
func (u *bUser) upload(css, file string) {
	u.t.Helper()
	u.do(chromedp.SetUploadFiles(chromedp.CSS(css), []string{file}))
}

// login signs in on /login as the login.
func (u *bUser) login(login string) {
	u.t.Helper()
	u.openOK("/login")
	u.do(chromedp.SendKeys(chromedp.ID("f-login"), login), chromedp.SendKeys(chromedp.ID("f-password"), bPassword))
	if st := u.click(`form[action="/login"] button[type=submit]`); st != http.StatusOK {
		u.t.Fatalf("%s signs in as %s: status %d: %s", u.who, login, st, u.text("main"))
	}
	if strings.HasPrefix(u.last, "/login") {
		u.t.Fatalf("%s is still on the login page: %s", u.who, u.text("main"))
	}
}

// bShotMaxHeight bounds a screenshot's height: a longer page is shown in
// a 1280×bShotMaxHeight window on it (the part with the anchor), which
// keeps each PNG of docs/screenshots/ under about 300 KB without lowering
// its quality.
const bShotMaxHeight = 2800

// shot saves a PNG of the current page as DIR/name.png when
// BEIAN_SCREENSHOTS=DIR is set: the whole page, 1280 pixels wide; a page
// taller than bShotMaxHeight from its top, or up to the bottom of the
// anchor element when one is given (a form at the end of a long page).
func (u *bUser) shot(name string, anchor ...string) {
	u.t.Helper()
	dir := os.Getenv(envScreenshots)
	if dir == "" {
		return
	}
	// Drop the caret and focus ring and let the fonts settle, so that
	// runs give the same picture.
	u.do(chromedp.Evaluate[chromedp.Void]("document.activeElement?.blur(), document.fonts.ready.then(() => true)", chromedp.EvalAwaitPromise))
	height := eval[int](u, "document.documentElement.scrollHeight")
	var png []byte
	if height <= bShotMaxHeight {
		png = browsertest.Screenshot(u.t, u.ctx)
	} else {
		top := 0
		if len(anchor) > 0 {
			bottom := eval[int](u, "Math.ceil(document.querySelector("+jsString(anchor[0])+").getBoundingClientRect().bottom + window.scrollY) + 24")
			top = max(0, min(height-bShotMaxHeight, bottom-bShotMaxHeight))
		}
		u.do(chromedp.EmulateViewport(bViewportWidth, bShotMaxHeight), chromedp.Evaluate[chromedp.Void](fmt.Sprintf("window.scrollTo(0, %d)", top)))
		var err error
		if png, err = chromedp.Run(u.ctx, chromedp.CaptureScreenshot()); err != nil {
			u.t.Fatal(err)
		}
		u.do(chromedp.EmulateViewport(bViewportWidth, bViewportHeight))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		u.t.Fatal(err)
	}
	u.t.Logf("screenshot %s.png (%d KB) of %s", name, len(png)>>10, u.last)
}

// customerAPI is the harness's reading access to a customer who signed up
// on the pages: a session opened the way `POST /api/v1/sessions` opens
// one, traded for an API token (the walks' months outlive a session).
func (e *e2e) customerAPI(tb testing.TB, login string) *api {
	tb.Helper()
	sess, err := e.staff.Login(e.ctx, login, bPassword, "test")
	if err != nil {
		tb.Fatalf("log %s in: %v", login, err)
	}
	tok, err := e.staff.CreateToken(e.ctx, sess.Principal, "browser-e2e", identity.MaxTokenTTL)
	if err != nil {
		tb.Fatal(err)
	}
	return &api{e: e, token: tok, id: sess.Principal.AccountID, login: login}
}

// photoFile writes the harness's sharp photo (Rule VER-1) to a file for
// the browser's file inputs.
func photoFile(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "photo.png")
	if err := os.WriteFile(p, e2ePhoto(tb), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// waitFor reads the customer's order through the harness until it is in
// the stage, nudging the server's background work.
func (e *e2e) waitFor(tb testing.TB, c *api, id int64, want beian.Stage) e2eOrder {
	tb.Helper()
	return e.waitStage(tb, c, id, want)
}

// orderPath is the console page of the order.
func orderPath(id int64) string { return fmt.Sprintf("/console/orders/%d", id) }
