package archive

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
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

// TestDirAtOpenFile checks the opening of a file of a day folder that a
// scan makes: a regular file reads back whole, with its size, and io.EOF
// past its end; a link, a fifo, a folder, a missing name, "..", and a path
// of two elements fail (the scan then opens them through the root).
func TestDirAtOpenFile(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	day := filepath.Join(dir, "cpu", "host=a", "date=2026-08-21")
	if err := os.MkdirAll(filepath.Join(day, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(day, "part-1.parquet"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("part-1.parquet", filepath.Join(day, "part-2.parquet")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(day, "part-3.parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := s.openDirAt("cpu/host=a/date=2026-08-21")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, size, err := d.openFile("part-1.parquet")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if n, err := f.ReadAt(buf, 1); n != 4 || err != nil || string(buf) != "ello" {
		t.Errorf("ReadAt(4 at 1) = %d, %v, %q; want 4, no error, \"ello\"", n, err, buf)
	}
	if n, err := f.ReadAt(buf, 3); n != 2 || err != io.EOF || string(buf[:n]) != "lo" {
		t.Errorf("ReadAt(4 at 3) = %d, %v, %q; want 2, io.EOF, \"lo\"", n, err, buf[:n])
	}
	if err := f.Close(); err != nil || size != 5 {
		t.Errorf("size %d, close %v; want 5, no error", size, err)
	}
	for _, name := range []string{"part-2.parquet", "part-3.parquet", "sub", "missing.parquet", "..", ".", "", "sub/x"} {
		if f, _, err := d.openFile(name); err == nil {
			f.Close()
			t.Errorf("openFile(%q): no error", name)
		}
	}
}

// TestScanLinkedPart: a part that is a link to a file elsewhere in the
// archive is read through the root, as before scans opened files from
// their folder: the scan returns the same rows.
func TestScanLinkedPart(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	writeBatches(t, s, "a", rollupBatches()[:2])
	writeBatches(t, s, "a", rollupBatches()[2:])
	from, to := rollupDay0, rollupDay0.AddDate(0, 0, 1)
	before, err := s.Scan("cpu", "a", from, to, "user_pct")
	if err != nil {
		t.Fatal(err)
	}
	day := filepath.Join(dir, "cpu", "host=a", "date="+rollupDay0.Format(time.DateOnly))
	parts, err := filepath.Glob(filepath.Join(day, "part-*.parquet"))
	if err != nil || len(parts) != 2 {
		t.Fatalf("parts %q, %v; want 2", parts, err)
	}
	moved := filepath.Join(dir, "kept", "part.parquet")
	if err := os.MkdirAll(filepath.Dir(moved), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(parts[1], moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../kept/part.parquet", parts[1]); err != nil {
		t.Fatal(err)
	}
	after, err := s.Scan("cpu", "a", from, to, "user_pct")
	if err != nil {
		t.Fatal(err)
	}
	if after.Len() != 10 || !slices.Equal(after.Time, before.Time) || !slices.Equal(after.Num["user_pct"], before.Num["user_pct"]) {
		t.Errorf("through the link: %d rows %v, want %v", after.Len(), after.Num["user_pct"], before.Num["user_pct"])
	}
}
