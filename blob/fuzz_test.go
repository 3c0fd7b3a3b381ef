package blob

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beian/beian"
)

// FuzzOpenHash feeds Open arbitrary names. It must never panic, must refuse
// every name that is not 64 lower-case hex digits with bad_request, and must
// never reach a file outside the store: a secret file sits next to the store
// folder, and the only content Open may ever return is the one stored blob.
// wellFormed is ValidHash written another way, as the fuzz oracle.
var wellFormed = regexp.MustCompile(`^[0-9a-f]{64}$`)

func FuzzOpenHash(f *testing.F) {
	root := f.TempDir()
	const secret = "secret outside the store"
	if err := os.WriteFile(filepath.Join(root, "passwd"), []byte(secret), 0o640); err != nil {
		f.Fatal(err)
	}
	s, err := Open(filepath.Join(root, "blobs"), 1<<10)
	if err != nil {
		f.Fatal(err)
	}
	content := []byte("the one stored blob")
	ref, err := s.Put(context.Background(), bytes.NewReader(content))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"", ref.SHA256, strings.ToUpper(ref.SHA256), ref.SHA256[:63], ref.SHA256 + "0",
		"../passwd", "../../etc/passwd", "/etc/passwd", ref.SHA256[:63] + "\x00",
		"..", ".", "tmp", "..\\passwd", strings.Repeat("0", 64), strings.Repeat(".", 64),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		rc, got, err := s.Open(name)
		if valid := wellFormed.MatchString(name); valid != ValidHash(name) {
			t.Fatalf("ValidHash(%q) = %v, want %v", name, !valid, valid)
		}
		if !ValidHash(name) {
			if !beian.IsKind(err, beian.KindBadRequest) {
				t.Fatalf("Open(%q) err = %v, want bad_request", name, err)
			}
			return
		}
		if p := s.path(name); !strings.HasPrefix(p, s.dir+string(filepath.Separator)) || filepath.Clean(p) != p {
			t.Fatalf("Open(%q) would use %s, outside the store", name, p)
		}
		if name != ref.SHA256 {
			if !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("Open(%q) err = %v, want not_found", name, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(data, content) || got != ref {
			t.Fatalf("Open(%q) read %q, %+v (err %v)", name, data, got, err)
		}
	})
}
