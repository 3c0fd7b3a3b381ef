package provider

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/workflow"
)

func init() {
	routeMounts = append(routeMounts, (*Service).ReviewRoutes)
	timerMounts = append(timerMounts, (*Service).ReviewTimerHandlers)
}

// The fixture of this area's tests: an enterprise in Zhejiang with its
// responsible person and a website with another one (the regulator's own
// test fixture, which passes the registry's checks).
const (
	hOrgCert   = "91330100MA0000001A"
	hSubjCert  = "330106199001011234"
	hSiteCert  = "110101198001015678"
	hSubjPhone = "13800138000"
	hSitePhone = "13900139000"
	hDomain    = "jia-one.com"
)

// hForm is a first filing's form on the domain.
func hForm(domain string) beian.OrderData {
	return beian.OrderData{
		Subject: beian.SubjectForm{SubjectData: beian.SubjectData{Nature: "enterprise", Name: "杭州甲科技有限公司", CertType: "uscc", CertNumber: hOrgCert,
			Province: "330000", City: "330100", District: "330106", Address: "杭州市西湖区文三路 1 号",
			Person: beian.Person{Name: "张三", CertType: "resident_id", CertNumber: hSubjCert, Mobile: hSubjPhone, Email: "zhang@example.com"}}},
		Websites: []beian.WebsiteForm{{WebsiteData: beian.WebsiteData{Name: "甲公司官网", Domains: []string{domain}, Homepage: "www." + domain,
			ServiceContent: "org_portal", Person: beian.Person{Name: "李四", CertType: "resident_id", CertNumber: hSiteCert, Mobile: hSitePhone},
			ServerIPs: []string{"203.0.113.10"}}}},
	}
}

// hSeed gives the registry the domain's registration record (Rule WEB-6).
func (e *env) hSeed(tb testing.TB, domain string) {
	tb.Helper()
	err := e.reg.PutDomainRecord(e.ctx, regulator.DomainRecord{Domain: domain, HolderName: "杭州甲科技有限公司", HolderCertType: "uscc",
		HolderCertNumber: hOrgCert, Registrar: "阿里云计算有限公司(万网)", RegisteredOn: t0.AddDate(-1, 0, 0), ExpiresOn: t0.AddDate(1, 0, 0),
		RealNameVerified: true})
	if err != nil {
		tb.Fatal(err)
	}
}

// hSubmitted creates the customer's order directly in the store (not
// through the orders API) and submits it: it waits in initial review.
func (e *env) hSubmitted(tb testing.TB, c *client, typ beian.OrderType, d beian.OrderData) beian.Order {
	tb.Helper()
	js, _ := json.Marshal(d)
	o, err := e.svc.Store.CreateOrder(e.ctx, providerdb.NewOrder{AccountID: c.id, Type: typ, Nature: d.Subject.Nature, Name: d.Subject.Name,
		Province: d.Subject.Province, CertType: d.Subject.CertType, CertNumber: d.Subject.CertNumber, Data: js, Actor: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	o, err = e.svc.Store.Transition(e.ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.Submit, By: workflow.Customer, Actor: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// hOrder reads the order.
func (e *env) hOrder(tb testing.TB, id int64) beian.Order {
	tb.Helper()
	o, err := e.svc.Store.Order(e.ctx, id)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// hStage fails tb unless the order is in the stage.
func (e *env) hStage(tb testing.TB, id int64, want beian.Stage) beian.Order {
	tb.Helper()
	o := e.hOrder(tb, id)
	if o.Stage != want {
		tb.Fatalf("order %s: stage %s, want %s", o.Number, o.Stage, want)
	}
	return o
}

// hDecide claims the order as the reviewer and posts the decision.
func (c *client) hDecide(tb testing.TB, id int64, d Decision) {
	tb.Helper()
	p := "/api/v1/review/orders/" + strconv.FormatInt(id, 10)
	c.call(tb, 200, "POST", p+"/claim", nil, nil)
	c.call(tb, 200, "POST", p+"/decision", d, nil)
}

// hSharpPNG is a sharp photo: a 600×800 checkerboard of 8-pixel squares.
func hSharpPNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 600, 800))
	for y := range 800 {
		for x := range 600 {
			if (x/8+y/8)%2 == 0 {
				img.SetGray(x, y, color.Gray{Y: 230})
			} else {
				img.SetGray(x, y, color.Gray{Y: 20})
			}
		}
	}
	return hEncodePNG(tb, img)
}

// hBlurryPNG is a blurry photo: a smooth 600×800 gradient.
func hBlurryPNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 600, 800))
	for y := range 800 {
		for x := range 600 {
			img.SetGray(x, y, color.Gray{Y: uint8((x + y) * 255 / 1400)})
		}
	}
	return hEncodePNG(tb, img)
}

func hEncodePNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// hUpload posts the photo as the customer's verification.
func (c *client) hUpload(tb testing.TB, want int, id int64, photo []byte) []byte {
	tb.Helper()
	code, body, _ := c.do(tb, "POST", "/api/v1/orders/"+strconv.FormatInt(id, 10)+"/verification", photo, "Content-Type", "image/png")
	if code != want {
		tb.Fatalf("upload photo: status %d, want %d: %s", code, want, body)
	}
	return body
}

// hCount runs a COUNT query.
func (e *env) hCount(tb testing.TB, q string, args ...any) int {
	tb.Helper()
	var n int
	if err := e.db.SQL.QueryRowContext(e.ctx, q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

// hConfirmSMS confirms every SMS code the registry sent, through the public
// route (Rule VER-3): phone → last 6 characters of the certificate.
func (e *env) hConfirmSMS(tb testing.TB) {
	tb.Helper()
	rows, err := e.db.SQL.QueryContext(e.ctx, `SELECT recipient, data FROM registry_outbox WHERE channel = 'sms' AND template = $1 ORDER BY created_at, id`, regulator.TemplateSMSCode)
	if err != nil {
		tb.Fatal(err)
	}
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
	rows.Close()
	last6 := map[string]string{hSubjPhone: hSubjCert[12:], hSitePhone: hSiteCert[12:]}
	for phone, code := range codes {
		e.anonymous().call(tb, 200, "POST", "/api/v1/registry/sms-confirmations",
			map[string]string{"code": code, "phone": phone, "cert_last6": last6[phone]}, nil)
	}
}

// hSubmission returns the order's latest accepted submission at the registry.
func (e *env) hSubmission(tb testing.TB, orderID int64) string {
	tb.Helper()
	var id string
	err := e.db.SQL.QueryRowContext(e.ctx, `SELECT submission_id FROM order_submissions WHERE order_id = $1 AND state = 'accepted' ORDER BY attempt DESC LIMIT 1`, orderID).Scan(&id)
	if err != nil {
		tb.Fatalf("accepted submission of order %d: %v", orderID, err)
	}
	return id
}

// hPull pulls the event feed and fails tb on an error.
func (e *env) hPull(tb testing.TB) int {
	tb.Helper()
	n, err := e.svc.PullEvents(e.ctx)
	if err != nil {
		tb.Fatalf("pull events: %v", err)
	}
	return n
}

// hToBureau walks a first filing from initial review to bureau review: both
// reviews, an uploaded photo, and the SMS confirmation.
func (e *env) hToBureau(tb testing.TB, cust, rev *client, o beian.Order) {
	tb.Helper()
	rev.hDecide(tb, o.ID, Decision{Approve: true})
	e.hStage(tb, o.ID, beian.StageVerification)
	cust.hUpload(tb, 200, o.ID, hSharpPNG(tb))
	e.hStage(tb, o.ID, beian.StagePhotoReview)
	rev.hDecide(tb, o.ID, Decision{Approve: true})
	e.hStage(tb, o.ID, beian.StageSMSConfirmation)
	e.hConfirmSMS(tb)
	e.hPull(tb)
	e.hStage(tb, o.ID, beian.StageBureauReview)
}
