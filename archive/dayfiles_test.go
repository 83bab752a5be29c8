package archive

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"almanac/schema"
)

// TestScanFiles lists the days of an archive with Days and reads each
// with ScanFiles, and compares it with Scan and ScanRollup over the same
// hours: a compacted day, a day in parts and a day that is a part only;
// then it reads a day from a listing made before a compaction merged its
// parts.
func TestScanFiles(t *testing.T) {
	s := openStore(t, t.TempDir())
	start := rollupDay0.Add(22 * time.Hour)
	writeDays(t, s, "web1", start, 1080, 10*time.Second) // 22:00 to 01:00 the next day
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	writeDays(t, s, "web1", start.Add(27*time.Hour), 60, 10*time.Second) // day 2, in parts too
	cols := []string{"cpu", "system_pct", "user_pct"}
	rollupCols := []string{"cpu", "system_pct_min", "system_pct_avg", "system_pct_max", SamplesColumn}
	days, err := s.Days(schema.TableCPU, "web1")
	if err != nil {
		t.Fatal(err)
	}
	wantDays := []time.Time{rollupDay0, rollupDay0.AddDate(0, 0, 1), rollupDay0.AddDate(0, 0, 2)}
	if len(days) != len(wantDays) {
		t.Fatalf("Days = %d days, want %d", len(days), len(wantDays))
	}
	for i, d := range days {
		if !d.Day.Equal(wantDays[i]) || d.Table != schema.TableCPU || d.Host != "web1" {
			t.Errorf("day %d = %+v, want %s of cpu of web1", i, d.Partition, wantDays[i].Format(time.DateOnly))
		}
		want := []Resolution(nil)
		if i == 0 {
			want = resolutions // the compacted day
		}
		if got := d.Current(); !slices.Equal(got, want) {
			t.Errorf("%s: Current() = %v, want %v", d.Day.Format(time.DateOnly), got, want)
		}
	}
	// The compacted day of every table with rollups has its table's, one
	// that has fewer than the archive's too (the process table's hourly).
	fewer := 0
	for _, table := range schema.Names() {
		want := tableResolutions(table)
		if len(want) == 0 {
			continue
		}
		tdays, err := s.Days(table, "web1")
		if err != nil || len(tdays) == 0 {
			t.Errorf("Days(%s) = %d days, %v; want the compacted day", table, len(tdays), err)
			continue
		}
		if got := tdays[0].Current(); !slices.Equal(got, want) {
			t.Errorf("%s of the compacted day: Current() = %v, want %v", table, got, want)
		}
		if len(want) < len(resolutions) {
			fewer++
		}
	}
	if fewer == 0 {
		t.Error("no table with fewer rollups than the archive's was checked")
	}
	for _, d := range days {
		day := d.Day
		for _, w := range []struct{ from, to time.Time }{
			{day, day.AddDate(0, 0, 1)},
			{day.Add(22 * time.Hour), day.Add(23 * time.Hour)},
			{day.Add(-time.Hour), day.Add(30 * time.Minute)},
		} {
			got, err := s.ScanFiles(Raw, d, w.from, w.to, cols...)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := maxTime(w.from, day), minTime(w.to, day.AddDate(0, 0, 1))
			want, err := s.Scan(schema.TableCPU, "web1", lo, hi, cols...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
				t.Errorf("raw %s %v-%v (-Scan +ScanFiles):\n%s", day.Format(time.DateOnly), w.from, w.to, diff)
			}
			for _, res := range resolutions {
				got, err := s.ScanFiles(res, d, w.from, w.to, rollupCols...)
				if err != nil {
					t.Fatal(err)
				}
				want, err := s.ScanRollup(res, schema.TableCPU, "web1", lo, hi, rollupCols...)
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
					t.Errorf("%v %s (-ScanRollup +ScanFiles):\n%s", res, day.Format(time.DateOnly), diff)
				}
				if day.Equal(rollupDay0) && w.to.Sub(w.from) == 24*time.Hour && got.Len() == 0 {
					t.Errorf("%v: the compacted day has no rollup rows", res)
				}
			}
		}
	}

	// Day 1 from its listing in parts, after a compaction merged them
	// into a day file: the rows of the day file, once.
	stale := days[1]
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 2).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	from, to := stale.Day, stale.End()
	got, err := s.ScanFiles(Raw, stale, from, to, cols...)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Scan(schema.TableCPU, "web1", from, to, cols...)
	if err != nil {
		t.Fatal(err)
	}
	if want.Len() == 0 {
		t.Fatal("day 1 has no rows")
	}
	if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
		t.Errorf("day 1 listed before its compaction (-Scan +ScanFiles):\n%s", diff)
	}
	if f, err := s.ScanFiles(PerMinute, stale, from, to, rollupCols...); err != nil || f.Len() != 0 {
		t.Errorf("rollup of a day listed without one: %d rows, %v; want none, no error", f.Len(), err)
	}

	// Day 1 from its listing with a rollup, after a late part and a new
	// compaction replaced the rollup: no rows (read the raw rows then).
	days, err = s.Days(schema.TableCPU, "web1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(days[1].Current(), resolutions) {
		t.Fatalf("day 1 compacted: Current() = %v", days[1].Current())
	}
	writeDays(t, s, "web1", stale.Day.Add(12*time.Hour+5*time.Second), 3, 10*time.Second) // late samples
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 2).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if f, err := s.ScanFiles(PerMinute, days[1], from, to, rollupCols...); err != nil || f.Len() != 0 {
		t.Errorf("a rollup replaced since the listing: %d rows, %v; want none, no error", f.Len(), err)
	}
	fresh, err := s.Days(schema.TableCPU, "web1")
	if err != nil {
		t.Fatal(err)
	}
	if f, err := s.ScanFiles(PerMinute, fresh[1], from, to, rollupCols...); err != nil || f.Len() == 0 {
		t.Errorf("the new rollup of day 1: %d rows, %v", f.Len(), err)
	}

	// Day 0 with its per-hour rollup gone, and its per-minute one a
	// folder: no current rollup at either.
	hourly, minutely := filepath.Join(s.Dir(), days[0].rollup(PerHour).path), filepath.Join(s.Dir(), days[0].rollup(PerMinute).path)
	if err := os.Remove(hourly); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Days(schema.TableCPU, "web1"); !slices.Equal(got[0].Current(), []Resolution{PerMinute}) {
		t.Errorf("day 0 without its per-hour rollup: Current() = %v, want [1m]", got[0].Current())
	}
	if err := os.Remove(minutely); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(minutely, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Days(schema.TableCPU, "web1"); len(got[0].Current()) != 0 {
		t.Errorf("day 0 with a folder for its per-minute rollup: Current() = %v, want none", got[0].Current())
	}

	// Day 2's folder moved elsewhere in the archive and linked back: the
	// same files, read the same.
	day2 := days[2]
	want2, err := s.Scan(schema.TableCPU, "web1", day2.Day, day2.End(), cols...)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(s.Dir(), filepath.FromSlash(day2.Dir()))
	moved := filepath.Join(s.Dir(), "elsewhere")
	if err := os.Rename(link, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../elsewhere", link); err != nil {
		t.Fatal(err)
	}
	linked, err := s.Days(schema.TableCPU, "web1")
	if err != nil || len(linked) != 3 {
		t.Fatalf("Days with a linked day folder: %d days, %v", len(linked), err)
	}
	got2, err := s.ScanFiles(Raw, linked[2], day2.Day, day2.End(), cols...)
	if err != nil {
		t.Fatal(err)
	}
	if want2.Len() == 0 {
		t.Fatal("day 2 has no rows")
	}
	if diff := gocmp.Diff(want2, got2, frameOpts...); diff != "" {
		t.Errorf("day 2 in a linked folder (-Scan +ScanFiles):\n%s", diff)
	}

	bad := DayFiles{Partition: Partition{Table: "nope", Host: "web1", Day: rollupDay0}}
	if _, err := s.ScanFiles(Raw, bad, rollupDay0, rollupDay0.Add(time.Hour)); err == nil {
		t.Error("ScanFiles of an unknown table: no error")
	}
	if _, err := s.Days("nope", "web1"); err == nil {
		t.Error("Days of an unknown table: no error")
	}
	if _, err := s.Days(schema.TableCPU, "../x"); err == nil {
		t.Error("Days of a bad host name: no error")
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// TestStamp checks that a day's stamp names the files ScanFiles reads at
// each resolution and changes when one of them does: a late part, a new
// compaction, a file touched.
func TestStamp(t *testing.T) {
	s := openStore(t, t.TempDir())
	writeDays(t, s, "web1", rollupDay0.Add(time.Hour), 360, 10*time.Second)
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	stamps := func() map[Resolution]string {
		t.Helper()
		days, err := s.Days(schema.TableCPU, "web1")
		if err != nil || len(days) != 1 {
			t.Fatalf("Days = %v, %v; want one day", days, err)
		}
		out := map[Resolution]string{}
		for _, res := range append([]Resolution{Raw}, resolutions...) {
			if out[res], err = s.Stamp(res, days[0]); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	first := stamps()
	for res, st := range first {
		want := "/day-"
		if res != Raw {
			want = rollupDir + "/" + res.String() + "/"
		}
		if !strings.Contains(st, want) || strings.Count(st, "\n") != 1 {
			t.Errorf("stamp at %v = %q, want one file with %q", res, st, want)
		}
	}
	if again := stamps(); !maps.Equal(again, first) {
		t.Errorf("stamps of an unchanged day differ: %v, then %v", first, again)
	}

	// A file touched: the stamp of its resolution only changes.
	hourly := filepath.Join(s.Dir(), strings.Fields(first[PerHour])[0])
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(hourly, later, later); err != nil {
		t.Fatal(err)
	}
	touched := stamps()
	for res := range first {
		if changed := touched[res] != first[res]; changed != (res == PerHour) {
			t.Errorf("touching the hourly rollup: the stamp at %v changed = %t", res, changed)
		}
	}

	// A late part: the day is read raw, from two files, and has no
	// current rollup.
	writeDays(t, s, "web1", rollupDay0.Add(12*time.Hour+5*time.Second), 3, 10*time.Second)
	late := stamps()
	if strings.Count(late[Raw], "\n") != 2 {
		t.Errorf("stamp with a late part = %q, want two files", late[Raw])
	}
	for _, res := range resolutions {
		if late[res] != "" {
			t.Errorf("stamp at %v with a late part = %q, want none (no current rollup)", res, late[res])
		}
	}

	// Compacted again: a new day file and new rollups.
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1).Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for res, st := range stamps() {
		if st == "" || st == first[res] || st == touched[res] {
			t.Errorf("stamp at %v after compacting again = %q, want a new one", res, st)
		}
	}
}

// TestDaysCached lists a host's days with listings kept (Listings) and
// compares each with Days: a day folder unchanged for a while is taken
// from its listing, its files stat'ed; a late part, a file rewritten in
// place, a folder changed within the minute and a folder replaced by
// another with the same time are seen; a damaged encoding is refused.
func TestDaysCached(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	writeDays(t, s, "web1", rollupDay0.Add(22*time.Hour), 1080, 10*time.Second) // days 0 and 1
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	day := func(i int) string {
		return filepath.Join(dir, Partition{Table: schema.TableCPU, Host: "web1", Day: rollupDay0.AddDate(0, 0, i)}.Dir())
	}
	age := func(i int) {
		t.Helper()
		settle(t, day(i))
	}
	age(0)
	age(1)
	check := func(what string, l *Listings, hits int) *Listings {
		t.Helper()
		want, err := s.Days(schema.TableCPU, "web1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.DaysCached(schema.TableCPU, "web1", time.Time{}, l)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 2 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: days %+v, want %+v", what, got, want)
		}
		if l.Hits() != hits {
			t.Errorf("%s: %d day folders from their listings, want %d", what, l.Hits(), hits)
		}
		next, err := ParseListings(l.Marshal())
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return next
	}
	l := check("first", NewListings(), 0)
	l = check("again", l, 2)

	// A late part in day 0: its folder changed just now, so it is listed,
	// and not kept until it has been unchanged for a while.
	writeDays(t, s, "web1", rollupDay0.Add(12*time.Hour+5*time.Second), 3, 10*time.Second)
	l = check("late part", l, 1)
	l = check("after the late part", l, 1)
	age(0)
	l = check("settled", l, 1)
	l = check("kept again", l, 2)

	// A file rewritten in place: the folder is the same, the file's size
	// and time are new.
	files, _ := filepath.Glob(filepath.Join(day(1), "*.parquet"))
	if len(files) == 0 {
		t.Fatal("no files in day 1")
	}
	f, err := os.OpenFile(files[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("more"))
	f.Close()
	l = check("rewritten in place", l, 2)

	// Day 1's folder replaced by another (a new inode) with the same time.
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(day(1), moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(day(1), 0o755); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(moved)
	for _, e := range ents {
		if err := os.Rename(filepath.Join(moved, e.Name()), filepath.Join(day(1), e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	age(1)
	l = check("folder replaced", l, 1)
	check("replaced folder kept", l, 2)

	b := l.Marshal()
	b[len(b)/2] ^= 0x10
	if _, err := ParseListings(b); err == nil {
		t.Error("damaged listings parsed")
	}
	if _, err := ParseListings(nil); err == nil {
		t.Error("no listings parsed")
	}
	// A name that is not one path element is refused, checksum or not:
	// a look for it would leave its day folder.
	for _, name := range []string{"../../../etc/passwd", "..", "a/b", ""} {
		bad := NewListings()
		bad.keep("cpu/host=web1/date=2026-08-20", dirListing{ino: 1, mtime: 2, names: []string{name}}, false)
		if _, err := ParseListings(bad.Marshal()); err == nil {
			t.Errorf("listings naming %q parsed", name)
		}
	}
}

// TestDaysCachedFrom lists the days from a time on: a day that ends at or
// before it is left out, and its folder is not looked at (no listing of it
// is used or kept); the day it falls in is listed.
func TestDaysCachedFrom(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	writeDays(t, s, "web1", rollupDay0.Add(22*time.Hour), 1080, 10*time.Second) // days 0 and 1
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 2).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		settle(t, filepath.Join(dir, Partition{Table: schema.TableCPU, Host: "web1", Day: rollupDay0.AddDate(0, 0, i)}.Dir()))
	}
	all, err := s.Days(schema.TableCPU, "web1")
	if err != nil || len(all) != 2 {
		t.Fatalf("Days: %d days, %v; want 2", len(all), err)
	}
	day1 := rollupDay0.AddDate(0, 0, 1)
	for _, tc := range []struct {
		what string
		from time.Time
		want []DayFiles
	}{
		{"every day", time.Time{}, all},
		{"day 0's start", rollupDay0, all},
		{"within day 0", rollupDay0.Add(23 * time.Hour), all},
		{"day 0's end", day1, all[1:]},
		{"within day 1", day1.Add(time.Hour), all[1:]},
		{"day 1's end", day1.AddDate(0, 0, 1), nil},
	} {
		l := NewListings()
		got, err := s.DaysCached(schema.TableCPU, "web1", tc.from, l)
		if err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		if len(got) != len(tc.want) || len(got) > 0 && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: days %+v, want %+v", tc.what, got, tc.want)
		}
		// Listed again with the listings kept: only the days from then on
		// were kept, and are taken from them.
		kept, err := ParseListings(l.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DaysCached(schema.TableCPU, "web1", time.Time{}, kept); err != nil {
			t.Fatal(err)
		}
		if kept.Hits() != len(tc.want) {
			t.Errorf("%s: %d day folders kept, want %d", tc.what, kept.Hits(), len(tc.want))
		}
	}
}

// settle makes the folders look unchanged for long enough that their
// listings are kept (listingSettled).
func settle(t testing.TB, folders ...string) {
	t.Helper()
	settled := time.Now().Add(-2 * listingSettled)
	for _, f := range folders {
		if err := os.Chtimes(f, settled, settled); err != nil {
			t.Fatal(err)
		}
	}
}
