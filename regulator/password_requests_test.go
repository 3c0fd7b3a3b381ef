package regulator

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
)

// Rule PWD-4: the province's bureau records an offline request, lists it
// with the phone masked, and answers it: approving sends a new password
// by SMS and email like PWD-3, refusing needs a note; a request is
// answered once; another province's bureau sees nothing (not_found);
// Guangdong takes no offline request.
func TestPasswordRequests(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subject, website := e.filed(t, "O-1")
		old := e.subjectHash(t, subject)
		in := PasswordRequestInput{ApplicantName: "王五", SubjectNumber: website, ContactPhone: "13700137000", Note: "申请表已收"}
		t.Run("ErrInput", func(t *testing.T) {
			for _, tc := range []struct {
				name, code string
				edit       func(*PasswordRequestInput)
			}{
				{"ErrNoName", "registry.required", func(p *PasswordRequestInput) { p.ApplicantName = " " }},
				{"ErrPhone", "registry.contact_phone_invalid", func(p *PasswordRequestInput) { p.ContactPhone = "call me" }},
				{"ErrNoNumber", "registry.required", func(p *PasswordRequestInput) { p.SubjectNumber = "" }},
			} {
				p := in
				tc.edit(&p)
				if _, err := e.RecordPasswordRequest(e.ctx, zj, p); !e.hasProblem(err, tc.code) {
					t.Errorf("%s: %v", tc.name, err)
				}
			}
			p := in
			p.SubjectNumber = "浙ICP备2026000099号"
			if _, err := e.RecordPasswordRequest(e.ctx, zj, p); !beian.IsKind(err, beian.KindNotFound) {
				t.Errorf("unknown number: %v", err)
			}
		})
		t.Run("ErrOtherProvince", func(t *testing.T) {
			if _, err := e.RecordPasswordRequest(e.ctx, Reviewer{Province: "110000", Actor: "account:8"}, in); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("ErrGuangdongOnlineOnly", func(t *testing.T) {
			_, err := e.RecordPasswordRequest(e.ctx, Reviewer{Province: "440000", Actor: "account:8"}, in)
			if code, rule, _, _ := problemCode(err); code != "registry.password_online_only" || rule != "PWD-4" {
				t.Fatalf("got %v", err)
			}
		})
		pr, err := e.RecordPasswordRequest(e.ctx, zj, in)
		if err != nil || pr.State != PasswordRequested || pr.SubjectNumber != subject || pr.ContactPhone != "137****7000" || pr.RecordedBy != zj.Actor {
			t.Fatalf("recorded %+v, %v", pr, err)
		}
		id := strconv.FormatInt(pr.ID, 10)
		t.Run("List", func(t *testing.T) {
			l, err := e.PasswordRequests(e.ctx, zj, 0)
			if err != nil || len(l) != 1 || l[0].ID != pr.ID || l[0].ContactPhone != "137****7000" || l[0].Note != "申请表已收" {
				t.Fatalf("list %+v, %v", l, err)
			}
			if l, _ := e.PasswordRequests(e.ctx, Reviewer{Province: "110000"}, 0); len(l) != 0 {
				t.Fatalf("Beijing sees %+v", l)
			}
		})
		t.Run("ErrOtherProvinceAnswer", func(t *testing.T) {
			_, err := e.AnswerPasswordRequest(e.ctx, Reviewer{Province: "110000", Actor: "account:8"}, id, PasswordAnswer{Approve: true})
			if !beian.IsKind(err, beian.KindNotFound) || codeOf(err) != "registry.password_request_not_found" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("Approve", func(t *testing.T) {
			got, err := e.AnswerPasswordRequest(e.ctx, zj, id, PasswordAnswer{Approve: true, Note: "已电话告知"})
			if err != nil || got.State != PasswordAnswered || got.AnsweredBy != zj.Actor || got.AnsweredAt == nil {
				t.Fatalf("answer %+v, %v", got, err)
			}
			pw, sent := sentToSubjectPerson(e.resets(t))
			if !sent {
				t.Fatalf("messages %+v", e.resets(t))
			}
			if ok, _ := identity.VerifyPassword(e.subjectHash(t, subject), pw); !ok || e.subjectHash(t, subject) == old {
				t.Fatal("the new password does not verify")
			}
		})
		t.Run("ErrAnsweredTwice", func(t *testing.T) {
			_, err := e.AnswerPasswordRequest(e.ctx, zj, id, PasswordAnswer{Approve: true})
			if !beian.IsKind(err, beian.KindInvalidState) || codeOf(err) != "registry.password_request_closed" || len(e.resets(t)) != 2 {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("Refuse", func(t *testing.T) {
			pr2, err := e.RecordPasswordRequest(e.ctx, zj, in)
			if err != nil {
				t.Fatal(err)
			}
			id2 := strconv.FormatInt(pr2.ID, 10)
			if _, err := e.AnswerPasswordRequest(e.ctx, zj, id2, PasswordAnswer{}); !e.hasProblem(err, "registry.reason_invalid") {
				t.Fatalf("refusal without a note: %v", err)
			}
			got, err := e.AnswerPasswordRequest(e.ctx, zj, id2, PasswordAnswer{Note: "申请人非负责人"})
			if err != nil || got.State != PasswordRefused || got.AnswerNote != "申请人非负责人" || len(e.resets(t)) != 2 {
				t.Fatalf("refused %+v, %v", got, err)
			}
		})
		t.Run("ErrNoContact", func(t *testing.T) {
			imported := e.org(t, "杭州乙科技有限公司", "91330100MA0000003C")
			pr3, err := e.RecordPasswordRequest(e.ctx, zj, PasswordRequestInput{ApplicantName: "赵六", SubjectNumber: imported.Number, ContactPhone: "0571-88880000"})
			if err != nil || pr3.ContactPhone != "057****0000" {
				t.Fatalf("recorded %+v, %v", pr3, err)
			}
			_, err = e.AnswerPasswordRequest(e.ctx, zj, strconv.FormatInt(pr3.ID, 10), PasswordAnswer{Approve: true})
			if code, rule, _, _ := problemCode(err); code != "registry.password_no_contact" || rule != "PWD-4" {
				t.Fatalf("got %v", err)
			}
		})
	})
}

// Rule PWD-4 over HTTP: bureau reviewers of the province only; another
// province's request is 404; Guangdong's bureau is refused with its code.
func TestPasswordRequestRoutes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subject, _ := e.filed(t, "O-1")
		srv := e.deskServer(t)
		const path = "/api/v1/bureau/password-requests"
		body := `{"applicant_name":"王五","subject_number":"` + subject + `","contact_phone":"13700137000"}`
		status, b, _ := call(t, srv, "bureau_reviewer", "330000", "POST", path, body)
		if status != http.StatusCreated || !strings.Contains(b, `"state":"requested"`) || strings.Contains(b, "13700137000") {
			t.Fatalf("record: %d %s", status, b)
		}
		id := b[strings.Index(b, `"id":`)+5 : strings.Index(b, `,`)]
		for _, tc := range []struct {
			name, role, province, method, path, body string
			status                                   int
			want                                     string
		}{
			{"ErrAnonymous", "", "", "GET", path, "", 401, "unauthenticated"},
			{"ErrCustomer", "customer", "", "GET", path, "", 403, "forbidden"},
			{"ErrGuangdong", "bureau_reviewer", "440000", "POST", path, body, 422, "registry.password_online_only"},
			{"ErrOtherProvinceRecord", "bureau_reviewer", "110000", "POST", path, body, 404, "not_found"},
			{"OtherProvinceList", "bureau_reviewer", "110000", "GET", path, "", 200, `{"items":[]}`},
			{"ErrOtherProvinceAnswer", "bureau_reviewer", "110000", "POST", path + "/" + id + "/answer", `{"approve":true}`, 404, "not_found"},
			{"List", "bureau_reviewer", "330000", "GET", path, "", 200, `"contact_phone":"137****7000"`},
			{"Answer", "bureau_reviewer", "330000", "POST", path + "/" + id + "/answer", `{"approve":true}`, 200, `"state":"answered"`},
			{"ErrAnswerAgain", "bureau_reviewer", "330000", "POST", path + "/" + id + "/answer", `{"approve":true}`, 409, "invalid_state"},
		} {
			status, b, _ := call(t, srv, tc.role, tc.province, tc.method, tc.path, tc.body)
			if status != tc.status || !strings.Contains(b, tc.want) {
				t.Errorf("%s: %d %s", tc.name, status, b)
			}
		}
	})
}
