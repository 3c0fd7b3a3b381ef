package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite's WAL is copied back into the database file (a checkpoint) by a
// goroutine of the DB, not by the transaction that happens to commit past
// the threshold. SQLite's automatic checkpoint runs inside that commit,
// while this process's writer slot (DB.writer) is held: under bench api's
// load it fell due about every half second, copied a thousand pages and
// synced the file, and every writer queued behind it — the longest holds
// of the slot (20–40 ms) and the tail of every write route's latency
// (docs/performance.md, "API under load"). A PASSIVE checkpoint runs beside
// the writer: it copies what is committed and waits for nobody.
//
// Connections keep an automatic checkpoint at sqliteAutoCheckpoint pages,
// far beyond what the goroutine lets the WAL reach, as a bound for when it
// falls behind (and for processes that write without running long, such
// as `beian import`, where it is the only checkpoint).
const (
	sqliteAutoCheckpoint = 16384 // pages (64 MiB of 4 KiB pages)
	checkpointAfter      = 256   // commits since the last checkpoint
	checkpointEvery      = 500 * time.Millisecond
)

// checkpointer runs DB's passive checkpoints: after checkpointAfter
// commits, or checkpointEvery after the first commit since the last one.
type checkpointer struct {
	commits chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	runs    atomic.Int64 // checkpoints run (tests)
}

func (db *DB) startCheckpointer() {
	c := &checkpointer{commits: make(chan struct{}, checkpointAfter), stop: make(chan struct{}), done: make(chan struct{})}
	db.ckpt = c
	go c.run(db)
}

// committed notes a write transaction's commit; it never blocks.
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.commits <- struct{}{}:
	default: // full: a checkpoint is due anyway
	}
}

func (c *checkpointer) run(db *DB) {
	defer close(c.done)
	for {
		select { // the first commit since the last checkpoint
		case <-c.stop:
			return
		case <-c.commits:
		}
		t := time.NewTimer(checkpointEvery)
	wait:
		for n := 1; n < checkpointAfter; n++ {
			select {
			case <-c.stop:
				t.Stop()
				db.checkpoint("TRUNCATE")
				c.runs.Add(1)
				return
			case <-c.commits:
			case <-t.C:
				break wait
			}
		}
		t.Stop()
		for len(c.commits) > 0 { // counted by this checkpoint
			<-c.commits
		}
		db.checkpoint("PASSIVE")
		c.runs.Add(1)
	}
}

// checkpoint runs one checkpoint of mode; a failure is left to the next
// one and to SQLite's automatic checkpoint.
func (db *DB) checkpoint(mode string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, logFrames, done int
	_ = db.SQL.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &logFrames, &done)
}

// close stops the goroutine after a last checkpoint that empties the WAL.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		close(c.stop)
		<-c.done
	})
}
