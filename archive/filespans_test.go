package archive

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
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
	spans := func() []FileSpan { t.Helper(); return cpuDaySpans(t, s, nil) }
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

// TestFileSpansKept: the spans FileSpans read are kept in the listings,
// and a later FileSpans (another process: through Marshal and
// ParseListings) takes a file's span from there while its size and time
// are the same, and reads it again when they change.
func TestFileSpansKept(t *testing.T) {
	s := openStore(t, t.TempDir())
	day := rollupDay0
	writeFlushing(t, s, "web1", day.Add(time.Hour), 360, 10*time.Second, 1000*time.Hour)
	writeFlushing(t, s, "web1", day.Add(5*time.Hour), 3, 10*time.Second, 1000*time.Hour)
	spans := func(l *Listings) []FileSpan { t.Helper(); return cpuDaySpans(t, s, l) }
	want := spans(nil)
	l := NewListings()
	if got := spans(l); !reflect.DeepEqual(got, want) || l.spanHits != 0 || !l.Changed() {
		t.Fatalf("first: %+v, %d kept, changed %t; want %+v read", got, l.spanHits, l.Changed(), want)
	}
	next, err := ParseListings(l.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got := spans(next); !reflect.DeepEqual(got, want) || next.spanHits != 2 || next.Changed() {
		t.Fatalf("again: %+v, %d kept, changed %t; want %+v, both kept", got, next.spanHits, next.Changed(), want)
	}

	// A kept span is used without opening the file: one that says other
	// times is believed while the file's size and time are the same.
	l = NewListings()
	odd := want[0]
	odd.Lo, odd.Hi = 1, 2
	l.oldSpans[odd.Name] = odd
	if got := spans(l); got[0] != odd || got[1] != want[1] || l.spanHits != 1 {
		t.Fatalf("kept: %+v, %d kept; want the kept span of the first file", got, l.spanHits)
	}
	// The file grown: read again.
	f, err := os.OpenFile(filepath.Join(s.Dir(), filepath.FromSlash(want[1].Name)), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	f.Close()
	next, err = ParseListings(l.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	got := spans(next)
	if got[0] != odd || got[1].Known || got[1].Size != want[1].Size+1 || next.spanHits != 1 || !next.Changed() {
		t.Fatalf("grown: %+v, %d kept; want the second file read again (its footer is no longer at its end)", got, next.spanHits)
	}

	// Damaged encodings are refused.
	b := next.Marshal()
	for _, cut := range []int{len(b) - 5, len(b) - 9} {
		bad := append(append([]byte{}, b[:cut]...), b[len(b)-4:]...)
		if _, err := ParseListings(bad); err == nil {
			t.Errorf("listings cut at %d of %d parsed", cut, len(b))
		}
	}
	if _, err := ParseListings(append([]byte("almanac-day-listings-1\n"), b[len(listingsFormat):]...)); err == nil {
		t.Error("listings of another format parsed")
	}
}

// TestScanSpans: a read of an hour with the day's spans opens only the
// files that may hold rows of it, and returns what ScanFiles returns.
func TestScanSpans(t *testing.T) {
	s := openStore(t, t.TempDir())
	day := rollupDay0
	writeFlushing(t, s, "web1", day.Add(time.Hour), 360, 10*time.Second, 1000*time.Hour)
	writeFlushing(t, s, "web1", day.Add(5*time.Hour), 30, 10*time.Second, 1000*time.Hour)
	days, err := s.Days(schema.TableCPU, "web1")
	if err != nil || len(days) != 1 {
		t.Fatalf("Days = %v, %v; want one day", days, err)
	}
	d := days[0]
	spans, err := s.FileSpans(d, nil)
	if err != nil || len(spans) != 2 {
		t.Fatalf("FileSpans = %+v, %v; want two parts", spans, err)
	}
	from, to := day.Add(5*time.Hour), day.Add(6*time.Hour)
	want, err := s.ScanFiles(Raw, d, from, to, "user_pct")
	if err != nil || want.Len() == 0 {
		t.Fatalf("ScanFiles = %d rows, %v", want.Len(), err)
	}
	got, err := s.ScanSpans(d, spans, from, to, "user_pct")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ScanSpans = %+v, %v; want %+v", got, err, want)
	}
	// The first part, outside the hour, made unreadable with its size and
	// time kept: ScanFiles reports it, ScanSpans does not open it.
	first := filepath.Join(s.Dir(), filepath.FromSlash(spans[0].Name))
	if err := os.WriteFile(first, make([]byte, spans[0].Size), 0o644); err != nil {
		t.Fatal(err)
	}
	mt := time.Unix(0, spans[0].ModTime)
	if err := os.Chtimes(first, mt, mt); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ScanFiles(Raw, d, from, to, "user_pct"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ScanFiles of a day with a zeroed part: %v, want it corrupt", err)
	}
	got, err = s.ScanSpans(d, spans, from, to, "user_pct")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ScanSpans passing the zeroed part: %d rows, %v; want %d", got.Len(), err, want.Len())
	}
	// Spans that lack a file, or do not know its times: it is read.
	for _, sp := range [][]FileSpan{spans[1:], {{Name: spans[0].Name}, spans[1]}} {
		if _, err := s.ScanSpans(d, sp, from, to, "user_pct"); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ScanSpans with spans %+v: %v, want the zeroed part read", sp, err)
		}
	}
}

// cpuDaySpans returns FileSpans, with the listings l, of the one day of
// web1's cpu table in s.
func cpuDaySpans(t *testing.T, s *Store, l *Listings) []FileSpan {
	t.Helper()
	days, err := s.Days(schema.TableCPU, "web1")
	if err != nil || len(days) != 1 {
		t.Fatalf("Days = %v, %v; want one day", days, err)
	}
	fs, err := s.FileSpans(days[0], l)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}
