package regulator

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/beian/beian"
)

// Rule CAN-5: cancel access ends the provider's access at once, without
// SMS or bureau, idempotently; a website left with no provider is
// cancelled as an empty shell after 30 calendar days, and the provider is
// told with cancelled events; a website that still has a provider is not.
func TestCancelAccess(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subj := e.org(t, orgName, orgCert)
		lone := e.website(t, subj, "甲公司官网", []string{"jia-one.com"}, provA)
		shared := e.website(t, subj, "甲公司商城", []string{"jia-two.com"}, provA, provB)
		req := beian.CancelAccessRequest{OrderNumber: "O-ca", WebsiteNumber: lone.Number}
		rc, err := e.CancelAccess(e.ctx, provA, req, "ca-1")
		t.Run("AccessEndedAtOnce", func(t *testing.T) {
			if err != nil || rc.SubmissionID == "" || !rc.DueDate.IsZero() || rc.Duplicate {
				t.Fatalf("receipt %+v, %v", rc, err)
			}
			f, _ := e.Filing(e.ctx, lone.Number)
			if len(f.Websites[0].Providers) != 0 || f.Websites[0].Status != StatusActive {
				t.Fatalf("filing %+v", f.Websites[0])
			}
			if n := e.count(t, `SELECT COUNT(*) FROM registry_outbox`) + e.count(t, `SELECT COUNT(*) FROM registry_confirmations`); n != 0 {
				t.Fatalf("%d SMS rows for a cancel access", n)
			}
		})
		t.Run("RetryIsDuplicate", func(t *testing.T) {
			again, err := e.CancelAccess(e.ctx, provA, req, "ca-1")
			if err != nil || !again.Duplicate || again.SubmissionID != rc.SubmissionID {
				t.Fatalf("retry %+v, %v", again, err)
			}
			if _, err := e.CancelAccess(e.ctx, provA, beian.CancelAccessRequest{OrderNumber: "O-x", WebsiteNumber: shared.Number}, "ca-1"); !beian.IsKind(err, beian.KindConflict) {
				t.Fatalf("another request under the key: %v", err)
			}
		})
		t.Run("ErrNotServed", func(t *testing.T) {
			_, err := e.CancelAccess(e.ctx, provB, beian.CancelAccessRequest{OrderNumber: "O-b", WebsiteNumber: lone.Number}, "cb")
			if !beian.IsKind(err, beian.KindNotFound) || codeOf(err) != "registry.access_not_found" {
				t.Fatalf("got %v", err)
			}
		})
		if _, err := e.CancelAccess(e.ctx, provA, beian.CancelAccessRequest{OrderNumber: "O-s", WebsiteNumber: shared.Number}, "ca-2"); err != nil {
			t.Fatal(err)
		}
		t.Run("EmptyShellAfter30Days", func(t *testing.T) {
			e.clock.Advance(30*24*time.Hour - time.Minute)
			if n := e.fire(t); n != 0 {
				t.Fatalf("%d timers fired before 30 days", n)
			}
			e.clock.Advance(time.Minute)
			if n := e.fire(t); n != 1 {
				t.Fatalf("%d timers fired after 30 days", n)
			}
			if f, _ := e.Filing(e.ctx, lone.Number); f.Websites[0].Status != StatusCancelled || f.Status != StatusActive {
				t.Fatalf("filing %+v", f)
			}
			if f, _ := e.Filing(e.ctx, shared.Number); f.Websites[0].Status != StatusActive {
				t.Fatalf("a website still served by %s was cancelled", provB)
			}
			evs := e.events(t, provA)
			if len(evs) != 1 || evs[0].Type != beian.EventCancelled || evs[0].SubmissionID != rc.SubmissionID || evs[0].Order != "O-ca" {
				t.Fatalf("events %+v", evs)
			}
			var p beian.CancelledPayload
			if err := json.Unmarshal(evs[0].Payload, &p); err != nil || p.Number != lone.Number || p.Reason != ReasonEmptyShell {
				t.Fatalf("payload %s", evs[0].Payload)
			}
		})
	})
}
