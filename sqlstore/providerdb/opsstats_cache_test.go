package providerdb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

// The history figures a store keeps and brings up to date from the rows
// the stage history gains (opsstats_cache.go) equal, after every move, the
// figures another store computes in full from the same database (Rules
// REV-1, REV-2, REV-4, CAL-1): orders per stage, reviews finished on time,
// bureau review lengths per province, approvals per day.
func TestOpsStatsKeptUpToDate(t *testing.T) {
	clock := beian.NewManualClock(opsMon)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(opsMon)
		ctx := context.Background()
		// One kept store per query: a store keeps the figures of one query.
		kept, keptIn := newStore(t, db), newStore(t, db)
		provinces := []string{"110000", "330000", "440000"}
		check := func(step string) {
			t.Helper()
			for i, ps := range [][]string{nil, provinces} {
				q := providerdb.OpsQuery{Now: clock.Now(), Provinces: ps}
				got, err := []*providerdb.Store{kept, keptIn}[i].OpsStats(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				want, err := newStore(t, db).OpsStats(ctx, q) // a store of its own: computed in full
				if err != nil {
					t.Fatal(err)
				}
				got.HistoryAt, want.HistoryAt = time.Time{}, time.Time{}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s (provinces %v):\nkept      %+v\ncomputed  %+v", step, ps, got, want)
				}
			}
		}
		path := []struct {
			ev workflow.Event
			by workflow.Actor
		}{{workflow.Submit, workflow.Customer}, {workflow.ApproveInitial, workflow.ProviderReviewer},
			{workflow.SubmitVerification, workflow.Customer}, {workflow.ApprovePhoto, workflow.ProviderReviewer},
			{workflow.SMSConfirmed, workflow.System}, {workflow.BureauApprove, workflow.System}}
		rng := rand.New(rand.NewPCG(1, 2))
		type live struct {
			o    beian.Order
			next int
		}
		var orders []live
		at := opsMon.AddDate(0, 0, -20)
		step := func(l *live, reject bool) {
			t.Helper()
			ev, by := path[l.next].ev, path[l.next].by
			if ev == workflow.BureauApprove && reject {
				ev = workflow.BureauReject
			}
			clock.Set(at)
			o, err := kept.Transition(ctx, providerdb.Move{OrderID: l.o.ID, Version: l.o.Version, Event: ev, By: by, Actor: "test", NewResponsiblePerson: true})
			if err != nil {
				t.Fatalf("%s: %v", ev, err)
			}
			l.o, l.next = o, l.next+1
			if ev == workflow.BureauReject {
				l.next = len(path)
			}
		}
		create := func(i int) {
			t.Helper()
			clock.Set(at)
			o, err := draft(t, kept, customer(t, kept, fmt.Sprintf("k%d", i)), fmt.Sprintf("1101051949123%05d", i), "")
			if err != nil {
				t.Fatal(err)
			}
			orders = append(orders, live{o: o})
		}
		// Three weeks of work, hours between moves: orders on every stage
		// of the path, some in bureau review for days.
		for i := range 24 {
			create(i)
			for range 3 {
				if l := &orders[rng.IntN(len(orders))]; l.next < len(path) {
					at = at.Add(time.Duration(1+rng.IntN(30)) * time.Hour)
					step(l, false)
				}
			}
		}
		// Then within minutes (the kept figures live for minutes by the
		// clock): every order one step on, and new ones, each move checked.
		clock.Set(at)
		check("before")
		for i := range orders {
			if orders[i].next < len(path) {
				at = at.Add(20 * time.Second)
				step(&orders[i], i%4 == 1)
				check(fmt.Sprintf("order %d moved", i))
			}
		}
		at = at.Add(20 * time.Second)
		create(100)
		check("created")
	})
}
