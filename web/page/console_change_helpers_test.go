package page

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
)

// chPassword is the filing password of the tests' seeded subjects (Rule PWD-1).
const chPassword = "filing-pass-2026"

// chFiling is a customer's filing at the registry and here.
type chFiling struct {
	subject string   // subject number
	sites   []string // website numbers, the customer's domain's first
}

// chSeed puts the customer's company with n websites (the first on its
// domain) into the registry, served by the providers, with the filing
// password (Rules PWD-1, PWD-2).
func (e *cEnv) chSeed(tb testing.TB, c cCustomer, n int, providers ...string) chFiling {
	tb.Helper()
	f := regulator.SeedFiling{UnitName: c.name, Nature: "enterprise", Province: "110000", CertType: "uscc", CertNumber: c.uscc,
		Password: chPassword}
	for i := range n {
		dom := c.domain
		if i > 0 {
			dom = fmt.Sprintf("site%d-%s", i, c.domain)
		}
		f.Websites = append(f.Websites, regulator.SeedWebsite{Name: fmt.Sprintf("云帆科技官网%d", i+1), HomeURL: "www." + dom,
			Domains: []string{dom}, Providers: providers})
	}
	out, err := e.reg.Seed(e.ctx, []regulator.SeedFiling{f})
	if err != nil {
		tb.Fatal(err)
	}
	return chFiling{subject: out[0].SubjectNumber, sites: out[0].Websites}
}

// chFiled files the customer's company with n websites served here: at
// the registry (seeded) and in the provider's tables as an approved first
// filing leaves them (the subject active with its number, each website
// served, the order approved with the filed form).
func (e *cEnv) chFiled(tb testing.TB, c cCustomer, n int) chFiling {
	tb.Helper()
	fl := e.chSeed(tb, c, n, "beian")
	var s url.Values = c.subjectForm(tb, 0)
	person := beian.Person{Name: "张伟", CertType: "resident_id", CertNumber: cPerson(tb), Mobile: "13800138000", Email: "zhangwei@example.com"}
	form := beian.OrderData{Subject: beian.SubjectForm{Number: fl.subject, SubjectData: beian.SubjectData{Nature: "enterprise", Name: c.name,
		CertType: "uscc", CertNumber: c.uscc, Province: "110000", City: "110100", District: "110105", Address: s.Get("subject.address"), Person: person}}}
	var sites []beian.Website
	for i, number := range fl.sites {
		dom := c.domain
		if i > 0 {
			dom = fmt.Sprintf("site%d-%s", i, c.domain)
		}
		name := fmt.Sprintf("云帆科技官网%d", i+1)
		form.Websites = append(form.Websites, beian.WebsiteForm{WebsiteData: beian.WebsiteData{Number: number, Name: name, Domains: []string{dom},
			Homepage: "www." + dom, ServiceContent: "org_portal", Person: person}, Resources: []beian.ResourceRef{{ResourceID: c.resource}}})
		sites = append(sites, beian.Website{Number: number, Name: name, Domains: []string{dom}, Access: beian.GateServed})
	}
	js, err := json.Marshal(form)
	if err != nil {
		tb.Fatal(err)
	}
	o, err := e.svc.Store.CreateOrder(e.ctx, providerdb.NewOrder{AccountID: c.id, Type: beian.FirstFiling, Nature: "enterprise", Name: c.name,
		Province: "110000", CertType: "uscc", CertNumber: c.uscc, Data: js, Actor: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	err = e.svc.DB.InTx(e.ctx, func(tx *sqlstore.Tx) error {
		if err := e.svc.Store.SetSubjectFiling(e.ctx, tx, o.SubjectID, fl.subject, "", beian.SubjectActive, "test"); err != nil {
			return err
		}
		for _, w := range sites {
			w.SubjectID = o.SubjectID
			if _, err := e.svc.Store.SaveWebsite(e.ctx, tx, w, "test"); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(e.ctx, `UPDATE orders SET stage = 'approved', stage_at = $1 WHERE id = $2`, sqlstore.Micro(tx.Now), o.ID)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return fl
}

// chOrders returns the customer's orders of the type.
func (e *cEnv) chOrders(tb testing.TB, c cCustomer, typ beian.OrderType) []beian.Order {
	tb.Helper()
	os, err := e.svc.Store.OrdersOf(e.ctx, c.id)
	if err != nil {
		tb.Fatal(err)
	}
	var out []beian.Order
	for _, o := range os {
		if o.Type == typ {
			out = append(out, o)
		}
	}
	return out
}

// chSite is the path of a website's action.
func chSite(number, action string) string {
	return "/console/websites/" + url.PathEscape(number) + "/" + action
}

// chHas reports whether b holds every one of want; it names the first
// missing one.
func chHas(b string, want ...string) (string, bool) {
	for _, w := range want {
		if !strings.Contains(b, w) {
			return w, false
		}
	}
	return "", true
}
