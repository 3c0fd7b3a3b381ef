package regulator

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Rules QRY-1, PWD-3, VER-3 (issue 5, done means): a walk over every
// public answer shape of the registry — the query by domain, number and
// name, its errors, the SMS confirmation's answers and errors, and the
// password retrieval's answers, errors and rate limit — finds no
// certificate number, no responsible person's name, phone or email.
func TestPublicAnswersLeakNoPersonalData(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		mux := http.NewServeMux()
		e.Routes(mux, nil)
		e.SMSRoutes(mux)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		var answers []string
		post := func(path, body string) {
			_, b, _ := call(t, srv, "", "", "POST", path, body)
			answers = append(answers, path+" "+body+" → "+b)
		}
		query := func(q url.Values) {
			_, b, _ := call(t, srv, "", "", "GET", "/api/v1/registry/query?"+q.Encode(), "")
			answers = append(answers, "query "+q.Encode()+" → "+b)
		}

		// SMS confirmation (VER-3): a wrong entry, a right one, malformed input.
		rc := e.submit(t, provA, e.firstFiling(t, "O-1"), "k-1")
		codes := e.smsCodes(t)
		entry := func(code, phone, last6 string) string {
			return `{"code":"` + code + `","phone":"` + phone + `","cert_last6":"` + last6 + `"}`
		}
		post("/api/v1/registry/sms-confirmations", entry("000000", subjPhone, subjLast6))
		post("/api/v1/registry/sms-confirmations", entry(codes[sitePhone], sitePhone, siteLast6))
		post("/api/v1/registry/sms-confirmations", entry(codes[subjPhone], subjPhone, subjLast6))
		post("/api/v1/registry/sms-confirmations", `{"code":"1"}`)
		post("/api/v1/registry/sms-confirmations", `not json`)
		res, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Approve: true})
		if err != nil {
			t.Fatal(err)
		}

		// The public query (QRY-1), found and not found, and its errors.
		query(url.Values{"domain": {"www." + siteDomain}})
		query(url.Values{"number": {res.SubjectNumber}})
		query(url.Values{"number": {res.Websites[0]}})
		query(url.Values{"name": {"杭州甲"}})
		query(url.Values{"name": {"张三"}})
		query(url.Values{"domain": {"nobody.example"}})
		query(url.Values{})

		// Password retrieval (PWD-3): a match, a mismatch, missing fields, the limit.
		retrieval := func(cert string) string {
			return `{"province":"330000","number":"` + res.SubjectNumber + `","cert_type":"uscc","cert_number":"` + cert + `"}`
		}
		post("/api/v1/registry/password-retrievals", retrieval(orgCert))
		post("/api/v1/registry/password-retrievals", retrieval("91330100MA0000002B"))
		post("/api/v1/registry/password-retrievals", `{"province":"330000"}`)
		for range 6 {
			post("/api/v1/registry/password-retrievals", retrieval(orgCert))
		}

		secrets := []string{orgCert, subjCert, siteCert, subjPhone, sitePhone, subjEmail, "张三", "李四", subjLast6, siteLast6}
		for _, a := range answers {
			answer := a[strings.Index(a, " → ")+len(" → "):]
			for _, s := range secrets {
				if strings.Contains(answer, s) {
					t.Errorf("a public answer holds %q: %s", s, a)
				}
			}
		}
		if len(answers) < 20 {
			t.Fatalf("only %d answers walked", len(answers))
		}
	})
}
