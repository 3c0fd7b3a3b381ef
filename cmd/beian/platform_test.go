package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/docs"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore/sqltest"
)

func startMain(t *testing.T, eng string, sandbox bool) *Main {
	t.Helper()
	m := &Main{Addr: "127.0.0.1:0", DB: sqltest.DSN(t, eng), Sandbox: sandbox, BlobDir: t.TempDir()}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// Issue 4, done means: `beian serve` on a fresh database of each engine:
// /login renders in zh-CN and en (remembered), /readyz, /metrics and the
// OpenAPI document answer, and the sandbox surface is 404 without --sandbox.
func TestServeComposition(t *testing.T) {
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			m := startMain(t, eng, false)
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			code, body, hdr := get(t, c, m.URL()+"/login", "Accept", "text/html")
			if code != 200 || !strings.Contains(body, `lang="zh-CN"`) || !strings.Contains(body, "登录") {
				t.Fatalf("/login zh-CN: %d %.300s", code, body)
			}
			if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Fatalf("CSP: %q", csp)
			}
			code, body, _ = get(t, c, m.URL()+"/login?lang=en", "Accept", "text/html")
			if code != 200 || !strings.Contains(body, `lang="en"`) || !strings.Contains(body, "Sign in") {
				t.Fatalf("/login en: %d %.300s", code, body)
			}
			if _, body, _ = get(t, c, m.URL()+"/login", "Accept", "text/html"); !strings.Contains(body, `lang="en"`) {
				t.Fatal("the language choice is not remembered")
			}
			if code, body, _ = get(t, c, m.URL()+"/readyz"); code != 200 || !strings.Contains(body, `"ready":true`) {
				t.Fatalf("/readyz: %d %s", code, body)
			}
			if code, body, _ = get(t, c, m.URL()+"/metrics"); code != 200 || !strings.Contains(body, "beian_http_requests_total") {
				t.Fatalf("/metrics: %d %.200s", code, body)
			}
			if code, body, _ = get(t, c, m.URL()+"/api/v1/openapi.json"); code != 200 || body != string(docs.OpenAPI) {
				t.Fatalf("/api/v1/openapi.json: %d", code)
			}
			if code, body, _ = get(t, c, m.URL()+"/api/v1/registry/query?domain=www.example.com"); code != 200 || !strings.Contains(body, `"total":0`) {
				t.Fatalf("registry query: %d %s", code, body)
			}
			if code, _, _ = get(t, c, m.URL()+"/api/v1/bureau/queue"); code != 401 {
				t.Fatalf("bureau queue without a session: %d", code)
			}
			code, body, _ = get(t, c, m.URL()+"/api/v1/sandbox/clock")
			if code != 404 || !strings.Contains(body, `"code":"not_found"`) {
				t.Fatalf("sandbox without --sandbox: %d %s", code, body)
			}
		})
	}
}

// With --sandbox, a registry admin signs in through the API and moves the
// sandbox clock; a customer may not.
func TestServeSandboxClock(t *testing.T) {
	m := startMain(t, sqltest.Engines(t)[0], true)
	ctx := context.Background()
	for _, a := range []identity.NewAccount{
		{Login: "admin", Password: "correct horse battery", Role: beian.RoleRegistryAdmin},
		{Login: "alice", Password: "correct horse battery", Role: beian.RoleCustomer},
	} {
		if _, err := m.platform.identity.CreateAccount(ctx, a, "test"); err != nil {
			t.Fatal(err)
		}
	}
	login := func(who string) string {
		resp, err := http.Post(m.URL()+"/api/v1/sessions", "application/json", strings.NewReader(`{"login":"`+who+`","password":"correct horse battery"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Token string }
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != 201 || out.Token == "" {
			t.Fatalf("login %s: %d", who, resp.StatusCode)
		}
		return out.Token
	}
	post := func(token, body string) (int, string) {
		req, _ := http.NewRequest("POST", m.URL()+"/api/v1/sandbox/clock", bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	before := m.db.Clock.Now()
	if code, body := post(login("admin"), `{"advance":"72h"}`); code != 200 || !strings.Contains(body, `"fired"`) {
		t.Fatalf("advance: %d %s", code, body)
	}
	if d := m.db.Clock.Now().Sub(before); d < 72*3600e9 {
		t.Fatalf("clock moved by %v", d)
	}
	if code, _ := post(login("alice"), `{"advance":"1h"}`); code != 403 {
		t.Fatalf("a customer moved the sandbox clock: %d", code)
	}
	// Signed-in requests are counted under their route pattern (authentication
	// replaces the request between the metrics and the mux).
	_, body, _ := get(t, http.DefaultClient, m.URL()+"/metrics")
	for _, want := range []string{
		`beian_http_requests_total{method="POST",route="POST /api/v1/sandbox/clock",status="200"} 1`,
		`beian_http_requests_total{method="POST",route="POST /api/v1/sandbox/clock",status="403"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
