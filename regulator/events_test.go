package regulator

import (
	"strconv"
	"testing"

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
					if err := lockEvents(e.ctx, tx, p); err != nil {
						return err
					}
					if _, err := emit(e.ctx, tx, p, "s"+strconv.Itoa(i), "O-"+p, beian.EventReturned, beian.ReturnedPayload{Reason: p}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
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
