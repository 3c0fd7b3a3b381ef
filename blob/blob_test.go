package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/blob"
)

const testMax = 1 << 20

func newStore(tb testing.TB, maxBytes int64) *blob.Store {
	tb.Helper()
	s, err := blob.Open(filepath.Join(tb.TempDir(), "blobs"), maxBytes)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func put(tb testing.TB, s *blob.Store, content []byte) blob.Ref {
	tb.Helper()
	ref, err := s.Put(context.Background(), bytes.NewReader(content))
	if err != nil {
		tb.Fatal(err)
	}
	return ref
}

func refOf(content []byte) blob.Ref {
	sum := sha256.Sum256(content)
	return blob.Ref{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}
}

// files lists every regular file below dir, relative to it.
func files(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func blobPath(s *blob.Store, sum string) string {
	return filepath.Join(s.Dir(), sum[0:2], sum[2:4], sum)
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed
	}
	return b
}

func TestPutOpen(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
	}{
		{"OKEmpty", nil},
		{"OKSmall", []byte("营业执照扫描件")},
		{"OKLarge", pattern(300<<10, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, testMax)
			ref := put(t, s, tt.content)
			if want := refOf(tt.content); ref != want {
				t.Fatalf("Put = %+v, want %+v", ref, want)
			}
			rc, got, err := s.Open(ref.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if got != ref {
				t.Errorf("Open ref = %+v, want %+v", got, ref)
			}
			data, err := io.ReadAll(rc)
			if err != nil || !bytes.Equal(data, tt.content) {
				t.Fatalf("read back %d bytes (err %v), want %d", len(data), err, len(tt.content))
			}
			if ok, err := s.Has(ref.SHA256); !ok || err != nil {
				t.Errorf("Has = %v, %v", ok, err)
			}
			info, err := os.Stat(blobPath(s, ref.SHA256))
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != blob.FileMode {
				t.Errorf("file mode %v, want %v", info.Mode().Perm(), blob.FileMode)
			}
			dinfo, err := os.Stat(filepath.Dir(blobPath(s, ref.SHA256)))
			if err != nil || dinfo.Mode().Perm() != blob.DirMode {
				t.Errorf("fan-out folder mode %v (err %v), want %v", dinfo.Mode().Perm(), err, blob.DirMode)
			}
		})
	}
}

func TestPutSameContentTwice(t *testing.T) {
	s := newStore(t, testMax)
	a := put(t, s, []byte("same"))
	b := put(t, s, []byte("same"))
	if a != b {
		t.Fatalf("refs differ: %+v, %+v", a, b)
	}
	if got := files(t, s.Dir()); len(got) != 1 {
		t.Fatalf("files = %v, want one blob", got)
	}
}

func TestPutConcurrent(t *testing.T) {
	s := newStore(t, testMax)
	same := pattern(64<<10, 1)
	const n = 50
	refs := make([]blob.Ref, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			content := same
			if i%2 == 1 {
				content = append(pattern(16<<10, byte(i)), byte(i))
			}
			refs[i], errs[i] = s.Put(context.Background(), bytes.NewReader(content))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	for i := 0; i < n; i += 2 {
		if refs[i] != refOf(same) {
			t.Fatalf("Put %d of the shared content = %+v, want %+v", i, refs[i], refOf(same))
		}
	}
	var walked []blob.Ref
	if err := s.Walk(func(r blob.Ref) error { walked = append(walked, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := 1 + n/2; len(walked) != want {
		t.Fatalf("Walk found %d blobs, want %d", len(walked), want)
	}
	for _, r := range walked {
		if err := s.Verify(r.SHA256); err != nil {
			t.Error(err)
		}
	}
	if got := files(t, s.Dir()); len(got) != len(walked) {
		t.Errorf("files = %v, want only the %d blobs", got, len(walked))
	}
}

// endless yields bytes forever and counts them.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) { e.n += int64(len(p)); return len(p), nil }

func TestPutSizeLimit(t *testing.T) {
	const max = 4096
	t.Run("OKExactlyMax", func(t *testing.T) {
		s := newStore(t, max)
		if ref := put(t, s, pattern(max, 3)); ref.Size != max {
			t.Fatalf("size %d", ref.Size)
		}
	})
	t.Run("ErrTooLargeMaxPlusOne", func(t *testing.T) {
		s := newStore(t, max)
		_, err := s.Put(context.Background(), bytes.NewReader(pattern(max+1, 3)))
		if !beian.IsKind(err, beian.KindTooLarge) {
			t.Fatalf("err = %v, want too_large", err)
		}
		if got := files(t, s.Dir()); len(got) != 0 {
			t.Fatalf("left behind: %v", got)
		}
	})
	t.Run("ErrTooLargeStopsReading", func(t *testing.T) {
		s := newStore(t, max)
		r := &endless{}
		_, err := s.Put(context.Background(), r)
		if !beian.IsKind(err, beian.KindTooLarge) {
			t.Fatalf("err = %v, want too_large", err)
		}
		if r.n > 1<<20 {
			t.Errorf("read %d bytes of an endless reader", r.n)
		}
	})
}

var errBroken = errors.New("connection reset")

// failing yields n bytes, then fails.
type failing struct{ n int }

func (f *failing) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errBroken
	}
	m := min(len(p), f.n)
	f.n -= m
	return m, nil
}

func TestPutReaderFails(t *testing.T) {
	s := newStore(t, testMax)
	_, err := s.Put(context.Background(), &failing{n: 100 << 10})
	if !errors.Is(err, errBroken) {
		t.Fatalf("err = %v, want the reader's error", err)
	}
	if got := files(t, s.Dir()); len(got) != 0 {
		t.Fatalf("left behind: %v", got)
	}
}

// cancelling cancels its context on the first read and yields data forever.
type cancelling struct{ cancel context.CancelFunc }

func (c cancelling) Read(p []byte) (int, error) { c.cancel(); return len(p), nil }

func TestPutContextCancelled(t *testing.T) {
	t.Run("ErrCancelledBefore", func(t *testing.T) {
		s := newStore(t, testMax)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Put(ctx, bytes.NewReader([]byte("x"))); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if got := files(t, s.Dir()); len(got) != 0 {
			t.Fatalf("left behind: %v", got)
		}
	})
	t.Run("ErrCancelledMidway", func(t *testing.T) {
		s := newStore(t, testMax)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if _, err := s.Put(ctx, cancelling{cancel}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if got := files(t, s.Dir()); len(got) != 0 {
			t.Fatalf("left behind: %v", got)
		}
	})
}

func BenchmarkPut1MiB(b *testing.B) {
	s := newStore(b, 2<<20)
	content := pattern(1<<20, 5)
	b.SetBytes(int64(len(content)))
	i := 0
	for b.Loop() {
		i++
		copy(content, fmt.Sprintf("%016d", i)) // a new blob each time, not a duplicate
		if _, err := s.Put(context.Background(), bytes.NewReader(content)); err != nil {
			b.Fatal(err)
		}
	}
}
