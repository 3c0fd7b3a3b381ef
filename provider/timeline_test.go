package provider

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/workflow"
)

// Rules REV-2, CAL-1: the timeline's predicted dates, and the bureau
// prediction moving from the province's figure to the observed median once
// 20 bureau reviews of the province have finished.
func TestTimelinePrediction(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		day := func(from time.Time, n int) string {
			d, _ := e.svc.Calendar.AddBusinessDays(from, n)
			return d.Format(time.DateOnly)
		}
		c := e.customer(t)
		o, _ := c.gCreate(t, 201, beian.FirstFiling, gPersonForm(t, gCert(t), "wangwu-time.cn"))
		var tl TimelineJSON
		c.call(t, 200, "GET", gPath(o.ID, "/timeline"), nil, &tl)
		// A draft, predicted as if submitted today (Monday 2 March 2026).
		want := []struct {
			stage beian.Stage
			date  string
		}{{beian.StageInitialReview, day(t0, 1)}, {beian.StageVerification, day(t0, 4)}, {beian.StagePhotoReview, day(t0, 5)},
			{beian.StageSMSConfirmation, day(t0, 6)}, {beian.StageBureauReview, day(t0, 26)}, {beian.StageApproved, day(t0, 26)}}
		if len(tl.Ahead) != len(want) || tl.Bureau.Basis != BasisRule || tl.Bureau.BusinessDays != 20 {
			t.Fatalf("draft timeline %+v", tl)
		}
		for i, w := range want {
			if tl.Ahead[i].Stage != w.stage || tl.Ahead[i].Expected != w.date {
				t.Errorf("step %d: %+v, want %s on %s", i, tl.Ahead[i], w.stage, w.date)
			}
		}

		// The order reaches the bureau two hours later; the done stages come from the history.
		e.advance(t, 2*time.Hour)
		for _, ev := range []struct {
			ev workflow.Event
			by workflow.Actor
		}{{workflow.Submit, workflow.Customer}, {workflow.ApproveInitial, workflow.ProviderReviewer}, {workflow.SubmitVerification, workflow.Customer},
			{workflow.ApprovePhoto, workflow.ProviderReviewer}, {workflow.SMSConfirmed, workflow.System}} {
			e.gMove(t, o.ID, ev.ev, ev.by)
		}
		atBureau := e.clock.Now()
		c.call(t, 200, "GET", gPath(o.ID, "/timeline"), nil, &tl)
		if len(tl.Done) != 6 || tl.Done[0].Stage != beian.StageDraft || tl.Done[5].Stage != beian.StageBureauReview || tl.Done[5].LeftAt != nil {
			t.Fatalf("done %+v", tl.Done)
		}
		approved := func() string {
			t.Helper()
			var tl TimelineJSON
			c.call(t, 200, "GET", gPath(o.ID, "/timeline"), nil, &tl)
			last := tl.Ahead[len(tl.Ahead)-1]
			if last.Stage != beian.StageApproved {
				t.Fatalf("ahead %+v", tl.Ahead)
			}
			return last.Expected + "/" + tl.Bureau.Basis
		}
		if got := approved(); got != day(atBureau, 20)+"/"+BasisRule {
			t.Fatalf("before observations: %s", got)
		}

		// Finished bureau reviews of Beijing, 10 business days each.
		observe := func(n int) {
			for i := range n {
				acct, err := e.svc.Store.CreateAccount(e.ctx, beian.Account{Login: fmt.Sprintf("obs%d-%d", gSeq.Add(1), i), Role: beian.RoleCustomer}, "x", "test")
				if err != nil {
					t.Fatal(err)
				}
				js, _ := json.Marshal(gPersonForm(t, gCert(t), "obs.cn"))
				ob, err := e.svc.Store.CreateOrder(e.ctx, providerdb.NewOrder{AccountID: acct.ID, Type: beian.FirstFiling, Nature: "individual",
					Name: "王五", Province: "110000", CertType: "resident_id", CertNumber: gCert(t), Data: js, Actor: "test"})
				if err != nil {
					t.Fatal(err)
				}
				entered := t0.AddDate(0, -2, 0)
				left, _ := e.svc.Calendar.AddBusinessDays(entered, 10)
				_, err = e.db.SQL.Exec(`INSERT INTO order_stages (order_id, from_stage, to_stage, event, province, entered_at, at)
					VALUES ($1, 'bureau_review', 'approved', 'bureau_approve', '110000', $2, $3)`, ob.ID, sqlstore.Micro(entered), sqlstore.Micro(left))
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		observe(19)
		if got := approved(); got != day(atBureau, 20)+"/"+BasisRule {
			t.Fatalf("19 observations: %s", got)
		}
		observe(1)
		if got := approved(); got != day(atBureau, 10)+"/"+BasisObserved {
			t.Fatalf("20 observations: %s", got)
		}
		// Another province keeps its own figure: Zhejiang 30 (REV-2).
		p, err := e.svc.PredictBureau(e.ctx, "330000", e.clock.Now())
		if err != nil || p.BusinessDays != 30 || p.Basis != BasisRule || p.Observations != 0 {
			t.Fatalf("Zhejiang %+v %v", p, err)
		}
	})
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want int
	}{{[]int{3}, 3}, {[]int{9, 1, 5}, 5}, {[]int{10, 11}, 11}, {[]int{10, 12, 1, 30}, 11}, {nil, 0}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}
