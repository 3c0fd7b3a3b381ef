package blob_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/blob"
)

func TestBadHash(t *testing.T) {
	valid := refOf([]byte("x")).SHA256
	tests := []struct{ name, hash string }{
		{"ErrEmpty", ""},
		{"ErrUpperCase", "A" + valid[1:]},
		{"ErrShort63", valid[:63]},
		{"ErrLong65", valid + "0"},
		{"ErrNonHex", "g" + valid[1:]},
		{"ErrPathTraversal", "../../etc/passwd"},
		{"ErrPathTraversal64", "../../../../" + valid[12:]},
		{"ErrNUL", valid[:63] + "\x00"},
		{"ErrSpace", " " + valid[1:]},
	}
	s := newStore(t, testMax)
	put(t, s, []byte("x"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if blob.ValidHash(tt.hash) {
				t.Errorf("ValidHash(%q) = true", tt.hash)
			}
			_, _, err := s.Open(tt.hash)
			_, herr := s.Has(tt.hash)
			for what, err := range map[string]error{
				"Open": err, "Has": herr, "Delete": s.Delete(tt.hash), "Verify": s.Verify(tt.hash),
			} {
				if !beian.IsKind(err, beian.KindBadRequest) {
					t.Errorf("%s(%q) err = %v, want bad_request", what, tt.hash, err)
				}
			}
		})
	}
	if ok, _ := s.Has(valid); !ok {
		t.Fatal("a malformed Delete removed a blob")
	}
}

func TestMissing(t *testing.T) {
	s := newStore(t, testMax)
	sum := refOf([]byte("never stored")).SHA256
	if _, _, err := s.Open(sum); !beian.IsKind(err, beian.KindNotFound) {
		t.Errorf("Open err = %v, want not_found", err)
	}
	if err := s.Verify(sum); !beian.IsKind(err, beian.KindNotFound) {
		t.Errorf("Verify err = %v, want not_found", err)
	}
	if ok, err := s.Has(sum); ok || err != nil {
		t.Errorf("Has = %v, %v; want false, nil", ok, err)
	}
	if err := s.Delete(sum); err != nil {
		t.Errorf("Delete of a missing blob: %v", err)
	}
}

func TestVerify(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, testMax)
		if err := s.Verify(put(t, s, pattern(10000, 9)).SHA256); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrCorruptFlippedByte", func(t *testing.T) {
		s := newStore(t, testMax)
		ref := put(t, s, pattern(10000, 9))
		p := blobPath(s, ref.SHA256)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data[5000] ^= 0x01
		if err := os.WriteFile(p, data, blob.FileMode); err != nil {
			t.Fatal(err)
		}
		err = s.Verify(ref.SHA256)
		if !errors.Is(err, blob.ErrCorrupt) {
			t.Fatalf("err = %v, want ErrCorrupt", err)
		}
		if !strings.Contains(err.Error(), ref.SHA256) {
			t.Errorf("error %q does not name the blob", err)
		}
	})
}

func TestDelete(t *testing.T) {
	s := newStore(t, testMax)
	ref := put(t, s, []byte("abandoned order's ID card scan"))
	if err := s.Delete(ref.SHA256); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Has(ref.SHA256); ok || err != nil {
		t.Fatalf("Has after Delete = %v, %v", ok, err)
	}
	if err := s.Delete(ref.SHA256); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if again := put(t, s, []byte("abandoned order's ID card scan")); again != ref {
		t.Fatalf("Put after Delete = %+v, want %+v", again, ref)
	}
}

func TestWalk(t *testing.T) {
	s := newStore(t, testMax)
	var want []blob.Ref
	for i := range 5 {
		want = append(want, put(t, s, []byte(fmt.Sprint("doc ", i))))
	}
	slices.SortFunc(want, func(a, b blob.Ref) int { return strings.Compare(a.SHA256, b.SHA256) })
	// Strays that are no blobs: a temp file, a file in the root, a misplaced name.
	for _, p := range []string{"tmp/put-123", "README", "ab/cd/" + want[0].SHA256} {
		full := filepath.Join(s.Dir(), p)
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("stray"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("OK", func(t *testing.T) {
		var got []blob.Ref
		if err := s.Walk(func(r blob.Ref) error { got = append(got, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Walk = %v, want %v", got, want)
		}
	})
	t.Run("ErrFromFn", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := s.Walk(func(blob.Ref) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("err = %v after %d calls, want stop after 1", err, calls)
		}
	})
}
