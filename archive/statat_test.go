package archive

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestStatDir checks the look for a file in a day folder that Days makes
// for rollups: a regular file gives its size and time; a missing one, a
// folder, a link and a path through a file are not found, with no error.
func TestStatDir(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	day := filepath.Join(dir, "rollup", "1h", "cpu", "host=a", "date=2026-08-21")
	if err := os.MkdirAll(filepath.Join(day, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(day, "day-1.s2.parquet")
	if err := os.WriteFile(file, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Symlink("day-1.s2.parquet", filepath.Join(day, "link.parquet")); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.openStatDir("rollup/1h/cpu/host=a")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, tt := range []struct {
		rel  string
		want bool
	}{
		{"date=2026-08-21/day-1.s2.parquet", true},
		{"date=2026-08-21/missing.parquet", false},
		{"date=2026-08-22/day-1.s2.parquet", false},
		{"date=2026-08-21/sub", false},
		{"date=2026-08-21/link.parquet", false},
		{"date=2026-08-21/day-1.s2.parquet/x", false},
	} {
		st, ok, err := d.stat(tt.rel)
		if err != nil || ok != tt.want {
			t.Errorf("stat(%q) = %v, %v; want %v, no error", tt.rel, ok, err, tt.want)
		}
		if ok && (st.size != 5 || st.mtime != fi.ModTime().UnixNano()) {
			t.Errorf("stat(%q) = %+v, want size 5 and time %d", tt.rel, st, fi.ModTime().UnixNano())
		}
	}
}
