package providerdb_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/workflow"
)

// opsMon is Monday 2026-11-30 10:00 CST (no holiday in the weeks used).
var opsMon = time.Date(2026, 11, 30, 10, 0, 0, 0, beian.CST)

// Rules REV-1, REV-2, REV-4, CAL-1: the ops figures follow the orders'
// stage history — orders per stage, reviews on time within 1 business day
// (finished and waiting), bureau review lengths in business days per
// province, approvals per day — and the outbox and timer backlogs.
func TestOpsStats(t *testing.T) {
	clock := beian.NewManualClock(opsMon)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(opsMon)
		ctx := context.Background()
		s := newStore(t, db)
		stats := func() providerdb.OpsStats {
			t.Helper()
			st, err := s.OpsStats(ctx, providerdb.OpsQuery{Now: clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			// The index-friendly form with the provinces listed counts alike.
			st2, err := s.OpsStats(ctx, providerdb.OpsQuery{Now: clock.Now(), Provinces: []string{"110000", "330000", "x'; --"}})
			if err != nil || !reflect.DeepEqual(st, st2) {
				t.Fatalf("with provinces: %+v, %v; want %+v", st2, err, st)
			}
			return st
		}
		empty := stats()
		if empty.Stages[beian.StageDraft] != 0 || len(empty.Stages) != len(beian.Stages) || empty.Reviews[0].Finished != 0 ||
			len(empty.Bureau) != 0 || len(empty.Approvals) != 30 || len(empty.Outboxes) != 4 || len(empty.Timers) != 0 {
			t.Fatalf("empty database: %+v", empty)
		}
		move := func(o beian.Order, ev workflow.Event, by workflow.Actor, at time.Time) beian.Order {
			t.Helper()
			clock.Set(at)
			o, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: ev, By: by, Actor: "test", NewResponsiblePerson: true})
			if err != nil {
				t.Fatalf("%s at %v: %v", ev, at, err)
			}
			return o
		}
		day := func(d, h int) time.Time { return opsMon.AddDate(0, 0, d).Add(time.Duration(h-10) * time.Hour) }
		// A: initial review on time (Tue 09:00 < Tue 10:00), photo review
		// late (Thu 09:00 > Wed 09:00), bureau review Thu → next Thu: 5
		// business days.
		a, err := draft(t, s, customer(t, s, "a"), "110105194912310021", "")
		if err != nil {
			t.Fatal(err)
		}
		a = move(a, workflow.Submit, workflow.Customer, day(0, 10))
		a = move(a, workflow.ApproveInitial, workflow.ProviderReviewer, day(1, 9))
		a = move(a, workflow.SubmitVerification, workflow.Customer, day(1, 9))
		a = move(a, workflow.ApprovePhoto, workflow.ProviderReviewer, day(3, 9))
		a = move(a, workflow.SMSConfirmed, workflow.System, day(3, 9))
		move(a, workflow.BureauApprove, workflow.System, day(10, 9))
		// B waits since Fri 16:00: due Mon 16:00, overdue on Thursday;
		// C was withdrawn (no review finished); D waits since Thu 15:00.
		clock.Set(day(4, 16))
		b, _ := draft(t, s, customer(t, s, "b"), "11010519491231004X", "")
		move(b, workflow.Submit, workflow.Customer, day(4, 16))
		c, _ := draft(t, s, customer(t, s, "c"), "110101199003070134", "")
		c = move(c, workflow.Submit, workflow.Customer, day(4, 16))
		move(c, workflow.Withdraw, workflow.Customer, day(5, 10))
		d, _ := draft(t, s, customer(t, s, "d"), "110101199003074477", "")
		move(d, workflow.Submit, workflow.Customer, day(10, 15))
		clock.Set(day(10, 17))
		err = db.InTx(ctx, func(tx *sqlstore.Tx) error {
			ob, _ := outbox.New("provider")
			if _, err := ob.Enqueue(ctx, tx, outbox.Message{Channel: outbox.SMS, To: "13800138000", Template: "t"}); err != nil {
				return err
			}
			tm, _ := timer.New("registry")
			if err := tm.Schedule(ctx, tx, "sms_deadline", "x", day(10, 12), ""); err != nil {
				return err
			}
			return tm.Schedule(ctx, tx, "sms_deadline", "y", day(11, 12), "")
		})
		if err != nil {
			t.Fatal(err)
		}
		st := stats()
		if st.Stages[beian.StageApproved] != 1 || st.Stages[beian.StageInitialReview] != 2 || st.Stages[beian.StageDraft] != 1 {
			t.Errorf("stages %v", st.Stages)
		}
		want := []providerdb.ReviewSLA{{Stage: beian.StageInitialReview, Finished: 1, OnTime: 1, Waiting: 2, WaitingOverdue: 1},
			{Stage: beian.StagePhotoReview, Finished: 1, OnTime: 0}}
		if len(st.Reviews) != 2 || st.Reviews[0] != want[0] || st.Reviews[1] != want[1] {
			t.Errorf("reviews %+v, want %+v", st.Reviews, want)
		}
		if len(st.Bureau) != 1 || st.Bureau[0].Province != "330000" || st.Bureau[0].Count != 1 || st.Bureau[0].Days[5] != 1 {
			t.Errorf("bureau %+v", st.Bureau)
		}
		last := st.Approvals[len(st.Approvals)-1]
		if !last.Day.Equal(beian.DateOf(day(10, 0))) || last.N != 1 || st.Approvals[len(st.Approvals)-2].N != 0 {
			t.Errorf("approvals end %+v", st.Approvals[len(st.Approvals)-2:])
		}
		if st.Outboxes[0] != (providerdb.OutboxBacklog{Context: "provider", Channel: outbox.SMS, Pending: 1}) {
			t.Errorf("outboxes %+v", st.Outboxes)
		}
		if len(st.Timers) != 1 || st.Timers[0] != (providerdb.TimerBacklog{Context: "registry", Kind: "sms_deadline", Pending: 2, Overdue: 1}) {
			t.Errorf("timers %+v", st.Timers)
		}
		// Thirty days later the window has moved on: the approval and the
		// finished reviews are out of it; the waiting orders stay.
		clock.Set(day(40, 17))
		st = stats()
		if st.Reviews[0].Finished != 0 || st.Reviews[0].Waiting != 2 || st.Reviews[0].WaitingOverdue != 2 || st.Approvals[0].N != 0 {
			t.Errorf("a month later: %+v %+v", st.Reviews, st.Approvals[0])
		}
		if len(st.Bureau) != 1 { // the 90-day window still holds it
			t.Errorf("bureau a month later %+v", st.Bureau)
		}
	})
}
