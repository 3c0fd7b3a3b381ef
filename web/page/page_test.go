package page

import (
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/web"
	"golang.org/x/net/html"
)

// treeFS copies the embedded tree, leaving out the files named in drop and
// adding or replacing those in add.
func treeFS(tb testing.TB, drop []string, add map[string]string) fstest.MapFS {
	tb.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range drop {
		delete(m, p)
	}
	for p, s := range add {
		m[p] = &fstest.MapFile{Data: []byte(s)}
	}
	return m
}

// newPages builds Pages with opts and the handler the wiring would build.
func newPages(tb testing.TB, opts Options) (*Pages, http.Handler) {
	tb.Helper()
	p, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	return p, SecurityHeaders(p.LangCookie(mux))
}

// get sends a browser GET with the cookies.
func get(tb testing.TB, h http.Handler, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept", "text/html")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// cookie returns the response's cookie of that name, or nil.
func cookie(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestNew(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if _, err := New(Options{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrMissingPage", func(t *testing.T) {
		_, err := New(Options{FS: treeFS(t, []string{"templates/pages/home.html"}, nil)})
		if err == nil || !strings.Contains(err.Error(), `"home"`) {
			t.Fatalf("err = %v, want the missing page named", err)
		}
	})
	t.Run("ErrMissingLayout", func(t *testing.T) {
		if _, err := New(Options{FS: treeFS(t, []string{"templates/layout.html"}, nil)}); err == nil {
			t.Fatal("no error without the layout")
		}
	})
	t.Run("ErrBrokenTemplate", func(t *testing.T) {
		fsys := treeFS(t, nil, map[string]string{"templates/pages/home.html": `{{define "title"}}x{{end}}{{define "content"}}{{if}}{{end}}`})
		if _, err := New(Options{FS: fsys}); err == nil {
			t.Fatal("no error for a template that does not parse")
		}
	})
	t.Run("ErrUnknownFunc", func(t *testing.T) {
		fsys := treeFS(t, nil, map[string]string{"templates/pages/home.html": `{{define "title"}}x{{end}}{{define "content"}}{{nosuch}}{{end}}`})
		if _, err := New(Options{FS: fsys}); err == nil {
			t.Fatal("no error for an unknown function")
		}
	})
	t.Run("ErrEscaping", func(t *testing.T) {
		fsys := treeFS(t, nil, map[string]string{"templates/pages/home.html": `{{define "title"}}x{{end}}{{define "content"}}<a href="{{.Path}}{{end}}`})
		if _, err := New(Options{FS: fsys}); err == nil {
			t.Fatal("no error for a template that html/template cannot escape")
		}
	})
}

// checkPage fails unless w is a complete page with the security headers and
// nothing inline for the CSP to block: no script without src or with a
// body, no <style>, no style= or on…= attribute.
func checkPage(tb testing.TB, w *httptest.ResponseRecorder) {
	tb.Helper()
	h := w.Header()
	for k, v := range map[string]string{
		"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
		"Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8",
	} {
		if got := h.Get(k); got != v {
			tb.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	body := w.Body.String()
	if !strings.HasPrefix(body, "<!doctype html>") || !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
		tb.Errorf("not a whole page: %.80q", body)
	}
	z := html.NewTokenizer(strings.NewReader(body))
	inScript := false
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Token()
		switch {
		case tt == html.TextToken && inScript && strings.TrimSpace(tok.Data) != "":
			tb.Errorf("inline script: %.60q", tok.Data)
		case tt == html.StartTagToken && tok.Data == "style":
			tb.Error("a <style> element")
		case tt == html.StartTagToken && tok.Data == "script":
			inScript = true
			if !slices.ContainsFunc(tok.Attr, func(a html.Attribute) bool { return a.Key == "src" }) {
				tb.Error("a <script> without src")
			}
		case tt == html.EndTagToken && tok.Data == "script":
			inScript = false
		}
		for _, a := range tok.Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				tb.Errorf("inline %s= on <%s>", a.Key, tok.Data)
			}
		}
	}
}

func TestEveryPageHeadersAndNoInline(t *testing.T) {
	_, h := newPages(t, Options{Viewer: func(r *http.Request) Viewer {
		if r.URL.Query().Get("as") == "alice" {
			return Viewer{Login: "alice", Name: "Alice", SignedIn: true, CSRF: "tok"}
		}
		return Viewer{}
	}})
	for _, target := range []string{"/", "/?lang=en", "/login", "/login?lang=en&next=/console", "/?as=alice", "/login?as=alice&lang=en"} {
		t.Run(target, func(t *testing.T) {
			w := get(t, h, target)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			checkPage(t, w)
		})
	}
}

func TestLanguage(t *testing.T) {
	_, h := newPages(t, Options{})
	t.Run("ZHByDefault", func(t *testing.T) {
		w := get(t, h, "/login")
		body := w.Body.String()
		if !strings.Contains(body, `<html lang="zh-CN">`) || !strings.Contains(body, "<h1>登录</h1>") ||
			w.Header().Get("Content-Language") != "zh-CN" {
			t.Errorf("not zh-CN: %s", body)
		}
		if !strings.Contains(body, `href="/login?lang=en"`) {
			t.Error("no switch link to English")
		}
	})
	t.Run("ENWithQueryRemembered", func(t *testing.T) {
		w := get(t, h, "/login?lang=en")
		body := w.Body.String()
		if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "<h1>Sign in</h1>") {
			t.Errorf("not English: %s", body)
		}
		c := cookie(w, "lang")
		if c == nil || c.Value != "en" || c.MaxAge < 364*24*3600 || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Fatalf("lang cookie %+v", c)
		}
		w = get(t, h, "/login", c)
		if !strings.Contains(w.Body.String(), `<html lang="en">`) {
			t.Error("the choice is not remembered")
		}
		if !strings.Contains(w.Body.String(), `href="/login?lang=zh-CN"`) {
			t.Error("no switch link back to zh-CN")
		}
	})
	t.Run("UnknownLangIgnored", func(t *testing.T) {
		if w := get(t, h, "/login?lang=fr"); cookie(w, "lang") != nil {
			t.Error("cookie set for an unsupported language")
		}
	})
}

func TestRenderTemplateError(t *testing.T) {
	fsys := treeFS(t, nil, map[string]string{"templates/pages/broken.html": `{{define "title"}}Broken{{end}}{{define "content"}}<p>half of the page</p>{{.Data.Missing}}{{end}}`})
	p, _ := newPages(t, Options{FS: fsys})
	h := p.handle(func(w http.ResponseWriter, r *http.Request) error {
		return p.Render(w, r, http.StatusOK, "broken", struct{ Present string }{})
	})
	w := get(t, h, "/broken")
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", w.Code)
	}
	if strings.Contains(w.Body.String(), "half of the page") {
		t.Error("partial output sent")
	}
	checkPage(t, w)
	t.Run("UnknownPage", func(t *testing.T) {
		if err := p.Render(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), 200, "nosuch", nil); err == nil {
			t.Error("no error for an unknown page")
		}
	})
}

func TestErrorPage(t *testing.T) {
	p, _ := newPages(t, Options{})
	defer func(old func(http.ResponseWriter, *http.Request, int, error)) { web.ErrorPage = old }(web.ErrorPage)
	p.Install()
	h := web.Handle(func(w http.ResponseWriter, r *http.Request) error {
		switch r.URL.Path {
		case "/secret":
			return beian.Errorf(beian.KindUnauthenticated, "")
		case "/boom":
			return errors.New("pq: password=hunter2")
		}
		return beian.Errorf(beian.KindNotFound, "")
	})
	for _, lang := range i18n.Langs {
		t.Run("NotFound "+string(lang), func(t *testing.T) {
			w := get(t, h, "/nowhere?lang="+string(lang))
			if w.Code != 404 {
				t.Fatalf("status %d", w.Code)
			}
			checkPage(t, w)
			body := w.Body.String()
			want := i18n.Default().Message(lang, "error.not_found", nil)
			if !strings.Contains(body, want) || !strings.Contains(body, `<html lang="`+string(lang)+`">`) ||
				!strings.Contains(body, `href="/"`) {
				t.Errorf("page lacks the message %q or the link home:\n%s", want, body)
			}
		})
	}
	t.Run("UnauthenticatedLinksToSignIn", func(t *testing.T) {
		w := get(t, h, "/secret?x=1")
		if w.Code != 401 || !strings.Contains(w.Body.String(), `href="/login?next=`+url.QueryEscape("/secret?x=1")+`"`) {
			t.Errorf("status %d, body:\n%s", w.Code, w.Body)
		}
	})
	t.Run("InternalHidesDetails", func(t *testing.T) {
		w := get(t, h, "/boom")
		if w.Code != 500 || strings.Contains(w.Body.String(), "hunter2") {
			t.Errorf("status %d, body:\n%s", w.Code, w.Body)
		}
	})
}
