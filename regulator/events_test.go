package regulator

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Connector contract: a provider reads only its own events, oldest first,
// in pages after a cursor; an empty page keeps the cursor.
func TestEvents(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		err := e.DB.InTx(e.ctx, func(tx *sqlstore.Tx) error {
			for i := range 5 {
				for _, p := range []string{provA, provB} {
					if err := emit(e.ctx, tx, p, "s"+strconv.Itoa(i), "O-"+p, beian.EventReturned, beian.ReturnedPayload{Reason: p}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{provA, provB} { // each head names its provider's last event
			var head, last int64
			if err := e.DB.SQL.QueryRowContext(e.ctx, `SELECT h.last_id, (SELECT MAX(id) FROM registry_events WHERE provider = $1)
				FROM registry_event_heads h WHERE h.provider = $1`, p).Scan(&head, &last); err != nil || head != last || head == 0 {
				t.Fatalf("%s: head %d, last event %d, %v", p, head, last, err)
			}
		}
		t.Run("PagesInOrder", func(t *testing.T) {
			var seen []beian.Event
			cursor := ""
			for range 4 {
				page, err := e.Events(e.ctx, provA, cursor, 2)
				if err != nil {
					t.Fatal(err)
				}
				seen = append(seen, page.Events...)
				if len(page.Events) == 0 && page.Next != cursor {
					t.Fatalf("empty page moved the cursor %q → %q", cursor, page.Next)
				}
				cursor = page.Next
			}
			if len(seen) != 5 {
				t.Fatalf("%d events", len(seen))
			}
			for i, ev := range seen {
				if ev.Order != "O-"+provA || string(ev.Payload) != `{"reason":"`+provA+`"}` || (i > 0 && ev.ID <= seen[i-1].ID) ||
					!ev.At.Equal(t0) || ev.SubmissionID != "s"+strconv.Itoa(i) {
					t.Fatalf("event %d: %+v", i, ev)
				}
			}
			if cursor != strconv.FormatInt(seen[4].ID, 10) {
				t.Fatalf("cursor %q", cursor)
			}
		})
		t.Run("OtherProviderIsolated", func(t *testing.T) {
			page, err := e.Events(e.ctx, provB, "", 0)
			if err != nil || len(page.Events) != 5 {
				t.Fatalf("%d events, %v", len(page.Events), err)
			}
			for _, ev := range page.Events {
				if ev.Order != "O-"+provB {
					t.Fatalf("provB read %+v", ev)
				}
			}
			if page, _ := e.Events(e.ctx, "丙云", "", 10); len(page.Events) != 0 || page.Next != "" {
				t.Fatalf("unknown provider read %+v", page)
			}
		})
		t.Run("ErrCursorInvalid", func(t *testing.T) {
			for _, c := range []string{"abc", "-1", "1.5"} {
				if _, err := e.Events(e.ctx, provA, c, 10); !beian.IsKind(err, beian.KindBadRequest) || codeOf(err) != "registry.cursor_invalid" {
					t.Fatalf("cursor %q: %v", c, err)
				}
			}
		})
	})
}

// Connector contract (delivered in ID order per provider): transactions
// that emit events of one provider at the same time, each holding its
// events a while before committing, never let a reader paging by cursor
// skip an event — a later id never becomes visible before an earlier one.
func TestEventsConcurrentNoSkip(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		const writers, perWriter = 6, 15
		var wg sync.WaitGroup
		errs := make(chan error, writers+1)
		done := make(chan struct{})
		seen := map[int64]int{}
		var order []int64
		read := func(cursor string) (string, error) {
			for {
				page, err := e.Events(e.ctx, provA, cursor, 7)
				if err != nil || len(page.Events) == 0 {
					return cursor, err
				}
				for _, ev := range page.Events {
					seen[ev.ID]++
					order = append(order, ev.ID)
				}
				cursor = page.Next
			}
		}
		var cursor string
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			for {
				var err error
				if cursor, err = read(cursor); err != nil {
					errs <- err
					return
				}
				select {
				case <-done:
					return
				default:
					time.Sleep(200 * time.Microsecond)
				}
			}
		}()
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					err := e.DB.InTx(e.ctx, func(tx *sqlstore.Tx) error {
						for k := range 1 + (w+i)%2 {
							sub := fmt.Sprintf("w%d-%d-%d", w, i, k)
							if err := emit(e.ctx, tx, provA, sub, "O-"+sub, beian.EventReturned, beian.ReturnedPayload{Reason: sub}); err != nil {
								return err
							}
							if err := emit(e.ctx, tx, provB, sub, "O-"+sub, beian.EventReturned, beian.ReturnedPayload{Reason: sub}); err != nil {
								return err
							}
						}
						time.Sleep(time.Duration((w*7+i*3)%4) * time.Millisecond) // hold the events before the commit
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(done)
		<-readerDone
		cursor, err := read(cursor) // what committed after the reader's last page
		if err != nil {
			t.Fatal(err)
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var all []int64
		rows, err := e.DB.SQL.QueryContext(e.ctx, `SELECT id FROM registry_events WHERE provider = $1 ORDER BY id`, provA)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			all = append(all, id)
		}
		rows.Close()
		if len(all) == 0 || len(order) != len(all) {
			t.Fatalf("the reader saw %d events of %d (skipped or doubled)", len(order), len(all))
		}
		for i, id := range all {
			if order[i] != id || seen[id] != 1 {
				t.Fatalf("event %d: the reader saw id %d (%d times), the table holds %d", i, order[i], seen[id], id)
			}
		}
		if cursor != strconv.FormatInt(all[len(all)-1], 10) {
			t.Fatalf("cursor %q after the last event %d", cursor, all[len(all)-1])
		}
	})
}
