package regulator

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian/identity"
	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
)

// Rule PWD-3: when province, number (subject or website), certificate
// type and number all match, a new password replaces the old one (hash
// only) and goes to the responsible person by SMS and email; any single
// wrong field changes nothing and answers the same (nil).
func TestRetrievePassword(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subject, website := e.filed(t, "O-1")
		old := e.subjectHash(t, subject)
		good := RetrievalRequest{Province: "浙江", Number: subject, CertType: "uscc", CertNumber: orgCert}
		for _, tc := range []struct {
			name string
			edit func(*RetrievalRequest)
		}{
			{"ErrUnknownNumber", func(q *RetrievalRequest) { q.Number = "浙ICP备2026009999号" }},
			{"ErrNotANumber", func(q *RetrievalRequest) { q.Number = "no-such-number" }},
			{"ErrWrongProvince", func(q *RetrievalRequest) { q.Province = "北京" }},
			{"ErrUnknownProvince", func(q *RetrievalRequest) { q.Province = "火星" }},
			{"ErrWrongCertType", func(q *RetrievalRequest) { q.CertType = "business_license" }},
			{"ErrWrongCertNumber", func(q *RetrievalRequest) { q.CertNumber = "91330100MA0000002B" }},
			{"ErrResponsiblePersonsCert", func(q *RetrievalRequest) { q.CertType, q.CertNumber = "resident_id", subjCert }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := good
				tc.edit(&q)
				if err := e.RetrievePassword(e.ctx, q, "c-"+tc.name); err != nil {
					t.Fatalf("got %v, want the generic nil", err)
				}
				if n := len(e.resets(t)); n != 0 || e.subjectHash(t, subject) != old {
					t.Fatalf("%d messages sent, hash changed %v", n, e.subjectHash(t, subject) != old)
				}
			})
		}
		t.Run("ErrMissingField", func(t *testing.T) {
			err := e.RetrievePassword(e.ctx, RetrievalRequest{Province: "浙江", Number: subject, CertType: "uscc"}, "c")
			if code, rule, field, _ := problemCode(err); code != "registry.required" || rule != "PWD-3" || field != "cert_number" {
				t.Fatalf("got %v", err)
			}
		})
		e.clock.Advance(25 * time.Hour) // the number's 5 attempts a day are used up
		t.Run("OK", func(t *testing.T) {
			q := good
			q.Number, q.CertNumber = website, strings.ToLower(orgCert) // a website number stands for its subject
			if err := e.RetrievePassword(e.ctx, q, "c-ok"); err != nil {
				t.Fatal(err)
			}
			pw, sent := sentToSubjectPerson(e.resets(t))
			if !sent || len(pw) != PasswordLength {
				t.Fatalf("messages %+v", e.resets(t))
			}
			hash := e.subjectHash(t, subject)
			if ok, err := identity.VerifyPassword(hash, pw); !ok || err != nil || hash == old {
				t.Fatalf("new password does not verify: %v", err)
			}
			if _, err := e.CheckTransferIn(e.ctx, subject, pw); err != nil {
				t.Fatalf("transfer-in check with the new password: %v", err)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM registry_audit WHERE action = 'password.retrieve' AND after_json NOT LIKE '%' || $1 || '%'`, pw); n != 1 {
				t.Fatalf("%d clean audit records", n)
			}
		})
		t.Run("ErrCancelledSubject", func(t *testing.T) {
			if _, err := e.CancelSubject(e.ctx, subject, ReasonSubjectRequest); err != nil {
				t.Fatal(err)
			}
			if err := e.RetrievePassword(e.ctx, good, "c-cancelled"); err != nil || len(e.resets(t)) != 2 {
				t.Fatalf("got %v, %d messages", err, len(e.resets(t)))
			}
		})
	})
}

// Rule PWD-4: Guangdong takes online retrieval only, so online works there.
func TestRetrievePasswordGuangdong(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subject, _ := e.filed(t, "O-1")
		if _, err := e.DB.SQL.ExecContext(e.ctx, `UPDATE registry_subjects SET province = '440000' WHERE number = $1`, subject); err != nil {
			t.Fatal(err)
		}
		if err := e.RetrievePassword(e.ctx, RetrievalRequest{Province: "广东", Number: subject, CertType: "uscc", CertNumber: orgCert}, "c"); err != nil {
			t.Fatal(err)
		}
		if n := len(e.resets(t)); n != 2 {
			t.Fatalf("%d messages", n)
		}
	})
}

// Rule PWD-3 over HTTP: the 202 answer is byte for byte the same for a
// match and for each wrong field; the 6th attempt on a number within a
// day and the 11th from a client within an hour are 429 with Retry-After.
func TestPasswordRetrievalRoute(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subject, _ := e.filed(t, "O-1")
		srv := e.deskServer(t)
		const path = "/api/v1/registry/password-retrievals"
		body := func(province, number, certType, cert string) string {
			return `{"province":"` + province + `","number":"` + number + `","cert_type":"` + certType + `","cert_number":"` + cert + `"}`
		}
		var first string
		for i, tc := range []struct{ name, body string }{
			{"OK", body("330000", subject, "uscc", orgCert)},
			{"ErrProvince", body("110000", subject, "uscc", orgCert)},
			{"ErrCertType", body("330000", subject, "org_code", orgCert)},
			{"ErrCertNumber", body("330000", subject, "uscc", "91330100MA0000002B")},
			{"ErrNumber", body("330000", "浙ICP备2026000002号", "uscc", orgCert)},
		} {
			status, b, h := call(t, srv, "", "", "POST", path, tc.body)
			if status != http.StatusAccepted || h.Get("Cache-Control") != "no-store" || !strings.Contains(b, RetrievalAccepted) {
				t.Fatalf("%s: %d %s", tc.name, status, b)
			}
			if i == 0 {
				first = b
			} else if b != first {
				t.Errorf("%s answers %s, the match answered %s", tc.name, b, first)
			}
		}
		if n := len(e.resets(t)); n != 2 {
			t.Fatalf("%d messages after one match", n)
		}
		if status, b, _ := call(t, srv, "", "", "POST", path, `{"province":"330000"}`); status != 422 || !strings.Contains(b, "registry.required") {
			t.Fatalf("missing fields: %d %s", status, b)
		}
		// The number has had 4 attempts: the 5th passes, the 6th is refused.
		if status, _, _ := call(t, srv, "", "", "POST", path, body("330000", subject, "uscc", orgCert)); status != 202 {
			t.Fatalf("5th attempt: %d", status)
		}
		status, b, h := call(t, srv, "", "", "POST", path, body("330000", subject, "uscc", orgCert))
		if secs, _ := strconv.Atoi(h.Get("Retry-After")); status != 429 || secs < 1 || !strings.Contains(b, `"code":"rate_limited"`) {
			t.Fatalf("6th attempt: %d %s Retry-After %q", status, b, h.Get("Retry-After"))
		}
		if n := len(e.resets(t)); n != 4 {
			t.Fatalf("%d messages: the refused attempt sent one", n)
		}
		// A day later the windows are new: 10 attempts per client pass, the 11th is refused.
		e.clock.Advance(25 * time.Hour)
		for i := range 11 {
			status, _, _ := call(t, srv, "", "", "POST", path, body("330000", "浙ICP备20260001"+strconv.Itoa(10+i)+"号", "uscc", orgCert))
			if want := map[bool]int{true: 429, false: 202}[i == 10]; status != want {
				t.Fatalf("client attempt %d: %d, want %d", i+1, status, want)
			}
		}
	})
}

// Rules PWD-3, PWD-4, NOTE-1: the reset template renders by SMS and email
// with the new password and tells the person what to do.
func TestPasswordResetTemplate(t *testing.T) {
	tpl := notify.New()
	RegisterTemplates(tpl)
	data := map[string]string{"password": "Abcdefgh2345", "subject_number": "浙ICP备2026000001号", "name": "张三"}
	for _, ch := range outbox.Channels {
		r, err := tpl.Render(outbox.Message{Channel: ch, To: "x", Template: TemplatePasswordReset, Data: data})
		if err != nil || !strings.Contains(r.Text, "Abcdefgh2345") || !strings.Contains(r.Text, "浙ICP备2026000001号") || !strings.Contains(r.Text, "请") {
			t.Errorf("%s: %q, %v", ch, r.Text, err)
		}
	}
}
