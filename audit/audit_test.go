package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// stepClock returns a time one millisecond later at every call, with a
// sub-microsecond part that storage must drop.
func stepClock() beian.Clock {
	base := time.Date(2026, 3, 2, 9, 30, 0, 789, beian.CST)
	var n atomic.Int64
	return beian.ClockFunc(func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Millisecond) })
}

func mustChain(tb testing.TB, context string) *Chain {
	tb.Helper()
	c, err := New(context)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// appendOne appends e in a transaction of its own.
func appendOne(tb testing.TB, db *sqlstore.DB, c *Chain, e Entry) Record {
	tb.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *sqlstore.Tx) error { return c.Append(ctx, tx, e) })
	if err != nil {
		tb.Fatal(err)
	}
	return lastRecord(tb, db, c)
}

// lastRecord reads the record the chain's head names.
func lastRecord(tb testing.TB, db *sqlstore.DB, c *Chain) Record {
	tb.Helper()
	ctx := context.Background()
	seq, _, err := c.Head(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+recordColumns+` FROM `+c.records+` WHERE seq = $1`, seq)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		tb.Fatalf("no record %d", seq)
	}
	rec, err := scanRecord(rows)
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

// appendN appends n order records, each in a transaction of its own.
func appendN(tb testing.TB, db *sqlstore.DB, c *Chain, n int) []Record {
	tb.Helper()
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = appendOne(tb, db, c, Entry{
			Actor: "account:42", Action: "order.save", Entity: "order", EntityID: fmt.Sprint(i%2 + 1),
			Before: map[string]any{"stage": "draft", "n": i}, After: map[string]any{"stage": "draft", "n": i + 1},
		})
	}
	return recs
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, context string
		ok            bool
	}{
		{"OKProvider", "provider", true},
		{"OKRegistry", "registry", true},
		{"ErrEmpty", "", false},
		{"ErrCase", "Provider", false},
		{"ErrInjection", "provider_audit; DROP TABLE kv; --", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.context)
			if tc.ok != (err == nil) {
				t.Fatalf("New(%q) = %v, %v", tc.context, c, err)
			}
			if tc.ok && (c.records != tc.context+"_audit" || c.head != tc.context+"_audit_head" || c.Context() != tc.context) {
				t.Errorf("New(%q) = %+v", tc.context, c)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   any
		want string
	}{
		{"NilIsEmpty", nil, ""},
		{"StringAsGiven", `{"b":1,"a":2}`, `{"b":1,"a":2}`},
		{"RawAsGiven", json.RawMessage(`{"b":1}`), `{"b":1}`},
		{"MapKeysSorted", map[string]any{"b": 1, "a": "<x&y>", "c": "京"}, `{"a":"<x&y>","b":1,"c":"京"}`},
		{"Struct", struct {
			Stage string `json:"stage"`
		}{"submitted"}, `{"stage":"submitted"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encode(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("encode(%v) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
	t.Run("ErrUnencodable", func(t *testing.T) {
		if _, err := encode(map[string]any{"f": func() {}}); err == nil {
			t.Error("encode(func) succeeded")
		}
	})
}

func TestHash(t *testing.T) {
	t.Parallel()
	r := Record{
		Seq: 1, At: sqlstore.FromMicro(1772415000000000), Actor: "account:42", Action: "order.submit",
		Entity: "order", EntityID: "7", Before: `{"stage":"draft"}`, After: `{"stage":"initial_review"}`,
		PrevHash: Genesis,
	}
	t.Run("Golden", func(t *testing.T) {
		// Pins the encoding of the package comment: a change here breaks
		// every chain already written.
		const want = "739e4619b576172e99e18c44c4ae5f69493e16f01e57502a158ecdae61a6fcef"
		if got := computeHash(r); got != want {
			t.Errorf("hash = %s, want %s", got, want)
		}
	})
	t.Run("FieldBoundariesMatter", func(t *testing.T) {
		a, b := r, r
		a.Actor, a.Action = "account:4", "2order.submit"
		if computeHash(a) == computeHash(r) {
			t.Error("moving bytes between fields kept the hash")
		}
		b.Before, b.After = r.Before+r.After, ""
		if computeHash(b) == computeHash(r) {
			t.Error("moving bytes between before and after kept the hash")
		}
	})
	t.Run("EveryFieldCounts", func(t *testing.T) {
		for i, change := range []func(*Record){
			func(r *Record) { r.Seq++ },
			func(r *Record) { r.At = r.At.Add(time.Microsecond) },
			func(r *Record) { r.Actor += "x" },
			func(r *Record) { r.Action += "x" },
			func(r *Record) { r.Entity += "x" },
			func(r *Record) { r.EntityID += "x" },
			func(r *Record) { r.Before += " " },
			func(r *Record) { r.After += " " },
			func(r *Record) { r.PrevHash = strings.Repeat("1", 64) },
		} {
			c := r
			change(&c)
			if computeHash(c) == computeHash(r) {
				t.Errorf("change %d kept the hash", i)
			}
		}
	})
}

func TestAppendVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, stepClock(), func(t *testing.T, db *sqlstore.DB) {
		c := mustChain(t, "provider")
		t.Run("EmptyChainOK", func(t *testing.T) {
			rep, err := c.Verify(ctx, db, "")
			if err != nil || rep != (Report{Head: Genesis}) {
				t.Fatalf("Verify = %+v, %v", rep, err)
			}
		})
		recs := appendN(t, db, c, 5)
		t.Run("OK", func(t *testing.T) {
			for i, r := range recs {
				if r.Seq != int64(i+1) || r.Hash != computeHash(r) || r.At.Nanosecond()%1000 != 0 {
					t.Errorf("record %d = %+v", i, r)
				}
				if i > 0 && r.PrevHash != recs[i-1].Hash {
					t.Errorf("record %d does not link", r.Seq)
				}
			}
			if recs[0].PrevHash != Genesis {
				t.Errorf("first prev_hash = %s", recs[0].PrevHash)
			}
			rep, err := c.Verify(ctx, db, "")
			want := Report{Records: 5, Head: recs[4].Hash, HeadSeq: 5}
			if err != nil || rep != want {
				t.Fatalf("Verify = %+v, %v; want %+v", rep, err, want)
			}
			seq, hash, err := c.Head(ctx, db)
			if err != nil || seq != 5 || hash != recs[4].Hash {
				t.Errorf("Head = %d, %s, %v", seq, hash, err)
			}
		})
		t.Run("KeptHeadOK", func(t *testing.T) {
			for _, kept := range []struct {
				hash string
				seq  int64
			}{{Genesis, 0}, {recs[2].Hash, 3}, {recs[4].Hash, 5}} {
				rep, err := c.Verify(ctx, db, kept.hash)
				if err != nil || rep.KeptSeq != kept.seq {
					t.Errorf("Verify(kept %s) = %+v, %v", short(kept.hash), rep, err)
				}
			}
		})
		t.Run("RolledBackLeavesNoRecord", func(t *testing.T) {
			errCause := errors.New("the state change failed")
			err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
				if err := c.Append(ctx, tx, Entry{Actor: "system", Action: "order.submit", Entity: "order", EntityID: "9"}); err != nil {
					return err
				}
				return errCause
			})
			if !errors.Is(err, errCause) {
				t.Fatalf("InTx = %v", err)
			}
			seq, hash, err := c.Head(ctx, db)
			if err != nil || seq != 5 || hash != recs[4].Hash {
				t.Errorf("Head = %d, %s, %v", seq, hash, err)
			}
			if got, err := c.Records(ctx, db, "order", "9"); err != nil || len(got) != 0 {
				t.Errorf("Records = %v, %v", got, err)
			}
			if rep, err := c.Verify(ctx, db, ""); err != nil || rep.Records != 5 {
				t.Errorf("Verify = %+v, %v", rep, err)
			}
		})
		t.Run("ErrMissingActor", func(t *testing.T) {
			err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
				err := c.Append(ctx, tx, Entry{Action: "order.submit"})
				return err
			})
			if err == nil {
				t.Error("Append without actor succeeded")
			}
		})
	})
}

func TestRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, stepClock(), func(t *testing.T, db *sqlstore.DB) {
		c := mustChain(t, "provider")
		recs := appendN(t, db, c, 6) // orders 1 and 2 alternate
		appendOne(t, db, c, Entry{Actor: "account:7", Action: "document.view", Entity: "document", EntityID: "1"})
		t.Run("OK", func(t *testing.T) {
			got, err := c.Records(ctx, db, "order", "2")
			if err != nil {
				t.Fatal(err)
			}
			want := []Record{recs[1], recs[3], recs[5]}
			if len(got) != len(want) {
				t.Fatalf("Records = %d records, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] || !got[i].At.Equal(want[i].At) {
					t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
				}
			}
			if got[0].Before != `{"n":1,"stage":"draft"}` || got[0].After != `{"n":2,"stage":"draft"}` {
				t.Errorf("before/after = %s, %s", got[0].Before, got[0].After)
			}
		})
		t.Run("DocumentViews", func(t *testing.T) {
			got, err := c.Records(ctx, db, "document", "1")
			if err != nil || len(got) != 1 || got[0].Actor != "account:7" || got[0].Seq != 7 {
				t.Errorf("Records = %+v, %v", got, err)
			}
		})
		t.Run("NoneIsEmpty", func(t *testing.T) {
			got, err := c.Records(ctx, db, "order", "404")
			if err != nil || got == nil || len(got) != 0 {
				t.Errorf("Records = %#v, %v", got, err)
			}
		})
	})
}

func TestContextsIndependent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, stepClock(), func(t *testing.T, db *sqlstore.DB) {
		p, r := mustChain(t, "provider"), mustChain(t, "registry")
		pr := appendN(t, db, p, 3)
		rr := appendN(t, db, r, 2)
		if rr[0].Seq != 1 || rr[0].PrevHash != Genesis {
			t.Errorf("registry's first record = %+v", rr[0])
		}
		if rep, err := p.Verify(ctx, db, ""); err != nil || rep.HeadSeq != 3 || rep.Head != pr[2].Hash {
			t.Errorf("provider Verify = %+v, %v", rep, err)
		}
		if rep, err := r.Verify(ctx, db, ""); err != nil || rep.HeadSeq != 2 || rep.Head != rr[1].Hash {
			t.Errorf("registry Verify = %+v, %v", rep, err)
		}
		if _, err := db.SQL.Exec(`UPDATE provider_audit SET actor = 'x' WHERE seq = 1`); err != nil {
			t.Fatal(err)
		}
		var be *BrokenError
		if _, err := p.Verify(ctx, db, ""); !errors.As(err, &be) || be.Context != "provider" {
			t.Errorf("provider Verify after tampering = %v", err)
		}
		if _, err := r.Verify(ctx, db, ""); err != nil {
			t.Errorf("registry Verify after the provider's tampering = %v", err)
		}
		if got, err := r.Records(ctx, db, "order", "1"); err != nil || len(got) != 1 {
			t.Errorf("registry Records = %d, %v", len(got), err)
		}
	})
}

// The records of one transaction are written at its end, in Append order,
// with consecutive seqs; a transaction that has appended but not yet
// committed does not hold the head, so another commits meanwhile (the
// head is taken just before the commit), and both chain up.
func TestAppendAtCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, stepClock(), func(t *testing.T, db *sqlstore.DB) {
		c := mustChain(t, "provider")
		// SQLite runs one writing transaction at a time (BEGIN takes the
		// lock): there the other transaction commits before, not beside.
		concurrent := db.Driver == sqlstore.Postgres
		var other Record
		if !concurrent {
			other = appendOne(t, db, c, Entry{Actor: "system", Action: "order.submit", Entity: "order", EntityID: "4"})
		}
		appended, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- db.InTx(ctx, func(tx *sqlstore.Tx) error {
				for _, id := range []string{"1", "2", "3"} {
					if err := c.Append(ctx, tx, Entry{Actor: "system", Action: "order.save", Entity: "order", EntityID: id}); err != nil {
						return err
					}
				}
				close(appended)
				<-release
				return nil
			})
		}()
		if concurrent {
			<-appended
			other = appendOne(t, db, c, Entry{Actor: "system", Action: "order.submit", Entity: "order", EntityID: "4"})
		}
		if other.Seq != 1 {
			t.Errorf("the other transaction's record has seq %d, want 1 (committed first)", other.Seq)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"1", "2", "3"} {
			recs, err := c.Records(ctx, db, "order", id)
			if err != nil || len(recs) != 1 || recs[0].Seq != int64(i+2) {
				t.Fatalf("order %s: %+v, %v; want one record of seq %d", id, recs, err, i+2)
			}
		}
		if rep, err := c.Verify(ctx, db, ""); err != nil || rep.Records != 4 {
			t.Fatalf("Verify = %+v, %v", rep, err)
		}
	})
}

// TestAppendManyInOneTx: a transaction's records go in as multi-row
// INSERTs of at most insertChunk records; more than two chunks' worth must
// link in order, each to the one before, and move the head once.
func TestAppendManyInOneTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, stepClock(), func(t *testing.T, db *sqlstore.DB) {
		c := mustChain(t, "provider")
		first := appendOne(t, db, c, Entry{Actor: "system", Action: "order.create", Entity: "order", EntityID: "0"})
		n := 2*insertChunk + 3
		err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
			for i := range n {
				if err := c.Append(ctx, tx, Entry{Actor: "system", Action: "order.save", Entity: "order", EntityID: fmt.Sprint(i + 1),
					After: map[string]int{"i": i}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		last := lastRecord(t, db, c)
		if last.Seq != first.Seq+int64(n) || last.EntityID != fmt.Sprint(n) {
			t.Fatalf("head names seq %d (entity %s), want %d (%d)", last.Seq, last.EntityID, first.Seq+int64(n), n)
		}
		for _, i := range []int{1, insertChunk, insertChunk + 1, 2 * insertChunk, n} {
			recs, err := c.Records(ctx, db, "order", fmt.Sprint(i))
			if err != nil || len(recs) != 1 || recs[0].Seq != first.Seq+int64(i) || recs[0].After != fmt.Sprintf(`{"i":%d}`, i-1) {
				t.Fatalf("order %d: %+v, %v; want one record of seq %d", i, recs, err, first.Seq+int64(i))
			}
		}
		if rep, err := c.Verify(ctx, db, ""); err != nil || rep.Records != int64(n+1) {
			t.Fatalf("Verify = %+v, %v", rep, err)
		}
	})
}
