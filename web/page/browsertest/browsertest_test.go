package browsertest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

// The harness starts a headless browser that loads a page, submits a form
// without JavaScript and reads the answer (zh-CN text included).
func TestBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodPost {
			_ = r.ParseForm()
			_, _ = w.Write([]byte(`<!doctype html><p id="out">收到：` + template(r.PostFormValue("q")) + `</p>`))
			return
		}
		_, _ = w.Write([]byte(`<!doctype html><form method="post"><input id="q" name="q"><button id="go">提交</button></form>`))
	}))
	defer srv.Close()
	tab := New(t)
	Do(t, tab, chromedp.Navigate(srv.URL), chromedp.SendKeys(chromedp.ID("q"), "备案"))
	if status := Submit(t, tab, chromedp.Click(chromedp.ID("go"))); status != 200 {
		t.Fatalf("status %d", status)
	}
	if got := Text(t, tab, "#out"); got != "收到：备案" {
		t.Fatalf("text %q", got)
	}
	if png := Screenshot(t, tab); len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(png))
	}
}

// template escapes the little the test echoes.
func template(s string) string {
	out := ""
	for _, c := range s {
		switch c {
		case '<':
			out += "&lt;"
		case '&':
			out += "&amp;"
		default:
			out += string(c)
		}
	}
	return out
}
