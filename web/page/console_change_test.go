package page

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/beian/beian"
)

// The home lists, per website with its number, its access state and the
// changes and cancellations; the subject's too (Rules GATE-1, CAN-4, CAN-5).
func TestConsoleChangeHome(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		fl := e.chFiled(t, c, 2)
		w := e.get(t, c.as, "/console")
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		want := []string{fl.subject, fl.sites[0], fl.sites[1], "已接入", `class="access access-served"`,
			`href="/console/subject/change"`, `href="/console/subject/cancel"`}
		for _, n := range fl.sites {
			for _, a := range []string{"change", "change-access", "cancel", "cancel-access"} {
				want = append(want, `href="`+chSite(n, a)+`"`)
			}
		}
		if miss, ok := chHas(b, want...); !ok {
			t.Errorf("home lacks %q: %s", miss, b)
		}
		if strings.Contains(b, "console.js") {
			t.Error("the home includes the form's script")
		}
		w = e.get(t, c.as, chSite(fl.sites[0], "cancel-access")+"?lang=en")
		if miss, ok := chHas(bodyOf(t, w.Code, http.StatusOK, w.Body.String()), "Cancel access", "stays in the MIIT registry", "Yes, cancel the access"); !ok {
			t.Errorf("English confirmation lacks %q", miss)
		}
	})
}

// Rule CAN-4: cancelling one of several websites says the others stay;
// without confirm=yes the confirmation shows again and nothing is created;
// with it a cancel_website order is created and submitted (Rule CAN-6);
// a second cancellation while it is in flight shows the error with the
// open order as its way out (Rule ACC-4).
func TestConsoleCancelWebsite(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		fl := e.chFiled(t, c, 2)
		path := chSite(fl.sites[1], "cancel")
		w := e.get(t, c.as, path)
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if miss, ok := chHas(b, "注销网站", fl.sites[1], "其他网站不受影响", "不会恢复", "3 至 20 个工作日", "不可撤回",
			`name="confirm" value="yes"`, `action="`+path+`"`); !ok || strings.Contains(b, "唯一网站") || strings.Contains(b, `name="password"`) {
			t.Errorf("confirmation lacks %q (or says it cancels the subject): %s", miss, b)
		}
		w = e.post(t, c.as, path, url.Values{})
		if b := bodyOf(t, w.Code, http.StatusOK, w.Body.String()); !strings.Contains(b, "其他网站不受影响") || len(e.chOrders(t, c, beian.CancelWebsite)) != 0 {
			t.Errorf("without confirm: an order was created or no confirmation: %s", b)
		}
		w = e.post(t, c.as, path, url.Values{"confirm": {"yes"}})
		os := e.chOrders(t, c, beian.CancelWebsite)
		if w.Code != http.StatusSeeOther || len(os) != 1 {
			t.Fatalf("confirm: %d, %d orders: %s", w.Code, len(os), w.Body.String())
		}
		o := os[0]
		if loc := w.Header().Get("Location"); loc != "/console/orders/"+strconv.FormatInt(o.ID, 10)+"?notice=cancel_submitted&of="+o.Number ||
			o.Stage != beian.StageInitialReview || !strings.Contains(string(o.Data), fl.sites[1]) {
			t.Errorf("cancel_website: %q, stage %s, data %s", loc, o.Stage, o.Data)
		}
		w = e.post(t, c.as, chSite(fl.sites[0], "cancel"), url.Values{"confirm": {"yes"}})
		b = bodyOf(t, w.Code, http.StatusConflict, w.Body.String())
		if miss, ok := chHas(b, "未完成的备案订单", `href="/console/orders/`+strconv.FormatInt(o.ID, 10)+`"`, o.Number); !ok {
			t.Errorf("order in flight lacks %q: %s", miss, b)
		}
	})
}

// Rules CAN-4, PWD-2: cancelling the only website says it cancels the
// subject and asks the filing password; a missing or wrong password
// stands beside its input and creates nothing; with the right one the
// order is submitted as the subject's cancellation.
func TestConsoleCancelOnlyWebsite(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		fl := e.chFiled(t, c, 1)
		path := chSite(fl.sites[0], "cancel")
		w := e.get(t, c.as, path)
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if miss, ok := chHas(b, "唯一网站", "注销该网站即注销主体", fl.subject, c.name, `name="password"`, `href="/password"`); !ok {
			t.Errorf("only-website confirmation lacks %q: %s", miss, b)
		}
		w = e.post(t, c.as, path, url.Values{"confirm": {"yes"}})
		if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, `id="f-password-error"`) {
			t.Errorf("no password: %s", b)
		}
		w = e.post(t, c.as, path, url.Values{"confirm": {"yes"}, "password": {"wrong-password-1"}})
		b = bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
		if !strings.Contains(b, "备案密码不正确") || strings.Contains(b, "wrong-password-1") {
			t.Errorf("wrong password: %s", b)
		}
		if os, _ := e.svc.Store.OrdersOf(e.ctx, c.id); len(os) != 1 {
			t.Fatalf("a refused password created an order: %d orders", len(os))
		}
		w = e.post(t, c.as, path, url.Values{"confirm": {"yes"}, "password": {chPassword}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("confirm: %d %s", w.Code, w.Body.String())
		}
		if os := e.chOrders(t, c, beian.CancelSubject); len(os) != 1 || os[0].Stage != beian.StageInitialReview {
			t.Errorf("the only website's cancellation is not the subject's (Rule CAN-4): %+v", os)
		}
	})
}

// Rules CAN-4, PWD-2: cancelling the subject names it and counts its
// websites, asks the filing password (not when
// require_password_for_subject_cancel is false), and submits a
// cancel_subject order.
func TestConsoleCancelSubject(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		fl := e.chFiled(t, c, 2)
		w := e.get(t, c.as, "/console/subject/cancel")
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if miss, ok := chHas(b, "注销主体", fl.subject, "全部 2 个网站", `name="password"`, "不可撤回"); !ok {
			t.Errorf("subject confirmation lacks %q: %s", miss, b)
		}
		if w := e.post(t, c.as, "/console/subject/cancel", url.Values{"password": {chPassword}}); w.Code != http.StatusOK ||
			len(e.chOrders(t, c, beian.CancelSubject)) != 0 {
			t.Errorf("without confirm: %d", w.Code)
		}
		w = e.post(t, c.as, "/console/subject/cancel", url.Values{"confirm": {"yes"}, "password": {chPassword}})
		os := e.chOrders(t, c, beian.CancelSubject)
		if w.Code != http.StatusSeeOther || len(os) != 1 || os[0].Stage != beian.StageInitialReview {
			t.Fatalf("confirm: %d %+v %s", w.Code, os, w.Body.String())
		}
		e.svc.Options.SubjectCancelWithoutPassword = true // require_password_for_subject_cancel = false
		if b := e.get(t, c.as, "/console/subject/cancel").Body.String(); strings.Contains(b, `name="password"`) || !strings.Contains(b, "全部 2 个网站") {
			t.Errorf("the password asked although the setting drops it: %s", b)
		}
	})
}

// Rule CAN-5: cancelling access says this provider stops serving the
// website while its number stays in the registry, and warns of the
// empty-shell cancellation; confirmed, the order is approved at once, the
// home shows the access cancelled without actions, and the registry still
// holds the number.
func TestConsoleCancelAccess(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		fl := e.chFiled(t, c, 2)
		path := chSite(fl.sites[0], "cancel-access")
		w := e.get(t, c.as, path)
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if miss, ok := chHas(b, "取消接入", "停止为网站", "仍保留在工信部备案系统中", "30 天", "空壳网站", "不可撤回",
			`name="confirm" value="yes"`); !ok || strings.Contains(b, `name="password"`) {
			t.Errorf("cancel-access confirmation lacks %q: %s", miss, b)
		}
		if w := e.post(t, c.as, path, url.Values{}); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="confirm" value="yes"`) ||
			len(e.chOrders(t, c, beian.CancelAccess)) != 0 {
			t.Errorf("without confirm: %d", w.Code)
		}
		w = e.post(t, c.as, path, url.Values{"confirm": {"yes"}})
		os := e.chOrders(t, c, beian.CancelAccess)
		if w.Code != http.StatusSeeOther || len(os) != 1 || os[0].Stage != beian.StageApproved {
			t.Fatalf("confirm: %d %+v %s", w.Code, os, w.Body.String())
		}
		w = e.get(t, c.as, "/console")
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if miss, ok := chHas(b, `class="access access-access_cancelled">已取消接入`, "备案号仍保留在工信部备案系统中", `href="`+chSite(fl.sites[1], "cancel")+`"`); !ok ||
			strings.Contains(b, chSite(fl.sites[0], "cancel")) {
			t.Errorf("home after cancel access lacks %q (or still offers its actions): %s", miss, b)
		}
		f, err := e.reg.Filing(e.ctx, fl.subject)
		if err != nil {
			t.Fatal(err)
		}
		for _, ws := range f.Websites {
			if ws.Number == fl.sites[0] && (ws.Status != "active" || len(ws.Providers) != 0) {
				t.Errorf("registry after cancel access: %+v, want active with no provider", ws)
			}
		}
		// Cancelling it again: not served here any more.
		if w := e.post(t, c.as, path, url.Values{"confirm": {"yes"}}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "不由本服务商接入") {
			t.Errorf("again: %d", w.Code)
		}
	})
}

// Rules OTH-2, OTH-3: a change says what it does and creates the change
// order on the filed data, then opens the step that holds what changes.
func TestConsoleChangeStart(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		cases := []struct {
			name, path string
			typ        beian.OrderType
			says, step string
		}{
			{"OKSubject", "/console/subject/change", beian.ChangeSubject, "表单以已备案的主体信息开始", "step=subject"},
			{"OKWebsite", "change", beian.ChangeWebsite, "表单以已备案的网站信息开始", "step=website#f-websites-0-name"},
			{"OKAccess", "change-access", beian.ChangeAccess, "更换服务器或 IP", "step=website#f-websites-0-resources"},
		}
		for _, tc := range cases {
			c := e.customer(t, true)
			fl := e.chFiled(t, c, 1)
			path := tc.path
			if !strings.HasPrefix(path, "/") {
				path = chSite(fl.sites[0], path)
			}
			w := e.get(t, c.as, path)
			b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
			if miss, ok := chHas(b, tc.says, "审核通过后生效", `action="`+path+`"`); !ok {
				t.Errorf("%s: page lacks %q: %s", tc.name, miss, b)
			}
			w = e.post(t, c.as, path, url.Values{})
			os := e.chOrders(t, c, tc.typ)
			if w.Code != http.StatusSeeOther || len(os) != 1 || os[0].Stage != beian.StageDraft {
				t.Fatalf("%s: %d %+v %s", tc.name, w.Code, os, w.Body.String())
			}
			if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/console/orders/"+strconv.FormatInt(os[0].ID, 10)+"/edit?") ||
				!strings.HasSuffix(loc, tc.step) || !strings.Contains(string(os[0].Data), c.name) {
				t.Errorf("%s: location %q, data %s", tc.name, loc, os[0].Data)
			}
		}
	})
}

// The tenant rule and CSRF: another account's website answers 404 on
// every action; an account without a filed subject has no subject
// actions; a form without the session's token is refused and creates
// nothing.
func TestConsoleChangeTenancy(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		fl := e.chFiled(t, c, 1)
		other := e.customer(t, true)
		e.chFiled(t, other, 1)
		for _, a := range []string{"change", "change-access", "cancel", "cancel-access"} {
			if w := e.get(t, other.as, chSite(fl.sites[0], a)); w.Code != http.StatusNotFound {
				t.Errorf("GET %s of another account: %d", a, w.Code)
			}
			if w := e.post(t, other.as, chSite(fl.sites[0], a), url.Values{"confirm": {"yes"}}); w.Code != http.StatusNotFound {
				t.Errorf("POST %s of another account: %d", a, w.Code)
			}
		}
		none := e.customer(t, true)
		for _, path := range []string{"/console/subject/change", "/console/subject/cancel"} {
			if w := e.get(t, none.as, path); w.Code != http.StatusNotFound {
				t.Errorf("%s without a filed subject: %d", path, w.Code)
			}
		}
		for _, path := range []string{chSite(fl.sites[0], "cancel-access"), "/console/subject/cancel", chSite(fl.sites[0], "change")} {
			if w := e.post(t, c.as, path, url.Values{"csrf": {""}, "confirm": {"yes"}, "password": {chPassword}}); w.Code != http.StatusForbidden {
				t.Errorf("%s without the token: %d", path, w.Code)
			}
		}
		if os, _ := e.svc.Store.OrdersOf(e.ctx, c.id); len(os) != 1 {
			t.Errorf("refused forms created orders: %d", len(os))
		}
		if w := e.get(t, "", chSite(fl.sites[0], "cancel")); w.Code != http.StatusSeeOther {
			t.Errorf("anonymous: %d", w.Code)
		}
	})
}
