// Package blob is beian's content-addressed store for documents and photos
// (PRODUCT.md, "Documents and photos live in a content-addressed blob
// store"). A blob is named by the SHA-256 of its content and kept in a local
// folder as <dir>/<hh>/<hh>/<sha256>, where the two fan-out levels are the
// first four hex digits of the hash.
//
// Writes are crash-safe: Put streams into a temporary file in <dir>/tmp on
// the same filesystem, fsyncs it, renames it to its final name and fsyncs
// the directories, so a blob under its final name is always complete. Put is
// idempotent: the same content always yields the same Ref and one file.
//
// The store knows nothing of owners or orders; access control (PRIV-1) and
// the audit of staff views belong to the callers. Delete serves the PRIV-1
// retention of abandoned orders' documents.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
)

// Ref names a stored blob: the SHA-256 of its content as 64 lower-case hex
// digits, and its size in bytes.
type Ref struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Permissions of what the store creates. Documents hold personal data
// (PRIV-1), so nothing is world-readable.
const (
	FileMode os.FileMode = 0o640 // stored blobs
	DirMode  os.FileMode = 0o750 // the store, its fan-out and temp folders
)

// TempMaxAge is how old a temporary file of an unfinished Put must be before
// Open removes it as the leftover of a crash. Younger files may belong to a
// Put still running in another process sharing the folder.
const TempMaxAge = time.Hour

// tempDir is the folder, below the store's own, that holds Puts in progress.
// Its name cannot clash with a fan-out folder, which has two hex digits.
const tempDir = "tmp"

// tempPrefix starts the name of every temporary file of a Put.
const tempPrefix = "put-"

// Store is a content-addressed blob store in a local folder. Its methods are
// safe for concurrent use, also by several processes sharing the folder.
type Store struct {
	dir      string
	tmp      string
	maxBytes int64
	clock    beian.Clock
}

// Option adjusts a Store at Open.
type Option func(*Store)

// WithClock sets the clock that decides which leftover temporary files are
// old enough to remove (beian.SystemClock by default).
func WithClock(c beian.Clock) Option { return func(s *Store) { s.clock = c } }

// Open opens the store in dir, creating the folder (mode 0o750) if missing,
// and removes the temporary files of crashed Puts older than TempMaxAge.
// maxBytes, the largest blob Put accepts, must be positive.
func Open(dir string, maxBytes int64, opts ...Option) (_ *Store, err error) {
	defer beian.Wrap(&err, "blob: open %s", dir)
	if maxBytes <= 0 {
		return nil, fmt.Errorf("maxBytes must be positive, got %d", maxBytes)
	}
	if dir == "" {
		return nil, errors.New("no folder given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: abs, tmp: filepath.Join(abs, tempDir), maxBytes: maxBytes, clock: beian.SystemClock}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(s.tmp, DirMode); err != nil {
		return nil, err
	}
	if err := s.removeStaleTemps(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the store's folder as an absolute path.
func (s *Store) Dir() string { return s.dir }

// MaxBytes returns the largest blob Put accepts, so that the HTTP layer can
// refuse a larger upload before reading it.
func (s *Store) MaxBytes() int64 { return s.maxBytes }

func (s *Store) removeStaleTemps() error {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // another process finished or removed it meanwhile
		}
		if err != nil {
			return err
		}
		if now.Sub(info.ModTime()) <= TempMaxAge {
			continue
		}
		if err := os.Remove(filepath.Join(s.tmp, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Put stores the content of r and returns its Ref. Content larger than
// MaxBytes is refused with an error of kind beian.KindTooLarge and nothing is
// stored. Storing content already present keeps the existing file and
// returns the same Ref. Puts of the same content racing each other (in
// goroutines or processes) all return the same Ref and leave one complete
// file: should two both rename, the bytes are identical. ctx is checked between reads; a Read that blocks is
// the reader's to end (an HTTP request body ends with its request).
//
// When Put returns a Ref, the blob is durable: its content, name and
// directories have been fsynced. On any error no blob is added and the
// temporary file is removed.
func (s *Store) Put(ctx context.Context, r io.Reader) (_ Ref, err error) {
	defer beian.Wrap(&err, "blob: put")
	if err := ctx.Err(); err != nil {
		return Ref{}, err
	}
	f, err := os.CreateTemp(s.tmp, tempPrefix+"*")
	if err != nil {
		return Ref{}, err
	}
	tmpName := f.Name()
	keep := false
	defer func() {
		if !keep {
			_ = f.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err := f.Chmod(FileMode); err != nil {
		return Ref{}, err
	}

	h := sha256.New()
	size, err := s.copy(ctx, io.MultiWriter(f, h), r)
	if err != nil {
		return Ref{}, err
	}
	ref := Ref{SHA256: hex.EncodeToString(h.Sum(nil)), Size: size}
	final := s.path(ref.SHA256)

	// Content already stored: keep the existing file (its size checked, so
	// that a truncated file is replaced) and skip the fsync of ours. Its
	// folder is synced all the same: the Put that renamed it may not have
	// got that far yet.
	if info, err := os.Stat(final); err == nil && info.Mode().IsRegular() && info.Size() == size {
		return ref, syncDir(filepath.Dir(final))
	}

	if err := f.Sync(); err != nil {
		return Ref{}, err
	}
	if err := f.Close(); err != nil {
		return Ref{}, err
	}
	leaf, err := s.makeFanOut(ref.SHA256)
	if err != nil {
		return Ref{}, err
	}
	// Two Puts of the same content may both get here; rename is atomic and
	// both files hold the same bytes, so a reader sees one complete blob
	// either way.
	if err := os.Rename(tmpName, final); err != nil {
		return Ref{}, err
	}
	keep = true
	if err := syncDir(leaf); err != nil {
		return Ref{}, err
	}
	return ref, nil
}

// copy streams r into w, checking ctx before each read and refusing more than
// maxBytes. It reads at most maxBytes+1 bytes of r.
func (s *Store) copy(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	limit := s.maxBytes
	if limit < math.MaxInt64 {
		limit++
	}
	lr := io.LimitReader(r, limit)
	buf := make([]byte, 64<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := lr.Read(buf)
		if m > 0 {
			n += int64(m)
			if n > s.maxBytes {
				return n, tooLarge(s.maxBytes)
			}
			if _, err := w.Write(buf[:m]); err != nil {
				return n, err
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("read content: %w", rerr)
		}
	}
}

func tooLarge(max int64) error {
	return &beian.Error{
		Kind: beian.KindTooLarge, Code: "blob.too_large",
		Args: map[string]string{"max": strconv.FormatInt(max, 10)},
		Err:  fmt.Errorf("content exceeds %d bytes", max),
	}
}

// makeFanOut creates the two fan-out folders of a hash if missing, fsyncing
// the parent of each folder it creates so the new entry survives a crash, and
// returns the leaf folder.
func (s *Store) makeFanOut(sum string) (string, error) {
	parent := s.dir
	for _, name := range []string{sum[0:2], sum[2:4]} {
		d := filepath.Join(parent, name)
		err := os.Mkdir(d, DirMode)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return "", err
			}
		case !errors.Is(err, os.ErrExist):
			return "", err
		}
		parent = d
	}
	return parent, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// path is the final name of a blob; sum must have passed ValidHash.
func (s *Store) path(sum string) string {
	return filepath.Join(s.dir, sum[0:2], sum[2:4], sum)
}
