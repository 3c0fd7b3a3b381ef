package page

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/sqlstore/providerdb"
)

// The desk is for provider staff: anonymous visitors are sent to the
// login page with next; customers, bureau reviewers and (outside the
// upload page) verifiers get the 403 page.
func TestReviewAccess(t *testing.T) {
	reviewEach(t, func(t *testing.T, e *rEnv) {
		o := e.submitted(t, rForm("jia-one.com", "110101198001015678"))
		w := e.get(t, "", "/review?stage=photo_review")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next="+url.QueryEscape("/review?stage=photo_review") {
			t.Errorf("anonymous: %d %q", w.Code, w.Header().Get("Location"))
		}
		for _, c := range []struct{ who, path string }{
			{rAs(e.customer), "/review"}, {rAs(e.customer), "/review/orders/" + rID(o)}, {rAs(e.customer), "/review/verification"},
			{"registry:bureau_reviewer 1", "/review"}, {"registry:provider_reviewer 1", "/review"}, {rAs(e.verifier), "/review"},
			{rAs(e.verifier), "/review/orders/" + rID(o)},
		} {
			if w := e.get(t, c.who, c.path); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "<html") {
				t.Errorf("%q on %s: %d, want the 403 page", c.who, c.path, w.Code)
			}
		}
		if w := e.post(t, rAs(e.customer), "/review/orders/"+rID(o)+"/claim", url.Values{}); w.Code != http.StatusForbidden {
			t.Errorf("customer claims: %d", w.Code)
		}
		for _, c := range []struct{ who, path string }{{rAs(e.reviewer), "/review"}, {rAs(e.verifier), "/review/verification"}, {rAs(e.reviewer), "/review/verification"}} {
			if w := e.get(t, c.who, c.path); w.Code != http.StatusOK || w.Header().Get("Content-Security-Policy") == "" {
				t.Errorf("%s on %s: %d, CSP %q", c.who, c.path, w.Code, w.Header().Get("Content-Security-Policy"))
			}
		}
		if w := e.get(t, rAs(e.reviewer), "/review?stage=bureau_review"); w.Code != http.StatusNotFound {
			t.Errorf("unknown queue: %d", w.Code)
		}
	})
}

// Rule REV-1: the initial-review queue lists orders oldest first with the
// SLA deadline of 1 business day and the time left, overdue ones marked;
// Rule SUBJ-2: an order with an under-18 person is flagged. zh-CN by
// default, English by ?lang=en.
func TestReviewQueue(t *testing.T) {
	reviewEach(t, func(t *testing.T, e *rEnv) {
		old := e.submitted(t, rForm("jia-one.com", rMinorCert))
		e.clock.Set(bT0.Add(20 * time.Hour))
		young := e.submitted(t, rOther(rForm("yi-one.com", "110101198001015678")))
		e.clock.Set(bT0.Add(26 * time.Hour)) // Tuesday 12:00: the first is 2 h overdue, the second (Tuesday 06:00) has 18 h left
		w := e.get(t, rAs(e.reviewer), "/review")
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		iOld, iYoung := strings.Index(b, old.Number), strings.Index(b, young.Number)
		if iOld < 0 || iYoung < iOld {
			t.Errorf("queue order: %s at %d, %s at %d", old.Number, iOld, young.Number, iYoung)
		}
		for _, want := range []string{"已超时 2 小时 0 分钟", "18 小时 0 分钟", "2026-03-03 10:00", "含未成年负责人", `class="overdue"`,
			`action="/review/orders/` + rID(old) + `/claim"`, `lang="zh-CN"`, "首次备案"} {
			if !strings.Contains(b, want) {
				t.Errorf("queue lacks %q", want)
			}
		}
		if strings.Count(b, "含未成年负责人") != 1 {
			t.Error("the minor flag is not on exactly one order")
		}
		w = e.get(t, rAs(e.reviewer), "/review?lang=en")
		if b := w.Body.String(); !strings.Contains(b, `lang="en"`) || !strings.Contains(b, "Initial review queue") || !strings.Contains(b, "Overdue by 2 h 0 min") {
			t.Errorf("?lang=en: %s", b)
		}
		w = e.get(t, rAs(e.reviewer), "/review?stage=photo_review")
		if b := w.Body.String(); w.Code != http.StatusOK || strings.Contains(b, old.Number) || !strings.Contains(b, "暂无待审核") {
			t.Errorf("photo queue: %d", w.Code)
		}
	})
}

// Claiming: the form needs the session's token; the claimer sees the order
// as theirs, another reviewer sees it claimed and cannot claim it (409).
// The order page shows every field with its path, personal data included
// (Rule PRIV-1: staff only).
func TestReviewClaimAndOrderPage(t *testing.T) {
	reviewEach(t, func(t *testing.T, e *rEnv) {
		o := e.submitted(t, rForm("jia-one.com", rMinorCert))
		claim := "/review/orders/" + rID(o) + "/claim"
		if w := e.post(t, rAs(e.reviewer), claim, url.Values{"csrf": {"WRONG"}}); w.Code != http.StatusForbidden {
			t.Errorf("claim with a wrong token: %d", w.Code)
		}
		w := e.post(t, rAs(e.reviewer), claim, url.Values{})
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/review/orders/"+rID(o)+"?notice=claimed") {
			t.Fatalf("claim: %d %q", w.Code, w.Header().Get("Location"))
		}
		w = e.get(t, rAs(e.reviewer), w.Header().Get("Location"))
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		for _, want := range []string{o.Number, "已认领订单", "已由我认领", "杭州甲科技有限公司", "91330100MA0000001A", "330106199001011234", "13800138000",
			"zhang@example.com", rMinorCert, "www.jia-one.com", "203.0.113.10", "websites[0].homepage", "subject.person.mobile",
			"websites[0].person", "未成年负责人", "监护人同意书", `name="decision" value="reject"`, `name="items[2].field"`, "修改网站",
			`action="/review/orders/` + rID(o) + `/supplement"`, "2026-03-09 10:00", "尚无核验照片"} {
			if !strings.Contains(b, want) {
				t.Errorf("order page lacks %q", want)
			}
		}
		if b := e.get(t, rAs(e.other), "/review/orders/"+rID(o)).Body.String(); !strings.Contains(b, "已由其他审核员认领") || strings.Contains(b, `action="`+claim+`"`) {
			t.Error("another reviewer does not see the order claimed")
		}
		if w := e.post(t, rAs(e.other), claim, url.Values{}); w.Code != http.StatusConflict {
			t.Errorf("claim of a claimed order: %d, want 409", w.Code)
		}
		if w := e.get(t, rAs(e.reviewer), "/review/orders/999999"); w.Code != http.StatusNotFound {
			t.Errorf("unknown order: %d", w.Code)
		}
		if w := e.get(t, rAs(e.reviewer), "/review/orders/"+rID(o)+"?lang=en"); !strings.Contains(w.Body.String(), "Rejection items") {
			t.Error("order page not in English with ?lang=en")
		}
	})
}

// Rule REV-3: the reject form builds items (field from the order's
// fields, reason from the list or typed, suggestion, action); the order
// goes to needs_fix with the fields flagged. Problems are shown beside
// their inputs; the claim is required; approve moves the order on.
func TestReviewDecision(t *testing.T) {
	reviewEach(t, func(t *testing.T, e *rEnv) {
		o := e.submitted(t, rForm("jia-one.com", "110101198001015678"))
		dec := "/review/orders/" + rID(o) + "/decision"
		reject := url.Values{"decision": {"reject"}, "rows": {"3"},
			"items[0].field": {"websites[0].homepage"}, "items[0].reason": {"reachable_before_number"}, "items[0].suggestion": {"关闭网站后重新提交"}, "items[0].action": {"fix_website"},
			"items[1].field": {"subject.address"}, "items[1].reason_text": {"地址不详细"}, "items[1].action": {"fix_subject"},
			"items[2].action": {"fix_subject"}}
		w := e.post(t, rAs(e.reviewer), dec, reject) // no claim yet
		if b := bodyOf(t, w.Code, w.Code, w.Body.String()); w.Code < 400 || !strings.Contains(b, "需先认领") {
			t.Errorf("decision without a claim: %d", w.Code)
		}
		e.post(t, rAs(e.reviewer), "/review/orders/"+rID(o)+"/claim", url.Values{})
		bad := url.Values{"decision": {"reject"}, "rows": {"3"}, "items[0].field": {"websites[5].homepage"}, "items[0].action": {"fix_website"},
			"items[1].suggestion": {"x"}, "items[1].action": {"nope"}}
		w = e.post(t, rAs(e.reviewer), dec, bad)
		b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
		for _, want := range []string{`id="f-items-0-field-error"`, `id="f-items-0-reason-error"`, `id="f-items-1-action-error"`, "请从列表中选择字段", `id="error-summary"`} {
			if !strings.Contains(b, want) {
				t.Errorf("bad items: page lacks %q", want)
			}
		}
		if w := e.post(t, rAs(e.reviewer), dec, url.Values{"rows": {"3"}}); !strings.Contains(w.Body.String(), `id="f-decision-error"`) {
			t.Errorf("no decision: %d, no error beside the choice", w.Code)
		}
		if w := e.post(t, rAs(e.reviewer), dec, url.Values{"decision": {"reject"}, "rows": {"3"}, "add_row": {"1"}}); !strings.Contains(w.Body.String(), `name="items[3].field"`) {
			t.Error("add an item did not add a row")
		}
		w = e.post(t, rAs(e.reviewer), dec, reject)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/review?stage=initial_review&notice=rejected") {
			t.Fatalf("reject: %d %q %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		after := e.order(t, o.ID)
		items, _, err := e.svc.Store.ReviewItems(e.ctx, o.ID, 0)
		if err != nil || after.Stage != beian.StageNeedsFix || len(items) != 2 || !slices.Equal(slices.Sorted(slices.Values(after.Flagged)), []string{"subject.address", "websites[0].homepage"}) {
			t.Fatalf("after reject: %s %v, items %+v, %v", after.Stage, after.Flagged, items, err)
		}
		want := beian.ReviewItem{Field: "websites[0].homepage", Reason: "网站在取得备案号前可以访问", Suggestion: "关闭网站后重新提交", Action: beian.ActionFixWebsite}
		if items[0] != want || items[1].Reason != "地址不详细" || items[1].Action != beian.ActionFixSubject {
			t.Errorf("items %+v", items)
		}
		if b := e.get(t, rAs(e.reviewer), "/review/orders/"+rID(o)).Body.String(); !strings.Contains(b, "上一轮驳回项") || strings.Contains(b, `action="`+dec+`"`) {
			t.Error("the order page after the rejection: no last items, or still a decision form")
		}

		o2 := e.submitted(t, rOther(rForm("yi-one.com", "110101198001015678")))
		e.post(t, rAs(e.reviewer), "/review/orders/"+rID(o2)+"/claim", url.Values{})
		w = e.post(t, rAs(e.reviewer), "/review/orders/"+rID(o2)+"/decision", url.Values{"decision": {"approve"}, "rows": {"3"}, "items[0].action": {"fix_subject"}})
		if w.Code != http.StatusSeeOther || e.order(t, o2.ID).Stage != beian.StageVerification {
			t.Errorf("approve: %d, stage %s", w.Code, e.order(t, o2.ID).Stage)
		}
	})
}

// Rules SUBJ-2, REV-8: the supplement form asks for material with the
// province's requirement as its default and the due date 5 business days
// ahead; an empty request is shown again with the problem beside the note.
func TestReviewSupplement(t *testing.T) {
	reviewEach(t, func(t *testing.T, e *rEnv) {
		o := e.submitted(t, rForm("jia-one.com", rMinorCert))
		e.post(t, rAs(e.reviewer), "/review/orders/"+rID(o)+"/claim", url.Values{})
		sup := "/review/orders/" + rID(o) + "/supplement"
		w := e.post(t, rAs(e.reviewer), sup, url.Values{"note": {"  "}})
		if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, `id="f-note-error"`) {
			t.Error("empty request: no error beside the note")
		}
		w = e.post(t, rAs(e.reviewer), sup, url.Values{"note": {"请上传监护人同意书"}})
		if w.Code != http.StatusSeeOther || e.order(t, o.ID).Stage != beian.StageSupplementRequested {
			t.Fatalf("request: %d %s", w.Code, w.Body.String())
		}
		b := e.get(t, rAs(e.reviewer), "/review/orders/"+rID(o)).Body.String()
		if !strings.Contains(b, "已要求补充材料") || !strings.Contains(b, "请上传监护人同意书") || !strings.Contains(b, "2026-03-09 10:00") {
			t.Errorf("the order page does not show the request and its due date")
		}
	})
}

// Rule PRIV-1: a document and the verification photo are shown to staff
// through audited views; Rule VER-1: the verification point uploads the
// photo, a blurry one is refused at once with its sharpness, a sharp one
// moves the order to photo review, where the page shows it beside its score.
func TestReviewDocumentsAndPhoto(t *testing.T) {
	reviewEach(t, func(t *testing.T, e *rEnv) {
		o := e.submitted(t, rForm("jia-one.com", "110101198001015678"))
		content := []byte("%PDF-1.4 licence")
		ref, err := e.svc.Blobs.Put(e.ctx, bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := e.svc.Store.AddDocument(e.ctx, providerdb.Document{OrderID: o.ID, Kind: "licence", SHA256: ref.SHA256, ContentType: "application/pdf",
			Bytes: ref.Size, UploadedBy: o.AccountID}, "test")
		if err != nil {
			t.Fatal(err)
		}
		docURL := "/review/orders/" + rID(o) + "/documents/" + itoa64(doc.ID)
		if b := e.get(t, rAs(e.reviewer), "/review/orders/"+rID(o)).Body.String(); !strings.Contains(b, `href="`+docURL+`"`) || !strings.Contains(b, "documents.licence") {
			t.Error("the order page does not link the document")
		}
		w := e.get(t, rAs(e.reviewer), docURL)
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), content) || e.audits(t, "document.view") != 1 || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment") {
			t.Errorf("document view: %d, audited %d", w.Code, e.audits(t, "document.view"))
		}
		// to verification, the customer booked a point visit
		e.post(t, rAs(e.reviewer), "/review/orders/"+rID(o)+"/claim", url.Values{})
		e.post(t, rAs(e.reviewer), "/review/orders/"+rID(o)+"/decision", url.Values{"decision": {"approve"}})
		if _, err := e.svc.Verify(e.ctx, o.AccountID, o.ID, provider.VerificationRequest{Method: providerdb.VerifyPoint}); err != nil {
			t.Fatal(err)
		}
		if b := e.get(t, rAs(e.verifier), "/review/verification").Body.String(); !strings.Contains(b, "/review/verification?order="+o.Number) {
			t.Error("the upload page does not list the booked order")
		}
		w = e.upload(t, rAs(e.verifier), o.Number, rPNG(t, false))
		if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, `id="f-photo-error"`) || !strings.Contains(b, "不够清晰") {
			t.Errorf("blurry photo: no verdict beside the input")
		}
		if w := e.upload(t, rAs(e.verifier), "NO-SUCH", rPNG(t, true)); !strings.Contains(w.Body.String(), `id="f-order-error"`) {
			t.Errorf("unknown order: %d", w.Code)
		}
		w = e.upload(t, rAs(e.verifier), o.Number, rPNG(t, true))
		if w.Code != http.StatusSeeOther || e.order(t, o.ID).Stage != beian.StagePhotoReview {
			t.Fatalf("sharp photo: %d, stage %s: %s", w.Code, e.order(t, o.ID).Stage, w.Body.String())
		}
		if b := e.get(t, rAs(e.verifier), w.Header().Get("Location")).Body.String(); !strings.Contains(b, "已上传核验照片") || !strings.Contains(b, "清晰度") {
			t.Error("no notice with the sharpness after the upload")
		}
		b := e.get(t, rAs(e.reviewer), "/review/orders/"+rID(o)).Body.String()
		if !strings.Contains(b, `src="/review/orders/`+rID(o)+`/photo"`) || !strings.Contains(b, "(最低 40.0)") || !strings.Contains(b, "清晰") {
			t.Error("the photo-review page does not show the photo beside its score")
		}
		w = e.get(t, rAs(e.reviewer), "/review/orders/"+rID(o)+"/photo")
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" || e.audits(t, "verification.photo_view") != 1 {
			t.Errorf("photo view: %d %q, audited %d", w.Code, w.Header().Get("Content-Type"), e.audits(t, "verification.photo_view"))
		}
		if w := e.get(t, rAs(e.verifier), "/review/orders/"+rID(o)+"/photo"); w.Code != http.StatusForbidden {
			t.Errorf("verifier views the photo through the reviewers' page: %d", w.Code)
		}
	})
}
