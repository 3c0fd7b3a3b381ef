package page

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/blob"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/ratelimit"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/validate"
)

// cCSRF is the test session's CSRF token.
const cCSRF = "CSRFTOKENCONSOLE234567234"

// cEnv is the provider service and the built-in registry on a fresh
// database, with the console's pages on it.
type cEnv struct {
	svc   *provider.Service
	reg   *regulator.Registry
	ident *identity.Service
	clock *beian.ManualClock
	h     http.Handler
	ctx   context.Context
}

// consoleEach runs fn on both engines with the console's handler: the
// request's principal comes from the X-Test-As header, "role accountID",
// as identity.Authenticate would put it in the context (a bureau
// reviewer's in the registry context).
func consoleEach(t *testing.T, fn func(t *testing.T, e *cEnv)) {
	t.Helper()
	clock := beian.NewManualClock(bT0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(bT0)
		e := &cEnv{clock: clock, ctx: context.Background()}
		var err error
		if e.reg, err = regulator.New(db); err != nil {
			t.Fatal(err)
		}
		blobs, err := blob.Open(t.TempDir(), 20<<20, blob.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		if e.svc, err = provider.New(db, &regulator.Connector{Registry: e.reg, Provider: "beian"}, blobs, nil); err != nil {
			t.Fatal(err)
		}
		e.ident = &identity.Service{DB: db, Limiter: &ratelimit.Limiter{DB: db}, Params: identity.HashParams{Memory: 64, Time: 1, Threads: 1}}
		p, err := New(Options{Provider: e.svc, Viewer: func(r *http.Request) Viewer {
			pr, ok := identity.FromContext(r.Context())
			if !ok {
				return Viewer{}
			}
			return Viewer{Login: pr.Login, Role: string(pr.Role), Context: pr.Context, CSRF: pr.CSRF, SignedIn: true}
		}, Login: func(ctx context.Context, login, password, client string) (*http.Cookie, error) {
			sess, err := e.ident.Login(ctx, login, password, client)
			if err != nil {
				return nil, err
			}
			return e.ident.Cookie(sess), nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		p.ConsoleRoutes(mux, e.ident)
		e.h = SecurityHeaders(p.LangCookie(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if as := r.Header.Get("X-Test-As"); as != "" {
				role, id, _ := strings.Cut(as, " ")
				n, _ := strconv.ParseInt(id, 10, 64)
				ctxName := identity.ContextProvider
				if role == string(beian.RoleBureauReviewer) {
					ctxName = identity.ContextRegistry
				}
				r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Context: ctxName, AccountID: n,
					Login: "user" + id, Role: beian.Role(role), Province: "330000", CSRF: cCSRF, Via: identity.ViaSession}))
			}
			mux.ServeHTTP(w, r)
		})))
		fn(t, e)
	})
}

// cSeq numbers the test accounts' companies and domains.
var cSeq atomic.Int64

// cCustomer is a customer account of the tests with its company.
type cCustomer struct {
	as                 string // the X-Test-As value
	id                 int64
	name, uscc, domain string
	resource           int64 // an eligible prepaid server, or 0
}

// customer creates a customer account; withServer gives it an eligible
// prepaid mainland server (Rule ACC-2), and its domain a clean
// registration record at the registry (Rule WEB-6).
func (e *cEnv) customer(tb testing.TB, withServer bool) cCustomer {
	tb.Helper()
	n := cSeq.Add(1)
	pr, err := e.ident.CreateAccount(e.ctx, identity.NewAccount{Login: fmt.Sprintf("cust%d", n), Password: "correct horse battery",
		Role: beian.RoleCustomer}, "test")
	if err != nil {
		tb.Fatal(err)
	}
	org := fmt.Sprintf("MA0%dCDEF", n%10)
	body := "91110105" + org + string(validate.OrgCodeCheck(org))
	c := cCustomer{as: "customer " + strconv.FormatInt(pr.AccountID, 10), id: pr.AccountID, name: fmt.Sprintf("北京云帆%d科技有限公司", n),
		uscc: body + string(validate.USCCCheck(body)), domain: fmt.Sprintf("yunfan%d-example.cn", n)}
	err = e.reg.PutDomainRecord(e.ctx, regulator.DomainRecord{Domain: c.domain, HolderName: c.name, HolderCertType: "uscc",
		HolderCertNumber: c.uscc, Registrar: "阿里云计算有限公司(万网)", RegisteredOn: bT0.AddDate(-1, 0, 0),
		ExpiresOn: bT0.AddDate(2, 0, 0), RealNameVerified: true})
	if err != nil {
		tb.Fatal(err)
	}
	if withServer {
		r, err := e.svc.Store.CreateResource(e.ctx, beian.Resource{AccountID: pr.AccountID, ExternalID: fmt.Sprintf("ecs-c%d", n),
			Billing: beian.Prepaid, Mainland: true, PublicIPs: []string{fmt.Sprintf("47.101.%d.10", n%200)},
			TermStart: bT0.AddDate(0, -1, 0), TermEnd: bT0.AddDate(0, 11, 0), Active: true}, "test")
		if err != nil {
			tb.Fatal(err)
		}
		c.resource = r.ID
	}
	return c
}

// cPerson is an adult responsible person's certificate (Rule SUBJ-3).
func cPerson(tb testing.TB) string {
	tb.Helper()
	body := "11010519900307123"
	return body + string(validate.ResidentIDCheck(body))
}

// get answers a GET as the principal ("" for anonymous).
func (e *cEnv) get(tb testing.TB, as, target string) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept", "text/html")
	if as != "" {
		r.Header.Set("X-Test-As", as)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// post answers a form POST as the principal with the session's token
// added unless the form has a "csrf" of its own.
func (e *cEnv) post(tb testing.TB, as, target string, form url.Values) *httptest.ResponseRecorder {
	tb.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", cCSRF)
	}
	r := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "text/html")
	if as != "" {
		r.Header.Set("X-Test-As", as)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// order returns the customer's only order.
func (e *cEnv) order(tb testing.TB, c cCustomer) beian.Order {
	tb.Helper()
	os, err := e.svc.Store.OrdersOf(e.ctx, c.id)
	if err != nil || len(os) == 0 {
		tb.Fatalf("orders of %d: %v, %v", c.id, os, err)
	}
	return os[0]
}

// subjectForm is the 主体信息 step's values of the customer's company.
func (c cCustomer) subjectForm(tb testing.TB, version int64) url.Values {
	cert := cPerson(tb)
	return url.Values{"step": {"subject"}, "version": {strconv.FormatInt(version, 10)},
		"subject.nature": {"enterprise"}, "subject.name": {c.name}, "subject.cert_type": {"uscc"}, "subject.cert_number": {c.uscc},
		"subject.province": {"110000"}, "subject.city": {"110100"}, "subject.district": {"110105"}, "subject.address": {"北京市朝阳区建国路1号"},
		"subject.person.name": {"张伟"}, "subject.person.cert_type": {"resident_id"}, "subject.person.cert_number": {cert},
		"subject.person.mobile": {"13800138000"}, "subject.person.email": {"zhangwei@example.com"}}
}

// websiteForm is the 网站信息 step's values of the customer's website.
func (c cCustomer) websiteForm(tb testing.TB, version int64) url.Values {
	p := "websites[0]."
	return url.Values{"step": {"website"}, "version": {strconv.FormatInt(version, 10)},
		p + "name": {"云帆科技官网"}, p + "domains": {c.domain}, p + "homepage": {"www." + c.domain}, p + "service_content": {"org_portal"},
		p + "person.name": {"张伟"}, p + "person.cert_type": {"resident_id"}, p + "person.cert_number": {cPerson(tb)},
		p + "person.mobile": {"13800138000"}, p + "person.email": {"zhangwei@example.com"},
		"websites[0].resources": {strconv.FormatInt(c.resource, 10)}}
}

// cRequest is a form POST of the values, anonymous.
func cRequest(method, target string, form url.Values) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "text/html")
	return r
}

// cServe records h's answer to r.
func cServe(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// cRead reads an answer's body, unescaped.
func cRead(tb testing.TB, resp *http.Response) string {
	tb.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return html.UnescapeString(string(b))
}

// cPrincipal is the customer as identity puts it in a request's context.
func cPrincipal(c cCustomer) identity.Principal {
	return identity.Principal{Context: identity.ContextProvider, AccountID: c.id, Login: "user", Role: beian.RoleCustomer, Via: identity.ViaSession}
}

// create prechecks and creates the customer's first filing through the
// pages and returns the draft.
func (e *cEnv) create(tb testing.TB, c cCustomer) beian.Order {
	tb.Helper()
	w := e.post(tb, c.as, "/console/orders/new", url.Values{"type": {"first_filing"}, "province": {"110000"}, "nature": {"enterprise"},
		"cert_type": {"uscc"}, "cert_number": {c.uscc}, "domains": {c.domain}, "resource_id": {strconv.FormatInt(c.resource, 10)}})
	o := e.order(tb, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/orders/"+strconv.FormatInt(o.ID, 10)+"/edit?notice=created&of="+o.Number+"&step=subject" {
		tb.Fatalf("create: %d %q %s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	return o
}

// filled creates the customer's first filing and fills both steps through
// the pages; it returns the draft, ready to submit.
func (e *cEnv) filled(tb testing.TB, c cCustomer) beian.Order {
	tb.Helper()
	o := e.create(tb, c)
	id := strconv.FormatInt(o.ID, 10)
	for _, step := range []string{"subject", "website"} {
		o = e.order(tb, c)
		f := c.subjectForm(tb, o.Version)
		if step == "website" {
			f = c.websiteForm(tb, o.Version)
		}
		f.Set("next", "1")
		if w := e.post(tb, c.as, "/console/orders/"+id+"/edit", f); w.Code != http.StatusSeeOther {
			tb.Fatalf("%s step: %d %s", step, w.Code, w.Body.String())
		}
	}
	return e.order(tb, c)
}
