package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore/sqltest"
)

// formOf decodes the order's form.
func formOf(tb testing.TB, o e2eOrder) beian.OrderData {
	tb.Helper()
	var d beian.OrderData
	if err := json.Unmarshal(o.Data, &d); err != nil {
		tb.Fatalf("order %s data: %v", o.Number, err)
	}
	return d
}

// website finds the filed website by number.
func (f e2eFilings) website(tb testing.TB, number string) (name string, access beian.GateReason) {
	tb.Helper()
	for _, w := range f.Websites {
		if w.Number == number {
			return w.Name, w.Access
		}
	}
	tb.Fatalf("website %s is not in the filings: %+v", number, f.Websites)
	return "", ""
}

// change edits a change order's websites (read from the filed data the
// order starts from, Rule OTH-2) with If-Match and walks it through initial
// review, the SMS confirmation and the bureau (Rule REV-8: no new
// responsible person, so no verification).
func (e *e2e) change(tb testing.TB, f e2eFiled, typ beian.OrderType, edit func(ws []beian.WebsiteForm)) e2eOrder {
	tb.Helper()
	o := f.c.create(tb, typ, map[string]any{})
	ws := formOf(tb, o).Websites
	if len(ws) == 0 {
		tb.Fatalf("the %s order does not start from the filed data: %s", typ, o.Data)
	}
	edit(ws)
	f.c.call(tb, 200, "PATCH", e2eOrderPath(o.ID, ""), map[string]any{"data": map[string]any{"websites": ws}}, &o, e2eIfMatch(o.Version)...)
	if len(o.Changed) == 0 {
		tb.Fatalf("the %s order reports no changed field", typ)
	}
	f.c.submit(tb, o.ID, beian.StageInitialReview)
	since := e.now(tb)
	e.approve(tb, o, beian.StageInitialReview, beian.StageSMSConfirmation)
	e.confirmSMS(tb, f.c, o, since, f.co.person)
	return e.bureauDecides(tb, f.c, o.ID)
}

// cancellation walks a cancel_subject or cancel_website order, confirmed
// (Rule CAN-6), through initial review, the SMS confirmation and the
// bureau (Rule REV-8).
func (e *e2e) cancellation(tb testing.TB, f e2eFiled, o e2eOrder) e2eOrder {
	tb.Helper()
	f.c.submit(tb, o.ID, beian.StageInitialReview)
	since := e.now(tb)
	e.approve(tb, o, beian.StageInitialReview, beian.StageSMSConfirmation)
	e.confirmSMS(tb, f.c, o, since, f.co.person)
	return e.bureauDecides(tb, f.c, o.ID)
}

// transferIn walks a transfer-in (Rule OTH-1): a filing held at another
// provider, seeded through the sandbox with its password, is found by the
// precheck, served from this provider's initial approval (Rule GATE-2), and
// approved by the bureau after the verification and the SMS check.
func (e *e2e) transferIn(tb testing.TB) {
	tb.Helper()
	co := newE2ECompany(tb)
	const pass = "Transfer-Pass-2026"
	var seeded struct {
		Filings []struct {
			SubjectNumber string   `json:"subject_number"`
			Websites      []string `json:"websites"`
		} `json:"filings"`
	}
	e.regAdmin.call(tb, 200, "POST", "/api/v1/sandbox/registry", map[string]any{"unit_name": co.name, "nature": "enterprise", "province": "110000",
		"cert_type": "uscc", "cert_number": co.uscc, "password": pass, "websites": []any{map[string]any{"name": "星河科技官网",
			"home_url": "www." + co.domain, "domains": []string{co.domain}, "providers": []string{"other-cloud"}}}}, &seeded)
	if len(seeded.Filings) != 1 || len(seeded.Filings[0].Websites) != 1 {
		tb.Fatalf("seeded %+v", seeded)
	}
	number, site := seeded.Filings[0].SubjectNumber, seeded.Filings[0].Websites[0]
	e.seedDomain(tb, co, co.domain)
	c := e.signup(tb)
	res := e.resource(tb, c, fmt.Sprintf("47.103.%d.30", e2eSeq.Add(1)%250))
	var pc struct {
		Type          beian.OrderType `json:"type"`
		SubjectNumber string          `json:"subject_number"`
	}
	c.call(tb, 200, "POST", "/api/v1/precheck", map[string]any{"province": "110000", "nature": "enterprise", "cert_type": "uscc",
		"cert_number": co.uscc, "domains": []string{co.domain}}, &pc)
	if pc.Type != beian.TransferIn || pc.SubjectNumber != number {
		tb.Fatalf("precheck of a filing held elsewhere: %+v", pc)
	}
	form := co.form(res)
	form.Transfer, form.Password, form.Subject.Number, form.Websites[0].Number = number, pass, number, site
	o := c.create(tb, beian.TransferIn, form)
	c.submit(tb, o.ID, beian.StageInitialReview)
	e.approve(tb, o, beian.StageInitialReview, beian.StageVerification)
	if _, access := c.filings(tb).website(tb, site); access != beian.GateServed {
		tb.Fatalf("transfer-in after the initial approval: %s", access)
	}
	c.uploadPhoto(tb, o.ID)
	since := e.now(tb)
	e.approve(tb, o, beian.StagePhotoReview, beian.StageSMSConfirmation)
	e.confirmSMS(tb, c, o, since, co.person)
	e.bureauDecides(tb, c, o.ID)
	fl := c.filings(tb)
	if _, access := fl.website(tb, site); fl.Subject == nil || fl.Subject.Number != number || access != beian.GateServed {
		tb.Fatalf("transferred in: %+v", fl)
	}
	var f struct {
		Items []struct {
			ServiceLicence string `json:"serviceLicence"`
		} `json:"items"`
	}
	e.anon().call(tb, 200, "GET", "/api/v1/registry/query?domain="+co.domain, nil, &f)
	if len(f.Items) != 1 || f.Items[0].ServiceLicence != site {
		tb.Fatalf("public query after the transfer-in: %+v", f)
	}
}

// wantCancelled checks that the customer's subject is cancelled (Rules
// CAN-3, CAN-4): the account has no filed subject left, the public query
// finds none of its domains, and the gate blocks them as cancelled.
func (e *e2e) wantCancelled(tb testing.TB, f e2eFiled, domains ...string) {
	tb.Helper()
	// The registry's approval and its cancellation are two events, applied
	// one after the other (the provider's loop may be between them when the
	// order reads approved): wait for the second.
	deadline := time.Now().Add(10 * time.Second)
	for fl := f.c.filings(tb); fl.Subject != nil || len(fl.Websites) != 0; fl = f.c.filings(tb) {
		if time.Now().After(deadline) {
			tb.Fatalf("filings after the cancellation: %+v", fl)
		}
		e.nudge(tb)
		time.Sleep(20 * time.Millisecond)
	}
	for _, d := range domains {
		var q struct{ Total int }
		e.anon().call(tb, 200, "GET", "/api/v1/registry/query?domain="+d, nil, &q)
		var reason string
		err := e.m.db.SQL.QueryRowContext(e.ctx, `SELECT reason FROM servable_domains WHERE domain = $1`, d).Scan(&reason)
		if q.Total != 0 || err != nil || reason != string(beian.GateCancelled) {
			tb.Fatalf("%s after the cancellation: found %d, gate %q %v", d, q.Total, reason, err)
		}
	}
}

// Issue 6, done means: one walk per order type through the API, each to its
// final stage, on both engines: new website, change of a website, change
// of access (a new server IP, Rule OTH-3), cancel access (Rules CAN-5,
// CAN-6), cancel subject (Rule PWD-2, the password the registry sent),
// cancel website of the only website (Rule CAN-4) and transfer-in of a
// filing held at another provider (Rule OTH-1).
func TestE2EOrderTypes(t *testing.T) {
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			e := newE2E(t, eng)
			f := e.firstFiling(t)

			// new_website: a second website of the filed subject (Rule TYPE-1).
			dom2 := "blog-" + f.co.domain
			e.seedDomain(t, f.co, dom2)
			nw := f.c.create(t, beian.NewWebsite, beian.OrderData{Subject: f.co.form(f.resource).Subject,
				Websites: []beian.WebsiteForm{f.co.website("星河科技博客", dom2, f.resource)}})
			f.c.submit(t, nw.ID, beian.StageInitialReview)
			e.toBureau(t, f.c, nw, f.co.person)
			e.bureauDecides(t, f.c, nw.ID)
			site2 := f.subject + "-2"
			if name, access := f.c.filings(t).website(t, site2); name != "星河科技博客" || access != beian.GateServed {
				t.Fatalf("new website %s: %s %s", site2, name, access)
			}

			// change_website: the new name takes effect at the bureau's approval (Rule OTH-2).
			e.change(t, f, beian.ChangeWebsite, func(ws []beian.WebsiteForm) {
				for i := range ws {
					if ws[i].Number == site2 || slices.Contains(ws[i].Domains, dom2) {
						ws[i].Name = "星河科技技术博客"
					}
				}
			})
			if name, access := f.c.filings(t).website(t, site2); name != "星河科技技术博客" || access != beian.GateServed {
				t.Fatalf("changed website %s: %s %s", site2, name, access)
			}

			// change_access: the first website moves to a new server IP (Rule OTH-3).
			newRes := e.resource(t, f.c, fmt.Sprintf("47.102.%d.20", e2eSeq.Add(1)%250))
			ca := e.change(t, f, beian.ChangeAccess, func(ws []beian.WebsiteForm) {
				for i := range ws {
					if slices.Contains(ws[i].Domains, f.co.domain) {
						ws[i].Resources = []beian.ResourceRef{{ResourceID: newRes}}
					}
				}
			})
			if d := formOf(t, ca); !strings.Contains(string(ca.Data), fmt.Sprint(newRes)) || len(d.Websites) != 2 {
				t.Fatalf("change access: %s", ca.Data)
			}

			// cancel_access: at once, irrevocable, the gate blocks it (Rules CAN-5, CAN-6).
			cx := f.c.create(t, beian.CancelAccess, map[string]any{"cancel": []string{site2}})
			f.c.call(t, 422, "POST", e2eOrderPath(cx.ID, "/submit"), nil, nil) // no confirmation yet
			f.c.call(t, 200, "PATCH", e2eOrderPath(cx.ID, ""), map[string]any{"data": map[string]any{"confirm": true}}, &cx, e2eIfMatch(cx.Version)...)
			f.c.submit(t, cx.ID, beian.StageApproved)
			if _, access := f.c.filings(t).website(t, site2); access != beian.GateAccessCancelled {
				t.Fatalf("cancelled access of %s: %s", site2, access)
			}
			f.c.call(t, 409, "POST", e2eOrderPath(cx.ID, "/abandon"), nil, nil)

			// cancel_subject with the filing password the registry sent (Rule PWD-2).
			e.cancellation(t, f, f.c.create(t, beian.CancelSubject, map[string]any{"password": f.password, "confirm": true}))
			e.wantCancelled(t, f, f.co.domain, dom2)

			// cancel_website of the only website: the answer says it cancels the
			// subject (Rule CAN-4), so it needs the filing password (Rule PWD-2).
			g := e.firstFiling(t)
			o := g.c.create(t, beian.CancelWebsite, map[string]any{"cancel": []string{g.website}, "confirm": true, "password": g.password})
			if o.Effect != "cancels_subject" {
				t.Fatalf("cancel the only website: effect %q", o.Effect)
			}
			e.cancellation(t, g, o)
			e.wantCancelled(t, g, g.co.domain)

			e.transferIn(t)
		})
	}
}
