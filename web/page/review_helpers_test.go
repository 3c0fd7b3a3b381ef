package page

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/blob"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

// rEnv is the provider service (with the built-in registry) on a fresh
// database and the review desk's pages on it.
type rEnv struct {
	svc       *provider.Service
	clock     *beian.ManualClock
	h         http.Handler
	ctx       context.Context
	reviewer  beian.Account // provider_reviewer
	other     beian.Account // a second provider_reviewer
	verifier  beian.Account // verifier
	customer  beian.Account // a customer
	customers int           // the customer accounts submitted made
}

// reviewEach runs fn on both engines with the review desk's handler: the
// request's principal comes from the X-Test-As header, "role id"
// ("provider" context; "regulator:role id" for the registry's), with the
// session's token bCSRF, as identity.Authenticate would put it.
func reviewEach(t *testing.T, fn func(t *testing.T, e *rEnv)) {
	t.Helper()
	clock := beian.NewManualClock(bT0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(bT0)
		e := &rEnv{clock: clock, ctx: context.Background()}
		reg, err := regulator.New(db)
		if err != nil {
			t.Fatal(err)
		}
		blobs, err := blob.Open(t.TempDir(), 20<<20, blob.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		if e.svc, err = provider.New(db, &regulator.Connector{Registry: reg, Provider: "beian"}, blobs, nil); err != nil {
			t.Fatal(err)
		}
		for _, a := range []struct {
			to    *beian.Account
			login string
			role  beian.Role
		}{{&e.reviewer, "rev1", beian.RoleProviderReviewer}, {&e.other, "rev2", beian.RoleProviderReviewer},
			{&e.verifier, "point1", beian.RoleVerifier}, {&e.customer, "cust1", beian.RoleCustomer}} {
			if *a.to, err = e.svc.Store.CreateAccount(e.ctx, beian.Account{Login: a.login, Role: a.role}, "x", "test"); err != nil {
				t.Fatal(err)
			}
		}
		p, err := New(Options{Provider: e.svc, Viewer: func(r *http.Request) Viewer {
			pr, ok := identity.FromContext(r.Context())
			if !ok {
				return Viewer{}
			}
			return Viewer{Login: pr.Login, Role: string(pr.Role), Context: pr.Context, CSRF: pr.CSRF, SignedIn: true}
		}})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		p.ReviewRoutes(mux)
		e.h = SecurityHeaders(p.LangCookie(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if as := r.Header.Get("X-Test-As"); as != "" {
				role, id, _ := strings.Cut(as, " ")
				ctxName := identity.ContextProvider
				if c, rl, ok := strings.Cut(role, ":"); ok {
					ctxName, role = c, rl
				}
				n, _ := strconv.ParseInt(id, 10, 64)
				r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Context: ctxName, AccountID: n,
					Login: "staff", Role: beian.Role(role), CSRF: bCSRF, Via: identity.ViaSession}))
			}
			mux.ServeHTTP(w, r)
		})))
		fn(t, e)
	})
}

// rAs is the X-Test-As value of an account.
func rAs(a beian.Account) string { return string(a.Role) + " " + strconv.FormatInt(a.ID, 10) }

// get answers a GET as the principal ("" for anonymous).
func (e *rEnv) get(tb testing.TB, who, target string) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept", "text/html")
	if who != "" {
		r.Header.Set("X-Test-As", who)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// post answers a form POST with the session's token unless the form has
// a "csrf" of its own.
func (e *rEnv) post(tb testing.TB, who, target string, form url.Values) *httptest.ResponseRecorder {
	tb.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", bCSRF)
	}
	r := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "text/html")
	r.Header.Set("X-Test-As", who)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// upload posts the verification point's multipart form.
func (e *rEnv) upload(tb testing.TB, who, order string, photo []byte) *httptest.ResponseRecorder {
	tb.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("csrf", bCSRF)
	_ = mw.WriteField("order", order)
	if photo != nil {
		fw, _ := mw.CreateFormFile("photo", "photo.png")
		_, _ = fw.Write(photo)
	}
	_ = mw.Close()
	r := httptest.NewRequest("POST", "/review/verification", &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Accept", "text/html")
	r.Header.Set("X-Test-As", who)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// rMinorCert is a resident ID of a person born 2010-01-01: under 18 on
// the tests' dates (Rule SUBJ-2).
const rMinorCert = "33010620100101123X"

// rForm is a first filing's form in Zhejiang on the domain; the website's
// responsible person has the certificate.
func rForm(domain, siteCert string) beian.OrderData {
	return beian.OrderData{
		Subject: beian.SubjectForm{SubjectData: beian.SubjectData{Nature: "enterprise", Name: "杭州甲科技有限公司", CertType: "uscc", CertNumber: "91330100MA0000001A",
			Province: "330000", City: "330100", District: "330106", Address: "杭州市西湖区文三路 1 号",
			Person: beian.Person{Name: "张三", CertType: "resident_id", CertNumber: "330106199001011234", Mobile: "13800138000", Email: "zhang@example.com"}}},
		Websites: []beian.WebsiteForm{{WebsiteData: beian.WebsiteData{Name: "甲公司官网", Domains: []string{domain}, Homepage: "www." + domain,
			ServiceContent: "org_portal", Person: beian.Person{Name: "李四", CertType: "resident_id", CertNumber: siteCert, Mobile: "13900139000"},
			ServerIPs: []string{"203.0.113.10"}}}},
	}
}

// rOther makes the form another subject's (Rule ACC-4: one order in
// flight per subject).
func rOther(d beian.OrderData) beian.OrderData {
	d.Subject.Name, d.Subject.CertNumber = "杭州乙科技有限公司", "91330100MA0000002B"
	return d
}

// submitted creates an order in the store for a customer account of its
// own (Rule ACC-1) and submits it: it waits in initial review.
func (e *rEnv) submitted(tb testing.TB, d beian.OrderData) beian.Order {
	tb.Helper()
	js, _ := json.Marshal(d)
	e.customers++
	cust, err := e.svc.Store.CreateAccount(e.ctx, beian.Account{Login: "cust" + strconv.Itoa(e.customers+1), Role: beian.RoleCustomer}, "x", "test")
	if err != nil {
		tb.Fatal(err)
	}
	o, err := e.svc.Store.CreateOrder(e.ctx, providerdb.NewOrder{AccountID: cust.ID, Type: beian.FirstFiling, Nature: d.Subject.Nature,
		Name: d.Subject.Name, Province: d.Subject.Province, CertType: d.Subject.CertType, CertNumber: d.Subject.CertNumber, Data: js, Actor: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	o, err = e.svc.Store.Transition(e.ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.Submit, By: workflow.Customer, Actor: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// order reads the order.
func (e *rEnv) order(tb testing.TB, id int64) beian.Order {
	tb.Helper()
	o, err := e.svc.Store.Order(e.ctx, id)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// audits counts the provider's audit records of the action.
func (e *rEnv) audits(tb testing.TB, action string) int {
	tb.Helper()
	var n int
	if err := e.svc.DB.SQL.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM provider_audit WHERE action = $1`, action).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// rPNG is a 600×800 photo: a checkerboard of 8-pixel squares when sharp,
// a smooth gradient otherwise.
func rPNG(tb testing.TB, sharp bool) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 600, 800))
	for y := range 800 {
		for x := range 600 {
			g := uint8((x + y) * 255 / 1400)
			if sharp {
				g = 20
				if (x/8+y/8)%2 == 0 {
					g = 230
				}
			}
			img.SetGray(x, y, color.Gray{Y: g})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// rID is an order's ID as the routes write it.
func rID(o beian.Order) string { return strconv.FormatInt(o.ID, 10) }
