package regulator

import (
	"encoding/json"
	"maps"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/timer"
)

// firePolicy runs the registry's due timers with the pipeline's and the
// sandbox bureau's handlers, as the serve wiring merges them.
func (e *env) firePolicy(tb testing.TB) int {
	tb.Helper()
	h := e.TimerHandlers()
	maps.Copy(h, e.PolicyTimerHandlers())
	n, err := (&timer.Runner{DB: e.DB, Timers: registryTimers(), Handlers: h}).FireDue(e.ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// decisionTimer returns the sandbox bureau's timer of a submission.
func (e *env) decisionTimer(tb testing.TB, id string) (timer.Timer, bool) {
	tb.Helper()
	tm, ok, err := registryTimers().Get(e.ctx, e.DB, TimerBureauDecision, id)
	if err != nil {
		tb.Fatal(err)
	}
	return tm, ok
}

// setPolicy stores a policy and fails tb on an error.
func (e *env) setPolicy(tb testing.TB, p BureauPolicy) {
	tb.Helper()
	if _, err := e.SetBureauPolicy(e.ctx, p); err != nil {
		tb.Fatalf("set policy %+v: %v", p, err)
	}
}

// API.md: the sandbox starts in auto with reject_share 0; a policy is
// kept in the database; a bad mode or share is refused with its field.
func TestBureauPolicyStore(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		t.Run("OKDefault", func(t *testing.T) {
			p, err := e.BureauPolicy(e.ctx)
			if err != nil || p != (BureauPolicy{Mode: PolicyAuto}) {
				t.Fatalf("%+v, %v", p, err)
			}
		})
		t.Run("OKStored", func(t *testing.T) {
			e.setPolicy(t, BureauPolicy{Mode: " manual ", RejectShare: 0.25, Seed: -7})
			p, err := e.BureauPolicy(e.ctx)
			if err != nil || p != (BureauPolicy{Mode: PolicyManual, RejectShare: 0.25, Seed: -7}) {
				t.Fatalf("%+v, %v", p, err)
			}
		})
		for _, tc := range []struct {
			name, code, field string
			p                 BureauPolicy
		}{
			{"ErrMode", "sandbox.policy_mode", "mode", BureauPolicy{Mode: "random"}},
			{"ErrModeEmpty", "sandbox.policy_mode", "mode", BureauPolicy{}},
			{"ErrShareNegative", "sandbox.policy_reject_share", "reject_share", BureauPolicy{Mode: PolicyAuto, RejectShare: -0.1}},
			{"ErrShareOverOne", "sandbox.policy_reject_share", "reject_share", BureauPolicy{Mode: PolicyAuto, RejectShare: 1.01}},
			{"ErrShareNaN", "sandbox.policy_reject_share", "reject_share", BureauPolicy{Mode: PolicyAuto, RejectShare: math.NaN()}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.SetBureauPolicy(e.ctx, tc.p)
				if code, _, field, _ := problemCode(err); code != tc.code || field != tc.field || !beian.IsKind(err, beian.KindInvalid) {
					t.Fatalf("got %v (%s at %s)", err, code, field)
				}
				if p, _ := e.BureauPolicy(e.ctx); p.Mode != PolicyManual {
					t.Fatalf("a refused policy was stored: %+v", p)
				}
			})
		}
	})
}

// Rule REV-2 in the sandbox: in auto mode an order in bureau review is
// approved at the start of its due date, not a minute before, by the
// system reviewer; the provider gets the approved event.
func TestPolicyAutoApprovesAtDueDate(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.SetSandboxBureau(true)
		rc := e.toBureau(t, provA, e.firstFiling(t, "O-1"), "k")
		tm, ok := e.decisionTimer(t, rc.SubmissionID)
		if !ok || !tm.Due.Equal(beian.DateOf(rc.DueDate)) {
			t.Fatalf("timer %+v (%v), want due %s", tm, ok, rc.DueDate)
		}
		t.Run("NotBeforeDueDate", func(t *testing.T) {
			e.clock.Set(tm.Due.Add(-time.Minute))
			e.firePolicy(t)
			if st := e.status(t, rc.SubmissionID); st != SubmissionBureau {
				t.Fatalf("status %s a minute before the due date", st)
			}
		})
		t.Run("ApprovedAtDueDate", func(t *testing.T) {
			e.clock.Set(tm.Due)
			if n := e.firePolicy(t); n != 1 {
				t.Fatalf("%d timers fired", n)
			}
			if st := e.status(t, rc.SubmissionID); st != SubmissionApproved {
				t.Fatalf("status %s at the due date", st)
			}
			evs := e.events(t, provA)
			if len(evs) < 2 || evs[1].Type != beian.EventApproved {
				t.Fatalf("events %+v", evs)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM registry_audit WHERE action = 'submission.decide' AND actor = $1`, PolicyActor); n != 1 {
				t.Fatalf("%d decisions audited as %s", n, PolicyActor)
			}
		})
	})
}

// Rule REV-5 in the sandbox: with reject_share 1 every order is rejected
// with items of the REV-5 shape whose fields exist in the submission.
func TestPolicyRejectShareOne(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.SetSandboxBureau(true)
		e.setPolicy(t, BureauPolicy{Mode: PolicyAuto, RejectShare: 1, Seed: 42})
		rc := e.toBureau(t, provA, e.firstFiling(t, "O-1"), "k")
		e.clock.Set(beian.DateOf(rc.DueDate))
		e.firePolicy(t)
		if st := e.status(t, rc.SubmissionID); st != SubmissionRejected {
			t.Fatalf("status %s", st)
		}
		evs := e.events(t, provA)
		last := evs[len(evs)-1]
		var p beian.RejectedPayload
		if err := json.Unmarshal(last.Payload, &p); err != nil || last.Type != beian.EventRejected {
			t.Fatalf("event %+v: %v", last, err)
		}
		if len(p.Items) == 0 || len(p.Items) > 2 || checkItems(p.Items) != nil {
			t.Fatalf("items %+v", p.Items)
		}
		for _, it := range p.Items {
			if !strings.Contains(it.Reason, " / ") || it.Suggestion == "" || !validItemField(it.Field, 1) {
				t.Errorf("item %+v", it)
			}
		}
	})
}

// validItemField reports whether a policy item's field exists in a
// submission with n websites.
func validItemField(f string, n int) bool {
	if rest, ok := strings.CutPrefix(f, "websites["); ok {
		i, err := strconv.Atoi(rest[:strings.IndexByte(rest, ']')])
		return err == nil && i < n
	}
	return f == "subject.address" || f == "subject.person.mobile" || f == "documents" || f == "verification"
}

// Without the sandbox (policy off = manual) and in manual mode nothing is
// scheduled; switching to auto arms the orders already in review; a
// timer that comes due in manual mode leaves the order to the desk.
func TestPolicyOffAndManual(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		off := e.toBureau(t, provA, e.firstFiling(t, "O-off"), "off")
		if _, ok := e.decisionTimer(t, off.SubmissionID); ok {
			t.Fatal("a decision timer without the sandbox")
		}
		e.SetSandboxBureau(true)
		e.setPolicy(t, BureauPolicy{Mode: PolicyManual})
		t.Run("ManualSchedulesNothing", func(t *testing.T) {
			s := e.firstFiling(t, "O-man", "yi-two.com")
			s.Subject.CertNumber, s.Subject.Name = "91330100MA0000002Y", "杭州乙科技有限公司"
			e.put(t, goodRecord("yi-two.com", "uscc", s.Subject.CertNumber))
			man := e.toBureau(t, provA, s, "man")
			if _, ok := e.decisionTimer(t, man.SubmissionID); ok {
				t.Fatal("a decision timer in manual mode")
			}
		})
		t.Run("AutoArmsOrdersInReview", func(t *testing.T) {
			e.setPolicy(t, BureauPolicy{Mode: PolicyAuto})
			if n := e.count(t, `SELECT COUNT(*) FROM registry_timers WHERE kind = $1 AND fired_at = 0`, TimerBureauDecision); n != 2 {
				t.Fatalf("%d timers armed, want 2", n)
			}
		})
		t.Run("DueInManualLeftToDesk", func(t *testing.T) {
			e.setPolicy(t, BureauPolicy{Mode: PolicyManual})
			e.clock.Set(beian.DateOf(off.DueDate))
			e.firePolicy(t)
			if st := e.status(t, off.SubmissionID); st != SubmissionBureau {
				t.Fatalf("status %s in manual mode", st)
			}
		})
	})
}

// Rule CAN-2 in the sandbox: a cancellation is decided 3 to 20 business
// days after its submission, on a day chosen from the seed.
func TestPolicyCancellation(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.SetSandboxBureau(true)
		e.setPolicy(t, BureauPolicy{Mode: PolicyAuto, Seed: 3})
		subj := e.org(t, "杭州丙科技有限公司", "91330100MA0000004D")
		w := e.website(t, subj, "丙公司官网", []string{"bing-one.com"}, provA)
		c := beian.Submission{OrderNumber: "O-cancel", Type: beian.CancelWebsite, Province: "330000", Cancel: []string{w.Number},
			Subject: beian.SubjectData{Nature: "enterprise", Name: subj.UnitName, CertType: "uscc", CertNumber: subj.CertNumber,
				Person: beian.Person{CertNumber: subjCert, Mobile: "13700137000"}}}
		rc := e.toBureau(t, provA, c, "cancel")
		tm, ok := e.decisionTimer(t, rc.SubmissionID)
		first, _ := calendar.Default().AddBusinessDays(e.clock.Now(), policyCancelMin)
		if !ok || tm.Due.Before(first) || tm.Due.After(beian.DateOf(rc.DueDate)) {
			t.Fatalf("timer %+v (%v), want from %s to %s", tm, ok, first, rc.DueDate)
		}
		e.clock.Set(tm.Due)
		e.firePolicy(t)
		if st := e.status(t, rc.SubmissionID); st != SubmissionApproved {
			t.Fatalf("status %s", st)
		}
		if got := e.cancelledEvents(t, provA); got[w.Number] != ReasonSubjectRequest {
			t.Fatalf("cancelled events %v", got)
		}
	})
}

// A registry check that fails at approval (the domain was filed for
// another subject meanwhile) changes nothing: the sandbox bureau rejects
// with the failed check as the item instead.
func TestPolicyApprovalCheckFailsRejects(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.SetSandboxBureau(true)
		rc := e.toBureau(t, provA, e.firstFiling(t, "O-1"), "k")
		other := e.org(t, "杭州丁科技有限公司", "91330100MA0000005B")
		e.website(t, other, "丁公司官网", []string{siteDomain}, provB)
		e.clock.Set(beian.DateOf(rc.DueDate))
		e.firePolicy(t)
		if st := e.status(t, rc.SubmissionID); st != SubmissionRejected {
			t.Fatalf("status %s", st)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM registry_subjects WHERE cert_number = $1`, orgCert); n != 0 {
			t.Fatalf("the refused approval left %d subjects", n)
		}
		evs := e.events(t, provA)
		var p beian.RejectedPayload
		if err := json.Unmarshal(evs[len(evs)-1].Payload, &p); err != nil || len(p.Items) != 1 || !strings.Contains(p.Items[0].Reason, "registry.") {
			t.Fatalf("items %+v, %v", p.Items, err)
		}
	})
}

// The choices are a function of the seed and the submission: the same
// every time, a share of them rejected, items that exist in the order,
// cancellations within 3 to 20 business days.
func TestPolicyChoices(t *testing.T) {
	t.Parallel()
	half := BureauPolicy{Mode: PolicyAuto, RejectShare: 0.5, Seed: 1}
	rejected, days := 0, map[int]bool{}
	r := &Registry{}
	from := time.Date(2026, 3, 2, 10, 0, 0, 0, beian.CST)
	for i := range 200 {
		id := "sub-" + strconv.Itoa(i)
		if policyRejects(half, id) != policyRejects(half, id) {
			t.Fatal("not deterministic")
		}
		if policyRejects(half, id) {
			rejected++
		}
		if policyRejects(BureauPolicy{RejectShare: 0}, id) || !policyRejects(BureauPolicy{RejectShare: 1}, id) {
			t.Fatal("share 0 rejected or share 1 approved")
		}
		due, in := r.policyDue(beian.CancelSubject, id, from, time.Time{}, half), false
		for n := policyCancelMin; n <= policyCancelMax; n++ {
			if d, _ := calendar.Default().AddBusinessDays(from, n); d.Equal(due) {
				days[n], in = true, true
			}
		}
		if !in || !due.Equal(r.policyDue(beian.CancelSubject, id, from, time.Time{}, half)) {
			t.Fatalf("cancellation of %s decided on %s", id, due)
		}
		sub := StoredSubmission{ID: id, Type: beian.ChangeSubject, Data: beian.Submission{Websites: make([]beian.WebsiteData, 3)}}
		items := policyRejection(half, sub)
		for _, it := range items {
			if !validItemField(it.Field, 3) || it.Photo {
				t.Fatalf("change_subject item %+v", it)
			}
		}
		sub.Type = beian.CancelWebsite
		if items := policyRejection(half, sub); len(items) != 1 || items[0].Field != "documents" || checkItems(items) != nil {
			t.Fatalf("cancellation items %+v", items)
		}
	}
	if rejected < 70 || rejected > 130 {
		t.Errorf("%d of 200 rejected at share 0.5", rejected)
	}
	if len(days) < 10 {
		t.Errorf("cancellation days %v: want many distinct days from 3 to 20, each in range", days)
	}
	if r.policyDue(beian.FirstFiling, "x", from, from.AddDate(0, 1, 0), half) != beian.DateOf(from.AddDate(0, 1, 0)) {
		t.Error("a filing is not decided at the start of its due date")
	}
}
