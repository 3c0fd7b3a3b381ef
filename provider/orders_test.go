package provider

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
)

// Rules TYPE-1, WEB-0, ACC-1, ACC-4, NUM-2, REV-7: creating, reading and
// listing orders; another tenant's order is not found on every route.
func TestOrderCreateAndRead(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.customer(t)
		cert := gCert(t)
		form := gPersonForm(t, cert, "wangwu-read.cn")
		form.Password = "never-shown-1"
		o, _ := c.gCreate(t, 201, beian.FirstFiling, form)
		// Rule NUM-2: unique and not guessable (60 random bits after the date).
		if !regexp.MustCompile(`^BA20260302-[0-9A-HJKMNP-TV-Z]{12}$`).MatchString(o.Number) {
			t.Errorf("order number %q", o.Number)
		}
		if o.Stage != beian.StageDraft || o.Version != 1 || o.Type != beian.FirstFiling {
			t.Errorf("order %+v", o)
		}
		if strings.Contains(string(o.Data), "never-shown") || !o.PasswordSet { // Rule PWD-2
			t.Errorf("password in the answer or not noted: %s %v", o.Data, o.PasswordSet)
		}
		for _, a := range []string{ActionEdit, ActionUpload, ActionSubmit, ActionAbandon} {
			if !slices.Contains(o.Actions, a) {
				t.Errorf("actions %v lack %s", o.Actions, a)
			}
		}
		if slices.Contains(o.Actions, ActionWithdraw) {
			t.Errorf("a draft cannot be withdrawn: %v", o.Actions)
		}
		h := c.call(t, 200, "GET", gPath(o.ID, ""), nil, nil)
		if h.Get("ETag") != `"v1"` {
			t.Errorf("ETag %q", h.Get("ETag"))
		}
		var byNumber OrderJSON
		c.call(t, 200, "GET", "/api/v1/orders/"+o.Number, nil, &byNumber)
		if byNumber.ID != o.ID {
			t.Errorf("by number: %+v", byNumber)
		}

		t.Run("ErrOrderInFlight", func(t *testing.T) { // Rule ACC-4
			_, eb := c.gCreate(t, 409, beian.FirstFiling, gPersonForm(t, cert, "wangwu-read2.cn"))
			wantProblems(t, eb, "acc.order_in_flight@")
		})
		t.Run("ErrSecondSubject", func(t *testing.T) { // Rule ACC-1
			_, eb := c.gCreate(t, 409, beian.FirstFiling, gPersonForm(t, gCert(t), "wangwu-read3.cn"))
			wantProblems(t, eb, "acc.one_subject@subject.cert_number")
		})
		t.Run("ErrNotFiledHere", func(t *testing.T) { // Rule TYPE-1
			for _, typ := range []beian.OrderType{beian.NewWebsite, beian.ChangeWebsite, beian.CancelSubject, beian.CancelAccess} {
				_, eb := c.gCreate(t, 422, typ, map[string]any{})
				wantProblems(t, eb, "order.subject_not_filed@type")
			}
		})
		t.Run("ErrBadInput", func(t *testing.T) {
			other := e.customer(t)
			_, eb := other.gCreate(t, 422, "first_flling", map[string]any{})
			wantProblems(t, eb, "order.type_unknown@type")
			_, eb = other.gCreate(t, 422, beian.FirstFiling, map[string]any{"subject": map[string]any{"name": "x"}})
			wantProblems(t, eb, "order.subject_required@subject.cert_type", "order.subject_required@subject.cert_number")
			many := gPersonForm(t, gCert(t), "wangwu-many.cn")
			for len(many.Websites) <= e.svc.Options.MaxWebsites { // Rule WEB-0
				many.Websites = append(many.Websites, many.Websites[0])
			}
			_, eb = other.gCreate(t, 422, beian.FirstFiling, many)
			wantProblems(t, eb, "check.websites_too_many@websites")
			other.call(t, 400, "POST", "/api/v1/orders", map[string]any{"type": "first_filing", "data": map[string]any{"bogus": 1}}, nil)
		})
		t.Run("OKNewSubjectAfterCancellation", func(t *testing.T) { // Rule ACC-1
			if _, err := e.db.SQL.Exec(`UPDATE orders SET stage = 'abandoned' WHERE id = $1`, o.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.db.SQL.Exec(`UPDATE subjects SET status = 'cancelled' WHERE account_id = $1`, c.id); err != nil {
				t.Fatal(err)
			}
			c.gCreate(t, 201, beian.FirstFiling, gPersonForm(t, gCert(t), "wangwu-again.cn"))
		})
		t.Run("OKList", func(t *testing.T) {
			var p1, p2 OrderPage
			c.call(t, 200, "GET", "/api/v1/orders?limit=1", nil, &p1)
			if len(p1.Items) != 1 || p1.Next == "" || p1.Items[0].ID == o.ID {
				t.Fatalf("page 1: %+v", p1)
			}
			c.call(t, 200, "GET", "/api/v1/orders?limit=1&cursor="+p1.Next, nil, &p2)
			if len(p2.Items) != 1 || p2.Items[0].ID != o.ID || p2.Next != "" {
				t.Fatalf("page 2: %+v", p2)
			}
			var none OrderPage
			e.customer(t).call(t, 200, "GET", "/api/v1/orders", nil, &none)
			if len(none.Items) != 0 {
				t.Fatalf("another account lists %+v", none)
			}
		})
		t.Run("ErrAnotherTenant", func(t *testing.T) { // 404 on every route
			other := e.customer(t)
			for _, r := range []struct{ method, suffix string }{
				{"GET", ""}, {"PATCH", ""}, {"POST", "/submit"}, {"POST", "/withdraw"}, {"POST", "/abandon"},
				{"GET", "/preview"}, {"POST", "/documents?kind=id_front"}, {"GET", "/documents/1"}, {"GET", "/timeline"},
			} {
				var body any
				if r.method != "GET" {
					body = map[string]any{"data": map[string]any{}}
				}
				other.call(t, 404, r.method, gPath(o.ID, r.suffix), body, nil, gETag(1)...)
			}
		})
		t.Run("Roles", func(t *testing.T) {
			rv := e.account(t, beian.RoleProviderReviewer, "")
			var seen OrderJSON
			rv.call(t, 200, "GET", gPath(o.ID, ""), nil, &seen) // staff read any order
			if seen.Number != o.Number || strings.Contains(string(seen.Data), "never-shown") {
				t.Errorf("staff view %+v", seen)
			}
			rv.call(t, 403, "POST", "/api/v1/orders", map[string]any{"type": "first_filing"}, nil)
			rv.call(t, 403, "POST", gPath(o.ID, "/submit"), nil, nil)
			e.anonymous().call(t, 401, "GET", gPath(o.ID, ""), nil, nil)
		})
	})
}

// Rules TYPE-1, OTH-1, OTH-2, CAN-4, PWD-2: the types on a subject filed here.
func TestOrderTypesOnFiledSubject(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		one := e.gFiled(t, "individual", 1)
		t.Run("ErrFirstFilingTwice", func(t *testing.T) {
			_, eb := one.c.gCreate(t, 422, beian.FirstFiling, gPersonForm(t, one.cert, "wangwu-twice.cn"))
			wantProblems(t, eb, "order.subject_filed@type")
		})
		t.Run("ErrOtherSubject", func(t *testing.T) { // Rule ACC-1
			d := gPersonForm(t, gCert(t), "x.cn")
			d.Websites = nil
			_, eb := one.c.gCreate(t, 409, beian.NewWebsite, d)
			wantProblems(t, eb, "acc.one_subject@subject.cert_number")
		})
		t.Run("CancelOnlyWebsiteIsSubjectCancellation", func(t *testing.T) { // Rule CAN-4
			o, _ := one.c.gCreate(t, 201, beian.CancelWebsite, map[string]any{"cancel": one.websites})
			if o.Effect != EffectCancelsSubject || !hasMessage(o.Warnings, "order.cancels_subject") {
				t.Fatalf("effect %q warnings %+v", o.Effect, o.Warnings)
			}
			var pv PreviewJSON
			one.c.call(t, 200, "GET", gPath(o.ID, "/preview"), nil, &pv)
			if pv.Effect != EffectCancelsSubject || !hasMessage(pv.Problems, "order.confirm_required") || !hasMessage(pv.Problems, "order.password_required") {
				t.Fatalf("preview %+v", pv)
			}
			one.c.call(t, 200, "POST", gPath(o.ID, "/abandon"), nil, nil)
		})
		t.Run("CancelOneOfTwoWebsites", func(t *testing.T) {
			two := e.gFiled(t, "individual", 2)
			o, _ := two.c.gCreate(t, 201, beian.CancelWebsite, map[string]any{"cancel": two.websites[:1]})
			if o.Effect != "" || hasMessage(o.Warnings, "order.cancels_subject") {
				t.Fatalf("effect %q warnings %+v", o.Effect, o.Warnings)
			}
		})
		t.Run("ChangeStartsFromFiledData", func(t *testing.T) { // Rule OTH-2
			o, _ := one.c.gCreate(t, 201, beian.ChangeSubject, map[string]any{})
			var d beian.OrderData
			if err := json.Unmarshal(o.Data, &d); err != nil || d.Subject.CertNumber != one.cert || d.Subject.Number != one.subject || len(d.Websites) != 1 {
				t.Fatalf("prefilled %s", o.Data)
			}
			var got OrderJSON
			one.c.call(t, 200, "PATCH", gPath(o.ID, ""), map[string]any{"data": map[string]any{"subject": map[string]any{"name": "王五六", "address": "北京市朝阳区建国路3号"}}},
				&got, gETag(o.Version)...)
			if strings.Join(got.Changed, ",") != "subject.address,subject.name" || !hasMessage(got.ReviewFlags, "order.subject_name_changed") {
				t.Fatalf("changed %v flags %+v", got.Changed, got.ReviewFlags)
			}
			one.c.call(t, 200, "POST", gPath(o.ID, "/abandon"), nil, nil)
		})
		t.Run("TransferIn", func(t *testing.T) { // Rules OTH-1, PWD-2
			hash, err := identity.HashPassword(identity.HashParams{Memory: 64, Time: 1, Threads: 1}, "Right-Password-9")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.db.SQL.Exec(`UPDATE registry_subjects SET password_hash = $1 WHERE number = $2`, hash, one.subject); err != nil {
				t.Fatal(err)
			}
			c := e.customer(t)
			d := gPersonForm(t, one.cert, "wangwu-in.cn")
			d.Transfer, d.Password = one.websites[0], "wrong-password"
			_, eb := c.gCreate(t, 422, beian.TransferIn, d)
			wantProblems(t, eb, "registry.transfer_check_failed@password")
			d.Password = "Right-Password-9"
			o, _ := c.gCreate(t, 201, beian.TransferIn, d)
			if strings.Contains(string(o.Data), "Right-Password") || !o.PasswordSet {
				t.Fatalf("password shown: %s", o.Data)
			}
		})
	})
}

// Rule OTH-2: an organisation cannot become a person.
func TestOrderChangeNature(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		org := e.gFiled(t, "enterprise", 1)
		o, _ := org.c.gCreate(t, 201, beian.ChangeSubject, map[string]any{})
		var eb errorBody
		org.c.call(t, 422, "PATCH", gPath(o.ID, ""), map[string]any{"data": map[string]any{"subject": map[string]any{"nature": "individual"}}},
			&eb, gETag(o.Version)...)
		wantProblems(t, eb, "order.nature_to_person@subject.nature")
		// Rule OTH-2: a change that changes nothing is refused at submit.
		var sb errorBody
		org.c.call(t, 422, "POST", gPath(o.ID, "/submit"), nil, &sb)
		wantProblems(t, sb, "order.change_empty@")
	})
}

func hasMessage(ms []MessageJSON, code string) bool {
	return slices.ContainsFunc(ms, func(m MessageJSON) bool { return m.Code == code })
}

// Every code of the orders area has a message in both languages.
func TestOrderCodesCatalogued(t *testing.T) {
	c := i18n.Default()
	for code, rule := range OrderCodes() {
		for _, lang := range i18n.Langs {
			if !c.Has(lang, code) {
				t.Errorf("%s: no message for %s (%s)", lang, code, rule)
			}
		}
	}
	if got := fmt.Sprint(len(OrderCodes())); got == "0" {
		t.Fatal("no codes")
	}
}
