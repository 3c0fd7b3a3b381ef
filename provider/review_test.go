package provider

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
)

// A first filing walks initial review → verification (a blurry photo
// refused at once, a sharp one accepted) → photo review → the registry's
// SMS confirmation → the bureau's approval → approved, with its numbers
// and its domain served (Rules REV-1, VER-1, REV-4, VER-3, NUM-1, GATE-1);
// the event feed applied twice changes nothing the second time.
func TestReviewWalkFirstFiling(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		bureau := e.account(t, beian.RoleBureauReviewer, "330000")
		e.hSeed(t, hDomain)
		o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
		id := strconv.FormatInt(o.ID, 10)

		// Rule REV-1: the queue, oldest first, with the 1-business-day SLA.
		var q struct{ Items []QueueItem }
		rev.call(t, 200, "GET", "/api/v1/review/queue?stage=initial_review", nil, &q)
		if len(q.Items) != 1 || q.Items[0].ID != o.ID || q.Items[0].Minor {
			t.Fatalf("queue: %+v", q.Items)
		}
		if want := t0.AddDate(0, 0, 1); !q.Items[0].SLADeadline.Equal(want) || q.Items[0].SLASeconds != 86400 {
			t.Errorf("SLA deadline %v (%d s left), want %v (86400 s)", q.Items[0].SLADeadline, q.Items[0].SLASeconds, want)
		}
		rev.call(t, 422, "GET", "/api/v1/review/queue?stage=bureau_review", nil, nil)

		// Deciding needs a claim.
		code, body, _ := rev.do(t, "POST", "/api/v1/review/orders/"+id+"/decision", Decision{Approve: true})
		if code != 409 || !strings.Contains(string(body), "review.claim_required") {
			t.Fatalf("decision without claim: %d %s", code, body)
		}
		rev.hDecide(t, o.ID, Decision{Approve: true})
		e.hStage(t, o.ID, beian.StageVerification)

		// Rule VER-1: a blurry photo is refused at once, with the reason.
		body = cust.hUpload(t, 422, o.ID, hBlurryPNG(t))
		if !strings.Contains(string(body), "photo.blurry") || !strings.Contains(string(body), "VER-1") {
			t.Errorf("blurry photo: %s", body)
		}
		e.hStage(t, o.ID, beian.StageVerification)
		body = cust.hUpload(t, 200, o.ID, hSharpPNG(t))
		var va VerificationAnswer
		_ = json.Unmarshal(body, &va)
		if va.Order.Stage != beian.StagePhotoReview || va.Sharpness < DefaultPhotoLimits.MinSharpness {
			t.Fatalf("sharp photo: %s", body)
		}

		// Rule REV-4: photo review approves → the registry (Rule VER-3).
		rev.call(t, 200, "GET", "/api/v1/review/queue?stage=photo_review", nil, &q)
		if len(q.Items) != 1 || q.Items[0].ID != o.ID {
			t.Fatalf("photo queue: %+v", q.Items)
		}
		rev.hDecide(t, o.ID, Decision{Approve: true})
		e.hStage(t, o.ID, beian.StageSMSConfirmation)
		sid := e.hSubmission(t, o.ID)
		if n := e.hCount(t, `SELECT COUNT(*) FROM provider_outbox WHERE template = $1 AND recipient = $2`, TemplateReviewApproved, hSubjPhone); n != 2 {
			t.Errorf("review results by SMS to the responsible person: %d, want 2 (REV-1)", n)
		}
		e.hConfirmSMS(t)
		if n := e.hPull(t); n != 1 {
			t.Errorf("events applied after the SMS confirmation: %d, want 1", n)
		}
		e.hStage(t, o.ID, beian.StageBureauReview)

		bureau.call(t, 200, "POST", "/api/v1/bureau/orders/"+sid+"/decision", map[string]any{"approve": true}, nil)
		if n := e.hPull(t); n < 1 {
			t.Fatalf("events applied after the approval: %d", n)
		}
		e.hStage(t, o.ID, beian.StageApproved)
		var subjNumber, webNumber, reason string
		if err := e.db.SQL.QueryRowContext(e.ctx, `SELECT COALESCE(number, ''), status FROM subjects WHERE id = $1`, o.SubjectID).Scan(&subjNumber, &reason); err != nil || !strings.HasPrefix(subjNumber, "浙ICP备") || reason != "active" {
			t.Fatalf("subject: %q %q %v", subjNumber, reason, err)
		}
		if err := e.db.SQL.QueryRowContext(e.ctx, `SELECT website_number, reason FROM servable_domains WHERE domain = $1`, hDomain).Scan(&webNumber, &reason); err != nil ||
			webNumber != subjNumber+"-1" || reason != string(beian.GateServed) {
			t.Fatalf("servable %s: %q %q %v", hDomain, webNumber, reason, err)
		}

		// Events are applied once: a second pull, and a pull from the start, change nothing.
		if n := e.hPull(t); n != 0 {
			t.Errorf("second pull applied %d", n)
		}
		if _, err := e.db.SQL.ExecContext(e.ctx, `UPDATE provider_event_cursor SET cursor = ''`); err != nil {
			t.Fatal(err)
		}
		before := e.hCount(t, `SELECT COUNT(*) FROM provider_outbox`)
		if n := e.hPull(t); n != 0 {
			t.Errorf("pull from the start applied %d", n)
		}
		if after := e.hCount(t, `SELECT COUNT(*) FROM provider_outbox`); after != before {
			t.Errorf("a replayed feed sent %d messages", after-before)
		}
	})
}

// Rule REV-1 / issue 6: two reviewers never decide the same order; a claim
// expires so that work is not stuck.
func TestReviewClaimConflict(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust := e.customer(t)
		a, b := e.account(t, beian.RoleProviderReviewer, ""), e.account(t, beian.RoleProviderReviewer, "")
		o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
		p := "/api/v1/review/orders/" + strconv.FormatInt(o.ID, 10)
		a.call(t, 200, "POST", p+"/claim", nil, nil)
		for _, path := range []string{"/claim", "/decision"} {
			code, body, _ := b.do(t, "POST", p+path, Decision{Approve: true})
			if code != 409 || !strings.Contains(string(body), `"review.claimed"`) {
				t.Errorf("second reviewer %s: %d %s", path, code, body)
			}
		}
		var q struct{ Items []QueueItem }
		b.call(t, 200, "GET", "/api/v1/review/queue", nil, &q)
		if len(q.Items) != 1 || q.Items[0].ClaimedBy != a.id {
			t.Errorf("queue shows the claim: %+v", q.Items)
		}
		a.call(t, 200, "POST", p+"/claim", nil, nil) // the holder's own claim again extends it
		e.advance(t, ClaimTTL+time.Minute)
		b.call(t, 200, "POST", p+"/claim", nil, nil)
		b.call(t, 404, "POST", "/api/v1/review/orders/"+strconv.FormatInt(o.ID+1000, 10)+"/claim", nil, nil)
		code, body, _ := a.do(t, "POST", p+"/decision", Decision{Approve: true})
		if code != 409 || !strings.Contains(string(body), `"review.claimed"`) {
			t.Errorf("first reviewer after the claim expired and was taken: %d %s", code, body)
		}
		b.call(t, 200, "POST", p+"/decision", Decision{Approve: true}, nil)
		e.hStage(t, o.ID, beian.StageVerification)
		b.call(t, 409, "POST", p+"/claim", nil, nil) // verification is not a review stage
	})
}

// Rule REV-3: a rejection needs items on the order's fields; the order
// goes to needs_fix with exactly those fields flagged, and the items are
// kept.
func TestReviewRejectionFlagsFields(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
		p := "/api/v1/review/orders/" + strconv.FormatInt(o.ID, 10)
		rev.call(t, 200, "POST", p+"/claim", nil, nil)
		for name, tc := range map[string]struct {
			items []beian.ReviewItem
			want  []string
		}{
			"ErrNoItems":      {nil, []string{"review.items_required"}},
			"ErrUnknownField": {[]beian.ReviewItem{{Field: "websites[1].homepage", Reason: "x", Action: beian.ActionFixWebsite}}, []string{"review.field_unknown"}},
			"ErrEverything": {[]beian.ReviewItem{{Field: "subject.nickname", Action: "fix_all"}},
				[]string{"review.field_unknown", "review.reason_required", "review.action_unknown"}},
		} {
			code, body, _ := rev.do(t, "POST", p+"/decision", Decision{Items: tc.items})
			for _, w := range tc.want {
				if code != 422 || !strings.Contains(string(body), `"`+w+`"`) {
					t.Errorf("%s: %d %s, want %s", name, code, body, w)
				}
			}
		}
		items := []beian.ReviewItem{
			{Field: "websites[0].homepage", Reason: "首页无法访问", Suggestion: "请填写 www 开头的首页", Action: beian.ActionFixWebsite},
			{Field: "subject.address", Reason: "地址不完整", Action: beian.ActionFixSubject},
		}
		rev.call(t, 200, "POST", p+"/decision", Decision{Items: items}, nil)
		got := e.hStage(t, o.ID, beian.StageNeedsFix)
		if strings.Join(got.Flagged, ",") != "subject.address,websites[0].homepage" {
			t.Errorf("flagged %v", got.Flagged)
		}
		stored, round, err := e.svc.Store.ReviewItems(e.ctx, o.ID, 0)
		if err != nil || round != 1 || len(stored) != 2 || stored[0].Suggestion != items[0].Suggestion {
			t.Errorf("items %+v round %d %v", stored, round, err)
		}
		if n := e.hCount(t, `SELECT COUNT(*) FROM provider_outbox WHERE template = $1`, TemplateReviewRejected); n != 3 {
			t.Errorf("rejection messages: %d, want 3 (two SMS, one email)", n)
		}
	})
}

// Rules SUBJ-2, REV-8: a responsible person under 18 is flagged in the
// queue; the reviewer asks for supplementary material, due in 5 business
// days; missed, the order goes to needs_fix.
func TestReviewSupplementDeadline(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		d := hForm(hDomain)
		body := "33010620100301123" // born 2010-03-01: 15 on 2026-03-02
		d.Websites[0].Person.CertNumber = body + string(residentCheck(body))
		o := e.hSubmitted(t, cust, beian.FirstFiling, d)
		var q struct{ Items []QueueItem }
		rev.call(t, 200, "GET", "/api/v1/review/queue", nil, &q)
		if len(q.Items) != 1 || !q.Items[0].Minor || strings.Join(q.Items[0].MinorFields, ",") != "websites[0].person" || q.Items[0].MinorSupplement == "" {
			t.Fatalf("minor flag (SUBJ-2): %+v", q.Items)
		}
		p := "/api/v1/review/orders/" + strconv.FormatInt(o.ID, 10)
		rev.call(t, 200, "POST", p+"/claim", nil, nil)
		rev.call(t, 422, "POST", p+"/supplement-request", SupplementRequest{}, nil)
		rev.call(t, 200, "POST", p+"/supplement-request", SupplementRequest{Note: "请上传监护人同意书",
			Items: []beian.ReviewItem{{Field: "documents", Reason: "未成年人需监护人同意书", Action: beian.ActionFixMaterials}}}, nil)
		e.hStage(t, o.ID, beian.StageSupplementRequested)
		e.advanceBusinessDays(t, 4)
		e.hStage(t, o.ID, beian.StageSupplementRequested)
		e.advanceBusinessDays(t, 1)
		got := e.hStage(t, o.ID, beian.StageNeedsFix)
		if strings.Join(got.Flagged, ",") != "documents" {
			t.Errorf("flagged after the deadline: %v", got.Flagged)
		}
	})
}

// residentCheck is the GB 11643 check character of 17 digits.
func residentCheck(body17 string) byte {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(body17[i]-'0') * w[i]
	}
	return "10X98765432"[sum%11]
}
