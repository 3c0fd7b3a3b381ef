package page

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/validate"
)

// cvReviewer creates a provider reviewer account for the customer's tests.
func (e *cEnv) cvReviewer(tb testing.TB, c cCustomer) int64 {
	tb.Helper()
	rv, err := e.ident.CreateAccount(e.ctx, identity.NewAccount{Login: "cvrev" + strconv.FormatInt(c.id, 10), Password: "correct horse battery",
		Role: beian.RoleProviderReviewer}, "test")
	if err != nil {
		tb.Fatal(err)
	}
	return rv.AccountID
}

// cvDecide claims the order in its review stage and approves it.
func (e *cEnv) cvDecide(tb testing.TB, reviewer int64, o beian.Order, d provider.Decision) beian.Order {
	tb.Helper()
	if _, err := e.svc.ClaimReview(e.ctx, reviewer, o.ID); err != nil {
		tb.Fatal(err)
	}
	after, err := e.svc.Decide(e.ctx, reviewer, o.ID, d)
	if err != nil {
		tb.Fatal(err)
	}
	return after
}

// cvToVerification fills the customer's first filing through the pages
// (the website form changed by edit, when given), submits it and has the
// initial review approve it: the order waits in verification.
func (e *cEnv) cvToVerification(tb testing.TB, c cCustomer, edit func(subject, website url.Values)) (beian.Order, int64) {
	tb.Helper()
	o := e.create(tb, c)
	id := strconv.FormatInt(o.ID, 10)
	var sf, wf url.Values
	for _, step := range []string{"subject", "website"} {
		o = e.order(tb, c)
		sf, wf = c.subjectForm(tb, o.Version), c.websiteForm(tb, o.Version)
		if edit != nil {
			edit(sf, wf)
		}
		f := sf
		if step == "website" {
			f = wf
		}
		f.Set("next", "1")
		if w := e.post(tb, c.as, "/console/orders/"+id+"/edit", f); w.Code != http.StatusSeeOther {
			tb.Fatalf("%s step: %d %s", step, w.Code, w.Body.String())
		}
	}
	o = e.order(tb, c)
	if _, err := e.svc.SubmitOrder(e.ctx, cPrincipal(c), o, o.Version, ""); err != nil {
		tb.Fatal(err)
	}
	rv := e.cvReviewer(tb, c)
	if after := e.cvDecide(tb, rv, e.order(tb, c), provider.Decision{Approve: true}); after.Stage != beian.StageVerification {
		tb.Fatalf("after initial review: %s", after.Stage)
	}
	return e.order(tb, c), rv
}

// cvUpload posts the photo on the verification page's upload form as the
// customer, with the session's token unless csrf is false.
func (e *cEnv) cvUpload(tb testing.TB, as string, o beian.Order, photo []byte, csrf bool) *httptest.ResponseRecorder {
	tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf {
		_ = mw.WriteField("csrf", cCSRF)
	}
	_ = mw.WriteField("method", "upload")
	if photo != nil {
		fw, _ := mw.CreateFormFile("photo", "photo.png")
		_, _ = fw.Write(photo)
	}
	_ = mw.Close()
	r := httptest.NewRequest("POST", "/console/orders/"+strconv.FormatInt(o.ID, 10)+"/verification", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Accept", "text/html")
	r.Header.Set("X-Test-As", as)
	return cServe(e.h, r)
}

// cvSmallPNG is a sharp photo below the minimum resolution.
func cvSmallPNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 300, 400))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// cvCert is a valid adult resident ID with the body's 17 digits.
func cvCert(body string) string { return body + string(validate.ResidentIDCheck(body)) }

// cvSMSCodes reads the SMS codes the registry sent, by phone (the sandbox
// mailbox's rows; Rule VER-3).
func (e *cEnv) cvSMSCodes(tb testing.TB) map[string]string {
	tb.Helper()
	rows, err := e.svc.DB.SQL.QueryContext(e.ctx, `SELECT recipient, data FROM registry_outbox WHERE channel = 'sms' AND template = $1 ORDER BY id`,
		regulator.TemplateSMSCode)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	codes := map[string]string{}
	for rows.Next() {
		var to, data string
		if err := rows.Scan(&to, &data); err != nil {
			tb.Fatal(err)
		}
		var m map[string]string
		_ = json.Unmarshal([]byte(data), &m)
		codes[to] = m["code"]
	}
	return codes
}

// cvRegistryHandler is the console on the environment's service with the
// built-in registry known to the pages (as beian serve wires them), so the
// pages link the registry's /sms-verify and /password.
func (e *cEnv) cvRegistryHandler(tb testing.TB) http.Handler {
	tb.Helper()
	p, err := New(Options{Provider: e.svc, Registry: e.reg, Viewer: func(r *http.Request) Viewer {
		pr, ok := identity.FromContext(r.Context())
		if !ok {
			return Viewer{}
		}
		return Viewer{Login: pr.Login, Role: string(pr.Role), Context: pr.Context, CSRF: pr.CSRF, SignedIn: true}
	}})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	p.ConsoleRoutes(mux, nil)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if as := r.Header.Get("X-Test-As"); as != "" {
			role, id, _ := strings.Cut(as, " ")
			n, _ := strconv.ParseInt(id, 10, 64)
			r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Context: identity.ContextProvider, AccountID: n,
				Login: "user" + id, Role: beian.Role(role), CSRF: cCSRF, Via: identity.ViaSession}))
		}
		mux.ServeHTTP(w, r)
	})
}

// cvGet answers a GET on h as the principal.
func cvGet(h http.Handler, as, target string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil).WithContext(context.Background())
	r.Header.Set("Accept", "text/html")
	r.Header.Set("X-Test-As", as)
	return cServe(h, r)
}

// cvSection returns the part of a page from the element with the id to
// the end of its section.
func cvSection(b, id string) string {
	i := strings.Index(b, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(b[i:], "</section>")
	if j < 0 {
		return b[i:]
	}
	return b[i : i+j]
}
