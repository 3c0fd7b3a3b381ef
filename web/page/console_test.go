package page

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
)

// The console is for customers: anonymous visitors are sent to the login
// page with next, staff of either context get the 403 page.
func TestConsoleAccess(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		w := e.get(t, "", "/console/precheck?x=1")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next="+url.QueryEscape("/console/precheck?x=1") {
			t.Errorf("anonymous: %d %q", w.Code, w.Header().Get("Location"))
		}
		for _, as := range []string{"provider_reviewer 1", "provider_admin 1", "verifier 1", "bureau_reviewer 1"} {
			if w := e.get(t, as, "/console"); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "<html") {
				t.Errorf("%q: %d, want the 403 page", as, w.Code)
			}
		}
		c := e.customer(t, false)
		w = e.get(t, c.as, "/console")
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if w.Header().Get("Content-Security-Policy") == "" || !strings.Contains(b, "本账号尚无备案主体") || !strings.Contains(b, `lang="zh-CN"`) {
			t.Errorf("home: %s", b)
		}
		if w := e.get(t, c.as, "/console?lang=en"); !strings.Contains(w.Body.String(), "This account has no subject yet") {
			t.Errorf("?lang=en: %s", w.Body.String())
		}
		// A form without the session's token is refused (CSRF).
		if w := e.post(t, c.as, "/console/precheck", url.Values{"csrf": {"WRONG"}}); w.Code != http.StatusForbidden {
			t.Errorf("wrong token: %d", w.Code)
		}
	})
}

// Sign-up (POST /api/v1/signup's rules): every problem beside its field,
// the password never shown again; success signs the customer in.
func TestConsoleSignup(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		w := e.get(t, "", "/console/signup")
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		var token string
		for _, ck := range w.Result().Cookies() {
			if ck.Name == csrfCookieName {
				token = ck.Value
			}
		}
		if token == "" || !strings.Contains(b, "注册账号") {
			t.Fatalf("form: token %q, %s", token, b)
		}
		post := func(form url.Values) *http.Response {
			form.Set("csrf", token)
			r := cRequest("POST", "/console/signup", form)
			r.AddCookie(&http.Cookie{Name: csrfCookieName, Value: token})
			rec := cServe(e.h, r)
			return rec.Result()
		}
		cases := []struct {
			name  string
			form  url.Values
			code  int
			field string
		}{
			{"ErrMismatch", url.Values{"login": {"newcust"}, "password": {"correct horse battery"}, "password_again": {"other horse battery"}}, 422, "f-password_again-error"},
			{"ErrShortPassword", url.Values{"login": {"newcust"}, "password": {"short"}, "password_again": {"short"}}, 422, "f-password-error"},
			{"ErrBadLogin", url.Values{"login": {"x"}, "password": {"correct horse battery"}, "password_again": {"correct horse battery"}}, 422, "f-login-error"},
		}
		for _, tc := range cases {
			resp := post(tc.form)
			body := cRead(t, resp)
			if resp.StatusCode != tc.code || !strings.Contains(body, `id="`+tc.field+`"`) || strings.Contains(body, "correct horse battery") {
				t.Errorf("%s: %d, want %d with %s; %s", tc.name, resp.StatusCode, tc.code, tc.field, body)
			}
		}
		ok := url.Values{"login": {"newcust"}, "name": {"新客户"}, "password": {"correct horse battery"}, "password_again": {"correct horse battery"}}
		resp := post(ok)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console?notice=signed_up" {
			t.Fatalf("sign-up: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		signed := false
		for _, ck := range resp.Cookies() {
			signed = signed || (ck.Name != csrfCookieName && ck.Value != "")
		}
		if !signed {
			t.Error("sign-up set no session cookie")
		}
		if resp := post(ok); resp.StatusCode != http.StatusConflict || !strings.Contains(cRead(t, resp), `id="f-login-error"`) {
			t.Errorf("taken login: %d", resp.StatusCode)
		}
	})
}

// Rules TYPE-1, ACC-2: the precheck names the order type and why; with no
// eligible server it answers 暂无可用资源 with its ways out; a bad
// certificate stands beside its input.
func TestConsolePrecheck(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		none := e.customer(t, false)
		form := func(c cCustomer) url.Values {
			return url.Values{"province": {"110000"}, "nature": {"enterprise"}, "cert_type": {"uscc"}, "cert_number": {c.uscc}, "domains": {c.domain}}
		}
		w := e.post(t, none.as, "/console/precheck", form(none))
		b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
		if !strings.Contains(b, "暂无可用资源") || !strings.Contains(b, "备案授权码") || !strings.Contains(b, `id="f-auth_code-error"`) {
			t.Errorf("no resources: %s", b)
		}
		c := e.customer(t, true)
		bad := form(c)
		bad.Set("cert_number", "91110105MA0000000X")
		w = e.post(t, c.as, "/console/precheck", bad)
		if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, `id="f-cert_number-error"`) {
			t.Errorf("bad certificate not beside its input: %s", b)
		}
		w = e.post(t, c.as, "/console/precheck", form(c))
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if !strings.Contains(b, "首次备案") || !strings.Contains(b, `action="/console/orders/new"`) || !strings.Contains(b, "ecs-c") {
			t.Errorf("clean precheck: %s", b)
		}
	})
}

// Creating an order (Rule TYPE-1), the form's steps with each problem
// beside its field (its rule's own message), submit, the order page with
// its number, stage and predicted dates, withdraw (Rule REV-7); another
// account's order is 404.
func TestConsoleFiling(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		o := e.create(t, c)
		id := strconv.FormatInt(o.ID, 10)
		w := e.get(t, c.as, "/console/orders/"+id+"/edit?step=subject")
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if !strings.Contains(b, o.Number) || !strings.Contains(b, "主体信息") || !strings.Contains(b, `value="`+c.uscc+`"`) {
			t.Errorf("subject step: %s", b)
		}
		f := c.subjectForm(t, o.Version)
		f.Set("subject.person.mobile", "12345")
		f.Set("next", "1")
		w = e.post(t, c.as, "/console/orders/"+id+"/edit", f)
		b = bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
		if !strings.Contains(b, `id="f-subject-person-mobile-error"`) || !strings.Contains(b, `href="#f-subject-person-mobile"`) {
			t.Errorf("mobile problem not beside its field: %s", b)
		}
		o = e.order(t, c)
		f = c.subjectForm(t, o.Version)
		f.Set("next", "1")
		w = e.post(t, c.as, "/console/orders/"+id+"/edit", f)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/orders/"+id+"/edit?notice=saved&of="+o.Number+"&step=website" {
			t.Fatalf("subject next: %d %q %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		o = e.order(t, c)
		wf := c.websiteForm(t, o.Version)
		wf.Set("websites[0].homepage", "blog."+c.domain)
		w = e.post(t, c.as, "/console/orders/"+id+"/edit", wf)
		b = bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String())
		if !strings.Contains(b, `id="f-websites-0-homepage-error"`) || !strings.Contains(b, "www.") {
			t.Errorf("homepage (Rule WEB-1) not beside its field: %s", b)
		}
		o = e.order(t, c)
		wf = c.websiteForm(t, o.Version)
		wf.Set("next", "1")
		if w := e.post(t, c.as, "/console/orders/"+id+"/edit", wf); w.Code != http.StatusSeeOther {
			t.Fatalf("website next: %d %s", w.Code, w.Body.String())
		}
		w = e.get(t, c.as, "/console/orders/"+id+"/edit?step=submit")
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if !strings.Contains(b, c.name) || !strings.Contains(b, `action="/console/orders/`+id+`/submit"`) {
			t.Fatalf("submit step: %s", b)
		}
		o = e.order(t, c)
		w = e.post(t, c.as, "/console/orders/"+id+"/submit", url.Values{"version": {strconv.FormatInt(o.Version, 10)}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/orders/"+id+"?notice=submitted&of="+o.Number {
			t.Fatalf("submit: %d %q %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		w = e.get(t, c.as, "/console/orders/"+id)
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		tl, err := e.svc.Timeline(e.ctx, e.order(t, c))
		if err != nil || len(tl.Ahead) == 0 {
			t.Fatalf("timeline %+v, %v", tl, err)
		}
		last := tl.Ahead[len(tl.Ahead)-1]
		if !strings.Contains(b, o.Number) || !strings.Contains(b, "服务商初审") || !strings.Contains(b, `<time datetime="`+last.Expected+`">`) ||
			!strings.Contains(b, "/withdraw") || !strings.Contains(b, "服务商初审 · 预计完成") || !strings.Contains(b, "已通过 · 预计 <time") {
			t.Errorf("order page: %s", b)
		}
		w = e.get(t, c.as, "/console")
		if b := w.Body.String(); !strings.Contains(b, o.Number) || !strings.Contains(b, `<time datetime="`+last.Expected+`">`) {
			t.Errorf("home's open order: %s", b)
		}
		other := e.customer(t, true)
		if w := e.get(t, other.as, "/console/orders/"+id); w.Code != http.StatusNotFound {
			t.Errorf("another account's order: %d", w.Code)
		}
		o = e.order(t, c)
		w = e.post(t, c.as, "/console/orders/"+id+"/withdraw", url.Values{"version": {strconv.FormatInt(o.Version, 10)}})
		if w.Code != http.StatusSeeOther || e.order(t, c).Stage != beian.StageDraft {
			t.Errorf("withdraw: %d, stage %s", w.Code, e.order(t, c).Stage)
		}
		// Withdrawing a draft is refused with the reason on the order page.
		o = e.order(t, c)
		w = e.post(t, c.as, "/console/orders/"+id+"/withdraw", url.Values{"version": {strconv.FormatInt(o.Version, 10)}})
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), o.Number) {
			t.Errorf("withdraw a draft: %d", w.Code)
		}
	})
}

// Rule REV-3: after a rejection the items stand beside their fields, only
// the flagged fields can be edited, and the order is resubmitted; Rule
// REV-7: abandoning asks first and says what will happen.
func TestConsoleRejectedAndAbandon(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		o := e.filled(t, c)
		if _, err := e.svc.SubmitOrder(e.ctx, cPrincipal(c), o, o.Version, ""); err != nil {
			t.Fatal(err)
		}
		item := beian.ReviewItem{Field: "websites[0].name", Reason: "网站名称与内容不符", Suggestion: "请使用与网站内容相关的名称", Action: beian.ActionFixWebsite}
		rv, err := e.ident.CreateAccount(e.ctx, identity.NewAccount{Login: "reviewer" + strconv.FormatInt(c.id, 10), Password: "correct horse battery",
			Role: beian.RoleProviderReviewer}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Store.ClaimOrder(e.ctx, o.ID, rv.AccountID, provider.ClaimTTL, beian.StageInitialReview); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Decide(e.ctx, rv.AccountID, o.ID, provider.Decision{Items: []beian.ReviewItem{item}}); err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(o.ID, 10)
		w := e.get(t, c.as, "/console/orders/"+id)
		b := bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if !strings.Contains(b, "待修改") || !strings.Contains(b, item.Reason) || !strings.Contains(b, "#f-websites-0-name") {
			t.Errorf("order page after rejection: %s", b)
		}
		w = e.get(t, c.as, "/console/orders/"+id+"/edit?step=website")
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		nameAt, homeAt := strings.Index(b, `id="f-websites-0-name"`), strings.Index(b, `id="f-websites-0-homepage"`)
		if nameAt < 0 || homeAt < 0 || tagHas(b[nameAt:], "readonly") || !tagHas(b[homeAt:], "readonly") ||
			!strings.Contains(b, item.Suggestion) {
			t.Errorf("only the flagged field editable, item beside it: %s", b)
		}
		o = e.order(t, c)
		wf := c.websiteForm(t, o.Version)
		wf.Set("websites[0].name", "云帆科技产品介绍")
		wf.Set("websites[0].homepage", "www.changed-"+c.domain) // locked: ignored
		if w := e.post(t, c.as, "/console/orders/"+id+"/edit", wf); w.Code != http.StatusOK {
			t.Fatalf("save the flagged field: %d %s", w.Code, w.Body.String())
		}
		o = e.order(t, c)
		if !strings.Contains(string(o.Data), "云帆科技产品介绍") || strings.Contains(string(o.Data), "changed-") {
			t.Errorf("saved form: %s", o.Data)
		}
		w = e.post(t, c.as, "/console/orders/"+id+"/submit", url.Values{"version": {strconv.FormatInt(o.Version, 10)}})
		if w.Code != http.StatusSeeOther || e.order(t, c).Stage != beian.StageInitialReview {
			t.Fatalf("resubmit: %d, stage %s: %s", w.Code, e.order(t, c).Stage, w.Body.String())
		}
		w = e.get(t, c.as, "/console/orders/"+id+"/abandon")
		b = bodyOf(t, w.Code, http.StatusOK, w.Body.String())
		if !strings.Contains(b, "不能恢复") || !strings.Contains(b, "90 天") || !strings.Contains(b, o.Number) {
			t.Errorf("abandon confirmation: %s", b)
		}
		o = e.order(t, c)
		v := strconv.FormatInt(o.Version, 10)
		if w := e.post(t, c.as, "/console/orders/"+id+"/abandon", url.Values{"version": {v}}); w.Code != http.StatusOK || e.order(t, c).Stage == beian.StageAbandoned {
			t.Errorf("abandon without confirmation: %d", w.Code)
		}
		w = e.post(t, c.as, "/console/orders/"+id+"/abandon", url.Values{"version": {v}, "confirm": {"yes"}})
		if w.Code != http.StatusSeeOther || e.order(t, c).Stage != beian.StageAbandoned {
			t.Errorf("abandon: %d, stage %s", w.Code, e.order(t, c).Stage)
		}
	})
}

// tagHas reports whether the tag that s starts inside holds attr.
func tagHas(s, attr string) bool {
	end := strings.IndexByte(s, '>')
	return end >= 0 && strings.Contains(s[:end], attr)
}

// 上传资料: a document of a kind is uploaded and listed; a file that is
// not an image or PDF is refused beside the file input (Rule PRIV-1).
func TestConsoleDocuments(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		o := e.create(t, c)
		id := strconv.FormatInt(o.ID, 10)
		var img bytes.Buffer
		if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
			t.Fatal(err)
		}
		upload := func(kind string, content []byte) *httptest.ResponseRecorder {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			_ = mw.WriteField("csrf", cCSRF)
			_ = mw.WriteField("kind", kind)
			fw, _ := mw.CreateFormFile("file", "scan")
			_, _ = fw.Write(content)
			_ = mw.Close()
			r := httptest.NewRequest("POST", "/console/orders/"+id+"/documents", &body)
			r.Header.Set("Content-Type", mw.FormDataContentType())
			r.Header.Set("X-Test-As", c.as)
			return cServe(e.h, r)
		}
		if w := upload("license", img.Bytes()); w.Code != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", w.Code, w.Body.String())
		}
		w := e.get(t, c.as, "/console/orders/"+id+"/edit?step=documents")
		if b := bodyOf(t, w.Code, http.StatusOK, w.Body.String()); !strings.Contains(b, "license · image/png") {
			t.Errorf("documents step: %s", b)
		}
		w = upload("license", []byte("plain text, not a scan"))
		if b := bodyOf(t, w.Code, http.StatusUnprocessableEntity, w.Body.String()); !strings.Contains(b, `id="f-file-error"`) {
			t.Errorf("wrong type not beside the file input: %s", b)
		}
	})
}

// Without the provider (beian regulator) the console is not there: every
// page, the sign-up too, answers 404.
func TestConsoleNeedsProvider(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.ConsoleRoutes(mux, &identity.Service{})
	for _, target := range []string{"/console", "/console/signup"} {
		r := httptest.NewRequest("GET", target, nil)
		r = r.WithContext(identity.WithPrincipal(r.Context(), cPrincipal(cCustomer{id: 1})))
		if target == "/console/signup" {
			r = httptest.NewRequest("GET", target, nil)
		}
		if w := cServe(mux, r); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", target, w.Code)
		}
	}
}
