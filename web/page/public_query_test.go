package page

import (
	"net/http"
	"strings"
	"testing"
)

// Rule QRY-1: /query finds a filing by domain (a subdomain finds its
// registrable domain) and by number, shows only the public fields with a
// person's name masked, pages a name search, never finds a person by name
// and puts a malformed term's message beside the field.
func TestPublicQuery(t *testing.T) {
	eachPublic(t, func(t *testing.T, e *pubEnv) {
		site := e.zhang(t)
		e.orgs(t, 12)
		t.Run("OKForm", func(t *testing.T) {
			b := body(t, get(t, e.h, "/query"), http.StatusOK)
			mustContain(t, b, []string{`<form class="card" method="get" action="/query"`, `name="by" value="domain" checked`,
				`id="f-q" name="q" type="search"`, "<h1>备案查询</h1>"}, []string{"<table"})
		})
		t.Run("OKSubdomainMasked", func(t *testing.T) {
			b := body(t, get(t, e.h, "/query?by=domain&q=a.www.ZHANG-BLOG.cn"), http.StatusOK)
			mustContain(t, b, []string{`<td data-field="unitName">张**</td>`, `<td data-field="serviceLicence">` + site + `</td>`,
				`<td data-field="domain">zhang-blog.cn</td>`, `<td data-field="natureName">个人</td>`, `value="a.www.ZHANG-BLOG.cn"`},
				[]string{"张三丰", pubZhangCert, "rel=\"next\""})
		})
		t.Run("OKByNumber", func(t *testing.T) {
			b := body(t, get(t, e.h, "/query?by=number&q="+site), http.StatusOK)
			mustContain(t, b, []string{`<td data-field="unitName">张**</td>`, `name="by" value="number" checked`}, []string{"张三丰"})
		})
		t.Run("OKNamePages", func(t *testing.T) {
			b := body(t, get(t, e.h, "/query?by=name&q=杭州乙科技"), http.StatusOK)
			if n := strings.Count(b, `<td data-field="unitName">`); n != 10 {
				t.Errorf("page 1 holds %d rows", n)
			}
			mustContain(t, b, []string{"共找到 12 条记录，当前为第 1 页", `rel="next"`, "page=2"}, []string{`rel="prev"`})
			b = body(t, get(t, e.h, "/query?by=name&q=杭州乙科技&page=2"), http.StatusOK)
			if n := strings.Count(b, `<td data-field="unitName">`); n != 2 {
				t.Errorf("page 2 holds %d rows", n)
			}
			mustContain(t, b, []string{"当前为第 2 页", `rel="prev"`, "杭州乙科技分公司11"}, []string{`rel="next"`})
		})
		t.Run("OKPersonNotFoundByName", func(t *testing.T) {
			b := body(t, get(t, e.h, "/query?by=name&q=张三丰"), http.StatusOK)
			mustContain(t, b, []string{"未找到备案信息"}, []string{"<table", "张**"})
		})
		t.Run("OKEnglish", func(t *testing.T) {
			b := body(t, get(t, e.h, "/query?by=domain&q=zhang-blog.cn&lang=en"), http.StatusOK)
			mustContain(t, b, []string{`<html lang="en">`, "<h1>Filing query</h1>", "Website number", `<td data-field="unitName">张**</td>`}, nil)
		})
		for _, tc := range []struct{ name, target, want string }{
			{"ErrDomainInvalid", "/query?by=domain&q=not+a+domain", "查询的域名格式不正确"},
			{"ErrNumberInvalid", "/query?by=number&q=ICP123", "查询的备案号格式不正确"},
			{"ErrNameShort", "/query?by=name&q=杭", "主办单位名称至少需 2 个字"},
			{"ErrPage", "/query?by=name&q=杭州&page=x", "分页参数不正确"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := body(t, get(t, e.h, tc.target), http.StatusBadRequest)
				mustContain(t, b, []string{tc.want, `<a href="#f-q">`, `aria-invalid="true"`, `id="f-q-error"`}, []string{"<table"})
			})
		}
	})
}

// Rule QRY-1: the page shares the API's per-client limit; over it the page
// says when to try again, with 429 and Retry-After, and runs no query.
func TestPublicQueryRateLimited(t *testing.T) {
	eachPublic(t, func(t *testing.T, e *pubEnv) {
		e.zhang(t)
		for i := range 59 {
			if w := get(t, e.h, "/query?by=domain&q=zhang-blog.cn"); w.Code != http.StatusOK {
				t.Fatalf("query %d: %d", i+1, w.Code)
			}
		}
		if w := get(t, e.h, "/api/v1/registry/query?domain=zhang-blog.cn"); w.Code != http.StatusOK {
			t.Fatalf("API query 60: %d", w.Code)
		}
		w := get(t, e.h, "/query?by=domain&q=zhang-blog.cn")
		b := body(t, w, http.StatusTooManyRequests)
		if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After %q", ra)
		}
		mustContain(t, b, []string{`role="alert"`, "请稍后再试", "查询过于频繁。请在 "}, []string{"<table"})
		t.Run("OKEmptyFormNotCounted", func(t *testing.T) {
			body(t, get(t, e.h, "/query"), http.StatusOK)
		})
	})
}

// Without a registry (a provider using a remote regulator) the public
// pages are not served here.
func TestPublicNeedsRegistry(t *testing.T) {
	_, h := newPages(t, Options{})
	for _, target := range []string{"/query", "/sms-verify", "/password", "/password/offline"} {
		if w := get(t, h, target); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", target, w.Code)
		}
	}
}
