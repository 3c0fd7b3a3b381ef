package provider

import (
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// problemSet renders problems as code@field for comparison.
func problemSet(ps beian.Problems) errorBody {
	var b errorBody
	for _, p := range ps {
		b.Errors = append(b.Errors, struct{ Code, Rule, Field, Message string }{p.Code, p.Rule, p.Field, ""})
	}
	return b
}

// CheckData on the order form (used at submit): a clean first filing has
// no problem; each rule's failure lands at the OrderData field path.
func TestCheckData(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner, filer := e.customer(t), e.customer(t)
		r := e.resource(t, filer.id)
		shared := e.resource(t, owner.id)
		co := newCompany(t, 1)
		e.seedDomain(t, co.domain, co.name, "uscc", co.uscc)
		check := func(typ beian.OrderType, commercial bool, d beian.OrderData) errorBody {
			t.Helper()
			ps, err := e.svc.CheckData(e.ctx, filer.id, typ, commercial, d)
			if err != nil {
				t.Fatal(err)
			}
			return problemSet(ps)
		}
		if b := check(beian.FirstFiling, false, co.form(t, r.ID)); len(b.Errors) != 0 {
			t.Fatalf("clean form: %s", b)
		}

		// Rule ACC-3: a code with one use serves one website only; Rule
		// ACC-2: server IPs belong to the chosen resources.
		code, err := e.svc.Store.IssueAuthCode(e.ctx, owner.id, shared.ID, t0.AddDate(0, 1, 0), 1, 3, "test")
		if err != nil {
			t.Fatal(err)
		}
		d := co.form(t, r.ID)
		d.Websites[0].Resources = []beian.ResourceRef{{AuthCode: code.Code}}
		d.Websites[0].ServerIPs = []string{shared.PublicIPs[0], "47.1.1.1"}
		second := d.Websites[0]
		second.Domains, second.Homepage, second.Name = []string{"second-example.cn"}, "www.second-example.cn", "星辰论坛网站"
		second.ServerIPs = nil
		d.Websites = append(d.Websites, second)
		e.seedDomain(t, "second-example.cn", co.name, "uscc", co.uscc)
		b := check(beian.FirstFiling, false, d)
		wantProblems(t, b, "authcode.exhausted@websites[1].resources[0]", "check.server_ip_not_resource@websites[0].server_ips[1]")
		if b.has("check.server_ip_not_resource", "websites[0].server_ips[0]") || b.has("authcode.exhausted", "websites[0].resources[0]") {
			t.Errorf("first use refused: %s", b)
		}

		// Rule WEB-0 and WEB-4: at most MaxWebsites; a domain in two websites.
		d = co.form(t, r.ID)
		for len(d.Websites) <= e.svc.Options.MaxWebsites {
			d.Websites = append(d.Websites, d.Websites[0])
		}
		wantProblems(t, check(beian.FirstFiling, false, d), "check.websites_too_many@websites", "check.domain_repeated@websites[1].domains[0]")

		// Rule SUBJ-4: Sichuan wants an organisation's landline; SUBJ-3: codes in the province.
		d = co.form(t, r.ID)
		d.Subject.Province, d.Subject.City, d.Subject.District = "510000", "110100", "510104"
		wantProblems(t, check(beian.FirstFiling, false, d), "subj.landline_required@subject.person.landline",
			"check.city_invalid@subject.city", "check.district_invalid@subject.district")

		// Rule SUBJ-2: a responsible person under 18 is a flag, never a problem.
		d = co.form(t, r.ID)
		d.Websites[0].Person.CertNumber = testRID(t, "110105", "20100601", "456")
		if b := check(beian.FirstFiling, false, d); len(b.Errors) != 0 {
			t.Errorf("minor as a problem: %s", b)
		}
		wantProblems(t, problemSet(e.svc.MinorFlags(d, e.clock.Now())), "subj.minor@websites[0].person.cert_number")

		// Transfer-in needs the number and the password (Rules OTH-1, PWD-2);
		// with nothing filed there is nothing to transfer (Rule TYPE-1).
		wantProblems(t, check(beian.TransferIn, false, co.form(t, r.ID)), "check.transfer_required@transfer",
			"check.password_required@password", "check.nothing_to_transfer@transfer")
		// A new website of a subject not filed here (Rule TYPE-1).
		wantProblems(t, check(beian.NewWebsite, false, co.form(t, r.ID)), "check.subject_not_filed_here@subject.number")
	})
}

// Cancellations check only what applies (Rules CAN-4 to CAN-6, PWD-2):
// the account's own filed websites, the password, the confirmation.
func TestCheckDataCancellations(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.customer(t)
		co := newCompany(t, 2)
		sid := e.bindSubject(t, c.id, co, "京ICP备2026000001号")
		err := e.db.InTx(e.ctx, func(tx *sqlstore.Tx) error {
			_, err := e.svc.Store.SaveWebsite(e.ctx, tx, beian.Website{SubjectID: sid, Number: "京ICP备2026000001号-1", Name: "星辰",
				Domains: []string{co.domain}, Access: beian.GateServed}, "test")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		check := func(typ beian.OrderType, d beian.OrderData) errorBody {
			t.Helper()
			ps, err := e.svc.CheckData(e.ctx, c.id, typ, false, d)
			if err != nil {
				t.Fatal(err)
			}
			return problemSet(ps)
		}
		b := check(beian.CancelAccess, beian.OrderData{Cancel: []string{"京ICP备2026000001号-1"}})
		if len(b.Errors) != 1 || !b.has("check.confirm_required", "confirm") {
			t.Errorf("cancel access without confirmation: %s", b)
		}
		if b := check(beian.CancelAccess, beian.OrderData{Cancel: []string{"京ICP备2026000001号-1"}, Confirm: true}); len(b.Errors) != 0 {
			t.Errorf("confirmed cancel access: %s", b)
		}
		wantProblems(t, check(beian.CancelWebsite, beian.OrderData{Cancel: []string{"京ICP备2026000009号-1"}}), "check.website_unknown@cancel[0]")
		wantProblems(t, check(beian.CancelWebsite, beian.OrderData{}), "check.cancel_required@cancel")
		d := beian.OrderData{Subject: beian.SubjectForm{Number: "京ICP备2026000001号"}}
		wantProblems(t, check(beian.CancelSubject, d), "check.password_required@password")
		d.Password = "secret"
		if b := check(beian.CancelSubject, d); len(b.Errors) != 0 {
			t.Errorf("cancel subject: %s", b)
		}
		wantProblems(t, check("renew", d), "check.type_unknown@type")
	})
}

// Rule ACC-3: a code the order itself already used (at an earlier
// submission) still serves it on resubmission; for anyone else it is spent.
func TestCheckDataHoldingUsedCode(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner, filer := e.customer(t), e.customer(t)
		shared := e.resource(t, owner.id)
		co := newCompany(t, 4)
		e.seedDomain(t, co.domain, co.name, "uscc", co.uscc)
		code, err := e.svc.Store.IssueAuthCode(e.ctx, owner.id, shared.ID, t0.AddDate(0, 0, 10), 1, 3, "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.InTx(e.ctx, func(tx *sqlstore.Tx) error {
			_, err := e.svc.Store.UseAuthCode(e.ctx, tx, code.Code, filer.id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		d := co.form(t, 0)
		d.Websites[0].Resources = []beian.ResourceRef{{AuthCode: code.Code}}
		d.Websites[0].ServerIPs = shared.PublicIPs
		e.advance(t, 20*24*time.Hour) // past the code's expiry too
		ps, err := e.svc.CheckData(e.ctx, filer.id, beian.FirstFiling, false, d)
		if err != nil {
			t.Fatal(err)
		}
		wantProblems(t, problemSet(ps), "authcode.expired@websites[0].resources[0]") // spent and expired: the store names expiry first
		ps, err = e.svc.CheckDataHolding(e.ctx, filer.id, beian.FirstFiling, false, d, []string{code.Code})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 0 {
			t.Errorf("held code: %s", problemSet(ps))
		}
	})
}
