package gate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Limits of the change feed.
const (
	feedBatch  = 2000  // change rows per read
	inChunk    = 500   // values per IN (…) list
	maxGaps    = 50000 // missing seqs tracked at once; the oldest are given up beyond it
	gapWindow  = 1000  // seqs below a snapshot's top checked for uncommitted changes
	retryFirst = 250 * time.Millisecond
	retryMax   = 5 * time.Second
)

// Start loads the first snapshot and follows the change feed in the
// background until ctx ends (Rule GATE-1: changes reach every gate within
// 2 seconds). Until the first snapshot has loaded, Ready is false and
// /readyz answers 503; the load is retried while the database is away.
// Afterwards a failing database leaves the index as it is (fail static),
// and the feed catches up when the database returns. Without Options.DB
// Start does nothing.
func (g *Gate) Start(ctx context.Context) {
	if g.opts.DB == nil {
		close(g.done)
		return
	}
	go func() {
		defer close(g.done)
		f := &follower{g: g, gaps: map[int64]time.Time{}}
		f.run(ctx)
	}()
}

// Wait blocks until the goroutine of Start has ended.
func (g *Gate) Wait() { <-g.done }

// follower is the state of the change feed; only its goroutine uses it.
type follower struct {
	g    *Gate
	high int64               // highest seq seen
	gaps map[int64]time.Time // seqs below high not seen yet, with when they were first missed
	down bool                // the last read failed
}

func (f *follower) run(ctx context.Context) {
	g := f.g
	wait := retryFirst
	for {
		err := f.snapshot(ctx)
		if err == nil {
			break
		}
		f.failed(err, "snapshot")
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMax)
	}
	t := time.NewTicker(g.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			more, err := f.poll(ctx)
			if err != nil {
				if ctx.Err() == nil {
					f.failed(err, "change feed")
				}
				break
			}
			if !more {
				break
			}
		}
	}
}

// failed records an unreachable database; the index stays as it is.
func (f *follower) failed(err error, what string) {
	g := f.g
	g.metrics.feedErrors.Inc()
	if !f.down {
		g.offline.Store(g.opts.Clock.Now().UnixMicro())
		g.opts.Log.Warn("gate: database unreachable; answering from the last index", "during", what, "err", err)
	}
	f.down = true
}

// ok records a successful read.
func (f *follower) ok() {
	g := f.g
	now := g.opts.Clock.Now()
	if f.down {
		// Time spent offline does not count against missing seqs.
		for s := range f.gaps {
			f.gaps[s] = now
		}
		g.offline.Store(0)
		g.opts.Log.Info("gate: database reachable again; catching up")
	}
	f.down = false
	g.synced.Store(now.UnixMicro())
}

// snapshot loads every servable-domain row into a new index and swaps it
// in. It reads in one read-only transaction (repeatable read on
// PostgreSQL), so the rows and the top seq agree; seqs just below the top
// that are missing (transactions not yet committed) become gaps the feed
// looks for.
func (f *follower) snapshot(ctx context.Context) (err error) {
	defer beian.Wrap(&err, "gate snapshot")
	g := f.g
	start := time.Now()
	var ix *index
	var bulk *bulkLoader
	build := func(count int64) func(domain, number, reason []byte) {
		ix = newIndex(int(count))
		bulk = newBulkLoader(ix)
		return func(domain, number, reason []byte) {
			bulk.add(domain, number, reasonCodeBytes(reason))
		}
	}
	var read snapshotReader = readSnapshotSQL
	if g.opts.DB.Driver == sqlstore.Postgres {
		read = readSnapshotPG
	}
	top, present, err := read(ctx, g.opts.DB, build)
	if err != nil {
		return err
	}
	bulk.flush()
	ix.compact()
	now := g.opts.Clock.Now()
	f.high, f.gaps = top, map[int64]time.Time{}
	for s := max(1, top-gapWindow+1); s <= top; s++ {
		if !present[s] {
			f.gaps[s] = now
		}
	}
	g.mu.Lock()
	g.ix.Store(ix)
	g.mu.Unlock()
	took := time.Since(start)
	g.metrics.build.Set(took.Seconds())
	g.metrics.snapshots.Inc()
	g.ready.Store(true)
	f.ok()
	g.opts.Log.Info("gate: snapshot loaded", "domains", ix.n, "bytes", ix.memBytes(), "seq", top, "took", took.Round(time.Millisecond))
	return nil
}

// change is one row of the change log as the feed reads it: which domain
// to re-read.
type change struct {
	seq    int64
	domain string
}

// poll reads the changes after the highest seen seq and the missing seqs,
// then re-reads the current servable_domains rows of the domains they
// name and applies those. The row, not the change, is the truth: on
// PostgreSQL two transactions can commit their seqs out of order, and the
// row holds whichever committed last. more is true when a full batch came
// back (call again at once to catch up).
func (f *follower) poll(ctx context.Context) (more bool, err error) {
	db := f.g.opts.DB
	changes, err := readChanges(ctx, db, `SELECT seq, domain FROM servable_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, f.high, feedBatch)
	if err != nil {
		return false, err
	}
	more = len(changes) == feedBatch
	if len(f.gaps) > 0 {
		missing := make([]any, 0, min(len(f.gaps), inChunk))
		for s := range f.gaps {
			if missing = append(missing, s); len(missing) == inChunk {
				break
			}
		}
		filled, err := readChanges(ctx, db, `SELECT seq, domain FROM servable_changes WHERE seq IN (`+placeholders(len(missing), 1)+`)`, missing...)
		if err != nil {
			return false, err
		}
		changes = append(changes, filled...)
	}
	now := f.g.opts.Clock.Now()
	seen := map[int64]bool{}
	domains := map[string]bool{}
	for _, c := range changes {
		seen[c.seq] = true
		domains[c.domain] = true
		delete(f.gaps, c.seq)
		for s := max(f.high+1, c.seq-maxGaps); s < c.seq; s++ {
			if len(f.gaps) < maxGaps {
				f.gaps[s] = now
			}
		}
		f.high = max(f.high, c.seq)
	}
	for s, at := range f.gaps {
		if now.Sub(at) > f.g.opts.GapTimeout {
			delete(f.gaps, s)
		}
	}
	if err := f.refresh(ctx, domains); err != nil {
		return false, err
	}
	f.ok()
	return more, nil
}

// refresh re-reads the rows of domains and applies them: a missing row is
// an unfiled domain. A domain that Apply set with a seq the feed has not
// seen yet keeps Apply's state.
func (f *follower) refresh(ctx context.Context, domains map[string]bool) error {
	if len(domains) == 0 {
		f.expirePins()
		return nil
	}
	list := make([]any, 0, len(domains))
	for d := range domains {
		list = append(list, d)
	}
	type row struct{ number, reason string }
	found := map[string]row{}
	for i := 0; i < len(list); i += inChunk {
		part := list[i:min(i+inChunk, len(list))]
		rows, err := f.g.opts.DB.SQL.QueryContext(ctx, `SELECT domain, website_number, reason FROM servable_domains WHERE domain IN (`+placeholders(len(part), 1)+`)`, part...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d string
			var r row
			if err := rows.Scan(&d, &r.number, &r.reason); err != nil {
				rows.Close()
				return err
			}
			found[d] = r
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	g := f.g
	g.mu.Lock()
	defer g.mu.Unlock()
	for d := range domains {
		if p, ok := g.pins[d]; ok {
			if _, missing := f.gaps[p.seq]; missing || p.seq > f.high {
				continue
			}
			delete(g.pins, d)
		}
		r := found[d]
		g.applyLocked(d, beian.GateReason(r.reason), r.number)
	}
	g.ix.Load().compact()
	g.metrics.changes.Add(float64(len(domains)))
	f.expirePinsLocked()
	return nil
}

func (f *follower) expirePins() {
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	f.expirePinsLocked()
}

// expirePinsLocked forgets pins the feed never confirmed (a change made
// through another database); g.mu is held.
func (f *follower) expirePinsLocked() {
	if len(f.g.pins) == 0 {
		return
	}
	now := f.g.opts.Clock.Now()
	for d, p := range f.g.pins {
		if now.Sub(p.at) > f.g.opts.GapTimeout {
			delete(f.g.pins, d)
		}
	}
}

func readChanges(ctx context.Context, db *sqlstore.DB, q string, args ...any) ([]change, error) {
	rows, err := db.SQL.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.seq, &c.domain); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// placeholders returns "$from, $from+1, …" for n values.
func placeholders(n, from int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}
