package main

// File handling of `beian backup` and `beian restore`: temporary files
// beside their target, copies and no-clobber renames, all flushed to disk.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/beian/beian/sqlstore"
)

// tempBeside creates an empty temporary file in the folder of p (so that the
// final rename stays on one filesystem) and returns its name.
func tempBeside(p string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".partial-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// place gives the finished file tmp the name dst. Without force an existing
// dst is never replaced, even one created since the command started: a hard
// link fails when its name exists.
func place(tmp, dst string, force bool) error {
	if force {
		if err := os.Rename(tmp, dst); err != nil {
			return err
		}
		return sqlstore.SyncFile(dst)
	}
	err := os.Link(tmp, dst)
	switch {
	case errors.Is(err, os.ErrExist):
		return fmt.Errorf("%s exists: choose another name, or pass --force to replace it", dst)
	case err != nil:
		// A filesystem without hard links: check, then rename.
		if _, serr := os.Lstat(dst); serr == nil {
			return fmt.Errorf("%s exists: choose another name, or pass --force to replace it", dst)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return err
		}
	default:
		if err := os.Remove(tmp); err != nil {
			return err
		}
	}
	return sqlstore.SyncFile(dst)
}

// copyFile copies src over dst and flushes dst to disk.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// fileSize returns the size of the file at p in bytes.
func fileSize(p string) (int64, error) {
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// removeDB removes an SQLite file and the files SQLite keeps beside it.
func removeDB(p string) {
	for _, s := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(p + s)
	}
}
