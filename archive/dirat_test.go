package archive

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestDirAtStat checks the look for a file in a day folder that Days
// makes for rollups: a regular file gives its size and time; a missing
// one, a folder, a link and a path through a file are not found, with no
// error.
func TestDirAtStat(t *testing.T) {
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
	d, err := s.openDirAt("rollup/1h/cpu/host=a")
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

// TestDirAtList checks the listing of a day folder that Days makes: every
// entry with its type, as os.ReadDir reads them, each regular file with
// its size and time; a folder of more entries than one read of the
// folder returns; and a name that is missing, a file, a link to a folder
// or more than one path element fails.
func TestDirAtList(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	host := filepath.Join(dir, "cpu", "host=a")
	day := filepath.Join(host, "date=2026-08-21")
	if err := os.MkdirAll(filepath.Join(day, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Names long enough that the folder takes several reads of a buffer.
	long := strings.Repeat("x", 200)
	sizes := map[string]int64{}
	for i := range 300 {
		name := fmt.Sprintf("part-%03d-%s.parquet", i, long)
		if err := os.WriteFile(filepath.Join(day, name), make([]byte, i), 0o644); err != nil {
			t.Fatal(err)
		}
		sizes[name] = int64(i)
	}
	if err := os.Symlink("sub", filepath.Join(day, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(day, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("date=2026-08-21", filepath.Join(host, "date=2026-08-22")); err != nil {
		t.Fatal(err)
	}
	d, err := s.openDirAt("cpu/host=a")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ents, _, err := d.list("date=2026-08-21", false)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadDir(day)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(want) {
		t.Fatalf("%d entries, want %d", len(ents), len(want))
	}
	slices.SortFunc(ents, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	for i, e := range ents {
		if e.name != want[i].Name() || e.typ != want[i].Type() {
			t.Errorf("entry %d: %q %v, want %q %v", i, e.name, e.typ, want[i].Name(), want[i].Type())
		}
		size, file := sizes[e.name]
		if e.st.ok != file || e.st.size != size {
			t.Errorf("%q: stat %+v, want size %d (a file: %t)", e.name, e.st, size, file)
		}
		if file {
			fi, err := want[i].Info()
			if err != nil {
				t.Fatal(err)
			}
			if e.st.mtime != fi.ModTime().UnixNano() {
				t.Errorf("%q: time %d, want %d", e.name, e.st.mtime, fi.ModTime().UnixNano())
			}
		}
	}
	for _, name := range []string{"date=2026-08-20", "date=2026-08-22", "date=2026-08-21/sub", "..", "."} {
		if ents, _, err := d.list(name, false); err == nil {
			t.Errorf("list(%q) = %d entries, want an error", name, len(ents))
		}
	}
	if err := os.WriteFile(filepath.Join(host, "date=2026-08-23"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.list("date=2026-08-23", false); err == nil {
		t.Error("list of a file: no error")
	}
}
