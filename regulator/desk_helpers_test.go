package regulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
)

// filed runs a first filing of the fixture through the pipeline and the
// Zhejiang bureau's approval: the subject and its website are filed with
// their responsible persons known to the registry, served by provA.
func (e *env) filed(tb testing.TB, order string, domains ...string) (subject, website string) {
	tb.Helper()
	rc := e.toBureau(tb, provA, e.firstFiling(tb, order, domains...), "k-"+order)
	res, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Approve: true})
	if err != nil || len(res.Websites) != 1 {
		tb.Fatalf("approve %s: %+v, %v", order, res, err)
	}
	e.issuePasswords(tb, 1)
	return res.SubjectNumber, res.Websites[0]
}

// secondSite adds a second active website on jia-two.com to the filed
// subject, served by provB, without a domain registration record.
func (e *env) secondSite(tb testing.TB, subject string) string {
	tb.Helper()
	var id int64
	if err := e.DB.SQL.QueryRowContext(e.ctx, `SELECT id FROM registry_subjects WHERE number = $1`, subject).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	w, err := e.AddWebsite(e.ctx, id, WebsiteInput{Name: "甲公司商城", HomeURL: "www.jia-two.com", Domains: []string{"jia-two.com"},
		ServiceContent: "org_portal", Providers: []string{provB}})
	if err != nil {
		tb.Fatal(err)
	}
	return w.Number
}

// statusOf reads the registry status of a subject or website number.
func (e *env) statusOf(tb testing.TB, number string) string {
	tb.Helper()
	var st string
	if err := e.DB.SQL.QueryRowContext(e.ctx, `SELECT status FROM registry_subjects WHERE number = $1
		UNION ALL SELECT status FROM registry_websites WHERE number = $1`, number).Scan(&st); err != nil {
		tb.Fatalf("status of %s: %v", number, err)
	}
	return st
}

// subjectHash reads a subject's stored password hash.
func (e *env) subjectHash(tb testing.TB, number string) string {
	tb.Helper()
	var h string
	if err := e.DB.SQL.QueryRowContext(e.ctx, `SELECT password_hash FROM registry_subjects WHERE number = $1`, number).Scan(&h); err != nil {
		tb.Fatal(err)
	}
	return h
}

// resets returns the TemplatePasswordReset messages of the outbox.
func (e *env) resets(tb testing.TB) []outboxMessage {
	tb.Helper()
	var out []outboxMessage
	for _, m := range e.outbox(tb) {
		if m.Template == TemplatePasswordReset {
			out = append(out, m)
		}
	}
	return out
}

// sentToSubjectPerson reports whether msgs are exactly one SMS to the
// subject's responsible person and one email to the same person, with
// the same password, and returns that password.
func sentToSubjectPerson(msgs []outboxMessage) (string, bool) {
	if len(msgs) != 2 || msgs[0].Data["password"] != msgs[1].Data["password"] {
		return "", false
	}
	got := map[string]string{msgs[0].Channel: msgs[0].To, msgs[1].Channel: msgs[1].To}
	return msgs[0].Data["password"], got["sms"] == subjPhone && got["email"] == subjEmail
}

// cancelledEvents returns the provider's cancelled events as number → reason.
func (e *env) cancelledEvents(tb testing.TB, provider string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, ev := range e.events(tb, provider) {
		if ev.Type != beian.EventCancelled {
			continue
		}
		var p beian.CancelledPayload
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			tb.Fatal(err)
		}
		out[p.Number] = p.Reason
	}
	return out
}

// deskServer serves the registry's public and bureau routes; the test's
// Authenticate takes the principal from the X-Role and X-Province headers
// (account 9).
func (e *env) deskServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	mux := http.NewServeMux()
	e.Routes(mux, nil)
	e.BureauRoutes(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if role := r.Header.Get("X-Role"); role != "" {
			r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Context: identity.ContextRegistry, AccountID: 9,
				Role: beian.Role(role), Province: r.Header.Get("X-Province")}))
		}
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// call is one request to a test server as a role of a province ("" for
// anonymous); it returns the status, the body and the headers.
func call(tb testing.TB, srv *httptest.Server, role, province, method, path, body string) (int, string, http.Header) {
	tb.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("X-Role", role)
	req.Header.Set("X-Province", province)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}
