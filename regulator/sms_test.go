package regulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/ratelimit"
)

// status reads a submission's status.
func (e *env) status(tb testing.TB, id string) string {
	tb.Helper()
	var s string
	if err := e.DB.SQL.QueryRowContext(e.ctx, `SELECT status FROM registry_submissions WHERE id = $1`, id).Scan(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// Rule VER-3: one 6-digit code per responsible person, sent through the
// registry outbox and stored only hashed; a wrong entry gets the generic
// answer; once every person has confirmed, the order is at the bureau and
// the provider has an sms_confirmed event.
func TestSMSConfirmation(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		s := e.firstFiling(t, "O-1")
		s.Websites = append(s.Websites, s.Websites[0]) // the same person in a second role: one code
		s.Websites[1].Name, s.Websites[1].Domains, s.Websites[1].Homepage = "甲公司商城", []string{"jia-two.com"}, "www.jia-two.com"
		e.put(t, goodRecord("jia-two.com", "uscc", orgCert))
		rc := e.submit(t, provA, s, "k")
		codes := e.smsCodes(t)
		t.Run("CodesInOutbox", func(t *testing.T) {
			if len(codes) != 2 || len(codes[subjPhone]) != 6 || len(codes[sitePhone]) != 6 {
				t.Fatalf("codes %v", codes)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM registry_outbox WHERE channel = 'email' AND recipient = $1`, subjEmail); n != 1 {
				t.Fatalf("%d emails to the subject's person", n)
			}
			for _, code := range codes {
				for _, q := range []string{`SELECT COUNT(*) FROM registry_confirmations WHERE code_hash LIKE '%' || $1 || '%'`,
					`SELECT COUNT(*) FROM registry_audit WHERE after_json LIKE '%' || $1 || '%' OR before_json LIKE '%' || $1 || '%'`,
					`SELECT COUNT(*) FROM registry_submissions WHERE payload LIKE '%"' || $1 || '"%'`} {
					if n := e.count(t, q, code); n != 0 {
						t.Fatalf("code stored in clear: %s", q)
					}
				}
			}
			cs, err := e.Confirmations(e.ctx, provA, rc.SubmissionID)
			if err != nil || cs.State != "pending" || len(cs.Persons) != 3 || cs.Persons[0].Role != "subject" ||
				cs.Persons[0].MaskedPhone != "138****8000" || !cs.Deadline.Equal(t0.Add(24*time.Hour)) {
				t.Fatalf("state %+v, %v", cs, err)
			}
		})
		t.Run("ErrWrongEntryGeneric", func(t *testing.T) {
			for _, in := range [][3]string{{codes[subjPhone], subjPhone, siteLast6}, {codes[sitePhone], subjPhone, subjLast6}, {"000000", "13600136000", subjLast6}} {
				_, err := e.ConfirmSMS(e.ctx, in[0], in[1], in[2], "c")
				if code, _, _, _ := problemCode(err); code != "registry.sms_confirmation_failed" {
					t.Fatalf("entry %v: %v", in, err)
				}
			}
		})
		t.Run("ErrOtherProviderNotFound", func(t *testing.T) {
			if _, err := e.Confirmations(e.ctx, provB, rc.SubmissionID); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("AllConfirmedGoesToBureau", func(t *testing.T) {
			res, err := e.ConfirmSMS(e.ctx, codes[sitePhone], sitePhone, siteLast6, "c")
			if err != nil || !res.Confirmed || res.Remaining != 1 || e.status(t, rc.SubmissionID) != SubmissionSMS {
				t.Fatalf("first person: %+v %v", res, err)
			}
			res, err = e.ConfirmSMS(e.ctx, codes[subjPhone], "+86 138-0013-8000", strings.ToLower("01123")+"4", "c")
			if err != nil || res.Remaining != 0 || e.status(t, rc.SubmissionID) != SubmissionBureau {
				t.Fatalf("second person: %+v %v", res, err)
			}
			evs := e.events(t, provA)
			if len(evs) != 1 || evs[0].Type != beian.EventSMSConfirmed || evs[0].SubmissionID != rc.SubmissionID || evs[0].Order != "O-1" {
				t.Fatalf("events %+v", evs)
			}
			var cs beian.ConfirmationState
			if err := json.Unmarshal(evs[0].Payload, &cs); err != nil || cs.State != "confirmed" || len(cs.Persons) != 3 || !cs.Persons[2].Confirmed {
				t.Fatalf("payload %s: %v", evs[0].Payload, err)
			}
			if tm, ok, _ := registryTimers().Get(e.ctx, e.DB, TimerSMSDeadline, rc.SubmissionID); !ok || tm.Pending() {
				t.Fatalf("deadline timer still pending: %+v", tm)
			}
		})
	})
}

// Rule VER-3: 5 wrong entries are allowed; the 6th returns the order
// (returned, sms_failed), after which even the right code is refused.
func TestSMSWrongEntries(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		rc := e.submit(t, provA, e.firstFiling(t, "O-1"), "k")
		codes := e.smsCodes(t)
		for i := 1; i <= 5; i++ {
			if _, err := e.ConfirmSMS(e.ctx, "999999", sitePhone, siteLast6, "c"); err == nil {
				t.Fatal("a wrong code was accepted")
			}
		}
		t.Run("FiveAllowed", func(t *testing.T) {
			if st := e.status(t, rc.SubmissionID); st != SubmissionSMS {
				t.Fatalf("status %s after 5 wrong entries", st)
			}
			cs, _ := e.Confirmations(e.ctx, provA, rc.SubmissionID)
			if cs.Persons[1].Failures != 5 || cs.Persons[0].Failures != 0 {
				t.Fatalf("failures %+v", cs.Persons)
			}
		})
		t.Run("SixthReturns", func(t *testing.T) {
			if _, err := e.ConfirmSMS(e.ctx, "999999", sitePhone, siteLast6, "c"); err == nil {
				t.Fatal("a wrong code was accepted")
			}
			if st := e.status(t, rc.SubmissionID); st != SubmissionReturned {
				t.Fatalf("status %s after the 6th wrong entry", st)
			}
			evs := e.events(t, provA)
			if len(evs) != 1 || evs[0].Type != beian.EventReturned || string(evs[0].Payload) != `{"reason":"sms_failed"}` {
				t.Fatalf("events %+v", evs)
			}
			if cs, _ := e.Confirmations(e.ctx, provA, rc.SubmissionID); cs.State != "failed" {
				t.Fatalf("state %s", cs.State)
			}
		})
		t.Run("ErrRightCodeAfterReturn", func(t *testing.T) {
			if _, err := e.ConfirmSMS(e.ctx, codes[subjPhone], subjPhone, subjLast6, "c"); err == nil {
				t.Fatal("confirmed a returned order")
			}
		})
	})
}

// Rule VER-3: the 24-hour window is a durable timer; when it passes
// unconfirmed the order is returned (sms_expired).
func TestSMSDeadline(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		rc := e.submit(t, provA, e.firstFiling(t, "O-1"), "k")
		e.clock.Advance(24*time.Hour - time.Second)
		if n := e.fire(t); n != 0 || e.status(t, rc.SubmissionID) != SubmissionSMS {
			t.Fatalf("fired %d before the deadline", n)
		}
		e.clock.Advance(time.Second)
		if n := e.fire(t); n != 1 || e.status(t, rc.SubmissionID) != SubmissionReturned {
			t.Fatalf("fired %d at the deadline, status %s", n, e.status(t, rc.SubmissionID))
		}
		evs := e.events(t, provA)
		if len(evs) != 1 || evs[0].Type != beian.EventReturned || string(evs[0].Payload) != `{"reason":"sms_expired"}` {
			t.Fatalf("events %+v", evs)
		}
		if cs, _ := e.Confirmations(e.ctx, provA, rc.SubmissionID); cs.State != "expired" {
			t.Fatalf("state %s", cs.State)
		}
	})
}

// The public API of VER-3: 200 with the persons remaining, 422 with the
// generic code, 429 per client address.
func TestSMSRoute(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		o := DefaultPipelineOptions()
		o.SMSClientRule = ratelimit.Rule{Name: "sms_test", Limit: 3, Window: time.Hour}
		e.SetPipelineOptions(o)
		e.submit(t, provA, e.firstFiling(t, "O-1"), "k")
		codes := e.smsCodes(t)
		mux := http.NewServeMux()
		e.SMSRoutes(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		entry := func(code, phone, last6 string) string {
			return `{"code":"` + code + `","phone":"` + phone + `","cert_last6":"` + last6 + `"}`
		}
		for _, tc := range []struct {
			name, body string
			status     int
			want       string
		}{
			{"OK", entry(codes[sitePhone], sitePhone, siteLast6), 200, `"remaining":1`},
			{"ErrWrongEntry", entry("000000", subjPhone, subjLast6), 422, `registry.sms_confirmation_failed`},
			{"OKLastPerson", entry(codes[subjPhone], subjPhone, subjLast6), 200, `"remaining":0`},
			{"ErrRateLimited", entry("000000", subjPhone, subjLast6), 429, `rate_limited`},
		} {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/registry/sms-confirmations", strings.NewReader(tc.body))
			req.Header.Set("Accept-Language", "en")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s: %d %s", tc.name, resp.StatusCode, b)
			}
		}
	})
}
