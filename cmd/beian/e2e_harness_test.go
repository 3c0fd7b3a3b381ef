package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/validate"
)

// The end-to-end harness of issue 6: the real `beian serve --sandbox` (Main)
// on a fresh database, called only over HTTP, with staff accounts made as
// `beian user add` makes them (identity.Service.CreateAccount) and API
// tokens for them; customers sign up and log in through the API.

// e2e is one running server and its staff.
type e2e struct {
	m        *Main
	ctx      context.Context
	staff    *identity.Service // cheap argon2 parameters for the staff accounts
	regAdmin *api              // registry_admin: the sandbox surface
	padmin   *api              // provider_admin: resources
	reviewer *api              // provider_reviewer: both reviews
	verifier *api              // verifier: photos taken at a verification point
	bureau   *api              // bureau_reviewer of Beijing (110000)
	// start is the sandbox clock's time at the start. The sandbox clock
	// runs on the system clock and only moves forward (a test cannot pin
	// it in the past), so the walks' dates are relative to it.
	start time.Time
}

// api is one caller of the server: a bearer token, or none (anonymous).
type api struct {
	e     *e2e
	token string
	id    int64
	login string
}

// e2eSeq numbers the logins, companies, domains and phones of the walks.
var e2eSeq atomic.Int64

// newE2E starts the server on the engine with the sandbox on, pins its
// clock, and creates one account of each staff role.
func newE2E(t *testing.T, eng string) *e2e {
	t.Helper()
	// Like startMain, with the documents and photos in a temporary folder
	// (on PostgreSQL they would land in ./beian-blobs).
	m := &Main{Addr: "127.0.0.1:0", DB: sqltest.DSN(t, eng), Sandbox: true, BlobDir: t.TempDir()}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	e := &e2e{m: m, ctx: context.Background()}
	e.staff = &identity.Service{DB: e.m.db, Contexts: e.m.contexts(), Params: identity.HashParams{Memory: 64, Time: 1, Threads: 1}}
	e.regAdmin = e.staffAccount(t, beian.RoleRegistryAdmin, "")
	e.start = e.now(t)
	e.padmin = e.staffAccount(t, beian.RoleProviderAdmin, "")
	e.reviewer = e.staffAccount(t, beian.RoleProviderReviewer, "")
	e.verifier = e.staffAccount(t, beian.RoleVerifier, "")
	e.bureau = e.staffAccount(t, beian.RoleBureauReviewer, "110000")
	return e
}

// staffAccount creates an account of the role (in its context) and a
// long-lived API token for it: the sandbox clock moves months ahead.
func (e *e2e) staffAccount(tb testing.TB, role beian.Role, province string) *api {
	tb.Helper()
	login := fmt.Sprintf("%s-%d", role, e2eSeq.Add(1))
	p, err := e.staff.CreateAccount(e.ctx, identity.NewAccount{Login: login, Password: "correct horse battery", Role: role, Province: province}, "test")
	if err != nil {
		tb.Fatalf("create %s: %v", role, err)
	}
	tok, err := e.staff.CreateToken(e.ctx, p, "e2e", identity.MaxTokenTTL)
	if err != nil {
		tb.Fatal(err)
	}
	return &api{e: e, token: tok, id: p.AccountID, login: login}
}

// signup signs a customer up and logs in through the API, then trades the
// session for an API token that outlives the walk's months.
func (e *e2e) signup(tb testing.TB) *api {
	tb.Helper()
	anon := e.anon()
	login := fmt.Sprintf("cust%d", e2eSeq.Add(1))
	var acc struct{ ID int64 }
	anon.call(tb, 201, "POST", "/api/v1/signup", map[string]string{"login": login, "password": "correct horse battery", "name": "客户"}, &acc)
	var sess struct{ Token string }
	anon.call(tb, 201, "POST", "/api/v1/sessions", map[string]string{"login": login, "password": "correct horse battery"}, &sess)
	c := &api{e: e, token: sess.Token, id: acc.ID, login: login}
	var tok struct{ Token string }
	c.call(tb, 201, "POST", "/api/v1/tokens", map[string]any{"name": "e2e", "ttl_hours": int(identity.MaxTokenTTL / time.Hour)}, &tok)
	c.token = tok.Token
	return c
}

// anon is a caller without credentials.
func (e *e2e) anon() *api { return &api{e: e} }

// do sends a request: body as JSON unless it is []byte; hdr holds
// name/value pairs.
func (c *api) do(tb testing.TB, method, path string, body any, hdr ...string) (int, []byte, http.Header) {
	tb.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/octet-stream"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(c.e.ctx, method, c.e.m.URL()+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// call sends a request, fails tb unless the status is want, and decodes the
// answer into out (when not nil).
func (c *api) call(tb testing.TB, want int, method, path string, body, out any, hdr ...string) http.Header {
	tb.Helper()
	code, b, h := c.do(tb, method, path, body, hdr...)
	if code != want {
		tb.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return h
}

// e2eCompany is a Beijing enterprise with its responsible person, a domain and
// a phone of its own.
type e2eCompany struct {
	name, uscc, domain string
	person             beian.Person
}

// newE2ECompany makes the next e2eCompany with valid certificates (Rule SUBJ-3).
func newE2ECompany(tb testing.TB) e2eCompany {
	tb.Helper()
	n := e2eSeq.Add(1)
	org := fmt.Sprintf("MA%06d", n%1000000)
	body := "91110105" + org + string(validate.OrgCodeCheck(org))
	uscc := body + string(validate.USCCCheck(body))
	rid := fmt.Sprintf("110105198503%02d%03d", n%28+1, n%1000)
	rid += string(validate.ResidentIDCheck(rid))
	return e2eCompany{name: fmt.Sprintf("北京星河%d科技有限公司", n), uscc: uscc, domain: fmt.Sprintf("xinghe%d-e2e.cn", n),
		person: beian.Person{Name: "张伟", CertType: "resident_id", CertNumber: rid, Mobile: fmt.Sprintf("139%08d", n), Email: fmt.Sprintf("p%d@example.com", n)}}
}

// website is a website form of the e2eCompany on the domain and resource.
func (co e2eCompany) website(name, domain string, resource int64) beian.WebsiteForm {
	return beian.WebsiteForm{WebsiteData: beian.WebsiteData{Name: name, Domains: []string{domain}, Homepage: "www." + domain,
		ServiceContent: "org_portal", Person: co.person}, Resources: []beian.ResourceRef{{ResourceID: resource}}}
}

// form is the e2eCompany's first-filing form with one website.
func (co e2eCompany) form(resource int64) beian.OrderData {
	return beian.OrderData{
		Subject: beian.SubjectForm{SubjectData: beian.SubjectData{Nature: "enterprise", Name: co.name, CertType: "uscc", CertNumber: co.uscc,
			Province: "110000", City: "110100", District: "110105", Address: "北京市朝阳区建国路1号", Person: co.person}},
		Websites: []beian.WebsiteForm{co.website("星河科技官网", co.domain, resource)},
	}
}

// seedDomain records the domain's registration for the e2eCompany at the
// sandbox registry (Rule WEB-6), as the registry administrator.
func (e *e2e) seedDomain(tb testing.TB, co e2eCompany, domain string) {
	tb.Helper()
	e.regAdmin.call(tb, 200, "POST", "/api/v1/sandbox/domains", map[string]any{"domain": domain, "holder_name": co.name,
		"holder_cert_type": "uscc", "holder_cert_number": co.uscc, "registrar": "阿里云计算有限公司(万网)",
		"registered_on": e.date(-365), "expires_on": e.date(5 * 365), "real_name_verified": true}, nil)
}

// resource registers a prepaid mainland server for the customer, as the
// provider admin (Rule ACC-2), and returns its ID.
func (e *e2e) resource(tb testing.TB, c *api, ip string) int64 {
	tb.Helper()
	var r struct {
		ID       int64
		Eligible bool
	}
	e.padmin.call(tb, 201, "POST", "/api/v1/resources", map[string]any{"account_id": c.id, "external_id": fmt.Sprintf("ecs-%d", e2eSeq.Add(1)),
		"billing": "prepaid", "mainland": true, "public_ips": []string{ip}, "term_start": e.date(-30), "term_end": e.date(3 * 365)}, &r)
	if !r.Eligible {
		tb.Fatalf("resource %d is not eligible", r.ID)
	}
	return r.ID
}

// date is the sandbox date days after the start, as YYYY-MM-DD (CST).
func (e *e2e) date(days int) string {
	return e.start.In(beian.CST).AddDate(0, 0, days).Format(time.DateOnly)
}

// e2ePhoto is a photo that passes the checks of Rule VER-1: a 600×800
// checkerboard of 8-pixel squares.
func e2ePhoto(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 600, 800))
	for y := range 800 {
		for x := range 600 {
			g := uint8(20)
			if (x/8+y/8)%2 == 0 {
				g = 230
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

// e2eOrderPath is the path of the order's route with the suffix.
func e2eOrderPath(id int64, suffix string) string {
	return "/api/v1/orders/" + strconv.FormatInt(id, 10) + suffix
}

// e2eIfMatch is the If-Match header pair for the order's version.
func e2eIfMatch(v int64) []string { return []string{"If-Match", `"v` + strconv.FormatInt(v, 10) + `"`} }

// smsCodeRE matches the code in the registry's VER-3 message.
var smsCodeRE = regexp.MustCompile(`核验码为 ?(\d{6})`)

// passwordRE matches the filing password in the registry's PWD-1 message.
var passwordRE = regexp.MustCompile(`备案密码为[：: ]*([^\s，。,]+)`)
