package regulator

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/timer"
)

// The pipeline's fixtures: two providers, an enterprise with its
// responsible person, and a website with another responsible person.
const (
	provA      = "甲云"
	provB      = "乙云"
	orgCert    = "91330100MA0000001A"
	subjCert   = "330106199001011234" // the subject's responsible person, last 6 "011234"
	siteCert   = "110101198001015678" // the website's responsible person, last 6 "015678"
	subjPhone  = "13800138000"
	sitePhone  = "13900139000"
	subjLast6  = "011234"
	siteLast6  = "015678"
	subjEmail  = "zhang@example.com"
	orgName    = "杭州甲科技有限公司"
	siteName   = "甲公司官网"
	siteDomain = "jia-one.com"
)

// firstFiling is a first filing of the enterprise with one website on the
// domains, whose registration records e holds (Rule WEB-6).
func (e *env) firstFiling(tb testing.TB, order string, domains ...string) beian.Submission {
	tb.Helper()
	if len(domains) == 0 {
		domains = []string{siteDomain}
	}
	for _, d := range domains {
		e.put(tb, goodRecord(d, "uscc", orgCert))
	}
	return beian.Submission{OrderNumber: order, Type: beian.FirstFiling, Province: "330000",
		Subject: beian.SubjectData{Nature: "enterprise", Name: orgName, CertType: "uscc", CertNumber: orgCert,
			Province: "330000", City: "330100", District: "330106", Address: "杭州市西湖区文三路 1 号",
			Person: beian.Person{Name: "张三", CertType: "resident_id", CertNumber: subjCert, Mobile: subjPhone, Email: subjEmail}},
		Websites: []beian.WebsiteData{{Name: siteName, Domains: domains, Homepage: "www." + domains[0], ServiceContent: "org_portal",
			Person:    beian.Person{Name: "李四", CertType: "resident_id", CertNumber: siteCert, Mobile: sitePhone},
			ServerIPs: []string{"203.0.113.10"}}},
		SubmittedAt: e.clock.Now()}
}

// submit submits and fails tb on an error.
func (e *env) submit(tb testing.TB, provider string, s beian.Submission, key string) beian.Receipt {
	tb.Helper()
	rc, err := e.Submit(e.ctx, provider, s, key)
	if err != nil {
		tb.Fatalf("submit %s: %v", s.OrderNumber, err)
	}
	return rc
}

// count runs a COUNT query.
func (e *env) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := e.DB.SQL.QueryRowContext(e.ctx, query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// outboxMessage is one row of the registry outbox.
type outboxMessage struct {
	Channel, To, Template string
	Data                  map[string]string
}

// outbox reads the registry outbox, oldest first.
func (e *env) outbox(tb testing.TB) []outboxMessage {
	tb.Helper()
	rows, err := e.DB.SQL.QueryContext(e.ctx, `SELECT channel, recipient, template, data FROM registry_outbox ORDER BY created_at, id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []outboxMessage
	for rows.Next() {
		var m outboxMessage
		var data string
		if err := rows.Scan(&m.Channel, &m.To, &m.Template, &data); err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal([]byte(data), &m.Data); err != nil {
			tb.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// smsCodes returns the last confirmation code sent by SMS to each phone.
func (e *env) smsCodes(tb testing.TB) map[string]string {
	tb.Helper()
	codes := map[string]string{}
	for _, m := range e.outbox(tb) {
		if m.Template == TemplateSMSCode && m.Channel == "sms" {
			codes[m.To] = m.Data["code"]
		}
	}
	return codes
}

// confirmAll confirms both responsible persons of the fixture.
func (e *env) confirmAll(tb testing.TB) {
	tb.Helper()
	codes := e.smsCodes(tb)
	for phone, last6 := range map[string]string{subjPhone: subjLast6, sitePhone: siteLast6} {
		if _, err := e.ConfirmSMS(e.ctx, codes[phone], phone, last6, "client"); err != nil {
			tb.Fatalf("confirm %s: %v", phone, err)
		}
	}
}

// events returns every event of the provider.
func (e *env) events(tb testing.TB, provider string) []beian.Event {
	tb.Helper()
	page, err := e.Events(e.ctx, provider, "", MaxEventPage)
	if err != nil {
		tb.Fatal(err)
	}
	return page.Events
}

// fire runs the registry's due timers with the pipeline's handlers.
func (e *env) fire(tb testing.TB) int {
	tb.Helper()
	run := &timer.Runner{DB: e.DB, Timers: registryTimers(), Handlers: e.TimerHandlers()}
	n, err := run.FireDue(e.ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// Connector contract: the same key and request twice create one
// submission and answer the first receipt, Duplicate the second time; a
// different request under the key is a conflict. Rule REV-2: the due date
// is the province's business days after the submission date (浙江: 30).
func TestSubmitIdempotent(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		s := e.firstFiling(t, "O-1")
		first := e.submit(t, provA, s, "key-1")
		want, _ := calendar.Default().AddBusinessDays(t0, 30)
		t.Run("OK", func(t *testing.T) {
			if first.Duplicate || first.SubmissionID == "" || !first.DueDate.Equal(want) || !first.AcceptedAt.Equal(t0) {
				t.Fatalf("receipt %+v, want due %s", first, want)
			}
		})
		t.Run("LostResponseRetryCreatesNothingTwice", func(t *testing.T) {
			counts := func() [4]int {
				return [4]int{e.count(t, `SELECT COUNT(*) FROM registry_submissions`), e.count(t, `SELECT COUNT(*) FROM registry_confirmations`),
					e.count(t, `SELECT COUNT(*) FROM registry_outbox`), e.count(t, `SELECT COUNT(*) FROM registry_events`)}
			}
			before := counts()
			e.clock.Advance(time.Minute)
			retry := s
			retry.SubmittedAt = e.clock.Now() // a provider may stamp its retry anew
			again := e.submit(t, provA, retry, "key-1")
			if !again.Duplicate || again.SubmissionID != first.SubmissionID || !again.DueDate.Equal(first.DueDate) || !again.AcceptedAt.Equal(first.AcceptedAt) {
				t.Fatalf("retry answered %+v, first %+v", again, first)
			}
			if after := counts(); after != before || before[0] != 1 || before[2] != 2+1 {
				t.Fatalf("rows (submissions, confirmations, outbox, events) before %v, after %v", before, after)
			}
		})
		t.Run("ErrConflictOnDifferentRequest", func(t *testing.T) {
			other := s
			other.Websites = append([]beian.WebsiteData(nil), s.Websites...)
			other.Websites[0].Name = "另一个名字"
			_, err := e.Submit(e.ctx, provA, other, "key-1")
			if !beian.IsKind(err, beian.KindConflict) || codeOf(err) != "registry.idempotency_conflict" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("OtherProviderHasItsOwnKeys", func(t *testing.T) {
			// the subject is at the registry already: provB's order is refused,
			// not answered with provA's receipt
			_, err := e.Submit(e.ctx, provB, s, "key-1")
			if !beian.IsKind(err, beian.KindConflict) || codeOf(err) != "registry.subject_in_review" {
				t.Fatalf("got %v", err)
			}
		})
	})
}

// The registry re-runs its checks at submit (Rules SUBJ-1, CAN-1, WEB-4,
// WEB-6) and stores nothing for a refused submission.
func TestSubmitChecks(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		other := e.org(t, "杭州乙科技有限公司", "91330100MA0000002B")
		held := e.website(t, other, "乙公司官网", []string{"yi-one.com"}, provB)
		filed := e.org(t, orgName+"（已备案）", "91330100MA0000003C")
		for _, tc := range []struct {
			name, code string
			edit       func(s *beian.Submission)
		}{
			{"ErrSubjectConflict", "registry.subject_conflict", func(s *beian.Submission) { s.Subject.CertNumber = "91330100MA0000003C" }},
			{"ErrDomainConflict", "registry.domain_conflict", func(s *beian.Submission) { s.Websites[0].Domains = []string{"yi-one.com"} }},
			{"ErrDomainNoRecord", "registry.domain_no_record", func(s *beian.Submission) { s.Websites[0].Domains = []string{"no-record.com"} }},
			{"ErrTypeCancelAccess", "registry.type_invalid", func(s *beian.Submission) { s.Type = beian.CancelAccess }},
			{"ErrNotFiled", "registry.subject_not_filed", func(s *beian.Submission) { s.Type = beian.NewWebsite }},
			{"ErrPersonMobile", "subj.mobile_invalid", func(s *beian.Submission) { s.Websites[0].Person.Mobile = "12345" }},
			{"ErrServiceContent", "registry.service_content_unknown", func(s *beian.Submission) { s.Websites[0].ServiceContent = "casino" }},
			{"ErrNature", "registry.nature_unknown", func(s *beian.Submission) { s.Subject.Nature = "pirate" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := e.firstFiling(t, "O-"+tc.name)
				tc.edit(&s)
				_, err := e.Submit(e.ctx, provA, s, tc.name)
				var be *beian.Error
				if !asError(err, &be) || be.Kind != beian.KindInvalid || !be.Problems.Has(tc.code) {
					t.Fatalf("got %v, want invalid with %s", err, tc.code)
				}
			})
		}
		t.Run("ErrBlacklisted", func(t *testing.T) {
			if err := e.Blacklist(e.ctx, BlacklistWebsiteName, "黑名单网站", "违法内容"); err != nil {
				t.Fatal(err)
			}
			s := e.firstFiling(t, "O-black")
			s.Websites[0].Name = "黑名单网站"
			_, err := e.Submit(e.ctx, provA, s, "black")
			if code, rule, field, _ := problemCode(err); code != "registry.website_name_blacklisted" || rule != "CAN-1" || field != "websites[0].name" {
				t.Fatalf("got %v (%s %s %s)", err, code, rule, field)
			}
		})
		if n := e.count(t, `SELECT COUNT(*) FROM registry_submissions`) + e.count(t, `SELECT COUNT(*) FROM registry_outbox`); n != 0 {
			t.Fatalf("%d rows stored for refused submissions", n)
		}
		_ = held
		_ = filed
	})
}

// Rules REV-2, CAN-2: a province's own review time (default 20 business
// days), and 20 for a cancellation whatever the province.
func TestSubmitDueDates(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		s := e.firstFiling(t, "O-bj")
		s.Province = "北京"
		rc := e.submit(t, provA, s, "bj")
		want, _ := calendar.Default().AddBusinessDays(t0, 20)
		if !rc.DueDate.Equal(want) {
			t.Fatalf("Beijing due %s, want %s", rc.DueDate, want)
		}
		subj := e.org(t, "杭州丙科技有限公司", "91330100MA0000004D")
		w := e.website(t, subj, "丙公司官网", []string{"bing-one.com"}, provA)
		c := beian.Submission{OrderNumber: "O-cancel", Type: beian.CancelWebsite, Province: "330000", Cancel: []string{w.Number},
			Subject: beian.SubjectData{Nature: "enterprise", Name: subj.UnitName, CertType: "uscc", CertNumber: subj.CertNumber,
				Person: beian.Person{CertNumber: subjCert, Mobile: "13700137000"}}}
		rc = e.submit(t, provA, c, "cancel")
		if !rc.DueDate.Equal(want) {
			t.Fatalf("cancellation due %s, want %s (CAN-2)", rc.DueDate, want)
		}
	})
}

// Connector contract under concurrency: retries racing with the first
// request under one key create one submission; every caller gets its
// receipt.
func TestSubmitConcurrentRetries(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		s := e.firstFiling(t, "O-1")
		const n = 6
		ids := make(chan string, n)
		errs := make(chan error, n)
		for range n {
			go func() {
				rc, err := e.Submit(e.ctx, provA, s, "same-key")
				ids <- rc.SubmissionID
				errs <- err
			}()
		}
		seen := map[string]bool{}
		for range n {
			if err := <-errs; err != nil {
				t.Errorf("submit: %v", err)
			}
			seen[<-ids] = true
		}
		if len(seen) != 1 || e.count(t, `SELECT COUNT(*) FROM registry_submissions`) != 1 || e.count(t, `SELECT COUNT(*) FROM registry_outbox`) != 3 {
			t.Fatalf("receipts %v", seen)
		}
	})
}
