package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// exec runs raw SQL, as someone with database access would.
func exec(tb testing.TB, db *sqlstore.DB, q string, args ...any) {
	tb.Helper()
	if _, err := db.SQL.Exec(q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

// rewriteFrom changes record seq's actor and recomputes the hashes of it and
// every later record, and the head: a tampering the chain alone cannot show.
func rewriteFrom(tb testing.TB, db *sqlstore.DB, c *Chain, seq int64) {
	tb.Helper()
	recs, err := c.Records(context.Background(), db, "order", "1")
	if err != nil {
		tb.Fatal(err)
	}
	more, err := c.Records(context.Background(), db, "order", "2")
	if err != nil {
		tb.Fatal(err)
	}
	all := make([]Record, len(recs)+len(more))
	for _, r := range append(recs, more...) {
		all[r.Seq-1] = r
	}
	prev := all[seq-1].PrevHash
	for _, r := range all[seq-1:] {
		if r.Seq == seq {
			r.Actor = "account:666"
		}
		r.PrevHash = prev
		r.Hash = computeHash(r)
		exec(tb, db, `UPDATE `+c.records+` SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, r.Actor, r.PrevHash, r.Hash, r.Seq)
		prev = r.Hash
	}
	exec(tb, db, `UPDATE `+c.head+` SET hash = $1`, prev)
}

func TestVerifyTampering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name    string
		tamper  func(t *testing.T, db *sqlstore.DB, c *Chain, recs []Record)
		kept    int // index+1 of the record whose hash is the kept head; 0: none
		wantSeq int64
		want    string
	}{
		{"ErrContentChanged", func(t *testing.T, db *sqlstore.DB, c *Chain, _ []Record) {
			exec(t, db, `UPDATE provider_audit SET after_json = '{"n":99}' WHERE seq = 3`)
		}, 0, 3, "record 3: hash mismatch (contents changed)"},
		{"ErrTimeChanged", func(t *testing.T, db *sqlstore.DB, c *Chain, _ []Record) {
			exec(t, db, `UPDATE provider_audit SET at = at - 1 WHERE seq = 2`)
		}, 0, 2, "record 2: hash mismatch"},
		{"ErrLastDeleted", func(t *testing.T, db *sqlstore.DB, c *Chain, _ []Record) {
			exec(t, db, `DELETE FROM provider_audit WHERE seq = 5`)
		}, 0, 5, "record 5: missing"},
		{"ErrMiddleDeleted", func(t *testing.T, db *sqlstore.DB, c *Chain, _ []Record) {
			exec(t, db, `DELETE FROM provider_audit WHERE seq = 3`)
		}, 0, 3, "record 3: missing"},
		{"ErrFirstDeleted", func(t *testing.T, db *sqlstore.DB, c *Chain, _ []Record) {
			exec(t, db, `DELETE FROM provider_audit WHERE seq = 1`)
		}, 0, 1, "record 1: missing"},
		{"ErrHashesSwapped", func(t *testing.T, db *sqlstore.DB, c *Chain, recs []Record) {
			exec(t, db, `UPDATE provider_audit SET hash = 'swap' WHERE seq = 2`)
			exec(t, db, `UPDATE provider_audit SET hash = $1 WHERE seq = 3`, recs[1].Hash)
			exec(t, db, `UPDATE provider_audit SET hash = $1 WHERE seq = 2`, recs[2].Hash)
		}, 0, 2, "record 2: hash mismatch"},
		{"ErrOneRecordRehashed", func(t *testing.T, db *sqlstore.DB, c *Chain, recs []Record) {
			r := recs[2]
			r.Actor = "account:666"
			exec(t, db, `UPDATE provider_audit SET actor = $1, hash = $2 WHERE seq = 3`, r.Actor, computeHash(r))
		}, 0, 4, "record 4: prev_hash does not link to record 3"},
		{"ErrHeadChanged", func(t *testing.T, db *sqlstore.DB, c *Chain, _ []Record) {
			exec(t, db, `UPDATE provider_audit_head SET hash = $1`, strings.Repeat("f", 64))
		}, 0, 5, "record 5: the head's hash"},
		{"ErrWrittenBeyondHead", func(t *testing.T, db *sqlstore.DB, c *Chain, recs []Record) {
			r := Record{Seq: 6, At: recs[4].At, Actor: "system", Action: "x", PrevHash: recs[4].Hash}
			r.Hash = computeHash(r)
			exec(t, db, `INSERT INTO provider_audit (seq, at, actor, action, entity, entity_id, prev_hash, hash)
				VALUES (6, $1, 'system', 'x', '', '', $2, $3)`, sqlstore.Micro(r.At), r.PrevHash, r.Hash)
		}, 0, 6, "record 6: beyond the head"},
		{"ErrKeptHeadRewritten", func(t *testing.T, db *sqlstore.DB, c *Chain, _ []Record) {
			rewriteFrom(t, db, c, 3)
			if _, err := c.Verify(context.Background(), db, ""); err != nil {
				t.Fatalf("a full rewrite should pass without a kept head: %v", err)
			}
		}, 4, 0, "not found: records were rewritten or removed"},
		{"ErrKeptHeadTruncated", func(t *testing.T, db *sqlstore.DB, c *Chain, _ []Record) {
			exec(t, db, `DELETE FROM provider_audit`)
			exec(t, db, `UPDATE provider_audit_head SET seq = 0, hash = $1`, Genesis)
		}, 5, 0, "not found: records were rewritten or removed"},
		{"KeptHeadBeforeRewriteOK", func(t *testing.T, db *sqlstore.DB, c *Chain, _ []Record) {
			rewriteFrom(t, db, c, 3)
		}, 2, -1, ""},
	}
	sqltest.Each(t, stepClock(), func(t *testing.T, db *sqlstore.DB) {
		c := mustChain(t, "provider")
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// A fresh chain for each case in the same database.
				exec(t, db, `DELETE FROM provider_audit`)
				exec(t, db, `UPDATE provider_audit_head SET seq = 0, hash = $1`, Genesis)
				recs := appendN(t, db, c, 5)
				kept := ""
				if tc.kept > 0 {
					kept = recs[tc.kept-1].Hash
				}
				tc.tamper(t, db, c, recs)
				rep, err := c.Verify(ctx, db, kept)
				if tc.wantSeq < 0 {
					if err != nil {
						t.Fatalf("Verify = %v", err)
					}
					return
				}
				var be *BrokenError
				if !errors.As(err, &be) {
					t.Fatalf("Verify = %+v, %v; want a *BrokenError", rep, err)
				}
				if be.Seq != tc.wantSeq || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Verify = %v (seq %d); want seq %d and %q", err, be.Seq, tc.wantSeq, tc.want)
				}
				t.Log(err)
			})
		}
	})
}

func TestConcurrentAppends(t *testing.T) {
	t.Parallel()
	const writers, each = 16, 25
	ctx := context.Background()
	sqltest.Each(t, stepClock(), func(t *testing.T, db *sqlstore.DB) {
		c := mustChain(t, "provider")
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					errs <- db.InTx(ctx, func(tx *sqlstore.Tx) error {
						err := c.Append(ctx, tx, Entry{
							Actor: fmt.Sprintf("account:%d", w), Action: "order.save",
							Entity: "order", EntityID: fmt.Sprintf("%d-%d", w, i), After: map[string]int{"i": i},
						})
						return err
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		var n, lo, hi, forks int64
		if err := db.SQL.QueryRow(`SELECT COUNT(*), MIN(seq), MAX(seq), COUNT(*) - COUNT(DISTINCT prev_hash) FROM provider_audit`).Scan(&n, &lo, &hi, &forks); err != nil {
			t.Fatal(err)
		}
		if n != writers*each || lo != 1 || hi != writers*each || forks != 0 {
			t.Errorf("records = %d, seq %d..%d, forks %d; want %d, 1..%d, 0", n, lo, hi, forks, writers*each, writers*each)
		}
		rep, err := c.Verify(ctx, db, "")
		if err != nil || rep.Records != writers*each || rep.HeadSeq != writers*each {
			t.Errorf("Verify = %+v, %v", rep, err)
		}
	})
}

func TestVerifyPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqltest.Each(t, stepClock(), func(t *testing.T, db *sqlstore.DB) {
		c := mustChain(t, "registry")
		c.page = 3
		appendN(t, db, c, 7)
		t.Run("OK", func(t *testing.T) {
			rep, err := c.Verify(ctx, db, "")
			if err != nil || rep.Records != 7 || rep.HeadSeq != 7 {
				t.Errorf("Verify = %+v, %v", rep, err)
			}
		})
		t.Run("OKExactPages", func(t *testing.T) {
			whole := *c
			whole.page = 7
			if rep, err := whole.Verify(ctx, db, ""); err != nil || rep.Records != 7 {
				t.Errorf("Verify = %+v, %v", rep, err)
			}
		})
		t.Run("ErrMissingAtPageBoundary", func(t *testing.T) {
			exec(t, db, `DELETE FROM registry_audit WHERE seq = 4`)
			var be *BrokenError
			if _, err := c.Verify(ctx, db, ""); !errors.As(err, &be) || be.Seq != 4 {
				t.Errorf("Verify = %v", err)
			}
		})
	})
}

// BenchmarkAppend measures one audited state change's own cost: a
// transaction that only appends, on SQLite.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	db := sqltest.Open(b, sqlstore.SQLite, nil)
	c := mustChain(b, "provider")
	e := Entry{Actor: "account:42", Action: "order.save", Entity: "order", EntityID: "1",
		Before: map[string]string{"stage": "draft"}, After: map[string]string{"stage": "initial_review"}}
	for b.Loop() {
		if err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
			err := c.Append(ctx, tx, e)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}
