package page

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
)

// itoa64 formats an ID.
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// bodyOf is the unescaped HTML of a recorded answer.
func bodyOf(tb testing.TB, code int, want int, b string) string {
	tb.Helper()
	if code != want {
		tb.Fatalf("status %d, want %d; body:\n%s", code, want, b)
	}
	return html.UnescapeString(b)
}

// The desk is for bureau reviewers of one province: anonymous visitors
// are sent to the login page with next, other roles get the 403 page.
func TestBureauAccess(t *testing.T) {
	bureauEach(t, func(t *testing.T, e *bEnv) {
		w := e.get(t, "", "/bureau/spot-checks?x=1")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next="+url.QueryEscape("/bureau/spot-checks?x=1") {
			t.Errorf("anonymous: %d %q", w.Code, w.Header().Get("Location"))
		}
		for _, as := range []string{"customer ", "provider_reviewer ", "registry_admin ", "bureau_reviewer "} {
			if w := e.get(t, as, "/bureau"); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "<html") {
				t.Errorf("%q: %d, want the 403 page", as, w.Code)
			}
		}
		if w := e.get(t, zjReviewer, "/bureau"); w.Code != http.StatusOK || w.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("reviewer: %d, CSP %q", w.Code, w.Header().Get("Content-Security-Policy"))
		}
	})
}

// Rule REV-2: the queue lists the province's orders in bureau review,
// oldest due date first, with their business-day due dates; another
// province's orders are not shown. zh-CN by default, English by ?lang=en.
func TestBureauQueue(t *testing.T) {
	bureauEach(t, func(t *testing.T, e *bEnv) {
		e.clock.Set(bT0.AddDate(0, 0, 7))
		late := e.toBureau(t, "O-LATE", "330000", "杭州乙科技有限公司", "91330100MA0000002B", "yi-one.com")
		e.clock.Set(bT0)
		early := e.toBureau(t, "O-EARLY", "330000", "杭州甲科技有限公司", "91330100MA0000001A", "jia-one.com")
		e.toBureau(t, "O-BJ", "110000", "北京丙科技有限公司", "91110100MA0000003C", "bing-one.com")
		q, err := e.reg.BureauQueue(e.ctx, "330000")
		if err != nil || len(q) != 2 || q[0].SubmissionID != early || q[1].SubmissionID != late || !q[0].DueDate.Before(q[1].DueDate) {
			t.Fatalf("queue %+v, %v", q, err)
		}
		w := e.get(t, zjReviewer, "/bureau")
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		iEarly, iLate := strings.Index(b, "O-EARLY"), strings.Index(b, "O-LATE")
		if iEarly < 0 || iLate < iEarly || strings.Contains(b, "O-BJ") {
			t.Errorf("queue order: O-EARLY at %d, O-LATE at %d, O-BJ shown %v", iEarly, iLate, strings.Contains(b, "O-BJ"))
		}
		for _, it := range q {
			due := it.DueDate.In(beian.CST).Format(time.DateOnly)
			if !strings.Contains(b, `<time datetime="`+due+`">`) || !strings.Contains(b, "/bureau/orders/"+it.SubmissionID) {
				t.Errorf("due date %s or link of %s missing", due, it.OrderNumber)
			}
		}
		if !strings.Contains(b, `lang="zh-CN"`) || !strings.Contains(b, "待审核订单") || !strings.Contains(b, "首次备案") {
			t.Error("not zh-CN by default")
		}
		w = e.get(t, zjReviewer, "/bureau?lang=en")
		if b := w.Body.String(); !strings.Contains(b, `lang="en"`) || !strings.Contains(b, "Orders awaiting review") || !strings.Contains(b, "First filing") {
			t.Errorf("?lang=en: %s", b)
		}
		w = e.get(t, bjReviewer, "/bureau")
		if b := w.Body.String(); !strings.Contains(b, "O-BJ") || strings.Contains(b, "O-EARLY") {
			t.Error("the Beijing bureau sees another province's queue")
		}
	})
}

// The order page shows every field of the submission and its SMS
// confirmation; another province's order is 404 (Rule PRIV-1: the view
// is audited by the regulator).
func TestBureauOrderPage(t *testing.T) {
	bureauEach(t, func(t *testing.T, e *bEnv) {
		id := e.toBureau(t, "O-1", "330000", "杭州甲科技有限公司", "91330100MA0000001A", "jia-one.com")
		w := e.get(t, zjReviewer, "/bureau/orders/"+id)
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		for _, want := range []string{"O-1", "杭州甲科技有限公司", "91330100MA0000001A", "330106199001011234", "13800138000", "zhang@example.com",
			"www.jia-one.com", "203.0.113.10", "websites[0].homepage", "subject.person.mobile", "documents[0]", "confirmed", "138****8000",
			`name="decision" value="reject"`, `name="items[2].field"`, "修改网站", "<dd>管局审核中</dd>"} {
			if !strings.Contains(b, want) {
				t.Errorf("order page lacks %q", want)
			}
		}
		if w := e.get(t, bjReviewer, "/bureau/orders/"+id); w.Code != http.StatusNotFound {
			t.Errorf("another province: %d, want 404", w.Code)
		}
		if w := e.get(t, zjReviewer, "/bureau/orders/nope"); w.Code != http.StatusNotFound {
			t.Errorf("unknown order: %d, want 404", w.Code)
		}
		if w := e.get(t, zjReviewer, "/bureau/orders/"+id+"?lang=en"); !strings.Contains(w.Body.String(), "Rejection items") {
			t.Error("order page not in English with ?lang=en")
		}
	})
}

// Rule REV-5: a rejection is built in the form — the field from the
// order's fields, a reason from the list or typed, a suggestion, an action
// and the photo flag — and lands at the provider as a rejected event;
// problems are shown beside their inputs; CSRF is required; another
// province's order is 404.
func TestBureauDecision(t *testing.T) {
	bureauEach(t, func(t *testing.T, e *bEnv) {
		id := e.toBureau(t, "O-1", "330000", "杭州甲科技有限公司", "91330100MA0000001A", "jia-one.com")
		path := "/bureau/orders/" + id + "/decision"
		reject := url.Values{"decision": {"reject"}, "rows": {"3"},
			"items[1].field": {"websites[0].homepage"}, "items[1].reason": {"reachable_before_number"}, "items[1].suggestion": {"关闭网站后重新提交"},
			"items[1].action": {"fix_website"}, "items[2].field": {"documents[0]"}, "items[2].reason_text": {"照片模糊"}, "items[2].action": {"fix_materials"},
			"items[2].photo": {"1"}}
		t.Run("ErrCSRF", func(t *testing.T) {
			for _, tok := range []string{"", "WRONGTOKEN234567234567"} {
				f := url.Values{"csrf": {tok}, "decision": {"approve"}}
				if w := e.post(t, zjReviewer, path, f); w.Code != http.StatusForbidden {
					t.Errorf("token %q: %d, want 403", tok, w.Code)
				}
			}
		})
		t.Run("ErrOtherProvince", func(t *testing.T) {
			if w := e.post(t, bjReviewer, path, url.Values{"decision": {"approve"}}); w.Code != http.StatusNotFound {
				t.Errorf("%d, want 404", w.Code)
			}
		})
		t.Run("ErrNoDecision", func(t *testing.T) {
			w := e.post(t, zjReviewer, path, url.Values{})
			b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
			if !strings.Contains(b, `id="f-decision-error"`) || !strings.Contains(b, "未选择审核结论") {
				t.Error("the decision's problem is not beside it")
			}
		})
		t.Run("ErrNoItems", func(t *testing.T) {
			w := e.post(t, zjReviewer, path+"?lang=en", url.Values{"decision": {"reject"}})
			b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
			if !strings.Contains(b, "A rejection needs at least one item.") {
				t.Errorf("no items message: %s", b)
			}
		})
		t.Run("ErrItemIncomplete", func(t *testing.T) {
			f := url.Values{"decision": {"reject"}, "items[0].field": {"subject.nope"}, "items[0].action": {"fix_subject"}}
			w := e.post(t, zjReviewer, path, f)
			b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
			for _, want := range []string{`id="f-items-0-field-error"`, `id="f-items-0-reason-error"`, `href="#f-items-0-field"`} {
				if !strings.Contains(b, want) {
					t.Errorf("lacks %s", want)
				}
			}
		})
		t.Run("AddRow", func(t *testing.T) {
			f := url.Values{"decision": {"reject"}, "rows": {"3"}, "add_row": {"1"}, "items[0].suggestion": {"保留的建议"}}
			w := e.post(t, zjReviewer, path, f)
			b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
			if !strings.Contains(b, `name="items[3].field"`) || strings.Contains(b, `name="items[4].field"`) || !strings.Contains(b, "保留的建议") {
				t.Error("add an item did not show a fourth row with the values kept")
			}
		})
		if q, _ := e.reg.BureauQueue(e.ctx, "330000"); len(q) != 1 {
			t.Fatalf("a failed form changed the order: queue %+v", q)
		}
		w := e.post(t, zjReviewer, path, reject)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/bureau?notice=rejected&of=O-1" {
			t.Fatalf("reject: %d %q %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		page, err := e.reg.Events(e.ctx, bProvider, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []beian.ReviewItem
		for _, ev := range page.Events {
			if ev.Type == beian.EventRejected {
				var p beian.RejectedPayload
				if err := json.Unmarshal(ev.Payload, &p); err != nil {
					t.Fatal(err)
				}
				got = p.Items
			}
		}
		want := []beian.ReviewItem{
			{Field: "websites[0].homepage", Reason: "网站在取得备案号前可以访问", Suggestion: "关闭网站后重新提交", Action: beian.ActionFixWebsite},
			{Field: "documents[0]", Reason: "照片模糊", Action: beian.ActionFixMaterials, Photo: true},
		}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("rejected items %+v, want %+v", got, want)
		}
		w = e.get(t, zjReviewer, "/bureau?notice=rejected&of=O-1")
		if b := w.Body.String(); !strings.Contains(b, "已驳回：") || strings.Contains(b, "/bureau/orders/"+id) {
			t.Error("the queue does not say the order was rejected, or still lists it")
		}
		if w := e.post(t, zjReviewer, path, url.Values{"decision": {"approve"}}); w.Code != http.StatusNotFound && w.Code != http.StatusConflict {
			t.Errorf("deciding a decided order: %d", w.Code)
		}
		id2 := e.toBureau(t, "O-2", "330000", "杭州乙科技有限公司", "91330100MA0000002B", "yi-one.com")
		w = e.post(t, zjReviewer, "/bureau/orders/"+id2+"/decision", url.Values{"decision": {"approve"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/bureau?notice=approved&of=O-2" {
			t.Errorf("approve: %d %q", w.Code, w.Header().Get("Location"))
		}
	})
}

// Rules CAN-1, CAN-3, CAN-4: a cancellation first says what will happen
// (the only website takes its subject along) and is done only when
// confirmed; another province's number is 404; blacklisting needs illegal
// content.
func TestBureauCancellation(t *testing.T) {
	bureauEach(t, func(t *testing.T, e *bEnv) {
		subject, website := e.approve(t, "330000", e.toBureau(t, "O-1", "330000", "杭州甲科技有限公司", "91330100MA0000001A", "jia-one.com"))
		form := url.Values{"number": {website}, "reason": {regulator.ReasonFalseInformation}, "note": {"电话空号"}}
		w := e.post(t, zjReviewer, "/bureau/cancellations", form)
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		for _, want := range []string{website, subject, "唯一的有效网站", `name="confirm" value="yes"`, `name="number" value="` + website + `"`} {
			if !strings.Contains(b, want) {
				t.Errorf("confirmation lacks %q", want)
			}
		}
		if f, _ := e.reg.Filing(e.ctx, website); f.Status != regulator.StatusActive {
			t.Fatal("cancelled before the confirmation")
		}
		if w := e.post(t, bjReviewer, "/bureau/cancellations", form); w.Code != http.StatusNotFound {
			t.Errorf("another province: %d, want 404", w.Code)
		}
		bad := url.Values{"number": {website}, "reason": {regulator.ReasonFalseInformation}, "blacklist": {"1"}}
		if w := e.post(t, zjReviewer, "/bureau/cancellations", bad); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("blacklist without illegal content: %d, want 422", w.Code)
		}
		form.Set("confirm", "yes")
		if w := e.post(t, zjReviewer, "/bureau/cancellations", form); w.Code != http.StatusSeeOther {
			t.Fatalf("confirmed: %d %s", w.Code, w.Body.String())
		}
		if f, _ := e.reg.Filing(e.ctx, subject); f.Status != regulator.StatusCancelled {
			t.Errorf("subject %s is %s after cancelling its only website", subject, f.Status)
		}
		w = e.get(t, zjReviewer, "/bureau/cancellations?lang=en")
		if b := w.Body.String(); !strings.Contains(b, website) || !strings.Contains(b, "False or unreachable information") {
			t.Error("the list does not show the cancellation")
		}
		if w := e.get(t, bjReviewer, "/bureau/cancellations"); strings.Contains(w.Body.String(), website) {
			t.Error("another province sees the cancellation")
		}
		if w := e.post(t, zjReviewer, "/bureau/conflict-claims", url.Values{"domain": {"nobody-here.com"}, "confirm": {"yes"}}); w.Code != http.StatusNotFound {
			t.Errorf("claim on an unfiled domain: %d, want 404", w.Code)
		}
	})
}

// Rule CAN-1: a passed spot check is recorded at once; a failed one asks
// for confirmation and then cancels the filing. The blacklist takes
// entries and shows certificate numbers masked.
func TestBureauSpotChecksAndBlacklist(t *testing.T) {
	bureauEach(t, func(t *testing.T, e *bEnv) {
		subject, website := e.approve(t, "330000", e.toBureau(t, "O-1", "330000", "杭州甲科技有限公司", "91330100MA0000001A", "jia-one.com"))
		if w := e.post(t, zjReviewer, "/bureau/spot-checks", url.Values{"number": {subject}, "result": {"passed"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("passed: %d %s", w.Code, w.Body.String())
		}
		failed := url.Values{"number": {website}, "result": {"failed"}, "reason": {"unreachable_phone"}}
		w := e.post(t, zjReviewer, "/bureau/spot-checks", failed)
		if b := bodyOf(t, w.Code, http.StatusOK, w.Body.String()); !strings.Contains(b, "抽查不通过") || !strings.Contains(b, `name="confirm"`) {
			t.Error("a failed spot check is not confirmed first")
		}
		if w := e.post(t, zjReviewer, "/bureau/spot-checks", url.Values{"number": {website}, "result": {"failed"}}); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("failed without a reason: %d, want 422", w.Code)
		}
		failed.Set("confirm", "yes")
		if w := e.post(t, zjReviewer, "/bureau/spot-checks", failed); w.Code != http.StatusSeeOther {
			t.Fatalf("failed confirmed: %d", w.Code)
		}
		if f, _ := e.reg.Filing(e.ctx, website); f.Status != regulator.StatusCancelled {
			t.Error("a failed spot check did not cancel the website")
		}
		if b := e.get(t, zjReviewer, "/bureau/spot-checks").Body.String(); strings.Count(b, website) < 1 || !strings.Contains(b, "不通过") {
			t.Error("the spot checks are not listed")
		}

		if w := e.post(t, zjReviewer, "/bureau/blacklist", url.Values{"kind": {"cert"}, "value": {"330106199001019999"}}); w.Code != http.StatusUnprocessableEntity ||
			strings.Contains(w.Body.String(), "330106199001019999") {
			t.Errorf("no reason: %d, or the certificate number echoed", w.Code)
		}
		for _, f := range []url.Values{{"kind": {"cert"}, "value": {"330106199001019999"}, "reason": {"违法内容"}},
			{"kind": {"website_name"}, "value": {"赌博乐园"}, "reason": {"违法内容"}}} {
			if w := e.post(t, zjReviewer, "/bureau/blacklist", f); w.Code != http.StatusSeeOther {
				t.Fatalf("add %v: %d %s", f, w.Code, w.Body.String())
			}
		}
		b := e.get(t, bjReviewer, "/bureau/blacklist").Body.String()
		if !strings.Contains(b, "****9999") || strings.Contains(b, "330106199001019999") || !strings.Contains(b, "赌博乐园") {
			t.Error("the national blacklist is not shown to every bureau, masked")
		}
	})
}

// Rule PWD-4: offline password requests are recorded (phone masked in the
// list), refused only with a note, answered with a new password sent to
// the responsible person; another province's request is 404.
func TestBureauPasswordRequests(t *testing.T) {
	bureauEach(t, func(t *testing.T, e *bEnv) {
		subject, _ := e.approve(t, "330000", e.toBureau(t, "O-1", "330000", "杭州甲科技有限公司", "91330100MA0000001A", "jia-one.com"))
		rec := url.Values{"subject_number": {subject}, "applicant_name": {"张三"}, "contact_phone": {"13700137000"}}
		if w := e.post(t, zjReviewer, "/bureau/password-requests", url.Values{"subject_number": {subject}, "contact_phone": {"13700137000"}}); w.Code != http.StatusUnprocessableEntity ||
			strings.Contains(w.Body.String(), "13700137000") {
			t.Errorf("no applicant: %d, or the phone echoed", w.Code)
		}
		if w := e.post(t, zjReviewer, "/bureau/password-requests", rec); w.Code != http.StatusSeeOther {
			t.Fatalf("record: %d %s", w.Code, w.Body.String())
		}
		list, err := e.reg.PasswordRequests(e.ctx, regulator.Reviewer{Province: "330000"}, 0)
		if err != nil || len(list) != 1 {
			t.Fatalf("requests %+v, %v", list, err)
		}
		id := list[0].ID
		b := e.get(t, zjReviewer, "/bureau/password-requests").Body.String()
		if !strings.Contains(b, "137****7000") || strings.Contains(b, "13700137000") {
			t.Error("the phone is not masked in the list")
		}
		answer := "/bureau/password-requests/" + itoa64(id) + "/answer"
		if w := e.post(t, bjReviewer, answer, url.Values{"answer": {"approve"}}); w.Code != http.StatusNotFound {
			t.Errorf("another province: %d, want 404", w.Code)
		}
		w := e.post(t, zjReviewer, answer, url.Values{"answer": {"refuse"}})
		if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, `id="f-answer-`+itoa64(id)+`-note-error"`) {
			t.Error("refusing without a note: no message beside the note")
		}
		if w := e.post(t, zjReviewer, answer, url.Values{"answer": {"approve"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("approve: %d %s", w.Code, w.Body.String())
		}
		if list, _ := e.reg.PasswordRequests(e.ctx, regulator.Reviewer{Province: "330000"}, 0); list[0].State != regulator.PasswordAnswered {
			t.Errorf("state %s", list[0].State)
		}
	})
}
