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
