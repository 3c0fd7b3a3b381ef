package gate

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/beian/beian"
)

func testServer(t *testing.T, g *Gate) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	g.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, u string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// /gate/auth (API.md): 204 allow; 403 block with X-Beian-Reason and the
// block page; any method, any path below; the host from X-Original-Host,
// X-Forwarded-Host or Host, the headers believed only from trusted proxies
// (Rule GATE-1).
// It runs on net/http (beian serve) and on FastServer (beian gate), which
// must answer alike.
func TestAuth(t *testing.T) {
	t.Run("NetHTTP", func(t *testing.T) {
		testAuth(t, func(t *testing.T, g *Gate) string { return testServer(t, g).URL })
	})
	t.Run("FastHTTP", func(t *testing.T) { testAuth(t, testFastServer) })
}

// testFastServer serves g's routes with FastServer on a loopback port and
// returns its base URL.
func testFastServer(t *testing.T, g *Gate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := g.NewFastServer(g.Mux(), nil)
	done := make(chan error, 1)
	go func() { done <- fs.Serve(ln) }()
	t.Cleanup(func() {
		if err := fs.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String()
}

func testAuth(t *testing.T, start func(*testing.T, *Gate) string) {
	g := testGate(t, map[string]beian.GateReason{"example.com": beian.GateServed, "late.cn": beian.GateLapsed})
	srv := struct{ URL string }{start(t, g)}
	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		reason             string
	}{
		{"OKOriginalHost", "GET", "/gate/auth", map[string]string{"X-Original-Host": "www.example.com"}, 204, ""},
		{"OKForwardedHost", "POST", "/gate/auth/any/path", map[string]string{"X-Forwarded-Host": "Example.com:443"}, 204, ""},
		{"OKHost", "HEAD", "/gate/auth", map[string]string{"Host": "example.com"}, 204, ""},
		{"OKOriginalFirst", "GET", "/gate/auth", map[string]string{"X-Original-Host": "example.com", "X-Forwarded-Host": "evil.cn"}, 204, ""},
		{"ErrUnfiled", "GET", "/gate/auth", map[string]string{"X-Original-Host": "evil.cn"}, 403, "unfiled"},
		{"ErrLapsed", "PUT", "/gate/auth/x", map[string]string{"X-Forwarded-Host": "www.late.cn"}, 403, "lapsed"},
		{"ErrGarbage", "GET", "/gate/auth", map[string]string{"X-Original-Host": "<script>"}, 403, "unfiled"},
		{"ErrHead", "HEAD", "/gate/auth", map[string]string{"Host": "www.late.cn"}, 403, "lapsed"},
		{"ErrHostOnly", "GET", "/gate/auth", map[string]string{"Host": "evil.cn:8080"}, 403, "unfiled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, tc.method, srv.URL+tc.path, tc.header)
			if res.StatusCode != tc.status || res.Header.Get(HeaderReason) != tc.reason {
				t.Fatalf("%d %q, want %d %q", res.StatusCode, res.Header.Get(HeaderReason), tc.status, tc.reason)
			}
			if tc.status == 403 && tc.method != "HEAD" && !strings.Contains(body, "<html") {
				t.Errorf("403 without the block page: %q", body)
			}
			if tc.status == 403 && (res.Header.Get("Content-Security-Policy") != blockCSP || res.Header.Get("Cache-Control") != "no-store" ||
				res.Header.Get("Content-Type") != "text/html; charset=utf-8") {
				t.Errorf("403 headers: %v", res.Header)
			}
			if tc.status == 204 && (body != "" || res.Header.Get("Content-Type") != "") {
				t.Errorf("204 with %q, Content-Type %q", body, res.Header.Get("Content-Type"))
			}
		})
	}
	t.Run("ErrUntrustedProxy", func(t *testing.T) {
		strict := New(Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
		strict.Apply([]beian.ServableChange{{Domain: "example.com", Reason: beian.GateServed}})
		srv := struct{ URL string }{start(t, strict)}
		// From 127.0.0.1, not trusted: the forwarding headers are ignored
		// and the Host (127.0.0.1:port) is no domain.
		res, _ := do(t, "GET", srv.URL+"/gate/auth", map[string]string{"X-Original-Host": "example.com"})
		if res.StatusCode != 403 {
			t.Fatalf("untrusted X-Original-Host believed: %d", res.StatusCode)
		}
	})
	t.Run("OKBlockPageLanguage", func(t *testing.T) {
		_, zh := do(t, "GET", srv.URL+"/gate/auth", map[string]string{"X-Original-Host": "late.cn"})
		_, en := do(t, "GET", srv.URL+"/gate/auth?lang=en", map[string]string{"X-Original-Host": "late.cn", "Accept-Language": "en-US"})
		_, cookie := do(t, "GET", srv.URL+"/gate/auth", map[string]string{"X-Original-Host": "late.cn", "Cookie": "lang=en"})
		if !strings.Contains(zh, "接入已失效") || !strings.Contains(en, "Access lapsed") || !strings.Contains(cookie, "Access lapsed") {
			t.Errorf("zh %q\nen %q\ncookie %q", zh, en, cookie)
		}
	})
	t.Run("OKOtherRoutes", func(t *testing.T) {
		res, body := do(t, "GET", srv.URL+"/api/v1/gate/check?host=www.example.com", nil)
		if res.StatusCode != 200 || !strings.Contains(body, `"registrable_domain":"example.com"`) {
			t.Errorf("check: %d %s", res.StatusCode, body)
		}
		res, body = do(t, "GET", srv.URL+"/gate/blocked", map[string]string{"X-Original-Host": "late.cn"})
		if res.StatusCode != 403 || res.Header.Get(HeaderReason) != "lapsed" || !strings.Contains(body, "late.cn") {
			t.Errorf("blocked: %d %s", res.StatusCode, body)
		}
	})
}

// GET /api/v1/gate/check (API.md) and the block page of /gate/blocked.
func TestCheckAndBlockedPage(t *testing.T) {
	g := testGate(t, map[string]beian.GateReason{"example.com": beian.GateServed, "dead.cn": beian.GateCancelled})
	srv := testServer(t, g)
	res, body := do(t, "GET", srv.URL+"/api/v1/gate/check?host="+url.QueryEscape("WWW.example.com:80"), nil)
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil || res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	want := map[string]any{"host": "www.example.com", "registrable_domain": "example.com", "allowed": true, "reason": "served", "website_number": "浙ICP备2026000001号-1"}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %v, want %v", k, d[k], v)
		}
	}
	if res, _ := do(t, "GET", srv.URL+"/api/v1/gate/check", nil); res.StatusCode != 400 {
		t.Errorf("no host: %d", res.StatusCode)
	}
	res, body = do(t, "GET", srv.URL+"/gate/blocked", map[string]string{"X-Original-Host": "www.dead.cn", "Accept-Language": "en"})
	if res.StatusCode != 403 || res.Header.Get(HeaderReason) != "cancelled" || !strings.Contains(body, "www.dead.cn") || !strings.Contains(body, "Filing cancelled") {
		t.Errorf("blocked page: %d %q %s", res.StatusCode, res.Header.Get(HeaderReason), body)
	}
	res, body = do(t, "GET", srv.URL+"/gate/blocked", map[string]string{"X-Original-Host": "<b>x</b>.cn"})
	if strings.Contains(body, "<b>") || res.StatusCode != 403 {
		t.Errorf("escaping: %d %s", res.StatusCode, body)
	}
}

// The proxy forwards served hosts with their Host and blocks the others;
// on TLS the server name is checked too (Rule GATE-1).
func TestProxy(t *testing.T) {
	g := testGate(t, map[string]beian.GateReason{"example.com": beian.GateServed, "pending.cn": beian.GatePending})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "upstream for "+r.Host+r.URL.Path)
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	srv := httptest.NewServer(g.Proxy(u))
	defer srv.Close()
	if res, body := do(t, "GET", srv.URL+"/page", map[string]string{"Host": "www.example.com"}); res.StatusCode != 200 || body != "upstream for www.example.com/page" {
		t.Errorf("served: %d %q", res.StatusCode, body)
	}
	if res, body := do(t, "GET", srv.URL+"/page", map[string]string{"Host": "pending.cn"}); res.StatusCode != 403 || res.Header.Get(HeaderReason) != "pending" || strings.Contains(body, "upstream") {
		t.Errorf("blocked: %d %q", res.StatusCode, body)
	}
	tlsSrv := httptest.NewTLSServer(g.Proxy(u))
	defer tlsSrv.Close()
	client := tlsSrv.Client()
	for _, tc := range []struct {
		name, sni, host string
		status          int
	}{
		{"OK", "www.example.com", "www.example.com", 200},
		{"ErrSNIBlocked", "pending.cn", "www.example.com", 403},
		{"ErrHostBlocked", "www.example.com", "pending.cn", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := client.Transport.(*http.Transport).Clone()
			tr.TLSClientConfig = &tls.Config{ServerName: tc.sni, InsecureSkipVerify: true}
			req, _ := http.NewRequest("GET", tlsSrv.URL+"/", nil)
			req.Host = tc.host
			res, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d", res.StatusCode, tc.status)
			}
		})
	}
}

// /readyz: 503 before the first snapshot, then 200 with the staleness.
func TestReadiness(t *testing.T) {
	g := New(Options{DB: nil})
	if r := g.Readiness(t.Context()); !r.Ready || r.Checks["database"] != "ok" {
		t.Errorf("%+v", r)
	}
	g.ready.Store(false)
	if r := g.Readiness(t.Context()); r.Ready {
		t.Errorf("ready before the snapshot: %+v", r)
	}
}

// beian_gate_lookups_total counts checks by outcome, from every goroutine.
func TestLookupMetrics(t *testing.T) {
	g := testGate(t, map[string]beian.GateReason{"example.com": beian.GateServed, "late.cn": beian.GateLapsed})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 250 {
				g.Check("www.example.com")
				g.Check("late.cn")
				g.Check("nope.cn")
				g.Check("")
			}
		}()
	}
	wg.Wait()
	srv := httptest.NewServer(g.Metrics().Handler())
	defer srv.Close()
	_, body := do(t, "GET", srv.URL, nil)
	for _, want := range []string{`beian_gate_lookups_total{outcome="served"} 1000`, `beian_gate_lookups_total{outcome="lapsed"} 1000`,
		`beian_gate_lookups_total{outcome="unfiled"} 2000`, `beian_gate_lookups_total{outcome="pending"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in\n%s", want, body)
		}
	}
}
