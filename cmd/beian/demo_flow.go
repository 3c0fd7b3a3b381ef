package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sandbox"
)

// demoWait bounds each wait for the server's background work (the
// registry submission, the mailbox, the event feed).
const demoWait = 30 * time.Second

// demoSeeder seeds the demo through the running server's HTTP API, as the
// accounts whose role each step needs.
type demoSeeder struct {
	run      *demoRun
	admin    *demoClient // registry_admin: the sandbox surface
	provider *demoClient // provider_admin: resources
	reviewer *demoClient // provider_reviewer: initial and photo review
	bureaus  map[string]*demoClient
	public   *demoClient // no account: the registry's public routes
	people   demoPeople
	moved    map[int]beian.Stage // index in run.Orders → stage seen at the last tick
}

func newDemoSeeder(run *demoRun) *demoSeeder {
	return &demoSeeder{run: run, bureaus: map[string]*demoClient{}, moved: map[int]beian.Stage{}, people: demoPeople{last6: map[string]string{}},
		public: &demoClient{base: run.URL, http: &http.Client{Timeout: 60 * time.Second}}}
}

// seed signs the staff in, sets the sandbox up (bureau policy, domain
// records, filings held through other providers), registers a server per
// customer, and walks each customer's first filing to its stage.
func (s *demoSeeder) seed(ctx context.Context) error {
	var err error
	if s.admin, err = s.run.client(ctx, "registry"); err != nil {
		return err
	}
	if s.provider, err = s.run.client(ctx, "admin"); err != nil {
		return err
	}
	if s.reviewer, err = s.run.client(ctx, "reviewer"); err != nil {
		return err
	}
	// The sandbox bureaus decide at each order's due date (API.md).
	now, err := s.admin.setBureauPolicy(ctx, regulator.PolicyAuto)
	if err != nil {
		return err
	}
	forms := make([]beian.OrderData, len(demoCases))
	var domains []map[string]any
	for i, dc := range demoCases {
		ip := fmt.Sprintf("203.0.113.%d", 10+i)
		var res struct {
			ID int64 `json:"id"`
		}
		// Rule ACC-2: an active prepaid mainland server with a public IP, bought for a year.
		err := s.provider.call(ctx, "POST", "/api/v1/resources", map[string]any{"account_id": s.run.account(dc.login).id,
			"external_id": fmt.Sprintf("ecs-demo-%02d", i+1), "billing": beian.Prepaid, "mainland": true, "public_ips": []string{ip},
			"term_start": demoDate(now, -30), "term_end": demoDate(now, 335)}, &res)
		if err != nil {
			return err
		}
		forms[i] = dc.form(&s.people, i, res.ID, ip)
		subj := forms[i].Subject
		// Rule WEB-6: the registration record the registry's five checks read.
		domains = append(domains, map[string]any{"domain": dc.domain, "holder_name": subj.Name, "holder_cert_type": subj.CertType,
			"holder_cert_number": subj.CertNumber, "registrar": "阿里云计算有限公司(万网)", "registered_on": demoDate(now, -400),
			"expires_on": demoDate(now, 700), "real_name_verified": true})
	}
	if err := s.admin.call(ctx, "POST", sandbox.Prefix+"domains", domains, nil); err != nil {
		return err
	}
	if err := s.admin.call(ctx, "POST", sandbox.Prefix+"registry", s.otherFilings(now), nil); err != nil {
		return err
	}
	for i, dc := range demoCases {
		o, err := s.walk(ctx, dc, forms[i])
		if err != nil {
			return fmt.Errorf("%s's order to %s: %w", dc.login, dc.stage, err)
		}
		s.run.Orders = append(s.run.Orders, demoOrder{ID: o.ID, Number: o.Number, Stage: o.Stage, Province: dc.province, Customer: dc.login})
	}
	return nil
}

// otherFilings are filings held through other providers (the public query
// finds them; a precheck of their domains reports the conflict, Rule SUBJ-1).
func (s *demoSeeder) otherFilings(now time.Time) []regulator.SeedFiling {
	approved := demoDate(now, -800)
	return []regulator.SeedFiling{
		{UnitName: "北京长城网络科技有限公司", Nature: "enterprise", Province: "110000", CertType: "uscc", CertNumber: demoUSCC("110000", 90),
			ApprovedOn: approved, Websites: []regulator.SeedWebsite{{Name: "长城网络官网", HomeURL: "www.changcheng-net.com",
				Domains: []string{"changcheng-net.com"}, Providers: []string{"华北云计算"}}}},
		{UnitName: "周杰", Nature: "individual", Province: "330000", ApprovedOn: approved,
			Websites: []regulator.SeedWebsite{{Name: "周杰的钓鱼日记", HomeURL: "www.zhoujie-fishing.cn",
				Domains: []string{"zhoujie-fishing.cn"}, Providers: []string{"江南数据"}}}},
		{UnitName: "广州珠江贸易有限公司", Nature: "enterprise", Province: "440000", CertType: "uscc", CertNumber: demoUSCC("440000", 91),
			ApprovedOn: approved, Websites: []regulator.SeedWebsite{
				{Name: "珠江贸易官网", HomeURL: "www.zhujiang-trade.com", Domains: []string{"zhujiang-trade.com"}, Providers: []string{"南方云主机"}},
				{Name: "珠江贸易商城", HomeURL: "www.zhujiang-mall.com", Domains: []string{"zhujiang-mall.com"}, Providers: []string{"南方云主机", "华北云计算"}}}},
	}
}

// demoOrderJSON is what the demo reads of an order.
type demoOrderJSON struct {
	ID      int64       `json:"id"`
	Number  string      `json:"number"`
	Stage   beian.Stage `json:"stage"`
	Version int64       `json:"version"`
}

// walk creates the case's first filing as its customer and moves it, step
// by step through the API, to the case's stage (Rule REV-8).
func (s *demoSeeder) walk(ctx context.Context, dc demoCase, form beian.OrderData) (o demoOrderJSON, err error) {
	c, err := s.run.client(ctx, dc.login)
	if err != nil {
		return o, err
	}
	if err := c.call(ctx, "POST", "/api/v1/orders", map[string]any{"type": beian.FirstFiling, "data": form}, &o); err != nil {
		return o, err
	}
	switch dc.stage {
	case beian.StageDraft:
		return o, nil
	case beian.StageAbandoned: // Rule REV-7: final
		return o, c.call(ctx, "POST", demoOrderPath(o.ID, "/abandon"), nil, &o)
	}
	if err := c.call(ctx, "POST", demoOrderPath(o.ID, "/submit"), nil, &o); err != nil || dc.stage == beian.StageInitialReview {
		return o, err
	}
	review := func(d map[string]any) error {
		if err := s.reviewer.call(ctx, "POST", "/api/v1/review/orders/"+fmt.Sprint(o.ID)+"/claim", nil, nil); err != nil {
			return err
		}
		return s.reviewer.call(ctx, "POST", "/api/v1/review/orders/"+fmt.Sprint(o.ID)+"/decision", d, nil)
	}
	if dc.stage == beian.StageNeedsFix { // Rule REV-3: an item the customer can act on
		err := review(map[string]any{"approve": false, "items": []beian.ReviewItem{{Field: "websites[0].name",
			Reason: "网站名称与备注描述的内容不一致", Suggestion: "请按网站实际内容修改网站名称", Action: beian.ActionFixWebsite}}})
		if err != nil {
			return o, err
		}
		return s.await(ctx, c, o.ID, beian.StageNeedsFix)
	}
	if err := review(map[string]any{"approve": true}); err != nil {
		return o, err
	}
	if !dc.reaches(beian.StagePhotoReview) {
		return s.await(ctx, c, o.ID, beian.StageVerification)
	}
	if err := c.call(ctx, "POST", demoOrderPath(o.ID, "/verification"), demoPhoto(), nil); err != nil { // Rule VER-1
		return o, err
	}
	if !dc.reaches(beian.StageSMSConfirmation) {
		return s.await(ctx, c, o.ID, beian.StagePhotoReview)
	}
	if err := review(map[string]any{"approve": true}); err != nil {
		return o, err
	}
	// The registry accepted the submission once its SMS codes are out.
	codes, err := s.smsCodes(ctx, form)
	if err != nil {
		return o, err
	}
	if !dc.reaches(beian.StageBureauReview) {
		return s.await(ctx, c, o.ID, beian.StageSMSConfirmation)
	}
	for phone, code := range codes { // Rule VER-3: code + phone + last 6 of the certificate
		err := s.public.call(ctx, "POST", "/api/v1/registry/sms-confirmations",
			map[string]string{"code": code, "phone": phone, "cert_last6": s.people.last6[phone]}, nil)
		if err != nil {
			return o, err
		}
	}
	if o, err = s.await(ctx, c, o.ID, beian.StageBureauReview); err != nil || dc.stage == beian.StageBureauReview {
		return o, err
	}
	if err := s.decide(ctx, dc.province, o.Number); err != nil {
		return o, err
	}
	return s.await(ctx, c, o.ID, beian.StageApproved)
}

// smsCodes waits for the registry's SMS code to every responsible person
// of the form (Rule VER-3) in the sandbox mailbox: phone → code.
func (s *demoSeeder) smsCodes(ctx context.Context, form beian.OrderData) (map[string]string, error) {
	phones := []string{form.Subject.Person.Mobile}
	for _, w := range form.Websites {
		if !slices.Contains(phones, w.Person.Mobile) {
			phones = append(phones, w.Person.Mobile)
		}
	}
	codes := map[string]string{}
	deadline := time.Now().Add(demoWait)
	for len(codes) < len(phones) {
		s.nudge(ctx)
		for _, phone := range phones {
			var msgs []struct {
				Channel  string `json:"channel"`
				Template string `json:"template"`
				Body     string `json:"body"`
			}
			if err := s.admin.call(ctx, "GET", sandbox.Prefix+"messages?to="+url.QueryEscape(phone), nil, &msgs); err != nil {
				return nil, err
			}
			for _, m := range msgs {
				if m.Channel == "sms" && m.Template == regulator.TemplateSMSCode {
					if code := smsCode.FindString(m.Body); code != "" {
						codes[phone] = code
					}
				}
			}
		}
		if len(codes) == len(phones) {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no SMS code from the registry within %s (got %d of %d)", demoWait, len(codes), len(phones))
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// decide approves the order at its province's bureau desk, as that
// province's bureau reviewer (Rule REV-2; numbers are issued, NUM-1).
func (s *demoSeeder) decide(ctx context.Context, province, number string) error {
	b := s.bureaus[province]
	if b == nil {
		var err error
		if b, err = s.run.client(ctx, "bureau-"+demoProvinceOf(province).tag); err != nil {
			return err
		}
		s.bureaus[province] = b
	}
	var q struct {
		Items []regulator.QueueItem `json:"items"`
	}
	if err := b.call(ctx, "GET", "/api/v1/bureau/queue", nil, &q); err != nil {
		return err
	}
	for _, it := range q.Items {
		if it.OrderNumber == number {
			return b.call(ctx, "POST", "/api/v1/bureau/orders/"+url.PathEscape(it.SubmissionID)+"/decision", map[string]any{"approve": true}, nil)
		}
	}
	return fmt.Errorf("order %s is not in the bureau queue of %s", number, provinceName(province))
}

// await reads the order as its customer until it is in the stage,
// nudging the server's background work meanwhile.
func (s *demoSeeder) await(ctx context.Context, c *demoClient, id int64, want beian.Stage) (demoOrderJSON, error) {
	deadline := time.Now().Add(demoWait)
	for {
		var o demoOrderJSON
		if err := c.call(ctx, "GET", demoOrderPath(id, ""), nil, &o); err != nil {
			return o, err
		}
		if o.Stage == want {
			return o, nil
		}
		if time.Now().After(deadline) {
			return o, fmt.Errorf("order %s stays in %s, want %s", o.Number, o.Stage, want)
		}
		s.nudge(ctx)
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return o, err
		}
	}
}

// nudge does now what the server's loops do every few seconds: hand
// submissions to the registry, read its event feed, deliver the outbox.
// Nothing is skipped; the demo's seeding just need not wait for the ticks.
func (s *demoSeeder) nudge(ctx context.Context) {
	m := s.run.main
	if p := m.platform.provider; p != nil {
		_, _ = p.FlushSubmissions(ctx) // errors are retried by the loop, which logs them
		_, _ = p.PullEvents(ctx)
	}
	for _, w := range m.workers {
		w.Wake()
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
