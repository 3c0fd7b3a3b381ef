package regulator

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/beian/beian"
)

// eventTypes lists the types of the provider's events.
func eventTypes(evs []beian.Event) []beian.EventType {
	out := make([]beian.EventType, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// The in-process connector carries every order type from submission to
// the registry's record (Rules TYPE-1, OTH-1, OTH-2, CAN-4, PWD-2), each
// provider seeing only its own submissions and events.
func TestConnectorOrderTypes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ca, cb := &Connector{Registry: e.Registry, Provider: provA}, &Connector{Registry: e.Registry, Provider: provB}
		first := e.firstFiling(t, "O-1")
		rc := e.toBureau(t, provA, first, "k1")
		res, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Approve: true})
		if err != nil {
			t.Fatal(err)
		}
		e.issuePasswords(t, 1)
		subject, w1 := res.SubjectNumber, res.Websites[0]
		var password string
		for _, m := range e.outbox(t) {
			if m.Template == TemplatePasswordIssued {
				password = m.Data["password"]
			}
		}
		order := func(typ beian.OrderType, no string) beian.Submission {
			s := first
			s.Type, s.OrderNumber, s.SubjectNumber, s.Websites = typ, no, subject, nil
			return s
		}
		site := first.Websites[0]
		decide := func(t *testing.T, c *Connector, s beian.Submission, key string) DecisionResult {
			t.Helper()
			e.clock.Advance(time.Minute)
			rc, err := c.Submit(e.ctx, s, key)
			if err != nil {
				t.Fatalf("submit %s: %v", s.Type, err)
			}
			e.confirmSubmission(t, rc.SubmissionID)
			if cs, err := c.Confirmations(e.ctx, rc.SubmissionID); err != nil || cs.State != "confirmed" {
				t.Fatalf("confirmations %+v, %v", cs, err)
			}
			res, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Approve: true})
			if err != nil {
				t.Fatalf("approve %s: %v", s.Type, err)
			}
			return res
		}
		t.Run("NewWebsite", func(t *testing.T) {
			s := order(beian.NewWebsite, "O-2")
			w := site
			w.Name, w.Domains, w.Homepage = "甲公司商城", []string{"jia-two.com"}, "www.jia-two.com"
			e.put(t, goodRecord("jia-two.com", "uscc", orgCert))
			s.Websites = []beian.WebsiteData{w}
			if res := decide(t, ca, s, "k2"); len(res.Websites) != 1 || res.Websites[0] != subject+"-2" {
				t.Fatalf("result %+v", res)
			}
		})
		t.Run("TransferIn", func(t *testing.T) {
			s := order(beian.TransferIn, "B-1")
			w := site
			w.Number = w1
			s.Websites, s.Password = []beian.WebsiteData{w}, "wrong-password"
			if _, err := cb.Submit(e.ctx, s, "kb"); !beian.IsKind(err, beian.KindInvalid) || !e.hasProblem(err, "registry.transfer_check_failed") {
				t.Fatalf("wrong password: %v", err)
			}
			if _, err := cb.CheckTransferIn(e.ctx, subject, password); err != nil {
				t.Fatalf("check: %v", err)
			}
			s.Password = password
			decide(t, cb, s, "kb2")
			f, err := cb.Filing(e.ctx, w1)
			if err != nil || len(f.Websites[0].Providers) != 2 {
				t.Fatalf("filing %+v, %v", f, err)
			}
			page, err := cb.Events(e.ctx, "", 0)
			if got := eventTypes(page.Events); err != nil || len(got) != 2 || got[0] != beian.EventSMSConfirmed || got[1] != beian.EventApproved {
				t.Fatalf("provB's events %v, %v", got, err)
			}
		})
		t.Run("ChangeWebsite", func(t *testing.T) {
			s := order(beian.ChangeWebsite, "O-3")
			w := site
			w.Number, w.Name, w.Domains = w1, "甲公司新官网", []string{siteDomain, "jia-three.com"}
			s.Websites = []beian.WebsiteData{w}
			decide(t, ca, s, "k3")
			f, _ := ca.Filing(e.ctx, w1)
			if f.Websites[0].Name != "甲公司新官网" || len(f.Websites[0].Domains) != 2 {
				t.Fatalf("filing %+v", f.Websites[0])
			}
		})
		t.Run("CancelWebsite", func(t *testing.T) {
			s := order(beian.CancelWebsite, "O-4")
			s.Cancel = []string{subject + "-2"}
			if res := decide(t, ca, s, "k4"); len(res.Websites) != 1 || res.SubjectNumber != "" {
				t.Fatalf("result %+v", res)
			}
			if f, _ := ca.Filing(e.ctx, subject); f.Status != StatusActive || f.Websites[1].Status != StatusCancelled {
				t.Fatalf("filing %+v", f)
			}
		})
		t.Run("CancelSubject", func(t *testing.T) {
			s := order(beian.CancelSubject, "O-5")
			if _, err := ca.Submit(e.ctx, s, "k5"); !e.hasProblem(err, "registry.password_check_failed") {
				t.Fatalf("no password: %v", err)
			}
			s.Password = password
			decide(t, ca, s, "k6")
			if f, _ := ca.Filing(e.ctx, subject); f.Status != StatusCancelled || f.Websites[0].Status != StatusCancelled {
				t.Fatalf("filing %+v", f)
			}
			evs, _ := ca.Events(e.ctx, "", 0)
			var last []beian.CancelledPayload
			for _, ev := range evs.Events[len(evs.Events)-2:] {
				var p beian.CancelledPayload
				_ = json.Unmarshal(ev.Payload, &p)
				last = append(last, p)
			}
			if last[0].Number != w1 || last[1].Number != subject || last[1].Reason != ReasonSubjectRequest {
				t.Fatalf("last events %+v", last)
			}
		})
		t.Run("ErrOtherProvidersSubmission", func(t *testing.T) {
			if _, err := cb.Confirmations(e.ctx, rc.SubmissionID); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("got %v", err)
			}
		})
	})
}

// hasProblem reports whether err carries a problem with the code.
func (e *env) hasProblem(err error, code string) bool {
	var be *beian.Error
	return asError(err, &be) && be.Problems.Has(code)
}
