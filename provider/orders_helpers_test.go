package provider

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/workflow"
)

// The orders area on the shared harness.
func init() {
	routeMounts = append(routeMounts, (*Service).OrderRoutes)
	timerMounts = append(timerMounts, (*Service).OrderTimerHandlers)
}

// gSeq numbers the subjects and domains of these tests.
var gSeq atomic.Int64

// gPath is the path of the order's route with the suffix ("" for the order).
func gPath(id int64, suffix string) string {
	return "/api/v1/orders/" + strconv.FormatInt(id, 10) + suffix
}

// gCreate posts an order of the type with the form and decodes the answer
// (an OrderJSON when want is 201, an error body otherwise).
func (c *client) gCreate(tb testing.TB, want int, typ beian.OrderType, data any) (OrderJSON, errorBody) {
	tb.Helper()
	var o OrderJSON
	var eb errorBody
	var out any = &o
	if want != 201 {
		out = &eb
	}
	c.call(tb, want, "POST", "/api/v1/orders", map[string]any{"type": typ, "data": data}, out)
	return o, eb
}

// gPersonForm is an individual's first-filing form with one website on the domain.
func gPersonForm(tb testing.TB, cert, domain string) beian.OrderData {
	p := beian.Person{Name: "王五", CertType: "resident_id", CertNumber: cert, Mobile: "13700137000", Email: "wangwu@example.com"}
	return beian.OrderData{
		Subject: beian.SubjectForm{SubjectData: beian.SubjectData{Nature: "individual", Name: "王五", CertType: "resident_id", CertNumber: cert,
			Province: "110000", City: "110100", District: "110105", Address: "北京市朝阳区建国路2号", Person: p}},
		Websites: []beian.WebsiteForm{{WebsiteData: beian.WebsiteData{Name: "王五的摄影日记", Domains: []string{domain}, Homepage: "www." + domain,
			ServiceContent: "personal_blog", Person: p, ServerIPs: []string{"203.0.113.20"}}}},
	}
}

// gCert is a fresh adult resident ID number.
func gCert(tb testing.TB) string {
	return testRID(tb, "110105", "19850101", fmt.Sprintf("%03d", gSeq.Add(1)%1000))
}

// filed is a customer whose subject is filed at the registry and here,
// with websites served here.
type filed struct {
	c        *client
	subject  string   // subject number
	websites []string // website numbers
	order    beian.Order
	cert     string
}

// gFiled files an individual subject with n websites served by this
// provider, at the registry and in the provider's tables, as an approved
// first filing leaves them; nature is the subject's nature on the provider
// side (the form of the approved order).
func (e *env) gFiled(tb testing.TB, nature string, n int) filed {
	tb.Helper()
	f := filed{c: e.customer(tb), cert: gCert(tb)}
	sub, err := e.reg.CreateSubject(e.ctx, regulator.SubjectInput{Province: "110000", Nature: "individual", UnitName: "王五",
		CertType: "resident_id", CertNumber: f.cert})
	if err != nil {
		tb.Fatal(err)
	}
	f.subject = sub.Number
	form := gPersonForm(tb, f.cert, "")
	form.Subject.Nature = nature
	form.Websites = nil
	var sites []beian.Website
	for i := range n {
		dom := fmt.Sprintf("wangwu%d-%d.cn", gSeq.Add(1), i)
		w, err := e.reg.AddWebsite(e.ctx, sub.ID, regulator.WebsiteInput{Name: fmt.Sprintf("王五的摄影日记%d", i+1), HomeURL: "www." + dom,
			Domains: []string{dom}, Providers: []string{testProvider}})
		if err != nil {
			tb.Fatal(err)
		}
		f.websites = append(f.websites, w.Number)
		wf := gPersonForm(tb, f.cert, dom).Websites[0]
		wf.Name = w.Name
		form.Websites = append(form.Websites, wf)
		sites = append(sites, beian.Website{Number: w.Number, Name: w.Name, Domains: []string{dom}, Access: beian.GateServed})
	}
	js, _ := json.Marshal(form)
	o, err := e.svc.Store.CreateOrder(e.ctx, providerdb.NewOrder{AccountID: f.c.id, Type: beian.FirstFiling, Nature: nature, Name: "王五",
		Province: "110000", CertType: "resident_id", CertNumber: f.cert, Data: js, Actor: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	err = e.db.InTx(e.ctx, func(tx *sqlstore.Tx) error {
		if err := e.svc.Store.SetSubjectFiling(e.ctx, tx, o.SubjectID, sub.Number, "", beian.SubjectActive, "test"); err != nil {
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
	f.order = o
	return f
}

// gMove moves the order in the store (not through the API) by the event.
func (e *env) gMove(tb testing.TB, id int64, ev workflow.Event, by workflow.Actor, flagged ...string) beian.Order {
	tb.Helper()
	o, err := e.svc.Store.Order(e.ctx, id)
	if err != nil {
		tb.Fatal(err)
	}
	o, err = e.svc.Store.Transition(e.ctx, providerdb.Move{OrderID: id, Version: o.Version, Event: ev, By: by, Actor: "test",
		NewResponsiblePerson: true, Flagged: flagged})
	if err != nil {
		tb.Fatalf("%s: %v", ev, err)
	}
	return o
}

// gETag is the If-Match header pair for the version.
func gETag(v int64) []string { return []string{"If-Match", `"v` + strconv.FormatInt(v, 10) + `"`} }
