package providerdb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
	"github.com/beian/beian/workflow"
)

// Hundreds of goroutines edit, submit and withdraw the same orders: exactly
// one write wins per version, the others get stale (or invalid_state when
// the stage moved under them); no update is lost and the audit chain does
// not fork.
func TestConcurrentWritersOneWinnerPerVersion(t *testing.T) {
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		const orders, workers, tries = 4, 200, 6
		var ids []int64
		for i := range orders {
			a := customer(t, s, fmt.Sprintf("c%d", i))
			o, err := draft(t, s, a, idNumber(i), "")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		type win struct {
			version int64
			data    string
		}
		var mu sync.Mutex
		wins := map[int64][]win{} // order → successful writes
		var stale, other int
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 7))
				for k := range tries {
					id := ids[r.IntN(orders)]
					cur, err := s.Order(ctx, id)
					if err != nil {
						t.Error(err)
						return
					}
					var out beian.Order
					data := fmt.Sprintf(`{"by":%d,"k":%d}`, w, k)
					switch {
					case cur.Stage == beian.StageDraft && r.IntN(3) > 0:
						out, err = s.UpdateOrder(ctx, id, cur.Version, json.RawMessage(data), "w")
					case cur.Stage == beian.StageDraft:
						out, err = s.Transition(ctx, providerdb.Move{OrderID: id, Version: cur.Version, Event: workflow.Submit, By: workflow.Customer, Actor: "w"})
						data = ""
					default:
						out, err = s.Transition(ctx, providerdb.Move{OrderID: id, Version: cur.Version, Event: workflow.Withdraw, By: workflow.Customer, Actor: "w"})
						data = ""
					}
					mu.Lock()
					switch {
					case err == nil:
						wins[id] = append(wins[id], win{out.Version, data})
					case beian.IsKind(err, beian.KindStale):
						stale++
					default:
						other++
						t.Errorf("unexpected error: %v", err)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		total := 0
		for _, id := range ids {
			final, err := s.Order(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int64]bool{}
			lastData := ""
			var lastDataVersion int64
			for _, w := range wins[id] {
				if seen[w.version] {
					t.Fatalf("order %d: two writers won version %d", id, w.version)
				}
				seen[w.version] = true
				if w.data != "" && w.version > lastDataVersion {
					lastData, lastDataVersion = w.data, w.version
				}
			}
			if final.Version != int64(1+len(wins[id])) {
				t.Fatalf("order %d: version %d after %d successful writes: an update was lost", id, final.Version, len(wins[id]))
			}
			if lastData != "" && string(final.Data) != lastData {
				t.Fatalf("order %d: data %s, last winner wrote %s", id, final.Data, lastData)
			}
			total += len(wins[id])
		}
		rep, err := s.Audit.Verify(ctx, db, "")
		if err != nil {
			t.Fatal(err)
		}
		// accounts + creates + every successful write, one record each.
		if want := int64(2*orders + total); rep.Records != want {
			t.Fatalf("audit has %d records, want %d", rep.Records, want)
		}
		t.Logf("%s: %d writes won, %d stale, %d other", db.Driver, total, stale, other)
		if total == 0 || stale == 0 {
			t.Fatalf("the test did not race: %d wins, %d stale", total, stale)
		}
	})
}

// idNumber returns a distinct certificate number per i.
func idNumber(i int) string { return fmt.Sprintf("11010519491231%03d", i) + "X" }
