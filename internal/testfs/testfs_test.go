package testfs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(src, "a", "b", "f"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(src, "top"), []byte("y"), 0o644)
	dst := CopyTree(t, src)
	for name, want := range map[string]string{"a/b/f": "x", "top": "y"} {
		if got, err := os.ReadFile(filepath.Join(dst, name)); err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	// The copy is its own: changing it leaves the source alone.
	os.WriteFile(filepath.Join(dst, "top"), []byte("z"), 0o644)
	if got, _ := os.ReadFile(filepath.Join(src, "top")); string(got) != "y" {
		t.Errorf("the source changed with the copy: %q", got)
	}
}

// TestKept checks that a kept folder is written once and reused, and
// that one left unfinished is written again.
func TestKept(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	writes := 0
	write := func(dir string) {
		writes++
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	}
	dir := Kept(t, "kept", write)
	if again := Kept(t, "kept", write); again != dir || writes != 1 {
		t.Errorf("second call: %s, %d writes; want %s, 1", again, writes, dir)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "f")); err != nil || string(got) != "x" {
		t.Errorf("kept file: %q, %v", got, err)
	}
	// Unfinished (no mark): made again, without what was left.
	os.Remove(filepath.Join(dir, ".complete"))
	os.WriteFile(filepath.Join(dir, "left"), nil, 0o644)
	Kept(t, "kept", write)
	if _, err := os.Stat(filepath.Join(dir, "left")); writes != 2 || err == nil {
		t.Errorf("unfinished folder: %d writes, left-over file there: %t; want 2, false", writes, err == nil)
	}
}
