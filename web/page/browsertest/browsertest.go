// Package browsertest drives the desks' pages in a real headless Chromium
// from Go tests, through chromedp: it finds the browser (Debian's
// chromium; .ci/run installs it with fonts-wqy-microhei, so Chinese text
// renders in screenshots), starts it headless (with --no-sandbox when
// running as root, as containers do) and hands the test a browser tab.
// Without a browser a test is skipped, unless CI=true: then it fails, so CI
// never passes by skipping.
//
//	tab := browsertest.New(t)
//	browsertest.Do(t, tab, chromedp.Navigate(srv.URL+"/query"))
//	browsertest.Submit(t, tab, chromedp.Click(chromedp.CSS("form button"))) // waits for the answer page
//	got := browsertest.Text(t, tab, "#notice")
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvBrowser names the environment variable that points at a browser
// binary, when it is not one of Candidates on the PATH.
const EnvBrowser = "BEIAN_BROWSER"

// Candidates are the browser commands looked for on the PATH, in order:
// Debian's chromium first.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "headless-shell"}

// DefaultTimeout bounds one test's use of the browser.
const DefaultTimeout = 60 * time.Second

// Find returns the browser binary: $BEIAN_BROWSER, else the first of
// Candidates on the PATH. Without one it skips tb, or fails it when CI is
// "true".
func Find(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(EnvBrowser); p != "" {
		if _, err := os.Stat(p); err != nil {
			tb.Fatalf("%s=%s: %v", EnvBrowser, p, err)
		}
		return p
	}
	for _, c := range Candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	const hint = "no headless browser: install Debian's chromium (apt-get install -y chromium fonts-wqy-microhei) or set " + EnvBrowser
	if os.Getenv("CI") == "true" {
		tb.Fatal(hint)
	}
	tb.Skip(hint)
	return ""
}

// Options are the flags the browser starts with: chromedp's defaults
// (headless among them), a fixed window, zh-CN as the language the
// browser asks for (Accept-Language), and --no-sandbox
// when the process runs as root (Chromium refuses to start as root with
// its sandbox).
func Options(path string) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"), // the desks' default language, whatever the machine's locale
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	return opts
}

// New starts a headless browser for tb and returns the context of its
// first tab, cancelled after DefaultTimeout; the browser is closed when tb
// ends. Every chromedp action run on the context drives that tab.
func New(tb testing.TB) context.Context {
	tb.Helper()
	path := Find(tb)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), Options(path)...)
	bctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(tb.Logf))
	tb.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry the timeout,
	// which would stop the browser itself (chromedp.Run's rules).
	if err := chromedp.Do(bctx); err != nil {
		tb.Fatalf("start %s: %v", path, err)
	}
	ctx, cancel := context.WithTimeout(bctx, DefaultTimeout)
	tb.Cleanup(cancel)
	return ctx
}

// Do runs the actions in the tab, in order, and fails tb on the first error.
func Do(tb testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatal(err)
	}
}

// Submit runs the actions (a click on a form's button) and waits for the
// page they load, which it returns the HTTP status of; it fails tb on an
// error. Forms work without JavaScript, so every submission is a
// navigation.
func Submit(tb testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) int64 {
	tb.Helper()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.Status
}

// Text returns the visible text of the first element matching the CSS
// selector, waiting for it to be visible; it fails tb on an error.
func Text(tb testing.TB, ctx context.Context, css string) string {
	tb.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		tb.Fatalf("text of %s: %v", css, err)
	}
	return s
}

// Screenshot returns a PNG of the whole page (for docs/screenshots/); it
// fails tb on an error.
func Screenshot(tb testing.TB, ctx context.Context) []byte {
	tb.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatal(err)
	}
	return png
}
