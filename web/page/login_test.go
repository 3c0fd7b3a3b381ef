package page

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// loginPage opens GET /login and returns the double-submit cookie and the
// form's token.
func loginPage(tb testing.TB, h http.Handler) (*http.Cookie, string) {
	tb.Helper()
	w := get(tb, h, "/login")
	c := cookie(w, csrfCookieName)
	m := csrfField.FindStringSubmatch(w.Body.String())
	if c == nil || m == nil || c.Value != m[1] {
		tb.Fatalf("no double-submit token: cookie %v, field %v", c, m)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		tb.Errorf("csrf cookie %+v is not HTTP-only and SameSite=Strict", c)
	}
	return c, m[1]
}

// post sends a browser form POST.
func post(tb testing.TB, h http.Handler, target string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "text/html")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// fakeLogin accepts alice / right; "slow" is rate-limited.
func fakeLogin(ctx context.Context, login, password, client string) (*http.Cookie, error) {
	switch {
	case login == "slow":
		return nil, beian.Errorf(beian.KindRateLimited, "", "retry_after", "60")
	case login != "alice" || password != "right" || client == "":
		return nil, beian.Errorf(beian.KindUnauthenticated, "auth.bad_credentials")
	}
	return &http.Cookie{Name: sessionCookie, Value: "session-1", Path: "/", HttpOnly: true}, nil
}

func TestLoginCSRF(t *testing.T) {
	_, h := newPages(t, Options{Login: fakeLogin})
	c, tok := loginPage(t, h)
	form := func(token string) url.Values {
		v := url.Values{"login": {"alice"}, "password": {"right"}}
		if token != "" {
			v.Set("csrf", token)
		}
		return v
	}
	other := &http.Cookie{Name: csrfCookieName, Value: strings.Repeat("A", 26)}
	for name, tc := range map[string]struct {
		form   url.Values
		cookie *http.Cookie
		want   int
	}{
		"ErrNoField":        {form(""), c, 403},
		"ErrNoCookie":       {form(tok), nil, 403},
		"ErrMismatch":       {form(tok), other, 403},
		"ErrWrongField":     {form(strings.Repeat("B", 26)), c, 403},
		"OKMatchingToken":   {form(tok), c, 303},
		"ErrEmptyBothSides": {form(""), &http.Cookie{Name: csrfCookieName, Value: ""}, 403},
	} {
		t.Run(name, func(t *testing.T) {
			var cs []*http.Cookie
			if tc.cookie != nil {
				cs = append(cs, tc.cookie)
			}
			w := post(t, h, "/login", tc.form, cs...)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == 403 {
				checkPage(t, w)
				if !strings.Contains(w.Body.String(), i18n.Default().Message(i18n.ZH, "page.form_expired", nil)) ||
					!strings.Contains(w.Body.String(), `href="/login"`) || cookie(w, sessionCookie) != nil {
					t.Errorf("403 page does not say the form expired:\n%s", w.Body)
				}
			}
		})
	}
}

func TestLogin(t *testing.T) {
	_, h := newPages(t, Options{Login: fakeLogin})
	c, tok := loginPage(t, h)
	send := func(login, password, next string) *httptest.ResponseRecorder {
		return post(t, h, "/login", url.Values{"csrf": {tok}, "login": {login}, "password": {password}, "next": {next}}, c)
	}
	t.Run("OKRedirectsWithCookie", func(t *testing.T) {
		w := send("alice", "right", "/console/orders?x=1")
		if w.Code != 303 || w.Header().Get("Location") != "/console/orders?x=1" {
			t.Fatalf("status %d, Location %q", w.Code, w.Header().Get("Location"))
		}
		if s := cookie(w, sessionCookie); s == nil || s.Value != "session-1" {
			t.Errorf("session cookie %+v", s)
		}
	})
	t.Run("OKHomeWithoutNext", func(t *testing.T) {
		if w := send("alice", "right", ""); w.Code != 303 || w.Header().Get("Location") != "/" {
			t.Errorf("status %d, Location %q", w.Code, w.Header().Get("Location"))
		}
	})
	for _, next := range []string{"//evil.example", "https://evil.example", `/\evil.example`, "evil.example", "/ok\r\nSet-Cookie: x=1", "javascript:alert(1)"} {
		t.Run("ErrOpenRedirect "+next, func(t *testing.T) {
			if w := send("alice", "right", next); w.Code != 303 || w.Header().Get("Location") != "/" {
				t.Errorf("status %d, Location %q", w.Code, w.Header().Get("Location"))
			}
			w := get(t, h, "/login?next="+url.QueryEscape(next))
			if strings.Contains(w.Body.String(), `name="next"`) {
				t.Errorf("unsafe next kept in the form")
			}
		})
	}
	t.Run("NextKeptInForm", func(t *testing.T) {
		w := get(t, h, "/login?next=%2Fconsole")
		if !strings.Contains(w.Body.String(), `<input type="hidden" name="next" value="/console">`) {
			t.Errorf("next not kept:\n%s", w.Body)
		}
	})
	for _, lang := range i18n.Langs {
		t.Run("ErrBadCredentials "+string(lang), func(t *testing.T) {
			w := post(t, h, "/login?lang="+string(lang), url.Values{"csrf": {tok}, "login": {"alice"}, "password": {"hunter2-wrong"}}, c)
			if w.Code != 401 {
				t.Fatalf("status %d", w.Code)
			}
			checkPage(t, w)
			body := w.Body.String()
			want := i18n.Default().Render(lang, beian.Errorf(beian.KindUnauthenticated, "auth.bad_credentials")).Message
			if !strings.Contains(body, html.EscapeString(want)) || !strings.Contains(body, `class="error-summary"`) {
				t.Errorf("message %q not shown:\n%s", want, body)
			}
			if strings.Contains(body, "hunter2-wrong") {
				t.Error("password echoed")
			}
			if !strings.Contains(body, `name="login" type="text" value="alice"`) {
				t.Error("login not kept")
			}
			if cookie(w, sessionCookie) != nil {
				t.Error("session cookie set on failure")
			}
		})
	}
	t.Run("ErrRateLimited", func(t *testing.T) {
		w := send("slow", "x", "")
		want := i18n.Default().Message(i18n.ZH, "error.rate_limited", nil)
		if w.Code != 429 || w.Header().Get("Retry-After") != "60" || !strings.Contains(w.Body.String(), want) {
			t.Errorf("status %d, Retry-After %q, body:\n%s", w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	})
	t.Run("ErrEmptyFieldsLinked", func(t *testing.T) {
		w := send("", "", "")
		body := w.Body.String()
		if w.Code != 422 {
			t.Fatalf("status %d", w.Code)
		}
		for _, want := range []string{
			`<a href="#f-login">`, `<a href="#f-password">`,
			`aria-describedby="f-login-hint f-login-error"`, `aria-invalid="true"`,
			`<label for="f-password">`, `id="f-password-error"`,
			i18n.Default().Message(i18n.ZH, "page.password_required", nil),
		} {
			if !strings.Contains(body, want) {
				t.Errorf("no %q in:\n%s", want, body)
			}
		}
	})
	t.Run("EscapesMaliciousLogin", func(t *testing.T) {
		evil := `"><script>alert(1)</script><img src=x onerror=alert(2)>`
		w := send(evil, "wrong", "")
		body := w.Body.String()
		if strings.Contains(body, "<script>") || strings.Contains(body, "<img") || strings.Contains(body, `"><`) {
			t.Errorf("login not escaped:\n%s", body)
		}
		if !strings.Contains(body, `value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;`) {
			t.Errorf("escaped login not kept:\n%s", body)
		}
		checkPage(t, w)
	})
}

func TestLogout(t *testing.T) {
	signedIn := func(r *http.Request) Viewer {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value == "session-1" {
			return Viewer{Login: "alice", SignedIn: true, CSRF: "session-token"}
		}
		return Viewer{}
	}
	var loggedOut bool
	_, h := newPages(t, Options{Viewer: signedIn, Logout: func(*http.Request) error { loggedOut = true; return nil }})
	session := &http.Cookie{Name: sessionCookie, Value: "session-1"}
	w := get(t, h, "/", session)
	if !strings.Contains(w.Body.String(), `action="/logout"`) || !strings.Contains(w.Body.String(), `value="session-token"`) ||
		!strings.Contains(w.Body.String(), "alice") || cookie(w, csrfCookieName) != nil {
		t.Fatalf("signed-in layout lacks the logout form with the session token:\n%s", w.Body)
	}
	t.Run("ErrWrongToken", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/logout", strings.NewReader("csrf=guess"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Referer", "http://example.com/console/orders?page=2")
		r.AddCookie(session)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 403 || loggedOut {
			t.Errorf("status %d, logged out %v", w.Code, loggedOut)
		}
		if !strings.Contains(w.Body.String(), `href="/console/orders?page=2"`) {
			t.Errorf("no link back to the referring page:\n%s", w.Body)
		}
	})
	t.Run("OK", func(t *testing.T) {
		w := post(t, h, "/logout", url.Values{"csrf": {"session-token"}}, session)
		c := cookie(w, sessionCookie)
		if w.Code != 303 || w.Header().Get("Location") != "/login" || !loggedOut || c == nil || c.MaxAge >= 0 {
			t.Errorf("status %d, Location %q, logged out %v, cookie %+v", w.Code, w.Header().Get("Location"), loggedOut, c)
		}
	})
	t.Run("CSRFCheckUsed", func(t *testing.T) {
		_, h := newPages(t, Options{Viewer: signedIn, CSRFCheck: func(r *http.Request) error {
			if r.PostFormValue("csrf") != "checked" {
				return beian.Errorf(beian.KindForbidden, "")
			}
			return nil
		}})
		if w := post(t, h, "/logout", url.Values{"csrf": {"session-token"}}, session); w.Code != 403 {
			t.Errorf("status %d, want 403 from CSRFCheck", w.Code)
		}
		if w := post(t, h, "/logout", url.Values{"csrf": {"checked"}}, session); w.Code != 303 {
			t.Errorf("status %d, want 303", w.Code)
		}
	})
}
