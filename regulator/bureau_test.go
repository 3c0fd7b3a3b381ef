package regulator

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web"
)

// zj is the Zhejiang bureau.
var zj = Reviewer{Province: "330000", Actor: "account:7"}

// confirmSubmission confirms every person of the submission with the last
// code sent to their phone.
func (e *env) confirmSubmission(tb testing.TB, id string) {
	tb.Helper()
	rows, err := e.DB.SQL.QueryContext(e.ctx, `SELECT DISTINCT phone, cert_last6 FROM registry_confirmations WHERE submission_id = $1`, id)
	if err != nil {
		tb.Fatal(err)
	}
	persons := map[string]string{}
	for rows.Next() {
		var phone, last6 string
		if err := rows.Scan(&phone, &last6); err != nil {
			tb.Fatal(err)
		}
		persons[phone] = last6
	}
	rows.Close()
	codes := e.smsCodes(tb)
	for phone, last6 := range persons {
		if _, err := e.ConfirmSMS(e.ctx, codes[phone], phone, last6, "c"); err != nil {
			tb.Fatalf("confirm %s: %v", phone, err)
		}
	}
	if st := e.status(tb, id); st != SubmissionBureau {
		tb.Fatalf("status %s after confirmation", st)
	}
}

// toBureau submits a minute after the last step and confirms: the order is
// in bureau review.
func (e *env) toBureau(tb testing.TB, provider string, s beian.Submission, key string) beian.Receipt {
	tb.Helper()
	e.clock.Advance(time.Minute)
	rc := e.submit(tb, provider, s, key)
	e.confirmSubmission(tb, rc.SubmissionID)
	return rc
}

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Rules NUM-1, PWD-1, REV-2: approving a first filing files the subject
// and its website with numbers, served by the provider; the password is
// stored only as its hash, sent to the responsible person by SMS and email
// through the outbox, and appears in no event, audit record or log; the
// provider sees approved then password_issued. (Not parallel: it captures
// the default logger.)
func TestBureauApproveFirstFiling(t *testing.T) {
	logs := &lockedBuffer{}
	prevDefault, prevWeb := slog.Default(), web.Logger
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	web.Logger = slog.Default()
	t.Cleanup(func() { slog.SetDefault(prevDefault); web.Logger = prevWeb })
	each(t, func(t *testing.T, e *env) {
		rc := e.toBureau(t, provA, e.firstFiling(t, "O-1"), "k")
		t.Run("Queue", func(t *testing.T) {
			q, err := e.BureauQueue(e.ctx, "浙江")
			if err != nil || len(q) != 1 || q[0].SubmissionID != rc.SubmissionID || !q[0].DueDate.Equal(rc.DueDate) ||
				q[0].SubjectName != orgName || q[0].Websites[0] != siteName || q[0].Overdue {
				t.Fatalf("queue %+v, %v", q, err)
			}
			if q, _ := e.BureauQueue(e.ctx, "110000"); len(q) != 0 {
				t.Fatalf("Beijing sees %+v", q)
			}
		})
		t.Run("ErrOtherProvinceNotFound", func(t *testing.T) {
			_, err := e.Decide(e.ctx, Reviewer{Province: "110000"}, rc.SubmissionID, Decision{Approve: true})
			if !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("got %v", err)
			}
			if _, _, err := e.BureauOrder(e.ctx, Reviewer{Province: "北京"}, rc.SubmissionID); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("order: %v", err)
			}
		})
		res, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Approve: true})
		if err != nil {
			t.Fatal(err)
		}
		e.issuePasswords(t, 1)
		t.Run("Numbers", func(t *testing.T) {
			if res.Status != SubmissionApproved || res.SubjectNumber != "浙ICP备2026000001号" || len(res.Websites) != 1 || res.Websites[0] != "浙ICP备2026000001号-1" {
				t.Fatalf("result %+v", res)
			}
			f, err := e.Filing(e.ctx, res.SubjectNumber)
			if err != nil || f.UnitName != orgName || len(f.Websites) != 1 || f.Websites[0].Providers[0] != provA || f.Websites[0].Domains[0] != siteDomain {
				t.Fatalf("filing %+v, %v", f, err)
			}
			if st := e.status(t, rc.SubmissionID); st != SubmissionApproved {
				t.Fatalf("status %s", st)
			}
		})
		var password string
		t.Run("PasswordSentHashed", func(t *testing.T) {
			var sms, email int
			for _, m := range e.outbox(t) {
				if m.Template != TemplatePasswordIssued {
					continue
				}
				if m.Channel == "sms" && m.To == subjPhone {
					sms++
				}
				if m.Channel == "email" && m.To == subjEmail {
					email++
				}
				password = m.Data["password"]
			}
			if sms != 1 || email != 1 || len(password) != PasswordLength {
				t.Fatalf("%d SMS, %d emails, password of %d characters", sms, email, len(password))
			}
			var hash string
			if err := e.DB.SQL.QueryRow(`SELECT password_hash FROM registry_subjects WHERE number = $1`, res.SubjectNumber).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			if ok, err := identity.VerifyPassword(hash, password); !ok || err != nil || strings.Contains(hash, password) {
				t.Fatalf("hash %q does not verify: %v", hash, err)
			}
			for _, q := range []string{`SELECT COUNT(*) FROM registry_events WHERE payload LIKE '%' || $1 || '%'`,
				`SELECT COUNT(*) FROM registry_audit WHERE before_json LIKE '%' || $1 || '%' OR after_json LIKE '%' || $1 || '%'`,
				`SELECT COUNT(*) FROM registry_submissions WHERE payload LIKE '%' || $1 || '%'`} {
				if n := e.count(t, q, password); n != 0 {
					t.Fatalf("password found: %s", q)
				}
			}
			if strings.Contains(logs.String(), password) {
				t.Fatal("password logged")
			}
		})
		t.Run("EventsInOrder", func(t *testing.T) {
			evs := e.events(t, provA)
			if len(evs) != 3 || evs[0].Type != beian.EventSMSConfirmed || evs[1].Type != beian.EventApproved || evs[2].Type != beian.EventPasswordIssued {
				t.Fatalf("events %+v", evs)
			}
			var ap beian.ApprovedPayload
			if err := json.Unmarshal(evs[1].Payload, &ap); err != nil || ap.SubjectNumber != res.SubjectNumber || len(ap.Websites) != 1 ||
				ap.Websites[0].Number != res.Websites[0] || ap.Websites[0].Providers[0] != provA {
				t.Fatalf("approved %s", evs[1].Payload)
			}
			if string(evs[2].Payload) != `{"subject_number":"`+res.SubjectNumber+`"}` || evs[2].Order != "O-1" {
				t.Fatalf("password_issued %+v", evs[2])
			}
		})
		t.Run("ErrDecidedTwice", func(t *testing.T) {
			_, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Approve: true})
			if !beian.IsKind(err, beian.KindInvalidState) || codeOf(err) != "registry.submission_not_in_review" {
				t.Fatalf("got %v", err)
			}
		})
	})
}

// Rule REV-5: a rejection needs complete items, reaches the provider as a
// rejected event with the items and their photo flags, and frees the
// subject for a new submission.
func TestBureauReject(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		s := e.firstFiling(t, "O-1")
		rc := e.toBureau(t, provA, s, "k")
		items := []beian.ReviewItem{
			{Field: "websites[0].name", Reason: "名称与内容不符", Suggestion: "请修改网站名称", Action: beian.ActionFixWebsite},
			{Field: "documents.photo", Reason: "照片模糊", Action: beian.ActionFixMaterials, Photo: true},
		}
		t.Run("ErrNoItems", func(t *testing.T) {
			if _, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{}); !strings.Contains(err.Error(), "registry.decision_items_required") {
				t.Fatalf("got %v", err)
			}
			_, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Items: []beian.ReviewItem{items[0], {Field: "x", Reason: "y", Action: "z"}}})
			if code, _, field, args := problemCode(err); code != "registry.decision_item_invalid" || field != "items[1]" || args["index"] != "2" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("Rejected", func(t *testing.T) {
			res, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Items: items})
			if err != nil || res.Status != SubmissionRejected || e.status(t, rc.SubmissionID) != SubmissionRejected {
				t.Fatalf("result %+v, %v", res, err)
			}
			evs := e.events(t, provA)
			last := evs[len(evs)-1]
			var p beian.RejectedPayload
			if err := json.Unmarshal(last.Payload, &p); err != nil || last.Type != beian.EventRejected || len(p.Items) != 2 || !p.Items[1].Photo || p.Items[0].Photo {
				t.Fatalf("event %+v", last)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM registry_subjects`); n != 0 {
				t.Fatalf("%d subjects after a rejection", n)
			}
		})
		t.Run("ResubmitAfterRejection", func(t *testing.T) {
			e.clock.Advance(time.Minute)
			if _, err := e.Submit(e.ctx, provA, s, "k2"); err != nil {
				t.Fatal(err)
			}
		})
	})
}
