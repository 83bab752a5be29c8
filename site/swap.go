package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// TempDir creates a new, empty directory next to dst (mode 0755), to build
// a tree in that Swap then puts in the place of dst. Being a sibling, it is
// on the file system of dst, so the swap is a rename. Its name starts with
// "." and holds ".almanac-", so listings and globs skip it. The caller
// removes it when it is not swapped in.
func TempDir(dst string) (string, error) {
	tmp, err := tempDir(dst)
	if err != nil {
		return "", fmt.Errorf("site: temporary directory for %s: %w", dst, err)
	}
	return tmp, nil
}

func tempDir(dst string) (string, error) {
	dst, err := filepath.Abs(dst)
	if err != nil {
		return "", err
	}
	parent, base := filepath.Dir(dst), filepath.Base(dst)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+internalPrefix+"new-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// CheckReplace returns nil when Swap may replace dst as a whole: dst is
// missing, an empty directory, or a directory holding the file marker,
// which the tool that built the tree leaves at its top, and no Parquet
// file. Anything else (the filesystem root, a symlink, a file, a
// directory of someone else's files, data put in a site) is refused with
// an error that says why, so that a mistyped path never loses anyone's
// files.
func CheckReplace(dst, marker string) error {
	if err := checkDirTarget(dst); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	entries, err := os.ReadDir(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("site: target %s: %w", dst, err)
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Lstat(filepath.Join(dst, marker)); err != nil {
		return fmt.Errorf("site: target %s is not empty and holds no %s file: "+
			"it was not built by almanac, and replacing it would delete its files", dst, marker)
	}
	// A site holds no data file (isData).
	var data string
	errFound := errors.New("found")
	err = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && isData(d.Name()) {
			data = p
			return errFound
		}
		return nil
	})
	switch {
	case data != "":
		return fmt.Errorf("site: target %s holds %s, a Parquet file that no site holds (an archive?): "+
			"replacing the site would delete it; move it out of the target", dst, data)
	case err != nil:
		return fmt.Errorf("site: target %s: %w", dst, err)
	}
	return nil
}

// Swap puts the directory built in the place of dst and removes the tree
// that dst held. built must be on the file system of dst: TempDir makes
// such a directory. A missing dst is simply created by a rename.
//
// On Linux an existing dst is exchanged with built in one step
// (renameat2 with RENAME_EXCHANGE), so a reader, a web server say, sees
// the old tree or the new one and never a mix or nothing. Where the
// operating system or the file system cannot exchange two paths (macOS,
// Windows, some network file systems), Swap moves the old tree aside and
// built into place with two renames: that is not atomic, as a reader may
// find no dst for the instant between them, though never a mix of trees.
//
// On error dst holds the old tree (moved back if it had been moved aside)
// and built is left for the caller to remove.
func Swap(dst, built string) error {
	if err := swap(dst, built); err != nil {
		return fmt.Errorf("site: swap %s into %s: %w", built, dst, err)
	}
	return nil
}

func swap(dst, built string) error {
	dst, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	if built, err = filepath.Abs(built); err != nil {
		return err
	}
	if fi, err := os.Stat(built); err != nil {
		return err
	} else if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", built)
	}
	fi, err := os.Lstat(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.Rename(built, dst)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dst)
	}
	old, err := exchange(dst, built)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("the new tree is in place, but removing the old one at %s: %w", old, err)
	}
	return nil
}

// renameAside puts the directory built in the place of the directory dst
// with two renames, the swap of systems that cannot exchange two paths:
// dst moves to a hidden sibling, then built moves to dst. It is not
// atomic: between the two renames dst does not exist. When the second
// rename fails, the old tree is moved back. It returns where the old tree
// is, for the caller to remove.
func renameAside(dst, built string) (string, error) {
	aside := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+internalPrefix+"old-"+randomSuffix())
	if err := os.Rename(dst, aside); err != nil {
		return "", fmt.Errorf("move %s aside: %w", dst, err)
	}
	if err := os.Rename(built, dst); err != nil {
		if rerr := os.Rename(aside, dst); rerr != nil {
			return "", fmt.Errorf("move %s to %s: %w (and the old tree stays at %s: %v)", built, dst, err, aside, rerr)
		}
		return "", fmt.Errorf("move %s to %s: %w", built, dst, err)
	}
	return aside, nil
}
