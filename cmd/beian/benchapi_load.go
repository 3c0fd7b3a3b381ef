package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sandbox"
)

// benchCustomer is one simulated customer: its account and server, its
// responsible person, and the orders it walks one after another (Rule
// ACC-4: one order in flight per subject).
type benchCustomer struct {
	run      *benchAPIRun
	n        int
	c        *apiClient // the customer's own session
	mailbox  *apiClient // the registry admin's token, from the customer's address: the person's phone
	public   *apiClient // no credentials: the registry's public SMS confirmation
	province demoProvince
	name     string // the company (an enterprise, Rule SUBJ-3 certificates)
	uscc     string
	person   beian.Person
	resource int64
	point    bool // verifies at a verification point (the verifier uploads) rather than by a mailed curtain's photo
	codes    int  // SMS codes seen so far in the person's mailbox
	filed    bool // the first filing is approved: further websites are new_website orders
}

// errBenchStopped ends a customer's walk when the load's time is up.
var errBenchStopped = errors.New("the load ended")

// benchCities name the companies of each demo province.
var benchCities = map[string]string{"110000": "北京", "330000": "杭州", "440000": "深圳", "310000": "上海"}

// benchOrder is what the benchmark reads of an order.
type benchOrder struct {
	ID      int64       `json:"id"`
	Number  string      `json:"number"`
	Stage   beian.Stage `json:"stage"`
	Version int64       `json:"version"`
}

// signUpCustomers signs n customers up through the API (sign-up, login),
// gives each a prepaid server as the provider admin (Rule ACC-2) and
// records its first domain at the sandbox registry (Rule WEB-6), a few at
// a time.
func (run *benchAPIRun) signUpCustomers(ctx context.Context, n int) ([]*benchCustomer, error) {
	out := make([]*benchCustomer, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cu, err := run.signUp(ctx, i)
			if err != nil {
				errs <- fmt.Errorf("customer %d: %w", i+1, err)
				return
			}
			out[i] = cu
		})
	}
	wg.Wait()
	close(errs)
	return out, <-errs // nil when the channel is empty
}

// signUp makes customer i.
func (run *benchAPIRun) signUp(ctx context.Context, i int) (*benchCustomer, error) {
	ip := run.ips.next()
	cu := &benchCustomer{run: run, n: i + 1, c: run.client(ip), mailbox: run.client(ip), province: demoProvinces[i%len(demoProvinces)], point: i%2 == 1}
	cu.public = &apiClient{base: cu.c.base, http: cu.c.http, observe: cu.c.observe}
	cu.mailbox.token = run.admin.token
	cu.name = fmt.Sprintf("%s蓝鲸%d网络科技有限公司", benchCities[cu.province.code], cu.n)
	cu.uscc = demoUSCC(cu.province.code, 1000+cu.n)
	run.people.Lock()
	cu.person = run.people.person("张伟", cu.province.code)
	run.people.Unlock()
	cu.c.login, cu.c.password = fmt.Sprintf("bench-customer-%d", cu.n), demoPassword()
	var acc struct {
		ID int64 `json:"id"`
	}
	if err := cu.c.call(ctx, "POST", "/api/v1/signup", map[string]string{"login": cu.c.login, "password": cu.c.password, "name": cu.name}, &acc); err != nil {
		return nil, err
	}
	if err := cu.c.signIn(ctx); err != nil {
		return nil, err
	}
	var r struct {
		ID       int64 `json:"id"`
		Eligible bool  `json:"eligible"`
	}
	err := run.provider.call(ctx, "POST", "/api/v1/resources", map[string]any{"account_id": acc.ID, "external_id": fmt.Sprintf("ecs-bench-%d", cu.n),
		"billing": beian.Prepaid, "mainland": true, "public_ips": []string{fmt.Sprintf("47.%d.%d.%d", 100+cu.n/60000, cu.n/250%240, 1+cu.n%250)},
		"term_start": demoDate(run.now, -30), "term_end": demoDate(run.now, 700)}, &r)
	if err != nil {
		return nil, err
	}
	if !r.Eligible {
		return nil, fmt.Errorf("its server %d is not eligible for filing (Rule ACC-2)", r.ID)
	}
	cu.resource = r.ID
	return cu, cu.recordDomain(ctx, 0)
}

// domain is the customer's k-th website's domain.
func (cu *benchCustomer) domain(k int) string { return fmt.Sprintf("bench-c%d-s%d.cn", cu.n, k) }

// recordDomain records the k-th domain's registration, held by the
// company, at the sandbox registry (Rule WEB-6: the registrar's data).
func (cu *benchCustomer) recordDomain(ctx context.Context, k int) error {
	return cu.mailbox.call(ctx, "POST", sandbox.Prefix+"domains", map[string]any{"domain": cu.domain(k), "holder_name": cu.name,
		"holder_cert_type": "uscc", "holder_cert_number": cu.uscc, "registrar": "阿里云计算有限公司(万网)",
		"registered_on": demoDate(cu.run.now, -400), "expires_on": demoDate(cu.run.now, 5*365), "real_name_verified": true}, nil)
}

// website is the customer's k-th website form.
func (cu *benchCustomer) website(k int, name string) beian.WebsiteForm {
	d := cu.domain(k)
	return beian.WebsiteForm{WebsiteData: beian.WebsiteData{Name: name, Domains: []string{d}, Homepage: "www." + d,
		ServiceContent: "org_portal", Person: cu.person}, Resources: []beian.ResourceRef{{ResourceID: cu.resource}}}
}

// form is the order's data: the subject and the k-th website (a first
// filing until one is approved, then a new website, Rule TYPE-1).
func (cu *benchCustomer) form(k int) beian.OrderData {
	p := cu.province
	return beian.OrderData{
		Subject: beian.SubjectForm{SubjectData: beian.SubjectData{Nature: "enterprise", Name: cu.name, CertType: "uscc", CertNumber: cu.uscc,
			Province: p.code, City: p.city, District: p.district, Address: p.street, Person: cu.person}},
		Websites: []beian.WebsiteForm{cu.website(k, fmt.Sprintf("蓝鲸%d站点%d草稿", cu.n, k+1))},
	}
}

// work walks orders until stop ends: a first filing, then new websites.
// An order that fails is abandoned where the customer may (Rule REV-7)
// and the next one starts; the customer gives up when it cannot.
func (cu *benchCustomer) work(ctx, stop context.Context) {
	for k := 0; stop.Err() == nil; k++ {
		id, err := cu.lifecycle(ctx, stop, k)
		if err == nil || stop.Err() != nil {
			continue
		}
		cu.run.rec.failure(fmt.Sprintf("customer %d, website %d: %v", cu.n, k+1, err))
		if id == 0 {
			return
		}
		if err := cu.c.call(ctx, "POST", demoOrderPath(id, "/abandon"), nil, nil); err != nil {
			cu.run.rec.failure(fmt.Sprintf("customer %d stops: %v", cu.n, err))
			return
		}
	}
}

// lifecycle walks the customer's k-th website's order from the precheck
// to approved (Rule REV-8), every step through the API, and returns the
// order's ID.
func (cu *benchCustomer) lifecycle(ctx, stop context.Context, k int) (int64, error) {
	rec, began := cu.run.rec, time.Now()
	if k > 0 {
		if err := cu.recordDomain(ctx, k); err != nil {
			return 0, err
		}
	}
	form := cu.form(k)
	want := beian.FirstFiling
	if cu.filed {
		want = beian.NewWebsite
	}
	var pc struct {
		Type beian.OrderType `json:"type"`
	}
	if err := cu.c.call(ctx, "POST", "/api/v1/precheck", map[string]any{"province": cu.province.code, "nature": "enterprise",
		"cert_type": "uscc", "cert_number": cu.uscc, "domains": []string{cu.domain(k)}}, &pc); err != nil {
		return 0, err
	}
	if pc.Type != want {
		return 0, fmt.Errorf("the precheck says %s, want %s", pc.Type, want)
	}
	var o benchOrder
	if err := cu.c.call(ctx, "POST", "/api/v1/orders", map[string]any{"type": want, "data": form}, &o); err != nil {
		return 0, err
	}
	// The draft edited: the website's final name, with If-Match.
	patch := map[string]any{"data": map[string]any{"websites": []beian.WebsiteForm{cu.website(k, fmt.Sprintf("蓝鲸%d站点%d", cu.n, k+1))}}}
	if err := cu.c.call(ctx, "PATCH", demoOrderPath(o.ID, ""), patch, &o, "If-Match", `"v`+strconv.FormatInt(o.Version, 10)+`"`); err != nil {
		return o.ID, err
	}
	if !cu.filed {
		if err := cu.c.call(ctx, "POST", demoOrderPath(o.ID, "/documents?kind=business_licence"), cu.run.photo, nil); err != nil {
			return o.ID, err
		}
	}
	if stop.Err() != nil {
		return o.ID, errBenchStopped
	}
	if err := cu.c.call(ctx, "POST", demoOrderPath(o.ID, "/submit"), nil, &o, "Idempotency-Key", fmt.Sprintf("submit-%d", o.ID)); err != nil {
		return o.ID, err
	}
	rec.step("submit")
	if err := cu.c.call(ctx, "GET", demoOrderPath(o.ID, "/timeline"), nil, nil); err != nil {
		return o.ID, err
	}
	mark := time.Now()
	if err := cu.await(ctx, stop, o.ID, beian.StageVerification, beian.StageInitialReview); err != nil {
		return o.ID, err
	}
	rec.wait("initial review (submit → verification)", time.Since(mark))
	mark = time.Now()
	if cu.point { // Rule VER-1: the person visits a verification point, whose operator uploads the photo
		if err := cu.c.call(ctx, "POST", demoOrderPath(o.ID, "/verification"), map[string]string{"method": "point"}, nil); err != nil {
			return o.ID, err
		}
		select {
		case cu.run.visits <- o.ID:
		case <-stop.Done():
			return o.ID, errBenchStopped
		}
	} else {
		if err := cu.c.call(ctx, "POST", demoOrderPath(o.ID, "/verification"), cu.run.photo, nil); err != nil {
			return o.ID, err
		}
		rec.step("photo upload")
	}
	if err := cu.await(ctx, stop, o.ID, beian.StageSMSConfirmation, beian.StageVerification, beian.StagePhotoReview); err != nil {
		return o.ID, err
	}
	rec.wait("verification and photo review (→ sms_confirmation)", time.Since(mark))
	mark = time.Now()
	code, err := cu.smsCode(ctx, stop)
	if err != nil {
		return o.ID, err
	}
	rec.wait("SMS code delivered (sms_confirmation → code in the mailbox)", time.Since(mark))
	mark = time.Now()
	if err := cu.public.call(ctx, "POST", "/api/v1/registry/sms-confirmations",
		map[string]string{"code": code, "phone": cu.person.Mobile, "cert_last6": cu.person.CertNumber[len(cu.person.CertNumber)-6:]}, nil); err != nil {
		return o.ID, err
	}
	rec.step("SMS confirmation")
	if err := cu.await(ctx, stop, o.ID, beian.StageApproved, beian.StageSMSConfirmation, beian.StageBureauReview); err != nil {
		return o.ID, err
	}
	rec.wait("bureau (SMS confirmed → approved seen)", time.Since(mark))
	rec.lifecycle(time.Since(began))
	cu.filed = true
	return o.ID, cu.c.call(ctx, "GET", "/api/v1/filings", nil, nil)
}

// await reads the order every poll until it is in the stage want; a
// stage outside via (the stages it may pass on the way) is an error. It
// returns errBenchStopped once stop ends.
func (cu *benchCustomer) await(ctx, stop context.Context, id int64, want beian.Stage, via ...beian.Stage) error {
	for {
		var o benchOrder
		if err := cu.c.call(ctx, "GET", demoOrderPath(id, ""), nil, &o); err != nil {
			return err
		}
		if o.Stage == want {
			return nil
		}
		ok := false
		for _, s := range via {
			ok = ok || o.Stage == s
		}
		if !ok {
			return fmt.Errorf("order %s is in %s, on the way to %s", o.Number, o.Stage, want)
		}
		if sleep(stop, cu.run.opts.poll) != nil {
			return errBenchStopped
		}
	}
}

// smsCode reads the person's mailbox every poll until a new SMS code of
// the registry is there (Rule VER-3) and returns it; "" once stop ends.
func (cu *benchCustomer) smsCode(ctx, stop context.Context) (string, error) {
	for {
		var msgs []struct {
			Channel  string `json:"channel"`
			Template string `json:"template"`
			Body     string `json:"body"`
		}
		if err := cu.mailbox.call(ctx, "GET", sandbox.Prefix+"messages?to="+url.QueryEscape(cu.person.Mobile), nil, &msgs); err != nil {
			return "", err
		}
		var codes []string
		for _, m := range msgs {
			if m.Channel == "sms" && m.Template == regulator.TemplateSMSCode {
				codes = append(codes, smsCode.FindString(m.Body))
			}
		}
		if len(codes) > cu.codes {
			cu.codes = len(codes)
			if code := codes[len(codes)-1]; code != "" {
				return code, nil
			}
			return "", errors.New("the registry's SMS code message carries no 6-digit code")
		}
		if sleep(stop, cu.run.opts.poll) != nil {
			return "", errBenchStopped
		}
	}
}

// review is a provider reviewer: it reads both review queues, claims each
// unclaimed order and approves it (Rules REV-1, REV-4), and rests for half
// a poll when both are empty. Reviewers start at different places in the
// queue; a claim lost to another reviewer (409) is counted as contention.
func (run *benchAPIRun) review(ctx, stop context.Context, c *apiClient, r int) {
	for stop.Err() == nil {
		worked := false
		for _, stage := range []beian.Stage{beian.StageInitialReview, beian.StagePhotoReview} {
			var q struct {
				Items []struct {
					ID        int64 `json:"id"`
					ClaimedBy int64 `json:"claimed_by"`
				} `json:"items"`
			}
			if err := c.call(ctx, "GET", "/api/v1/review/queue?stage="+string(stage), nil, &q); err != nil {
				run.rec.failure(fmt.Sprintf("reviewer %d: %v", r+1, err))
				break
			}
			for j := range q.Items {
				it := q.Items[(j+r*len(q.Items)/run.opts.reviewers)%len(q.Items)]
				if it.ClaimedBy != 0 || stop.Err() != nil {
					continue
				}
				p := "/api/v1/review/orders/" + strconv.FormatInt(it.ID, 10)
				var claim struct {
					Stage beian.Stage `json:"stage"`
				}
				if err := c.call(ctx, "POST", p+"/claim", nil, &claim); err != nil {
					if apiStatus(err) != 409 {
						run.rec.failure(fmt.Sprintf("reviewer %d: %v", r+1, err))
					}
					continue
				}
				var o benchOrder
				if err := c.call(ctx, "POST", p+"/decision", map[string]any{"approve": true}, &o); err != nil {
					run.rec.failure(fmt.Sprintf("reviewer %d: %v", r+1, err))
					continue
				}
				// Counted by the stage the claim holds: the order may have
				// moved on since the queue was read.
				run.rec.step(map[beian.Stage]string{beian.StageInitialReview: "initial review approved", beian.StagePhotoReview: "photo review approved"}[claim.Stage])
				worked = true
			}
		}
		if !worked && sleep(stop, run.opts.poll/2) != nil {
			return
		}
	}
}

// verify is a verification point's operator: for each visiting person
// (an order in verification whose customer chose a point visit) it
// uploads the photo it takes (Rule VER-1).
func (run *benchAPIRun) verify(ctx, stop context.Context, c *apiClient, v int) {
	for {
		select {
		case <-stop.Done():
			return
		case id := <-run.visits:
			if err := c.call(ctx, "POST", "/api/v1/review/orders/"+strconv.FormatInt(id, 10)+"/verification-photo", run.photo, nil); err != nil {
				run.rec.failure(fmt.Sprintf("verifier %d: %v", v+1, err))
				continue
			}
			run.rec.step("point photo upload")
		}
	}
}

// bureau is a province's bureau reviewer on the manual sandbox bureau:
// it reads the queue, opens each order and approves it (Rules REV-2,
// NUM-1), and rests for half a poll when the queue is empty.
func (run *benchAPIRun) bureau(ctx, stop context.Context, c *apiClient) {
	for stop.Err() == nil {
		var q struct {
			Items []regulator.QueueItem `json:"items"`
		}
		if err := c.call(ctx, "GET", "/api/v1/bureau/queue", nil, &q); err != nil {
			run.rec.failure(fmt.Sprintf("bureau %s: %v", c.login, err))
		}
		for _, it := range q.Items {
			if stop.Err() != nil {
				return
			}
			p := "/api/v1/bureau/orders/" + url.PathEscape(it.SubmissionID)
			if err := c.call(ctx, "GET", p, nil, nil); err != nil {
				run.rec.failure(fmt.Sprintf("bureau %s: %v", c.login, err))
				continue
			}
			if err := c.call(ctx, "POST", p+"/decision", map[string]any{"approve": true}, nil); err != nil {
				run.rec.failure(fmt.Sprintf("bureau %s: %v", c.login, err))
				continue
			}
			run.rec.step("bureau approved")
		}
		if len(q.Items) == 0 && sleep(stop, run.opts.poll/2) != nil {
			return
		}
	}
}

// load runs everyone for d: stop ends at the deadline, after which each
// finishes the request it is in (requests run on ctx) and returns; steps
// and lifecycles count when they complete within d.
func (run *benchAPIRun) load(ctx context.Context, st benchStaff, customers []*benchCustomer, d time.Duration, res *benchAPIResult) {
	stop, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	cpu0, wait0 := schedTotals()
	stmts0 := serverStatements(run.ms)
	run.rec.begin(time.Now(), d)
	var wg sync.WaitGroup
	for i, c := range st.reviewers {
		wg.Go(func() { run.review(ctx, stop, c, i) })
	}
	for i, c := range st.verifiers {
		wg.Go(func() { run.verify(ctx, stop, c, i) })
	}
	for _, c := range st.bureaus {
		wg.Go(func() { run.bureau(ctx, stop, c) })
	}
	for i, cu := range customers {
		// One by one over the ramp: customers started in the same instant
		// all send the same request at once, lifecycle after lifecycle,
		// which measures a stampede rather than 50 concurrent users.
		join := run.opts.ramp * time.Duration(i) / time.Duration(len(customers))
		wg.Go(func() {
			if sleep(stop, join) == nil {
				cu.work(ctx, stop)
			}
		})
	}
	wg.Wait()
	cpu1, wait1 := schedTotals()
	res.Machine.CPUSecs, res.Machine.RunWaitSecs = (cpu1 - cpu0).Seconds(), (wait1 - wait0).Seconds()
	run.rec.fill(res)
	setStatements(res.Routes, stmts0, serverStatements(run.ms))
	_ = run.m.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE stage = 'approved'`).Scan(&res.ServerApproved)
}

// serverStatements reads the servers' own metrics: per route pattern, the
// statements sent to PostgreSQL (beian_http_db_statements_total) and the
// requests answered, so far.
func serverStatements(ms []*Main) map[string][2]float64 {
	out := map[string][2]float64{}
	for _, m := range ms {
		fams, err := m.platform.metrics.Registry.Gather()
		if err != nil {
			continue
		}
		for _, f := range fams {
			i := 0
			switch f.GetName() {
			case "beian_http_db_statements_total":
			case "beian_http_requests_total":
				i = 1
			default:
				continue
			}
			for _, mt := range f.GetMetric() {
				for _, l := range mt.GetLabel() {
					if l.GetName() == "route" {
						v := out[l.GetValue()]
						v[i] += mt.GetCounter().GetValue()
						out[l.GetValue()] = v
					}
				}
			}
		}
	}
	return out
}

// setStatements gives each route its statements per request over the
// load, from the servers' counts before and after it (PostgreSQL only:
// without statements counted the figure stays unset).
func setStatements(routes []routeStat, before, after map[string][2]float64) {
	for i := range routes {
		a, b := after[routes[i].Route], before[routes[i].Route]
		stmts, reqs := a[0]-b[0], a[1]-b[1]
		if stmts > 0 && reqs > 0 {
			v := stmts / reqs
			routes[i].Statements = &v
		}
	}
}
