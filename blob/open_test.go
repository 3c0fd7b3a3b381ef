package blob_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/blob"
)

func TestOpenStore(t *testing.T) {
	t.Run("OKCreatesFolder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "blobs")
		s, err := blob.Open(dir, 1)
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() || info.Mode().Perm() != blob.DirMode {
			t.Fatalf("folder %v (err %v), want a folder of mode %v", info.Mode(), err, blob.DirMode)
		}
		if s.Dir() != dir || s.MaxBytes() != 1 {
			t.Errorf("Dir, MaxBytes = %q, %d", s.Dir(), s.MaxBytes())
		}
	})
	for _, tt := range []struct {
		name string
		dir  string
		max  int64
	}{
		{"ErrZeroMax", t.TempDir(), 0},
		{"ErrNegativeMax", t.TempDir(), -1},
		{"ErrNoFolder", "", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := blob.Open(tt.dir, tt.max); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestOpenRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	if _, err := blob.Open(dir, 1); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	temps := map[string]time.Time{
		"put-old":    now.Add(-2 * time.Hour),
		"put-fresh":  now.Add(-10 * time.Minute),
		"put-future": now.Add(time.Hour), // clock skew: never counted as old
	}
	for name, mtime := range temps {
		p := filepath.Join(dir, "tmp", name)
		if err := os.WriteFile(p, []byte("half a scan"), 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, "tmp", name))
		return err == nil
	}

	t.Run("OKOldRemovedFreshKept", func(t *testing.T) {
		if _, err := blob.Open(dir, 1); err != nil {
			t.Fatal(err)
		}
		if exists("put-old") {
			t.Error("the temp file older than an hour is still there")
		}
		if !exists("put-fresh") || !exists("put-future") {
			t.Error("a fresh temp file was removed")
		}
	})
	t.Run("OKInjectedClock", func(t *testing.T) {
		later := beian.ClockFunc(func() time.Time { return now.Add(3 * time.Hour) })
		if _, err := blob.Open(dir, 1, blob.WithClock(later)); err != nil {
			t.Fatal(err)
		}
		if exists("put-fresh") || exists("put-future") {
			t.Error("temp files older than an hour by the injected clock are still there")
		}
	})
}
