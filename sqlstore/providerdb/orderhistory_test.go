package providerdb_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

// Rules REV-2, CAL-1: every move is written to the stage history in its
// own transaction, with the subject's province; the finished bureau
// reviews are what predictions read; an illegal move writes nothing.
func TestStageHistory(t *testing.T) {
	clock := beian.NewManualClock(t0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		ctx := context.Background()
		s := newStore(t, db)
		o, err := draft(t, s, customer(t, s, "hist"), "110105194912310021", "")
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			ev workflow.Event
			by workflow.Actor
		}{{workflow.Submit, workflow.Customer}, {workflow.ApproveInitial, workflow.ProviderReviewer}, {workflow.SubmitVerification, workflow.Customer},
			{workflow.ApprovePhoto, workflow.ProviderReviewer}, {workflow.SMSConfirmed, workflow.System}, {workflow.BureauApprove, workflow.System}}
		for _, st := range steps {
			clock.Advance(3600e9)
			if o, err = s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: st.ev, By: st.by, Actor: "test", NewResponsiblePerson: true}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Transition(ctx, providerdb.Move{OrderID: o.ID, Version: o.Version, Event: workflow.Withdraw, By: workflow.Customer}); err == nil {
			t.Fatal("withdraw of an approved order")
		}
		hist, err := s.StageHistory(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 7 || hist[0].From != "" || hist[0].To != beian.StageDraft || hist[6].To != beian.StageApproved || hist[6].Province != "330000" {
			t.Fatalf("history %+v", hist)
		}
		if got := hist[6].At.Sub(hist[6].EnteredAt); got != 3600e9 {
			t.Errorf("bureau review took %v", got)
		}
		fin, err := s.FinishedBureauReviews(ctx, "330000", 10)
		if err != nil || len(fin) != 1 || fin[0].OrderID != o.ID {
			t.Fatalf("finished %+v %v", fin, err)
		}
		if fin, _ := s.FinishedBureauReviews(ctx, "110000", 10); len(fin) != 0 {
			t.Fatalf("another province %+v", fin)
		}
	})
}

func TestDataHashCanonical(t *testing.T) {
	a := providerdb.DataHash(json.RawMessage(`{"b":1,"a":{"y":"x","z":[1,2]}}`))
	b := providerdb.DataHash(json.RawMessage(`{ "a": {"z":[1,2], "y":"x"}, "b": 1 }`))
	c := providerdb.DataHash(json.RawMessage(`{"a":{"y":"x","z":[2,1]},"b":1}`))
	if a != b || a == c {
		t.Fatalf("hashes %s %s %s", a, b, c)
	}
}
