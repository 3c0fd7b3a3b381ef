package provider

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/workflow"
)

// hApproved walks a first filing on the domain to approved and returns it
// with its website number.
func (e *env) hApproved(tb testing.TB, cust, rev *client, domain string) (beian.Order, string) {
	tb.Helper()
	e.hSeed(tb, domain)
	o := e.hSubmitted(tb, cust, beian.FirstFiling, hForm(domain))
	e.hToBureau(tb, cust, rev, o)
	if _, err := e.reg.Decide(e.ctx, regulator.Reviewer{Province: "330000", Actor: "test"}, e.hSubmission(tb, o.ID), regulator.Decision{Approve: true}); err != nil {
		tb.Fatal(err)
	}
	e.hPull(tb)
	e.hStage(tb, o.ID, beian.StageApproved)
	var number string
	if err := e.db.SQL.QueryRowContext(e.ctx, `SELECT website_number FROM servable_domains WHERE domain = $1`, domain).Scan(&number); err != nil {
		tb.Fatal(err)
	}
	return o, number
}

// Rules REV-5, REV-6: a bureau rejection reaches the order with its items
// and flagged fields; after the customer's fix, initial approval reuses the
// photo (rejection within a month, no item on the photo) and the order goes
// straight back to the registry under a new submission attempt — unless an
// item concerns the photo.
func TestReviewBureauRejectionPhotoReuse(t *testing.T) {
	for name, photoItem := range map[string]bool{"Reused": false, "NewPhotoNeeded": true} {
		t.Run(name, func(t *testing.T) {
			each(t, func(t *testing.T, e *env) {
				cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
				e.hSeed(t, hDomain)
				o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
				e.hToBureau(t, cust, rev, o)
				first := e.hSubmission(t, o.ID)
				items := []beian.ReviewItem{{Field: "websites[0].name", Reason: "名称与内容不符", Action: beian.ActionFixWebsite, Photo: photoItem}}
				e.advance(t, 10*24*time.Hour)
				bureau := e.account(t, beian.RoleBureauReviewer, "330000") // tokens last a day
				rev = e.account(t, beian.RoleProviderReviewer, "")
				bureau.call(t, 200, "POST", "/api/v1/bureau/orders/"+first+"/decision", map[string]any{"approve": false, "items": items}, nil)
				e.hPull(t)
				got := e.hStage(t, o.ID, beian.StageBureauRejected)
				if strings.Join(got.Flagged, ",") != "websites[0].name" {
					t.Errorf("flagged %v", got.Flagged)
				}
				if rr, err := e.svc.Store.ReviewRound(e.ctx, o.ID, 0); err != nil || rr.Source != providerdb.ReviewBureau || rr.Items[0].Photo != photoItem {
					t.Fatalf("bureau round %+v %v", rr, err)
				}
				o, err := e.svc.Store.Transition(e.ctx, providerdb.Move{OrderID: o.ID, Version: got.Version, Event: workflow.Resubmit, By: workflow.Customer, Actor: "test"})
				if err != nil {
					t.Fatal(err)
				}
				rev.hDecide(t, o.ID, Decision{Approve: true})
				if !photoItem {
					e.hStage(t, o.ID, beian.StageSMSConfirmation)
					if second := e.hSubmission(t, o.ID); second == first {
						t.Errorf("the resubmission reused submission %s", first)
					}
					return
				}
				e.hStage(t, o.ID, beian.StageVerification)
			})
		})
	}
}

// flaky is a connector whose Submit fails with err while err is set.
type flaky struct {
	beian.Connector
	err  error
	keys []string
}

func (f *flaky) Submit(ctx context.Context, s beian.Submission, key string) (beian.Receipt, error) {
	f.keys = append(f.keys, key)
	if f.err != nil {
		return beian.Receipt{}, f.err
	}
	return f.Connector.Submit(ctx, s, key)
}

// An unreachable registry leaves the order in sms_confirmation with its
// attempt pending; the retry uses the same idempotency key. A refusal
// returns the order to the customer with the reason (registry_submit.go).
func TestReviewSubmissionFailures(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		f := &flaky{Connector: e.svc.Connector, err: beian.Errorf(beian.KindUnavailable, "connector.unavailable")}
		e.svc.Connector = f
		e.hSeed(t, hDomain)
		o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
		rev.hDecide(t, o.ID, Decision{Approve: true})
		cust.hUpload(t, 200, o.ID, hSharpPNG(t))
		rev.hDecide(t, o.ID, Decision{Approve: true})
		e.hStage(t, o.ID, beian.StageSMSConfirmation)
		if n := e.hCount(t, `SELECT COUNT(*) FROM order_submissions WHERE order_id = $1 AND state = 'pending' AND tries = 1`, o.ID); n != 1 {
			t.Fatalf("pending attempts after a failure: %d", n)
		}
		if n, err := e.svc.FlushSubmissions(e.ctx); n != 0 || err != nil || len(f.keys) != 1 {
			t.Fatalf("flush before the backoff: %d %v, %d calls", n, err, len(f.keys))
		}
		f.err = nil
		e.clock.Advance(time.Minute)
		if n, err := e.svc.FlushSubmissions(e.ctx); n != 1 || err != nil {
			t.Fatalf("flush after the registry is back: %d %v", n, err)
		}
		if len(f.keys) != 2 || f.keys[0] != f.keys[1] || f.keys[0] != o.Number+"/1" {
			t.Errorf("idempotency keys %v", f.keys)
		}
		e.hSubmission(t, o.ID)

		// A refusal: the order is returned with the reason.
		cust2 := e.customer(t)
		d := hForm("yi-two.com")
		d.Subject.CertNumber, d.Subject.Name = "91330100MA0000002Y", "杭州乙科技有限公司"
		o2 := e.hSubmitted(t, cust2, beian.FirstFiling, d)
		f.err = &beian.Error{Kind: beian.KindInvalid, Problems: beian.Problems{beian.NewProblem("registry.domain_no_record", "WEB-6", "websites[0].domains[0]")}}
		rev.hDecide(t, o2.ID, Decision{Approve: true})
		cust2.hUpload(t, 200, o2.ID, hSharpPNG(t))
		rev.hDecide(t, o2.ID, Decision{Approve: true})
		e.hStage(t, o2.ID, beian.StageReturned)
		if n := e.hCount(t, `SELECT COUNT(*) FROM order_submissions WHERE order_id = $1 AND state = 'refused' AND last_error = 'registry.domain_no_record'`, o2.ID); n != 1 {
			t.Errorf("refused attempt: %d", n)
		}
		if n := e.hCount(t, `SELECT COUNT(*) FROM provider_outbox WHERE template = $1`, TemplateRegistryRefused); n == 0 {
			t.Error("the customer was not told of the refusal")
		}
	})
}

// Rules GATE-2, OTH-1, NOTE-1: a transfer-in is served from its initial
// approval; the persons are warned 7 days before, and 45 days without a
// bureau approval lapse it (the customer told); the
// bureau's approval serves it again for good.
func TestReviewTransferInLapse(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		d := hForm("yi-two.com")
		d.Transfer, d.Password = "浙ICP备2020000001号", "secret-password"
		d.Subject.Number = "浙ICP备2020000001号"
		d.Websites[0].Number = "浙ICP备2020000001号-1"
		o := e.hSubmitted(t, cust, beian.TransferIn, d)
		reason := func() (string, string) {
			var r, n string
			if err := e.db.SQL.QueryRowContext(e.ctx, `SELECT reason, website_number FROM servable_domains WHERE domain = 'yi-two.com'`).Scan(&r, &n); err != nil {
				t.Fatal(err)
			}
			return r, n
		}
		rev.hDecide(t, o.ID, Decision{Approve: true})
		e.hStage(t, o.ID, beian.StageVerification)
		if r, n := reason(); r != string(beian.GateServed) || n != "浙ICP备2020000001号-1" {
			t.Fatalf("after initial approval: %s %s", r, n)
		}
		warned := func() int {
			return e.hCount(t, `SELECT COUNT(*) FROM provider_outbox WHERE template = $1`, TemplateAccessLapseSoon)
		}
		e.advance(t, 37*24*time.Hour)
		if n := warned(); n != 0 {
			t.Fatalf("warned %d times 8 days before the lapse", n)
		}
		e.advance(t, 24*time.Hour) // Rule NOTE-1: 7 days before, the persons are warned
		if n := warned(); n == 0 {
			t.Fatal("no warning 7 days before the lapse")
		}
		e.advance(t, 6*24*time.Hour)
		if r, _ := reason(); r != string(beian.GateServed) {
			t.Fatalf("after 44 days: %s", r)
		}
		e.advance(t, 24*time.Hour)
		if r, _ := reason(); r != string(beian.GateLapsed) {
			t.Fatalf("after 45 days: %s", r)
		}
		if n := e.hCount(t, `SELECT COUNT(*) FROM provider_outbox WHERE template = $1`, TemplateAccessLapsed); n == 0 {
			t.Error("the customer was not told of the lapse")
		}
		e.hStage(t, o.ID, beian.StageVerification) // the order goes on

		// The bureau's approval (its event, with the order at the bureau) serves it again.
		if _, err := e.db.SQL.ExecContext(e.ctx, `UPDATE orders SET stage = 'bureau_review' WHERE id = $1`, o.ID); err != nil {
			t.Fatal(err)
		}
		payload := `{"subject_number":"浙ICP备2020000001号","websites":[{"number":"浙ICP备2020000001号-1","name":"甲公司官网","domains":["yi-two.com"],"status":"active","providers":["beian"]}]}`
		if _, err := e.svc.applyEvent(e.ctx, beian.Event{ID: 1 << 40, Order: o.Number, Type: beian.EventApproved, Payload: []byte(payload), At: e.clock.Now()}, ""); err != nil {
			t.Fatal(err)
		}
		e.hStage(t, o.ID, beian.StageApproved)
		if r, _ := reason(); r != string(beian.GateServed) {
			t.Fatalf("after the bureau's approval: %s", r)
		}
		e.advance(t, 60*24*time.Hour)
		if r, _ := reason(); r != string(beian.GateServed) {
			t.Fatalf("an approved transfer-in lapsed: %s", r)
		}
	})
}

// Reconciliation finds a cancellation made in the registry that the event
// feed never reported, cancels the filing here (the gate blocks it) and
// tells the customer; a second run finds nothing (Rules CAN-1, GATE-1).
func TestReconcileFindsRegistryCancellation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		_, number := e.hApproved(t, cust, rev, hDomain)
		rep, err := e.svc.Reconcile(e.ctx)
		if err != nil || rep.Checked != 1 || len(rep.Drifts) != 0 {
			t.Fatalf("in step: %+v %v", rep, err)
		}
		if _, err := e.reg.CancelWebsite(e.ctx, number, "false_information"); err != nil {
			t.Fatal(err)
		}
		rep, err = e.svc.Reconcile(e.ctx)
		if err != nil || len(rep.Drifts) != 1 || rep.Drifts[0].Kind != "subject_cancelled" || !rep.Drifts[0].Fixed {
			t.Fatalf("after the registry's cancellation: %+v %v", rep, err)
		}
		var reason string
		if err := e.db.SQL.QueryRowContext(e.ctx, `SELECT reason FROM servable_domains WHERE domain = $1`, hDomain).Scan(&reason); err != nil || reason != string(beian.GateCancelled) {
			t.Errorf("gate reason %q %v", reason, err)
		}
		if n := e.hCount(t, `SELECT COUNT(*) FROM subjects WHERE status = 'cancelled'`); n != 1 {
			t.Errorf("cancelled subjects: %d", n)
		}
		if n := e.hCount(t, `SELECT COUNT(*) FROM provider_outbox WHERE template = $1`, TemplateFilingCancelled); n == 0 {
			t.Error("the customer was not told")
		}
		if rep, err = e.svc.Reconcile(e.ctx); err != nil || rep.Checked != 0 || len(rep.Drifts) != 0 {
			t.Errorf("second run: %+v %v", rep, err)
		}
	})
}

// Rule CAN-1: a bureau's cancellation reaches the provider as an event:
// the website is cancelled here at once (the gate blocks it) and the
// customer is told.
func TestEventsCancellation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		_, number := e.hApproved(t, cust, rev, hDomain)
		if _, err := e.reg.BureauCancel(e.ctx, regulator.Reviewer{Province: "330000", Actor: "test"},
			regulator.CancellationInput{Number: number, Reason: "false_information"}); err != nil {
			t.Fatal(err)
		}
		if n := e.hPull(t); n == 0 {
			t.Fatal("no cancellation event applied")
		}
		var reason string
		if err := e.db.SQL.QueryRowContext(e.ctx, `SELECT reason FROM servable_domains WHERE domain = $1`, hDomain).Scan(&reason); err != nil || reason != string(beian.GateCancelled) {
			t.Errorf("gate reason %q %v", reason, err)
		}
		if n := e.hCount(t, `SELECT COUNT(*) FROM provider_outbox WHERE template = $1 AND recipient = $2`, TemplateFilingCancelled, hSubjPhone); n == 0 {
			t.Error("the customer was not told")
		}
		if rep, err := e.svc.Reconcile(e.ctx); err != nil || len(rep.Drifts) != 0 {
			t.Errorf("reconcile after the event: %+v %v", rep, err)
		}
	})
}

// held is a connector whose Submit, while hold is set, says so on entered
// and waits for release; it counts the calls.
type held struct {
	beian.Connector
	hold             atomic.Bool
	entered, release chan struct{}
	calls            atomic.Int32
}

func (h *held) Submit(ctx context.Context, s beian.Submission, key string) (beian.Receipt, error) {
	h.calls.Add(1)
	if h.hold.Load() {
		h.entered <- struct{}{}
		<-h.release
	}
	return h.Connector.Submit(ctx, s, key)
}

// Flushes of the submissions run one at a time in a process: calls made
// while one sends an attempt wait for its extra pass instead of sending
// the same pending attempt again, and return once it has ended.
func TestFlushSubmissionsOneAtATime(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		f := &flaky{Connector: e.svc.Connector, err: beian.Errorf(beian.KindUnavailable, "connector.unavailable")}
		h := &held{Connector: f, entered: make(chan struct{}), release: make(chan struct{})}
		e.svc.Connector = h
		e.hSeed(t, hDomain)
		o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
		rev.hDecide(t, o.ID, Decision{Approve: true})
		cust.hUpload(t, 200, o.ID, hSharpPNG(t))
		rev.hDecide(t, o.ID, Decision{Approve: true}) // the attempt is queued; the registry is down
		f.err = nil
		e.clock.Advance(time.Minute)
		before := h.calls.Load()
		h.hold.Store(true)

		type result struct {
			n   int
			err error
		}
		first := make(chan result, 1)
		go func() { n, err := e.svc.FlushSubmissions(e.ctx); first <- result{n, err} }()
		<-h.entered // the first flush is in the registry's Submit
		h.hold.Store(false)
		others := make(chan result, 3)
		for range 3 {
			go func() { n, err := e.svc.FlushSubmissions(e.ctx); others <- result{n, err} }()
		}
		for waited := 0; ; waited++ { // until a call has asked the running flush for another pass
			e.svc.flush.mu.Lock()
			asked := e.svc.flush.again
			e.svc.flush.mu.Unlock()
			if asked {
				break
			}
			if waited == 10000 {
				close(h.release)
				t.Fatal("no concurrent call waited for the running flush")
			}
			time.Sleep(time.Millisecond)
		}
		close(h.release)
		if r := <-first; r.n != 1 || r.err != nil {
			t.Fatalf("the first flush: %d %v, want 1 accepted", r.n, r.err)
		}
		for range 3 {
			if r := <-others; r.err != nil {
				t.Fatalf("a concurrent flush: %v", r.err)
			}
		}
		if n := h.calls.Load() - before; n != 1 {
			t.Errorf("the pending attempt was sent %d times, want once", n)
		}
		e.hSubmission(t, o.ID)
	})
}

// While Run waits for work in the process, the request whose approval
// queued a submission leaves the sending to Run (woken) and answers
// without calling the registry; without Run it sends the attempt itself.
func TestFlushAfterCommitLeavesItToRun(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cust, rev := e.customer(t), e.account(t, beian.RoleProviderReviewer, "")
		h := &held{Connector: e.svc.Connector}
		e.svc.Connector = h
		e.hSeed(t, hDomain)
		o := e.hSubmitted(t, cust, beian.FirstFiling, hForm(hDomain))
		rev.hDecide(t, o.ID, Decision{Approve: true})
		cust.hUpload(t, 200, o.ID, hSharpPNG(t))
		select { // no wake-up left over
		case <-e.svc.wakeChan():
		default:
		}
		e.svc.runWaiting.Add(1) // as Run does while it waits
		rev.hDecide(t, o.ID, Decision{Approve: true})
		e.svc.runWaiting.Add(-1)
		e.hStage(t, o.ID, beian.StageSMSConfirmation)
		if n := h.calls.Load(); n != 0 {
			t.Fatalf("the request called the registry's Submit %d times; Run was there to do it", n)
		}
		select {
		case <-e.svc.wakeChan():
		default:
			t.Fatal("Run was not woken")
		}
		if n, err := e.svc.FlushSubmissions(e.ctx); n != 1 || err != nil { // Run's flush
			t.Fatalf("Run's flush: %d %v", n, err)
		}
		e.hSubmission(t, o.ID)

		// Without a waiting Run the request sends it at once.
		cust2 := e.customer(t)
		d := hForm("yi-two.com")
		d.Subject.CertNumber, d.Subject.Name = "91330100MA0000002Y", "杭州乙科技有限公司"
		o2 := e.hSubmitted(t, cust2, beian.FirstFiling, d)
		rev.hDecide(t, o2.ID, Decision{Approve: true})
		cust2.hUpload(t, 200, o2.ID, hSharpPNG(t))
		rev.hDecide(t, o2.ID, Decision{Approve: true})
		if n := h.calls.Load(); n != 2 {
			t.Fatalf("Submit calls %d, want the request's own", n)
		}
		// The registry answered (it refuses this subject's domain, seeded
		// for another holder): the attempt is no longer pending.
		if n := e.hCount(t, `SELECT COUNT(*) FROM order_submissions WHERE order_id = $1 AND state <> 'pending'`, o2.ID); n != 1 {
			t.Errorf("attempts answered by the registry: %d", n)
		}
	})
}
