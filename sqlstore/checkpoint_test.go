package sqlstore

import (
	"os"
	"testing"
	"time"
)

// The DB's goroutine checkpoints the WAL after checkpointAfter commits,
// and checkpointEvery after fewer; connections no longer checkpoint at
// SQLite's default 1,000 pages; Close leaves the WAL empty.
func TestCheckpointer(t *testing.T) {
	path := t.TempDir() + "/c.db"
	db, err := Open(t.Context(), DSN{Driver: SQLite, Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	var auto int
	if err := db.SQL.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != sqliteAutoCheckpoint {
		t.Fatalf("wal_autocheckpoint = %d, %v; want %d", auto, err, sqliteAutoCheckpoint)
	}
	insert := func(n int) {
		for i := range n {
			if err := db.InTx(ctx, func(tx *Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES ($1)`, i)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitRuns := func(want int64, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for db.ckpt.runs.Load() < want {
			if time.Now().After(deadline) {
				t.Fatalf("%d checkpoints after %s, want %d", db.ckpt.runs.Load(), within, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	insert(3) // fewer than checkpointAfter: after checkpointEvery
	time.Sleep(checkpointEvery / 2)
	if n := db.ckpt.runs.Load(); n != 0 {
		t.Fatalf("%d checkpoints before checkpointEvery", n)
	}
	waitRuns(1, 5*checkpointEvery)
	insert(checkpointAfter) // a full count: at once, not after the timer
	waitRuns(2, checkpointEvery)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Fatalf("the WAL holds %d bytes after Close", fi.Size())
	}
}
