package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/beian/beian"
)

// ErrCorrupt is the cause of Verify's error when a stored file no longer
// hashes to its name (bit rot or tampering). Test for it with errors.Is.
var ErrCorrupt = errors.New("stored content does not match its hash")

// ValidHash reports whether s is a well-formed blob name: exactly 64
// lower-case hex digits. Only such names ever reach the filesystem, so no
// input can name a path outside the store.
func ValidHash(s string) bool { return len(s) == sha256.Size*2 && lowerHex(s) }

// fanOutName reports whether a folder name is two lower-case hex digits.
func fanOutName(s string) bool { return len(s) == 2 && lowerHex(s) }

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkHash(sum string) error {
	if ValidHash(sum) {
		return nil
	}
	// The malformed input is left out of the message: it is caller data.
	return &beian.Error{Kind: beian.KindBadRequest, Code: "blob.bad_hash",
		Err: errors.New("blob name is not 64 lower-case hex digits")}
}

func notFound(sum string) error {
	return &beian.Error{Kind: beian.KindNotFound, Code: "blob.not_found",
		Args: map[string]string{"sha256": sum}, Err: fmt.Errorf("blob %s not found", sum)}
}

// Open opens the blob named sum for reading; the caller closes it. A
// malformed name is an error of kind beian.KindBadRequest, a missing blob one
// of kind beian.KindNotFound.
func (s *Store) Open(sum string) (_ io.ReadSeekCloser, _ Ref, err error) {
	defer beian.Wrap(&err, "blob: open")
	return s.open(sum)
}

func (s *Store) open(sum string) (*os.File, Ref, error) {
	if err := checkHash(sum); err != nil {
		return nil, Ref{}, err
	}
	f, err := os.Open(s.path(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, Ref{}, notFound(sum)
	}
	if err != nil {
		return nil, Ref{}, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("blob %s is not a regular file", sum)
	}
	if err != nil {
		_ = f.Close()
		return nil, Ref{}, err
	}
	return f, Ref{SHA256: sum, Size: info.Size()}, nil
}

// Has reports whether the blob named sum is stored. A malformed name is an
// error of kind beian.KindBadRequest.
func (s *Store) Has(sum string) (_ bool, err error) {
	defer beian.Wrap(&err, "blob: has")
	if err := checkHash(sum); err != nil {
		return false, err
	}
	_, err = os.Stat(s.path(sum))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// Delete removes the blob named sum, for the retention of abandoned
// orders' documents (PRIV-1). Deleting a missing blob is not an error. The
// caller must know that nothing refers to the blob any more: the same
// content Put meanwhile by someone else shares the one file.
func (s *Store) Delete(sum string) (err error) {
	defer beian.Wrap(&err, "blob: delete")
	if err := checkHash(sum); err != nil {
		return err
	}
	p := s.path(sum)
	err = os.Remove(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// The removal must survive a crash too: personal data is to be gone.
	return syncDir(filepath.Dir(p))
}

// Verify re-hashes the stored blob named sum. A file whose content no
// longer matches its name gives an error naming the blob that wraps
// ErrCorrupt (kind beian.KindInternal); a missing blob one of kind
// beian.KindNotFound.
func (s *Store) Verify(sum string) (err error) {
	defer beian.Wrap(&err, "blob: verify")
	f, _, err := s.open(sum)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("blob %s: %w", sum, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return &beian.Error{Kind: beian.KindInternal, Code: "blob.corrupt",
			Args: map[string]string{"sha256": sum},
			Err:  fmt.Errorf("blob %s: %w (it hashes to %s)", sum, ErrCorrupt, got)}
	}
	return nil
}

// Walk calls fn with the Ref of every stored blob, in the order of their
// names, for audits and backups. It stops at the first error fn returns and
// returns it. Temporary files and anything not named like a blob in its
// fan-out folder are skipped; a blob deleted during the walk may be skipped.
func (s *Store) Walk(fn func(Ref) error) (err error) {
	defer beian.Wrap(&err, "blob: walk")
	top, err := readDir(s.dir)
	if err != nil {
		return err
	}
	for _, d1 := range top {
		if !d1.IsDir() || !fanOutName(d1.Name()) {
			continue
		}
		dir1 := filepath.Join(s.dir, d1.Name())
		mid, err := readDir(dir1)
		if err != nil {
			return err
		}
		for _, d2 := range mid {
			if !d2.IsDir() || !fanOutName(d2.Name()) {
				continue
			}
			dir2 := filepath.Join(dir1, d2.Name())
			leaves, err := readDir(dir2)
			if err != nil {
				return err
			}
			for _, e := range leaves {
				name := e.Name()
				if !e.Type().IsRegular() || !ValidHash(name) ||
					name[0:2] != d1.Name() || name[2:4] != d2.Name() {
					continue
				}
				info, err := e.Info()
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				if err != nil {
					return err
				}
				if err := fn(Ref{SHA256: name, Size: info.Size()}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readDir lists a folder; a folder gone meanwhile is empty.
func readDir(dir string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return entries, err
}
