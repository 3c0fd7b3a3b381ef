package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore"
)

// crashCounts are the crash scenario's figures.
type crashCounts struct {
	Kills          int   `json:"kills"`
	KillsSurvived  int   `json:"kills_survived"`
	OrdersChecked  int   `json:"orders_checked"`
	AcksChecked    int   `json:"acknowledged_checked"`
	NumbersChecked int   `json:"numbers_checked"`
	TimersFired    int   `json:"due_timers_fired_after_restart"`
	OutboxDrained  int   `json:"outbox_drained_after_restart"`
	PasswordsPaid  int   `json:"passwords_issued_after_restart"`
	Approved       int64 `json:"orders_approved"`
	Requests       int64 `json:"requests"`
	FiveXX         int64 `json:"status_5xx"`
	Dropped        int64 `json:"requests_cut_by_kills"`
}

// ack is what a 2xx answer told a client about an order.
type ack struct {
	Version int64
	Stage   beian.Stage
}

// ackBook keeps, per order, the newest acknowledged version and stage.
type ackBook struct {
	mu sync.Mutex
	m  map[int64]ack
}

// record reads an order answer ({"id","stage","version"}) and keeps it
// when it is the newest seen.
func (b *ackBook) record(body []byte) {
	var o struct {
		ID      int64       `json:"id"`
		Stage   beian.Stage `json:"stage"`
		Version int64       `json:"version"`
	}
	if json.Unmarshal(body, &o) != nil || o.ID == 0 || o.Stage == "" || o.Version == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur, ok := b.m[o.ID]; !ok || o.Version > cur.Version {
		b.m[o.ID] = ack{Version: o.Version, Stage: o.Stage}
	}
}

func (b *ackBook) snapshot() map[int64]ack {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[int64]ack, len(b.m))
	for k, v := range b.m {
		out[k] = v
	}
	return out
}

// loadCaller wraps a client for the load: counts requests, 5xx and
// requests cut by a kill, and records order answers.
type loadCaller struct {
	w    *chaosWorld
	c    *chaosClient
	acks *ackBook
}

func (l loadCaller) call(ctx context.Context, method, path string, v, out any, hdr ...string) (chaosAnswer, error) {
	atomic.AddInt64(&l.w.rep.Crash.Requests, 1)
	a, err := l.c.json(ctx, method, path, v, out, hdr...)
	l.count(method, path, a, err)
	return a, err
}

// raw is call with a body that is not JSON (a photo).
func (l loadCaller) raw(ctx context.Context, method, path string, body []byte, ctype string, hdr ...string) (chaosAnswer, error) {
	atomic.AddInt64(&l.w.rep.Crash.Requests, 1)
	a, err := l.c.do(ctx, method, path, body, ctype, hdr...)
	l.count(method, path, a, err)
	return a, err
}

func (l loadCaller) count(method, path string, a chaosAnswer, err error) {
	cr := &l.w.rep.Crash
	switch {
	case a.Status == 0 && err != nil:
		atomic.AddInt64(&cr.Dropped, 1)
	case a.Status >= 500:
		atomic.AddInt64(&cr.FiveXX, 1)
		l.w.rep.fail("crash.5xx", "%s %s answered %d under load: %.300s", method, path, a.Status, a.Body)
	case a.Status/100 == 2:
		l.acks.record(a.Body)
	}
}

// crash runs the crash scenario: customers, reviewers, the bureau desk and
// the sandbox clock keep the server busy while it is killed o.Kills times;
// after each restart the invariants are checked (chaosCheck).
func (w *chaosWorld) crash(ctx context.Context) error {
	w.rep.logf("crash: %d clients, %d kills", w.o.Clients, w.o.Kills)
	acks := &ackBook{m: map[int64]ack{}}
	load, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range w.o.Clients {
		wg.Add(1)
		go func() { defer wg.Done(); w.crashCustomer(load, i, acks) }()
	}
	for _, f := range []func(context.Context, *ackBook){w.reviewLoop, w.bureauLoop, w.clockLoop} {
		wg.Add(1)
		go func() { defer wg.Done(); f(load, acks) }()
	}
	// An idempotent POST answered before a kill must be answered the same after it.
	replay := w.replayProbe(ctx)
	var err error
	for k := 1; k <= w.o.Kills && err == nil; k++ {
		if err = sleep(ctx, time.Duration(1500+rand.IntN(2500))*time.Millisecond); err != nil {
			break
		}
		w.srv.kill()
		w.rep.Crash.Kills++
		w.dueWhileDown(ctx, k)
		if err = w.srv.start(ctx); err != nil {
			w.rep.fail("crash.restart", "serve did not come back after kill %d: %v", k, err)
			break
		}
		w.rep.Crash.KillsSurvived++
		if k == 1 {
			replay(ctx)
		}
		w.afterRestart(ctx, k)
		w.check(ctx, fmt.Sprintf("after kill %d", k), acks.snapshot())
	}
	if err == nil && w.o.Kills == 0 {
		err = sleep(ctx, 3*time.Second)
	}
	stop()
	wg.Wait()
	if err != nil {
		return err
	}
	// Messages leased by a killed process wait for their lease (5 minutes
	// on the database's clock): move the clock past it, then all must go.
	if _, err := w.admin.json(ctx, "POST", sandbox.Prefix+"clock", map[string]string{"advance": "6m"}, nil); err != nil {
		return fmt.Errorf("advance the sandbox clock: %w", err)
	}
	w.drainOutbox(ctx, "at the end of the crash scenario", true)
	w.rep.Crash.OrdersChecked, w.rep.Crash.NumbersChecked = w.check(ctx, "at the end of the crash scenario", acks.snapshot())
	w.rep.Crash.AcksChecked = len(acks.snapshot())
	w.rep.logf("crash: %d kills survived, %d orders (%d approved), %d numbers checked", w.rep.Crash.KillsSurvived,
		w.rep.Crash.OrdersChecked, w.rep.Crash.Approved, w.rep.Crash.NumbersChecked)
	return nil
}

// replayProbe sends an idempotent POST now and returns the check to run
// after a restart: the repeat must get the same status and body.
func (w *chaosWorld) replayProbe(ctx context.Context) func(context.Context) {
	acc, ok := w.customer()
	if !ok {
		return func(context.Context) {}
	}
	body := map[string]any{"account_id": acc.ID, "external_id": "ecs-replay", "billing": beian.Prepaid, "mainland": true,
		"public_ips": []string{"198.51.100.200"}, "term_start": demoDate(w.start, -30), "term_end": demoDate(w.start, 700)}
	first, err := w.padmin.json(ctx, "POST", "/api/v1/resources", body, nil, "Idempotency-Key", "chaos-replay-after-restart")
	return func(ctx context.Context) {
		if err != nil {
			w.rep.note("the replay-after-restart probe could not be sent: %v", err)
			return
		}
		again, err := w.padmin.json(ctx, "POST", "/api/v1/resources", body, nil, "Idempotency-Key", "chaos-replay-after-restart")
		w.rep.Concurrency.IdemRepeats++
		switch {
		case err != nil:
			w.rep.fail("idempotency.restart", "repeating an answered POST after a restart failed: %v", err)
		case again.Status != first.Status || !bytes.Equal(again.Body, first.Body):
			w.rep.fail("idempotency.restart", "the repeat after a restart answered %d %.200s, the first %d %.200s", again.Status, again.Body, first.Status, first.Body)
		default:
			w.rep.Concurrency.IdemIdentical++
		}
	}
}

// crashCustomer files first filings one customer after another, driven by
// each order's stage, until ctx ends or the pool is used up.
func (w *chaosWorld) crashCustomer(ctx context.Context, n int, acks *ackBook) {
	local := localAddr(1, n)
	for ctx.Err() == nil {
		acc, ok := w.customerKeeping(poolReserve)
		if !ok {
			return
		}
		w.fileOne(ctx, loadCaller{w: w, c: newChaosClient(w.srv.url, acc.Token, local), acks: acks},
			newChaosClient(w.srv.url, "", local), acc)
	}
}

// chaosForm is a Beijing individual's first filing on the resource.
func (w *chaosWorld) chaosForm(acc chaosAccount, resource int64, ip string) (beian.OrderData, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	dc := demoCase{login: acc.Login, province: "110000", nature: "individual", name: "王小明", site: "王小明的摄影日记",
		domain: fmt.Sprintf("chaos%d-%d.cn", acc.ID, time.Now().UnixNano()%100000)}
	return dc.form(&w.people, int(acc.ID), resource, ip), dc.domain
}

// last6 is the last 6 characters of the certificate of the phone's person.
func (w *chaosWorld) last6(phone string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.people.last6[phone]
}

// fileOne walks one first filing to approval (or until ctx ends), acting
// on whatever stage the order is in, so that a kill at any moment only
// repeats a step: every POST carries an Idempotency-Key.
func (w *chaosWorld) fileOne(ctx context.Context, l loadCaller, anon *chaosClient, acc chaosAccount) {
	pause := func() bool { return sleep(ctx, 150*time.Millisecond) == nil }
	o, phone, ok := w.prepare(ctx, l, acc)
	if !ok {
		return
	}
	patched, confirmed := false, map[string]bool{}
	for ctx.Err() == nil {
		if _, err := l.call(ctx, "GET", demoOrderPath(o.ID, ""), nil, &o); err != nil {
			pause()
			continue
		}
		v := strconv.FormatInt(o.Version, 10)
		ifMatch := []string{"If-Match", `"v` + v + `"`}
		switch o.Stage {
		case beian.StageDraft:
			if !patched {
				patch := map[string]any{"data": map[string]any{"subject": map[string]any{"address": fmt.Sprintf("北京市朝阳区建国路 %d 号", 1+rand.IntN(99))}}}
				if _, err := l.call(ctx, "PATCH", demoOrderPath(o.ID, ""), patch, nil, ifMatch...); err == nil {
					patched = true
				}
				continue
			}
			l.call(ctx, "POST", demoOrderPath(o.ID, "/submit"), nil, nil, append(ifMatch, "Idempotency-Key", "submit-"+acc.Login+"-"+v)...)
		case beian.StageNeedsFix, beian.StageBureauRejected, beian.StageReturned:
			l.call(ctx, "POST", demoOrderPath(o.ID, "/submit"), nil, nil, append(ifMatch, "Idempotency-Key", "resubmit-"+acc.Login+"-"+v)...)
		case beian.StageVerification:
			l.raw(ctx, "POST", demoOrderPath(o.ID, "/verification"), demoPhoto(), "image/png", append(ifMatch, "Idempotency-Key", "photo-"+acc.Login+"-"+v)...)
		case beian.StageSMSConfirmation:
			w.confirmSMS(ctx, l, anon, phone, confirmed)
			pause()
		case beian.StageApproved:
			atomic.AddInt64(&w.rep.Crash.Approved, 1)
			return
		case beian.StageAbandoned:
			return
		default: // held by a reviewer, the bureau or a timer
			pause()
		}
	}
}

// prepare registers the customer's server and domain and creates its
// first filing (Rules ACC-2, WEB-6), repeating each step until it is
// answered; it returns the order and the responsible person's phone.
func (w *chaosWorld) prepare(ctx context.Context, l loadCaller, acc chaosAccount) (o demoOrderJSON, phone string, ok bool) {
	pause := func() bool { return sleep(ctx, 150*time.Millisecond) == nil }
	ip := fmt.Sprintf("203.0.%d.%d", 114+acc.ID/250, 1+acc.ID%250)
	var res struct {
		ID int64 `json:"id"`
	}
	resBody := map[string]any{"account_id": acc.ID, "external_id": "ecs-" + acc.Login, "billing": beian.Prepaid, "mainland": true,
		"public_ips": []string{ip}, "term_start": demoDate(w.start, -30), "term_end": demoDate(w.start, 700)}
	for res.ID == 0 {
		if _, err := (loadCaller{w: w, c: w.padmin, acks: l.acks}).call(ctx, "POST", "/api/v1/resources", resBody, &res, "Idempotency-Key", "res-"+acc.Login); err != nil && !pause() {
			return o, "", false
		}
	}
	form, domain := w.chaosForm(acc, res.ID, ip)
	subj := form.Subject
	record := []map[string]any{{"domain": domain, "holder_name": subj.Name, "holder_cert_type": subj.CertType,
		"holder_cert_number": subj.CertNumber, "registrar": "阿里云计算有限公司(万网)", "registered_on": demoDate(w.start, -400),
		"expires_on": demoDate(w.start, 900), "real_name_verified": true}}
	for {
		if _, err := (loadCaller{w: w, c: w.admin, acks: l.acks}).call(ctx, "POST", sandbox.Prefix+"domains", record, nil, "Idempotency-Key", "dom-"+acc.Login); err == nil {
			break
		}
		if !pause() {
			return o, "", false
		}
	}
	for o.ID == 0 {
		_, err := l.call(ctx, "POST", "/api/v1/orders", map[string]any{"type": beian.FirstFiling, "data": form}, &o, "Idempotency-Key", "create-"+acc.Login)
		if err == nil {
			break
		}
		var list struct {
			Items []demoOrderJSON `json:"items"`
		}
		if _, err := l.call(ctx, "GET", "/api/v1/orders", nil, &list); err == nil && len(list.Items) > 0 {
			o = list.Items[0]
			break
		}
		if !pause() {
			return o, "", false
		}
	}
	return o, subj.Person.Mobile, ctx.Err() == nil
}

// confirmSMS confirms the newest registry code sent to the phone (Rule
// VER-3), once per code.
func (w *chaosWorld) confirmSMS(ctx context.Context, l loadCaller, anon *chaosClient, phone string, done map[string]bool) {
	var msgs []struct {
		Channel  string `json:"channel"`
		Template string `json:"template"`
		Body     string `json:"body"`
	}
	if _, err := (loadCaller{w: w, c: w.admin, acks: l.acks}).call(ctx, "GET", sandbox.Prefix+"messages?to="+url.QueryEscape(phone), nil, &msgs); err != nil {
		return
	}
	code := ""
	for _, m := range msgs {
		if m.Channel == "sms" && m.Template == regulator.TemplateSMSCode {
			code = smsCode.FindString(m.Body)
		}
	}
	if code == "" || done[code] {
		return
	}
	if _, err := (loadCaller{w: w, c: anon, acks: l.acks}).call(ctx, "POST", "/api/v1/registry/sms-confirmations",
		map[string]string{"code": code, "phone": phone, "cert_last6": w.last6(phone)}, nil); err == nil {
		done[code] = true
	}
}

// reviewLoop approves every order in initial and photo review.
func (w *chaosWorld) reviewLoop(ctx context.Context, acks *ackBook) {
	l := loadCaller{w: w, c: w.reviewer, acks: acks}
	for ctx.Err() == nil {
		for _, stage := range []beian.Stage{beian.StageInitialReview, beian.StagePhotoReview} {
			var q struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			if _, err := l.call(ctx, "GET", "/api/v1/review/queue?stage="+string(stage), nil, &q); err != nil {
				continue
			}
			for _, it := range q.Items {
				p := "/api/v1/review/orders/" + strconv.FormatInt(it.ID, 10)
				l.call(ctx, "POST", p+"/claim", nil, nil)
				l.call(ctx, "POST", p+"/decision", map[string]any{"approve": true}, nil)
			}
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

// bureauLoop approves every order in the Beijing bureau's queue (numbers
// are issued, Rule NUM-1).
func (w *chaosWorld) bureauLoop(ctx context.Context, acks *ackBook) {
	l := loadCaller{w: w, c: w.bureau, acks: acks}
	for ctx.Err() == nil {
		var q struct {
			Items []regulator.QueueItem `json:"items"`
		}
		if _, err := l.call(ctx, "GET", "/api/v1/bureau/queue", nil, &q); err == nil {
			for _, it := range q.Items {
				l.call(ctx, "POST", "/api/v1/bureau/orders/"+url.PathEscape(it.SubmissionID)+"/decision", map[string]any{"approve": true}, nil)
			}
		}
		sleep(ctx, 300*time.Millisecond)
	}
}

// clockLoop moves the sandbox clock an hour every 1.5 s: timers fall due
// (SMS windows, the sandbox bureau's due dates) and fire inside the POST,
// which a kill may cut.
func (w *chaosWorld) clockLoop(ctx context.Context, acks *ackBook) {
	l := loadCaller{w: w, c: w.admin, acks: acks}
	for sleep(ctx, 1500*time.Millisecond) == nil {
		l.call(ctx, "POST", sandbox.Prefix+"clock", map[string]string{"advance": "1h"}, nil)
	}
}

// dueWhileDown moves the sandbox clock, in the database while the server
// is down, just past the next timer that has not fired (if one falls due
// within a week), so that the restarted server finds a timer due that the
// dead one never saw: afterRestart then checks that it fires. Without it
// no timer was ever due at a restart (the clock loop's moves fire them in
// the running server).
func (w *chaosWorld) dueWhileDown(ctx context.Context, k int) {
	c := sandbox.NewClock(w.db, nil)
	if err := c.Refresh(ctx); err != nil {
		w.rep.fail("crash.clock", "while down after kill %d: read the sandbox clock: %v", k, err)
		return
	}
	now := c.Now()
	next := int64(0)
	for _, t := range []string{"provider_timers", "registry_timers"} {
		var due sql.NullInt64
		err := w.db.SQL.QueryRowContext(ctx, `SELECT MIN(due_at) FROM `+t+` WHERE fired_at = 0 AND cancelled_at = 0 AND due_at > $1`,
			sqlstore.Micro(now)).Scan(&due)
		if err != nil {
			w.rep.fail("crash.clock", "while down after kill %d: read %s: %v", k, t, err)
			return
		}
		if due.Valid && (next == 0 || due.Int64 < next) {
			next = due.Int64
		}
	}
	if next == 0 || sqlstore.FromMicro(next).Sub(now) > 7*24*time.Hour {
		return
	}
	at := sqlstore.FromMicro(next).Add(time.Second)
	if err := c.Set(ctx, at); err != nil {
		w.rep.fail("crash.clock", "while down after kill %d: move the sandbox clock: %v", k, err)
		return
	}
	due, err := w.dueTimers(ctx, at)
	if err != nil {
		w.rep.fail("crash.clock", "while down after kill %d: read the timers: %v", k, err)
		return
	}
	w.downDue = due
}
