package providerdb_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
)

func save(t *testing.T, s *providerdb.Store, w beian.Website) (beian.Website, error) {
	t.Helper()
	var out beian.Website
	err := s.DB.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		var err error
		out, err = s.SaveWebsite(context.Background(), tx, w, "test")
		return err
	})
	return out, err
}

func servable(t *testing.T, s *providerdb.Store) map[string]providerdb.ServableDomain {
	t.Helper()
	rows, _, err := s.ServableSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]providerdb.ServableDomain{}
	for _, r := range rows {
		m[r.Domain] = r
	}
	return m
}

// Rules GATE-1, GATE-2, WEB-4, CAN-5: the servable-domain table and its change
// log follow every change of a website's state, in the same transaction.
func TestServableDomains(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a := customer(t, s, "alice")
		o, err := draft(t, s, a, "110105194912310021", "")
		if err != nil {
			t.Fatal(err)
		}
		w, err := save(t, s, beian.Website{SubjectID: o.SubjectID, Name: "博客", Domains: []string{"example.com", "xn--fsqu00a.xn--fiqs8s"}, Access: beian.GatePending})
		if err != nil {
			t.Fatal(err)
		}
		if m := servable(t, s); m["example.com"].Reason != beian.GatePending || len(m) != 2 {
			t.Fatalf("pending: %+v", m)
		}
		w.Number, w.Access = "浙ICP备2026000001号-1", beian.GateServed
		if w, err = save(t, s, w); err != nil {
			t.Fatal(err)
		}
		m := servable(t, s)
		if m["example.com"].Reason != beian.GateServed || m["example.com"].WebsiteNumber != "浙ICP备2026000001号-1" {
			t.Fatalf("served: %+v", m)
		}
		// WEB-4: another active website here cannot take the domain.
		if _, err := save(t, s, beian.Website{SubjectID: o.SubjectID, Name: "二", Domains: []string{"example.com"}, Access: beian.GatePending}); !beian.IsKind(err, beian.KindConflict) {
			t.Fatalf("domain taken twice: %v", err)
		}
		// Nothing of the failed save is left behind.
		if m := servable(t, s); m["example.com"].Reason != beian.GateServed {
			t.Fatalf("failed save changed the gate: %+v", m)
		}
		// Drop one domain: it becomes unfiled (row gone, change logged).
		w.Domains = []string{"example.com"}
		if w, err = save(t, s, w); err != nil {
			t.Fatal(err)
		}
		if _, ok := servable(t, s)["xn--fsqu00a.xn--fiqs8s"]; ok {
			t.Fatal("removed domain still known")
		}
		// CAN-5: cancel access releases the domain; a new website may take it.
		w.Access = beian.GateAccessCancelled
		if _, err = save(t, s, w); err != nil {
			t.Fatal(err)
		}
		if r := servable(t, s)["example.com"]; r.Reason != beian.GateAccessCancelled {
			t.Fatalf("access cancelled: %+v", r)
		}
		w2, err := save(t, s, beian.Website{SubjectID: o.SubjectID, Name: "新", Domains: []string{"example.com"}, Access: beian.GatePending})
		if err != nil {
			t.Fatalf("released domain not reusable: %v", err)
		}
		// The old website changing again must not overwrite the new holder.
		w.Access = beian.GateCancelled
		if _, err = save(t, s, w); err != nil {
			t.Fatal(err)
		}
		if r := servable(t, s)["example.com"]; r.Reason != beian.GatePending {
			t.Fatalf("old website overwrote the new holder: %+v (new website %d)", r, w2.ID)
		}
		// The change log replays to the snapshot.
		changes, err := s.ServableChanges(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		replay := map[string]beian.GateReason{}
		var last int64
		for _, c := range changes {
			if c.Seq <= last {
				t.Fatalf("change log not monotonic: %d after %d", c.Seq, last)
			}
			last = c.Seq
			if c.Reason == "unfiled" {
				delete(replay, c.Domain)
			} else {
				replay[c.Domain] = c.Reason
			}
		}
		snap, upTo, err := s.ServableSnapshot(ctx)
		if err != nil || upTo != last {
			t.Fatalf("snapshot up to %d, log ends at %d: %v", upTo, last, err)
		}
		if len(snap) != len(replay) {
			t.Fatalf("replay %v != snapshot %v", replay, snap)
		}
		for _, r := range snap {
			if replay[r.Domain] != r.Reason {
				t.Fatalf("replay %v != snapshot %v", replay, snap)
			}
		}
	})
}

// A subject's websites read together (two statements whatever their number)
// are the websites read one by one: every field, the domains sorted, none
// for a website without; another subject's are not among them.
func TestSubjectWebsites(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a, b := customer(t, s, "alice"), customer(t, s, "bob")
		oa, err := draft(t, s, a, "110105194912310021", "")
		if err != nil {
			t.Fatal(err)
		}
		ob, err := draft(t, s, b, "110105194912310048", "")
		if err != nil {
			t.Fatal(err)
		}
		if ws, err := s.SubjectWebsitesNow(ctx, oa.SubjectID); err != nil || len(ws) != 0 || ws == nil {
			t.Fatalf("no websites yet: %#v, %v", ws, err)
		}
		var want []beian.Website
		for i, ds := range [][]string{{"z.example.com", "a.example.com"}, nil, {"example.net"}, {"c.example.org", "b.example.org", "a.example.org"}} {
			w, err := save(t, s, beian.Website{SubjectID: oa.SubjectID, Name: fmt.Sprint("站", i), Domains: ds, Access: beian.GatePending})
			if err != nil {
				t.Fatal(err)
			}
			if want = append(want, w); i == 1 {
				if _, err := save(t, s, beian.Website{SubjectID: ob.SubjectID, Name: "别人的", Domains: []string{"other.example.com"}, Access: beian.GatePending}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i := range want {
			if want[i], err = s.Website(ctx, want[i].ID); err != nil {
				t.Fatal(err)
			}
		}
		var inTx []beian.Website
		if err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
			inTx, err = s.SubjectWebsites(ctx, tx, oa.SubjectID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		now, err := s.SubjectWebsitesNow(ctx, oa.SubjectID)
		if err != nil {
			t.Fatal(err)
		}
		for name, got := range map[string][]beian.Website{"in a transaction": inTx, "now": now} {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
			}
		}
		if want[1].Domains != nil || !slices.Equal(want[3].Domains, []string{"a.example.org", "b.example.org", "c.example.org"}) {
			t.Errorf("domains as read one by one: %+v", want)
		}
	})
}
