package archive

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"almanac/schema"
)

// TestFileSpans lists the files a raw read of a day takes with the times
// of their rows: a part per write, then the day file that replaces them;
// a damaged file is listed with unknown times, overlapping every span.
func TestFileSpans(t *testing.T) {
	s := openStore(t, t.TempDir())
	day := rollupDay0
	writeFlushing(t, s, "web1", day.Add(time.Hour), 360, 10*time.Second, 1000*time.Hour)
	writeFlushing(t, s, "web1", day.Add(5*time.Hour), 3, 10*time.Second, 1000*time.Hour)
	spans := func() []FileSpan {
		t.Helper()
		days, err := s.Days(schema.TableCPU, "web1")
		if err != nil || len(days) != 1 {
			t.Fatalf("Days = %v, %v; want one day", days, err)
		}
		fs, err := s.FileSpans(days[0])
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	us := func(d time.Duration) int64 { return day.Add(d).UnixMicro() }
	fs := spans()
	if len(fs) != 2 {
		t.Fatalf("FileSpans = %+v, want the two parts", fs)
	}
	// The first sample of a write has no CPU rows (no rates yet).
	want := [][2]int64{{us(time.Hour + 10*time.Second), us(2*time.Hour - 10*time.Second)}, {us(5*time.Hour + 10*time.Second), us(5*time.Hour + 20*time.Second)}}
	for i, f := range fs {
		if !f.Known || f.Lo != want[i][0] || f.Hi != want[i][1] || f.Size == 0 || f.ModTime == 0 {
			t.Errorf("file %d: %+v, want rows from %d to %d", i, f, want[i][0], want[i][1])
		}
	}
	for _, c := range []struct {
		from, to time.Duration
		first    bool
		second   bool
	}{
		{0, time.Hour + 10*time.Second, false, false},
		{time.Hour, 2 * time.Hour, true, false},
		{2*time.Hour - 10*time.Second, 2 * time.Hour, true, false},
		{2 * time.Hour, 5 * time.Hour, false, false},
		{5 * time.Hour, 6 * time.Hour, false, true},
		{5*time.Hour + 21*time.Second, 6 * time.Hour, false, false},
		{0, 24 * time.Hour, true, true},
	} {
		if got := fs[0].Overlaps(us(c.from), us(c.to)); got != c.first {
			t.Errorf("first part overlaps [%v, %v) = %t, want %t", c.from, c.to, got, c.first)
		}
		if got := fs[1].Overlaps(us(c.from), us(c.to)); got != c.second {
			t.Errorf("second part overlaps [%v, %v) = %t, want %t", c.from, c.to, got, c.second)
		}
	}
	if fs[0].Stamp() == fs[1].Stamp() {
		t.Error("two files have one stamp")
	}

	// Compacted: one day file holds both.
	if _, err := s.Compact("web1", day.AddDate(0, 0, 1).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	fs = spans()
	if len(fs) != 1 || fs[0].Lo != want[0][0] || fs[0].Hi != want[1][1] || filepath.Base(fs[0].Name)[:4] != "day-" {
		t.Fatalf("after compaction: %+v, want one day file with every row", fs)
	}

	// A damaged part: listed, its times unknown.
	bad := filepath.Join(s.Dir(), filepath.FromSlash(filepath.Dir(fs[0].Name)), "part-9999999999999999.parquet")
	if err := os.WriteFile(bad, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs = spans()
	if len(fs) != 2 || fs[1].Known || !fs[1].Overlaps(0, 1) {
		t.Errorf("with a damaged part: %+v, want it listed with unknown times", fs)
	}
}
