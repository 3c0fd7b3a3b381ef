package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore/sqltest"
)

// e2eOrder is the part of the provider's order answer the walks read.
type e2eOrder struct {
	ID       int64           `json:"id"`
	Number   string          `json:"number"`
	Type     beian.OrderType `json:"type"`
	Stage    beian.Stage     `json:"stage"`
	Version  int64           `json:"version"`
	Effect   string          `json:"effect"`
	Changed  []string        `json:"changed"`
	Data     json.RawMessage `json:"data"`
	Warnings []struct {
		Code string `json:"code"`
	} `json:"warnings"`
}

// e2eFilings is the answer of GET /api/v1/filings.
type e2eFilings struct {
	Subject *struct {
		Number string `json:"number"`
		Status string `json:"status"`
		Name   string `json:"name"`
	} `json:"subject"`
	Websites []struct {
		Number  string           `json:"number"`
		Name    string           `json:"name"`
		Access  beian.GateReason `json:"access"`
		Domains []struct {
			ASCII string `json:"ascii"`
		} `json:"domains"`
	} `json:"websites"`
}

// create posts a draft order of the type.
func (c *api) create(tb testing.TB, typ beian.OrderType, data any) e2eOrder {
	tb.Helper()
	var o e2eOrder
	c.call(tb, 201, "POST", "/api/v1/orders", map[string]any{"type": typ, "data": data}, &o)
	if o.Stage != beian.StageDraft || o.Type != typ {
		tb.Fatalf("created %s order in %s", o.Type, o.Stage)
	}
	return o
}

// order reads the order as the caller.
func (c *api) order(tb testing.TB, id int64) e2eOrder {
	tb.Helper()
	var o e2eOrder
	c.call(tb, 200, "GET", e2eOrderPath(id, ""), nil, &o)
	return o
}

// submit submits the order and checks the stage it reached.
func (c *api) submit(tb testing.TB, id int64, want beian.Stage) e2eOrder {
	tb.Helper()
	var o e2eOrder
	c.call(tb, 200, "POST", e2eOrderPath(id, "/submit"), nil, &o, "Idempotency-Key", fmt.Sprintf("submit-%d-%d", id, e2eSeq.Add(1)))
	if o.Stage != want {
		tb.Fatalf("submitted order %s to %s, want %s", o.Number, o.Stage, want)
	}
	return o
}

// approve has the provider reviewer find the order in its queue, claim it
// and approve it; the order must then be in the stage want.
func (e *e2e) approve(tb testing.TB, o e2eOrder, queue beian.Stage, want beian.Stage) {
	tb.Helper()
	var q struct {
		Items []struct {
			ID    int64       `json:"id"`
			Stage beian.Stage `json:"stage"`
		} `json:"items"`
	}
	e.reviewer.call(tb, 200, "GET", "/api/v1/review/queue?stage="+string(queue), nil, &q)
	if !slices.ContainsFunc(q.Items, func(it struct {
		ID    int64       `json:"id"`
		Stage beian.Stage `json:"stage"`
	}) bool {
		return it.ID == o.ID
	}) {
		tb.Fatalf("order %s is not in the %s queue: %+v", o.Number, queue, q.Items)
	}
	p := "/api/v1/review/orders/" + fmt.Sprint(o.ID)
	e.reviewer.call(tb, 200, "POST", p+"/claim", nil, nil)
	var got e2eOrder
	e.reviewer.call(tb, 200, "POST", p+"/decision", map[string]any{"approve": true}, &got)
	if got.Stage != want {
		tb.Fatalf("approved %s of %s: stage %s, want %s", queue, o.Number, got.Stage, want)
	}
}

// uploadPhoto chooses the upload verification with a sharp photo (Rule
// VER-1): the order goes to photo review.
func (c *api) uploadPhoto(tb testing.TB, id int64) {
	tb.Helper()
	var got e2eOrder
	c.call(tb, 200, "POST", e2eOrderPath(id, "/verification"), e2ePhoto(tb), nil, "Content-Type", "image/png")
	c.call(tb, 200, "GET", e2eOrderPath(id, ""), nil, &got)
	if got.Stage != beian.StagePhotoReview {
		tb.Fatalf("after the photo upload: %s", got.Stage)
	}
}

// nudge makes the server's background work run now rather than at its
// next tick: the outbox workers deliver, and the provider pulls the
// registry's events (the exported trigger of its loop).
func (e *e2e) nudge(tb testing.TB) {
	tb.Helper()
	for _, w := range e.m.workers {
		w.Wake()
	}
	if _, err := e.m.platform.provider.PullEvents(e.ctx); err != nil {
		tb.Logf("pull events: %v", err) // the loop may hold the feed at the same moment; retried
	}
}

// waitStage reads the order until it reaches the stage, nudging the
// background work, or fails tb after a deadline.
func (e *e2e) waitStage(tb testing.TB, c *api, id int64, want beian.Stage) e2eOrder {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		o := c.order(tb, id)
		if o.Stage == want {
			return o
		}
		if time.Now().After(deadline) {
			var full map[string]any
			c.call(tb, 200, "GET", e2eOrderPath(id, ""), nil, &full)
			delete(full, "data")
			var why string
			_ = e.m.db.SQL.QueryRowContext(e.ctx, `SELECT COALESCE(last_error, '') FROM order_submissions WHERE order_id = $1 ORDER BY attempt DESC LIMIT 1`, id).Scan(&why)
			full["last_error"] = why
			tb.Fatalf("order %s stays in %s, want %s: %v", o.Number, o.Stage, want, full)
		}
		e.nudge(tb)
		time.Sleep(50 * time.Millisecond)
	}
}

// mailbox waits for a message of the template to the recipient in the
// sandbox mailbox that matches re and is newer than the ones seen, and
// returns re's first group.
func (e *e2e) mailbox(tb testing.TB, to, template string, after time.Time, re *regexp.Regexp) string {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var msgs []struct {
			Template  string    `json:"template"`
			Body      string    `json:"body"`
			CreatedAt time.Time `json:"created_at"`
		}
		e.regAdmin.call(tb, 200, "GET", "/api/v1/sandbox/messages?to="+url.QueryEscape(to), nil, &msgs)
		for i := len(msgs) - 1; i >= 0; i-- {
			if m := msgs[i]; m.Template == template && !m.CreatedAt.Before(after) {
				if g := re.FindStringSubmatch(m.Body); g != nil {
					return g[1]
				}
				tb.Fatalf("%s message without its value: %q", template, m.Body)
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no %s message to %s after %s: %+v", template, to, after, msgs)
		}
		e.nudge(tb)
		time.Sleep(50 * time.Millisecond)
	}
}

// now is the sandbox clock's time.
func (e *e2e) now(tb testing.TB) time.Time {
	tb.Helper()
	var st struct{ Now time.Time }
	e.regAdmin.call(tb, 200, "GET", "/api/v1/sandbox/clock", nil, &st)
	return st.Now
}

// confirmSMS reads each responsible person's VER-3 code from the sandbox
// mailbox and confirms it through the public route; the provider then
// learns from the registry's events that the order is at the bureau.
func (e *e2e) confirmSMS(tb testing.TB, c *api, o e2eOrder, since time.Time, persons ...beian.Person) {
	tb.Helper()
	e.waitStage(tb, c, o.ID, beian.StageSMSConfirmation)
	for _, p := range persons {
		code := e.mailbox(tb, p.Mobile, "registry.sms_code", since, smsCodeRE)
		var res map[string]any
		e.anon().call(tb, 200, "POST", "/api/v1/registry/sms-confirmations",
			map[string]string{"code": code, "phone": p.Mobile, "cert_last6": p.CertNumber[len(p.CertNumber)-6:]}, &res)
	}
	e.waitStage(tb, c, o.ID, beian.StageBureauReview)
}

// bureauDecides moves the sandbox clock through the API by the business
// days of the bureau's review (Rule REV-2, Beijing: 20; cancellations
// within CAN-2's 20) so that the automatic bureau decides, and waits for
// the provider to learn the approval from the event feed.
func (e *e2e) bureauDecides(tb testing.TB, c *api, id int64) e2eOrder {
	tb.Helper()
	var st struct{ Fired *int }
	e.regAdmin.call(tb, 200, "POST", "/api/v1/sandbox/clock", map[string]int{"advance_business_days": 20}, &st)
	if st.Fired == nil || *st.Fired == 0 {
		// The server's own timer loop may have fired the bureau's timer
		// first (the clock had moved): waitStage says whether it decided.
		tb.Logf("the clock request fired no timer itself")
	}
	return e.waitStage(tb, c, id, beian.StageApproved)
}

// toBureau walks a submitted order with a new responsible person through
// both provider reviews (photo upload) and the SMS confirmation.
func (e *e2e) toBureau(tb testing.TB, c *api, o e2eOrder, persons ...beian.Person) {
	tb.Helper()
	e.approve(tb, o, beian.StageInitialReview, beian.StageVerification)
	c.uploadPhoto(tb, o.ID)
	since := e.now(tb)
	e.approve(tb, o, beian.StagePhotoReview, beian.StageSMSConfirmation)
	e.confirmSMS(tb, c, o, since, persons...)
}

// filings reads the customer's filings.
func (c *api) filings(tb testing.TB) e2eFilings {
	tb.Helper()
	var f e2eFilings
	c.call(tb, 200, "GET", "/api/v1/filings", nil, &f)
	return f
}

// e2eFiled is a customer whose first filing was approved.
type e2eFiled struct {
	c        *api
	co       e2eCompany
	resource int64
	subject  string
	website  string
	password string // the filing password the registry sent (Rule PWD-1)
}

// firstFiling walks a first filing from sign-up to its numbers, only over
// HTTP (issue 6, done means), and returns the filed customer.
func (e *e2e) firstFiling(tb testing.TB) e2eFiled {
	tb.Helper()
	c := e.signup(tb)
	co := newE2ECompany(tb)
	f := e2eFiled{c: c, co: co, resource: e.resource(tb, c, fmt.Sprintf("47.101.%d.%d", e2eSeq.Add(1)%250, 10))}
	e.seedDomain(tb, co, co.domain)

	// Precheck: a first filing, nothing in the way (Rules TYPE-1, WEB-6).
	var pc struct {
		Type      beian.OrderType `json:"type"`
		Resources []struct {
			ID int64 `json:"resource_id"`
		} `json:"resources"`
	}
	c.call(tb, 200, "POST", "/api/v1/precheck", map[string]any{"province": "110000", "nature": "enterprise", "cert_type": "uscc",
		"cert_number": co.uscc, "domains": []string{co.domain}}, &pc)
	if pc.Type != beian.FirstFiling || len(pc.Resources) == 0 || pc.Resources[0].ID != f.resource {
		tb.Fatalf("precheck: %+v", pc)
	}

	// A draft, edited with If-Match (428 without it), and its documents.
	form := co.form(f.resource)
	form.Websites[0].Name = "星河官网草稿"
	o := c.create(tb, beian.FirstFiling, form)
	patch := map[string]any{"data": map[string]any{"websites": []any{co.website("星河科技官网", co.domain, f.resource)}}}
	c.call(tb, 428, "PATCH", e2eOrderPath(o.ID, ""), patch, nil)
	h := c.call(tb, 200, "PATCH", e2eOrderPath(o.ID, ""), patch, &o, e2eIfMatch(o.Version)...)
	if h.Get("ETag") != fmt.Sprintf(`"v%d"`, o.Version) || !strings.Contains(string(o.Data), "星河科技官网") {
		tb.Fatalf("patched: %s %s", h.Get("ETag"), o.Data)
	}
	c.call(tb, 201, "POST", e2eOrderPath(o.ID, "/documents?kind=business_licence"), e2ePhoto(tb), nil, "Content-Type", "image/png")
	c.call(tb, 201, "POST", e2eOrderPath(o.ID, "/documents?kind=id_front"), e2ePhoto(tb), nil, "Content-Type", "image/png")

	// Submit; the provider's reviews, the photo, the registry's SMS check.
	c.submit(tb, o.ID, beian.StageInitialReview)
	e.toBureau(tb, c, o, co.person)
	since := e.now(tb)
	got := e.bureauDecides(tb, c, o.ID)
	if got.Type != beian.FirstFiling {
		tb.Fatalf("approved %+v", got)
	}

	// Its numbers (Rule NUM-1) and the served domain (Rule GATE-1).
	fl := c.filings(tb)
	if fl.Subject == nil || !strings.HasPrefix(fl.Subject.Number, "京ICP备") || len(fl.Websites) != 1 {
		tb.Fatalf("filings: %+v", fl)
	}
	w := fl.Websites[0]
	if w.Number != fl.Subject.Number+"-1" || w.Access != beian.GateServed || len(w.Domains) != 1 || w.Domains[0].ASCII != co.domain {
		tb.Fatalf("website: %+v", w)
	}
	f.subject, f.website = fl.Subject.Number, w.Number
	f.password = e.mailbox(tb, co.person.Mobile, "registry.password_issued", since, passwordRE)
	return f
}

// Issue 6, done means: a first filing walks from the customer's sign-up to
// its filing number against the sandbox bureau, with the sandbox clock
// moved through the API, on both engines; the registry's public query
// then finds it, and the gate's table serves its domain.
func TestE2EFirstFiling(t *testing.T) {
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			e := newE2E(t, eng)
			f := e.firstFiling(t)
			var q struct {
				Total int `json:"total"`
				Items []struct {
					ServiceLicence string `json:"serviceLicence"`
				} `json:"items"`
			}
			e.anon().call(t, 200, "GET", "/api/v1/registry/query?domain=www."+f.co.domain, nil, &q)
			if q.Total != 1 || len(q.Items) != 1 || q.Items[0].ServiceLicence != f.website {
				t.Fatalf("public query: %+v", q)
			}
			var reason, number string
			err := e.m.db.SQL.QueryRowContext(e.ctx, `SELECT reason, website_number FROM servable_domains WHERE domain = $1`, f.co.domain).Scan(&reason, &number)
			if err != nil || reason != string(beian.GateServed) || number != f.website {
				t.Fatalf("gate: %q %q %v", reason, number, err)
			}
		})
	}
}
