// Package testfs holds what tests of several packages do to files: copy a
// fixture tree to a temporary folder they may change.
package testfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// CopyTree copies the folder src (files and folders; symbolic links are
// followed) into a new temporary folder of t and returns its path.
func CopyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}

// ReadTree returns the contents of every file under dir, by its slash
// path relative to dir.
func ReadTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return files
}

// Kept returns the folder name in the system's temporary folder, made by
// write on the first call and kept for later runs (benchmark archives that
// take minutes to write): a folder is reused only once write finished, as
// a file it then holds marks; one left unfinished is made again.
func Kept(tb testing.TB, name string, write func(dir string)) string {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), name)
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	if err := os.RemoveAll(dir); err != nil {
		tb.Fatal(err)
	}
	write(dir)
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}
