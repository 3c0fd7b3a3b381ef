package page

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/beian/beian"
)

// Rules OTH-1, PWD-2, TYPE-1: a customer whose company and domain are
// filed through another provider is led through a transfer-in: the
// precheck names 接入备案, the order is created, the home links the page
// that asks the filed number (prefilled from the precheck) and the filing
// password, a wrong password stands beside its input and is never shown
// again, the right one is saved, and the order is submitted.
func TestConsoleTransferIn(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		fl := e.chSeed(t, c, 1, "甲云")
		pre := url.Values{"province": {"110000"}, "nature": {"enterprise"}, "cert_type": {"uscc"}, "cert_number": {c.uscc}, "domains": {c.domain}}
		w := e.post(t, c.as, "/console/precheck", pre)
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if !strings.Contains(b, "接入备案") || !strings.Contains(b, `name="type" value="transfer_in"`) {
			t.Fatalf("precheck does not lead to the transfer-in: %s", b)
		}
		create := url.Values{"type": {"transfer_in"}, "resource_id": {strconv.FormatInt(c.resource, 10)}}
		for k, v := range pre {
			create[k] = v
		}
		if w := e.post(t, c.as, "/console/orders/new", create); w.Code != http.StatusSeeOther {
			t.Fatalf("create: %d %s", w.Code, w.Body.String())
		}
		o := e.order(t, c)
		id := strconv.FormatInt(o.ID, 10)
		if o.Type != beian.TransferIn {
			t.Fatalf("created %s", o.Type)
		}
		if b := e.get(t, c.as, "/console").Body.String(); !strings.Contains(b, `href="/console/orders/`+id+`/transfer"`) {
			t.Errorf("home does not link the transfer page: %s", b)
		}
		for _, step := range []string{"subject", "website"} {
			o = e.order(t, c)
			f := c.subjectForm(t, o.Version)
			if step == "website" {
				f = c.websiteForm(t, o.Version)
			}
			f.Set("next", "1")
			if w := e.post(t, c.as, "/console/orders/"+id+"/edit", f); w.Code != http.StatusSeeOther {
				t.Fatalf("%s step: %d %s", step, w.Code, w.Body.String())
			}
		}
		w = e.get(t, c.as, "/console/orders/"+id+"/transfer")
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if miss, ok := chHas(b, `name="transfer" type="text" value="`+fl.subject+`"`, `name="password"`, `href="/password"`); !ok {
			t.Errorf("transfer page lacks %q: %s", miss, b)
		}
		o = e.order(t, c)
		w = e.post(t, c.as, "/console/orders/"+id+"/transfer", url.Values{"version": {strconv.FormatInt(o.Version, 10)},
			"transfer": {fl.subject}, "password": {"wrong-password-1"}})
		b = bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
		if !strings.Contains(b, `id="f-password-error"`) || !strings.Contains(b, "接入核验未通过") || strings.Contains(b, "wrong-password-1") {
			t.Errorf("wrong password: %s", b)
		}
		w = e.post(t, c.as, "/console/orders/"+id+"/transfer", url.Values{"version": {strconv.FormatInt(o.Version, 10)},
			"transfer": {fl.subject}, "password": {chPassword}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/orders/"+id+"/edit?notice=transfer_set&of="+o.Number+"&step=submit" {
			t.Fatalf("right password: %d %q %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		w = e.get(t, c.as, "/console/orders/"+id+"/transfer")
		if b := bodyOf(t, w.Code, http.StatusOK, w.Body.String()); !strings.Contains(b, "已填写备案密码") || strings.Contains(b, chPassword) {
			t.Errorf("transfer page after saving: %s", b)
		}
		if b := e.get(t, c.as, "/console").Body.String(); strings.Contains(b, "/transfer") {
			t.Errorf("home still asks for the transfer data")
		}
		o = e.order(t, c)
		w = e.post(t, c.as, "/console/orders/"+id+"/submit", url.Values{"version": {strconv.FormatInt(o.Version, 10)}})
		if w.Code != http.StatusSeeOther || e.order(t, c).Stage != beian.StageInitialReview {
			t.Fatalf("submit: %d, stage %s: %s", w.Code, e.order(t, c).Stage, w.Body.String())
		}
		// Another account's order, and an order of another type, have no transfer page.
		other := e.customer(t, true)
		if w := e.get(t, other.as, "/console/orders/"+id+"/transfer"); w.Code != http.StatusNotFound {
			t.Errorf("another account's transfer page: %d", w.Code)
		}
		first := e.create(t, other)
		if w := e.get(t, other.as, "/console/orders/"+strconv.FormatInt(first.ID, 10)+"/transfer"); w.Code != http.StatusNotFound {
			t.Errorf("a first filing's transfer page: %d", w.Code)
		}
	})
}
