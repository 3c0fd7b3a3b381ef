package regulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/beian/beian/ratelimit"
)

// server serves the registry's routes with the rate limiter on e's database.
func (e *env) server(tb testing.TB) *httptest.Server {
	tb.Helper()
	mux := http.NewServeMux()
	e.Routes(mux, &ratelimit.Limiter{DB: e.DB})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// get queries the server and returns the status, a header and the body.
func get(tb testing.TB, srv *httptest.Server, query url.Values) (int, http.Header, string) {
	tb.Helper()
	resp, err := http.Get(srv.URL + "/api/v1/registry/query?" + query.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// Rule QRY-1: a test walks every public answer shape and finds no
// certificate number, person's name (personal subjects masked), phone or
// email. The seed puts each of them somewhere in the registry: subjects'
// certificates, domain records' holders, cancellation and blacklist
// reasons.
func TestQueryLeaksNoPersonalData(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		secrets := []string{"330106199001011234", "91330100MA0000001A", "110101198001015678", "张三丰", "李四光", "13800138000", "zhangsan@example.com"}
		org := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		w1 := e.website(t, org, "甲公司官网", []string{"jia-one.com", "例子.中国"}, "本服务商")
		w2 := e.website(t, org, "甲公司商城", []string{"jia-two.com"})
		person := e.subject(t, "浙江", "individual", "张三丰", "resident_id", "330106199001011234")
		wp := e.website(t, person, "三丰的博客", []string{"zhang-blog.cn"}, "其他云")
		e.put(t, goodRecord("zhang-blog.cn", "resident_id", "330106199001011234"))
		e.put(t, with(goodRecord("jia-one.com", "resident_id", "110101198001015678"), func(r *DomainRecord) { r.HolderName = "李四光" }))
		if _, err := e.CancelWebsite(e.ctx, w2.Number, "投诉人张三丰 13800138000 zhangsan@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := e.Blacklist(e.ctx, BlacklistCert, "110101198001015678", "联系人李四光 13800138000"); err != nil {
			t.Fatal(err)
		}
		srv := e.server(t)
		queries := []url.Values{
			{"domain": {"jia-one.com"}}, {"domain": {"www.jia-one.com"}}, {"domain": {"例子.中国"}}, {"domain": {"zhang-blog.cn"}},
			{"domain": {"www.zhang-blog.cn"}}, {"domain": {"jia-two.com"}}, {"domain": {"nobody.com"}},
			{"number": {org.Number}}, {"number": {w1.Number}}, {"number": {w2.Number}}, {"number": {person.Number}}, {"number": {wp.Number}},
			{"name": {"杭州甲"}}, {"name": {"杭州甲科技有限公司"}}, {"name": {"张三丰"}}, {"name": {"张三"}},
			{"name": {"杭州"}, "page": {"2"}, "page_size": {"1"}},
			// error answers are public answers too
			{}, {"domain": {"http://x"}}, {"number": {"330106199001011234"}}, {"name": {"张"}}, {"domain": {"a.com"}, "name": {"张三丰"}},
			{"name": {"杭州"}, "page_size": {"99"}},
		}
		items := 0
		for _, q := range queries {
			status, _, body := get(t, srv, q)
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("query %s (%d) answers %q: %s", q.Encode(), status, s, body)
				}
			}
			if status == http.StatusOK {
				var res struct {
					Items []map[string]any `json:"items"`
					Total *int             `json:"total"`
					Page  *int             `json:"page"`
				}
				if err := json.Unmarshal([]byte(body), &res); err != nil || res.Items == nil || res.Total == nil || res.Page == nil {
					t.Fatalf("query %s: body %s, %v", q.Encode(), body, err)
				}
				for _, it := range res.Items {
					items++
					if len(it) != 10 {
						t.Errorf("item has %d fields, want the 10 public ones: %v", len(it), it)
					}
					if it["mainLicence"] == person.Number && it["unitName"] != "张**" {
						t.Errorf("personal subject not masked: %v", it)
					}
				}
			} else if status != http.StatusBadRequest {
				t.Errorf("query %s: status %d", q.Encode(), status)
			}
		}
		// The audit chain is not public, but it keeps no full certificate number either.
		rows, err := e.DB.SQL.QueryContext(e.ctx, `SELECT entity_id || before_json || after_json FROM registry_audit`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var rec string
			if err := rows.Scan(&rec); err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets[:3] {
				if strings.Contains(rec, s) {
					t.Errorf("audit record holds %s: %s", s, rec)
				}
			}
		}
		if items < 10 {
			t.Fatalf("only %d items answered: the walk missed shapes", items)
		}
	})
}

// Rule QRY-1 and API.md: exactly one criterion, else 400 with a code.
func TestQueryRouteBadRequest(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		srv := e.server(t)
		for _, tc := range []struct {
			name string
			q    url.Values
			code string
		}{
			{"ErrNoCriterion", url.Values{}, "registry.query_one_of"},
			{"ErrTwoCriteria", url.Values{"domain": {"a.com"}, "number": {"浙ICP备2026000001号"}}, "registry.query_one_of"},
			{"ErrPageNotNumber", url.Values{"domain": {"a.com"}, "page": {"x"}}, "registry.query_page"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, _, body := get(t, srv, tc.q)
				var res struct {
					Code   string `json:"code"`
					Errors []struct {
						Code string `json:"code"`
					} `json:"errors"`
					Message string `json:"message"`
				}
				_ = json.Unmarshal([]byte(body), &res)
				if status != http.StatusBadRequest || res.Code != "bad_request" || !strings.Contains(res.Message, "请") {
					t.Fatalf("status %d body %s", status, body)
				}
			})
		}
	})
}

// Rule QRY-1, API.md "Rate limits": 60 queries per client per minute; the
// 61st is 429 with Retry-After, and the next window allows again.
func TestQueryRateLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		srv := e.server(t)
		q := url.Values{"domain": {"example.com"}}
		for i := 1; i <= 60; i++ {
			if status, _, body := get(t, srv, q); status != http.StatusOK {
				t.Fatalf("query %d: %d %s", i, status, body)
			}
		}
		status, h, body := get(t, srv, q)
		if status != http.StatusTooManyRequests || h.Get("Retry-After") != "60" || !strings.Contains(body, "请在 60 秒后再试") {
			t.Fatalf("61st query: %d Retry-After %q %s", status, h.Get("Retry-After"), body)
		}
		e.clock.Advance(61e9)
		if status, _, _ := get(t, srv, q); status != http.StatusOK {
			t.Fatalf("next minute: %d", status)
		}
	})
}
