package regulator

import (
	"slices"
	"testing"
	"time"

	"github.com/beian/beian"
)

// Rule VER-3 for change orders: SMS codes go only to the responsible
// persons whose data the order changes (Submission.Changed); a change
// that touches no person is confirmed by the subject's responsible
// person; confirming those alone moves the order to the bureau.
func TestSMSChangeOrderPersons(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		first := e.firstFiling(t, "O-1")
		subject, w1 := e.filed(t, "O-1")
		change := func(typ beian.OrderType, no string, changed ...string) beian.Submission {
			s := first
			s.Type, s.OrderNumber, s.SubjectNumber, s.Changed = typ, no, subject, changed
			site := first.Websites[0]
			site.Number = w1
			s.Websites = []beian.WebsiteData{site}
			return s
		}
		for _, tc := range []struct {
			name string
			sub  beian.Submission
			edit func(*beian.Submission)
			want []string
		}{
			{"SubjectPersonChanged", change(beian.ChangeSubject, "C-1", "subject.person.mobile"),
				func(s *beian.Submission) { s.Subject.Person.Mobile = "13600136000" }, []string{"13600136000"}},
			{"WebsitePersonChanged", change(beian.ChangeWebsite, "C-2", "websites[0].person.mobile", "websites[0].person.name"),
				func(s *beian.Submission) {
					s.Websites[0].Person.Mobile, s.Websites[0].Person.Name = "13500135000", "钱七"
				}, []string{"13500135000"}},
			{"WholeWebsiteChanged", change(beian.ChangeWebsite, "C-3", "websites[0]"), nil, []string{sitePhone}},
			{"NoPersonChanged", change(beian.ChangeWebsite, "C-4", "websites[0].homepage", "websites[0].name"),
				func(s *beian.Submission) { s.Websites[0].Name = "甲公司新官网" }, []string{subjPhone}},
			{"ChangeAccessNoPerson", change(beian.ChangeAccess, "C-5", "websites[0].server_ips[0]"),
				func(s *beian.Submission) { s.Websites[0].ServerIPs = []string{"203.0.113.20"} }, []string{subjPhone}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := tc.sub
				if tc.edit != nil {
					tc.edit(&s)
				}
				e.clock.Advance(time.Minute)
				rc := e.submit(t, provA, s, "k-"+s.OrderNumber)
				rows, err := e.DB.SQL.QueryContext(e.ctx, `SELECT DISTINCT phone FROM registry_confirmations WHERE submission_id = $1 ORDER BY phone`, rc.SubmissionID)
				if err != nil {
					t.Fatal(err)
				}
				var phones []string
				for rows.Next() {
					var p string
					if err := rows.Scan(&p); err != nil {
						t.Fatal(err)
					}
					phones = append(phones, p)
				}
				rows.Close()
				if !slices.Equal(phones, tc.want) {
					t.Fatalf("codes for %v, want %v", phones, tc.want)
				}
				for _, m := range e.outbox(t) {
					if m.Template == TemplateSMSCode && m.Data["order"] == s.OrderNumber && m.Channel == "sms" && !slices.Contains(tc.want, m.To) {
						t.Fatalf("a code went to %s", m.To)
					}
				}
				e.confirmSubmission(t, rc.SubmissionID) // fails unless bureau_review follows
				items := []beian.ReviewItem{{Field: "subject.name", Reason: "测试", Action: beian.ActionFixSubject}}
				if _, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Items: items}); err != nil { // frees the subject
					t.Fatal(err)
				}
			})
		}
	})
}
