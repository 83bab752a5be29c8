package archive

import (
	"almanac/schema"
	"cmp"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// writeDays writes n batches from start through a Writer flushing every
// ten minutes, so each day gets several parts.
func writeDays(t *testing.T, s *Store, host string, start time.Time, n int, interval time.Duration) []*schema.Batch {
	t.Helper()
	return writeFlushing(t, s, host, start, n, interval, 10*time.Minute)
}

func writeFlushing(t *testing.T, s *Store, host string, start time.Time, n int, interval, flush time.Duration) []*schema.Batch {
	t.Helper()
	w, err := s.Writer(host, WriterOptions{FlushEvery: flush, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	bs := batches(host, start, n, interval)
	appendAll(t, w, bs)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return bs
}

func globCount(t *testing.T, pattern string) int {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func sortedBy[T any](rows []T, keys ...func(a, b T) int) []T {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b T) int {
		for _, k := range keys {
			if c := k(a, b); c != 0 {
				return c
			}
		}
		return 0
	})
	return rows
}

func TestCompact(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	defer func(n int) { mergeChunk = n }(mergeChunk)
	mergeChunk = 1000 // several row groups a day
	// From 23:50 on the 20th to 00:50 on the 22nd in 5 min steps: three days.
	start := time.Date(2026, 8, 20, 23, 50, 0, 0, time.UTC)
	bs := writeFlushing(t, s, "web1", start, 25*12+1, 5*time.Minute, time.Hour)
	now := time.Date(2026, 8, 22, 0, 10, 0, 0, time.UTC)
	all := merged(bs)

	before := globCount(t, filepath.Join(dir, "cpu", "host=web1", "date=2026-08-21", "part-*.parquet"))
	if before < 2 {
		t.Fatalf("%d cpu parts on the 21st before compaction, want several", before)
	}
	st, err := s.Compact("web1", now)
	if err != nil {
		t.Fatal(err)
	}
	if st.Partitions == 0 || st.Removed < st.FilesIn || st.Rows == 0 || st.BytesOut == 0 {
		t.Errorf("stats = %+v", st)
	}
	mergeZstd.mu.Lock()
	if n := len(mergeZstd.free); n != 0 {
		t.Errorf("%d idle encoders of merges kept after the compaction, want none", n)
	}
	mergeZstd.mu.Unlock()
	for _, day := range []string{"2026-08-20", "2026-08-21"} {
		d := filepath.Join(dir, "cpu", "host=web1", "date="+day)
		if n := globCount(t, filepath.Join(d, "*")); n != 1 {
			t.Errorf("%s: %d files after compaction, want 1", d, n)
		}
		if n := globCount(t, filepath.Join(d, "day-*.parquet")); n != 1 {
			t.Errorf("%s: %d day files, want 1", d, n)
		}
	}
	// Today is left alone.
	if n := globCount(t, filepath.Join(dir, "cpu", "host=web1", "date=2026-08-22", "part-*.parquet")); n == 0 {
		t.Error("today's parts were compacted")
	}

	// Every row is still there, now in key then time order.
	byTime := func(a, b schema.CPURow) int { return cmp.Compare(a.Time, b.Time) }
	byCPU := func(a, b schema.CPURow) int { return cmp.Compare(a.CPU, b.CPU) }
	gotCPU := readTable[schema.CPURow](t, dir, "cpu", "web1")
	if diff := gocmp.Diff(sortedBy(all.CPU, byTime, byCPU), sortedBy(gotCPU, byTime, byCPU)); diff != "" {
		t.Errorf("cpu rows mismatch (-want +got):\n%s", diff)
	}
	pByKey := func(a, b schema.ProcessRow) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.PID, b.PID), cmp.Compare(a.StartTime, b.StartTime))
	}
	gotProc := readTable[schema.ProcessRow](t, dir, "process", "web1")
	if diff := gocmp.Diff(sortedBy(all.Process, pByKey), sortedBy(gotProc, pByKey)); diff != "" {
		t.Errorf("process rows mismatch (-want +got):\n%s", diff)
	}
	dayFile, _ := filepath.Glob(filepath.Join(dir, "process", "host=web1", "date=2026-08-21", "day-*.parquet"))
	rows, err := parquet.ReadFile[schema.ProcessRow](dayFile[0])
	if err != nil {
		t.Fatal(err)
	}
	// Each row group (mergeChunk rows) is in (pid, start_time, time) order.
	for i := 0; i < len(rows); i += mergeChunk {
		if !slices.IsSortedFunc(rows[i:min(i+mergeChunk, len(rows))], func(a, b schema.ProcessRow) int {
			return cmp.Or(cmp.Compare(a.PID, b.PID), cmp.Compare(a.StartTime, b.StartTime), cmp.Compare(a.Time, b.Time))
		}) {
			t.Errorf("compacted process rows %d.. are not in (pid, start_time, time) order", i)
		}
	}
	// Scan still returns time order.
	f, err := s.Scan("cpu", "web1", start, now.Add(time.Hour), "cpu", "user_pct")
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != len(all.CPU) || !slices.IsSorted(f.Time) {
		t.Errorf("Scan after compaction: %d rows, sorted %v; want %d sorted", f.Len(), slices.IsSorted(f.Time), len(all.CPU))
	}

	// A second compaction has nothing to do.
	st, err = s.Compact("web1", now)
	if err != nil || st.Partitions != 0 || st.Removed != 0 {
		t.Errorf("second Compact = %+v, %v; want nothing done", st, err)
	}
}

// TestCompactBetween checks that CompactOptions.Between is called after
// each partition and, in a closed day, between its merge and its rollups
// (almanac sample drops its binary's pages there).
func TestCompactBetween(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	start := time.Date(2026, 8, 20, 23, 50, 0, 0, time.UTC)
	writeFlushing(t, s, "web1", start, 25*12+1, 5*time.Minute, time.Hour)
	now := time.Date(2026, 8, 22, 0, 10, 0, 0, time.UTC)
	closed := globCount(t, filepath.Join(dir, "*", "host=web1", "date=2026-08-2[01]"))
	open := globCount(t, filepath.Join(dir, "*", "host=web1", "date=2026-08-22"))
	if closed == 0 || open == 0 {
		t.Fatalf("%d closed and %d open day folders, want some of both", closed, open)
	}
	for _, want := range []int{2*closed + open, closed + open} { // then nothing to merge
		calls := 0
		if _, err := s.CompactWith("web1", now, CompactOptions{Between: func() { calls++ }}); err != nil {
			t.Fatal(err)
		}
		if calls != want {
			t.Errorf("Between called %d times, want %d (%d closed day folders, %d open)", calls, want, closed, open)
		}
	}
}

// TestCoveredParts plays a crash between renaming a day file in and
// deleting the parts it covers.
func TestCoveredParts(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	bs := writeFlushing(t, s, "web1", t0, 30, 10*time.Second, time.Minute)
	d := filepath.Join(dir, "system", "host=web1", "date=2026-08-21")
	parts, _ := filepath.Glob(filepath.Join(d, "part-*.parquet"))
	saved := map[string][]byte{}
	for _, p := range parts {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		saved[p] = b
	}
	if _, err := s.Compact("web1", t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	for p, b := range saved {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := s.Scan("system", "web1", t0, t0.Add(time.Hour), "load1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Len(), len(merged(bs).System); got != want {
		t.Errorf("Scan with covered parts = %d rows, want %d", got, want)
	}
	st, err := s.Compact("web1", t0.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if n := globCount(t, filepath.Join(d, "part-*")); n != 0 || st.Removed < len(saved) {
		t.Errorf("after Compact: %d parts left, %d removed; want 0 left, %d removed", n, st.Removed, len(saved))
	}
}

// TestLatePart: a part written after its day was compacted (a journal
// replayed late) is read beside the day file, then merged into it.
func TestLatePart(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	bs := writeDays(t, s, "web1", t0, 10, 10*time.Second)
	if _, err := s.Compact("web1", t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	late := writeDays(t, s, "web1", t0.Add(time.Hour), 3, 10*time.Second)
	want := len(merged(bs).Memory) + len(merged(late).Memory)
	f, err := s.Scan("memory", "web1", t0, t0.Add(2*time.Hour), "free_bytes")
	if err != nil || f.Len() != want {
		t.Fatalf("Scan = %d rows, %v; want %d", f.Len(), err, want)
	}
	if _, err := s.Compact("web1", t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(dir, "memory", "host=web1", "date=2026-08-21")
	if n := globCount(t, filepath.Join(d, "*")); n != 1 {
		t.Errorf("%d files after the second compaction, want 1", n)
	}
	if f, err := s.Scan("memory", "web1", t0, t0.Add(2*time.Hour), "free_bytes"); err != nil || f.Len() != want {
		t.Errorf("Scan = %d rows, %v; want %d", f.Len(), err, want)
	}
}

func TestCorruptFile(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	bs := writeFlushing(t, s, "web1", t0, 30, 10*time.Second, time.Minute)
	d := filepath.Join(dir, "system", "host=web1", "date=2026-08-21")
	parts, _ := filepath.Glob(filepath.Join(d, "part-*.parquet"))
	if len(parts) < 3 {
		t.Fatalf("%d parts, want 3 or more", len(parts))
	}
	slices.Sort(parts)
	// One part cut in half, one whose data pages are overwritten.
	truncated, garbled := parts[0], parts[1]
	b, _ := os.ReadFile(truncated)
	os.WriteFile(truncated, b[:len(b)/2], 0o644)
	b, _ = os.ReadFile(garbled)
	for i := 4; i < len(b)/2; i++ {
		b[i] = 0xa5
	}
	os.WriteFile(garbled, b, 0o644)
	goodRows := 0
	for _, p := range parts[2:] {
		r, err := parquet.ReadFile[schema.SystemRow](p)
		if err != nil {
			t.Fatal(err)
		}
		goodRows += len(r)
	}

	f, err := s.Scan("system", "web1", t0, t0.Add(time.Hour), "load1", "boot_time")
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Scan error = %v, want ErrCorrupt", err)
	}
	for _, p := range []string{truncated, garbled} {
		if !strings.Contains(err.Error(), filepath.Base(p)) {
			t.Errorf("Scan error %q does not name %s", err, filepath.Base(p))
		}
	}
	if f.Len() != goodRows || len(f.Num["load1"]) != goodRows {
		t.Errorf("Scan = %d rows, want the %d of the intact parts", f.Len(), goodRows)
	}
	_ = bs

	if _, err := s.List(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("List error = %v, want ErrCorrupt", err)
	}
	st, err := s.Compact("web1", t0.AddDate(0, 0, 1))
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("Compact error = %v, want ErrCorrupt", err)
	}
	if n := globCount(t, filepath.Join(d, ".*.corrupt")); n != 2 {
		t.Errorf("%d files set aside, want 2 (stats %+v, err %v)", n, st, err)
	}
	f, err = s.Scan("system", "web1", t0, t0.Add(time.Hour), "load1")
	if err != nil || f.Len() != goodRows {
		t.Errorf("Scan after Compact = %d rows, %v; want %d, nil", f.Len(), err, goodRows)
	}
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	for i := range 3 {
		writeDays(t, s, "web1", t0.AddDate(0, 0, i), 2, 10*time.Second)
	}
	writeDays(t, s, "old", t0, 2, 10*time.Second)
	now := t0.AddDate(0, 0, 3) // 09:00 on the 24th
	done, err := s.Prune(now, 2*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Only the 21st ended (22nd 00:00) more than 48 h before the 24th 09:00.
	for _, p := range done {
		if !p.Day.Equal(Day(t0)) {
			t.Errorf("pruned %v", p)
		}
	}
	if len(done) == 0 {
		t.Fatal("nothing pruned")
	}
	if n := globCount(t, filepath.Join(dir, "*", "host=web1", "date=2026-08-21")); n != 0 {
		t.Errorf("%d folders of the 21st left", n)
	}
	if n := globCount(t, filepath.Join(dir, "cpu", "host=web1", "date=*")); n != 2 {
		t.Errorf("%d cpu days left, want 2", n)
	}
	hosts, err := s.Hosts()
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff([]string{"web1"}, hosts); diff != "" {
		t.Errorf("Hosts after prune mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.Prune(now, 0); err == nil {
		t.Error("Prune with keep 0: no error")
	}
}

func TestListAndNewest(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if _, err := s.Newest("web1"); !errors.Is(err, ErrNoData) {
		t.Errorf("Newest of an empty archive = %v, want ErrNoData", err)
	}
	bs := writeDays(t, s, "web1", t0, 20, 10*time.Second)
	last := bs[len(bs)-1].Time
	got, err := s.Newest("web1")
	if err != nil || !got.Equal(last) {
		t.Errorf("Newest = %v, %v; want %v", got, err, last)
	}
	// An appended batch counts before it is flushed.
	w, err := s.Writer("web1", WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	more := batches("web1", last.Add(time.Minute), 1, time.Second)
	appendAll(t, w, more)
	if got, err := s.Newest("web1"); err != nil || !got.Equal(more[0].Time) {
		t.Errorf("Newest with a pending batch = %v, %v; want %v", got, err, more[0].Time)
	}
	w.Close()

	infos, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	all := merged(append(bs, more...))
	byTable := map[string]PartitionInfo{}
	for _, in := range infos {
		byTable[in.Table] = in
		if in.Host != "web1" || !in.Day.Equal(Day(t0)) || in.Bytes == 0 || in.Files == 0 {
			t.Errorf("List: %+v", in)
		}
	}
	for _, table := range schema.Names() {
		if got, want := byTable[table].Rows, int64(tables[table].count(all)); got != want {
			t.Errorf("List rows of %s = %d, want %d", table, got, want)
		}
	}
}

// TestConsolidate: today's parts become one hour file per ended hour, the
// parts of the open hour stay, every row is read once, and a late part of
// an ended hour is merged with its hour file by the next run.
func TestConsolidate(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	// 09:00 to 11:30 with a part every 10 minutes.
	bs := writeFlushing(t, s, "web1", t0, 900, 10*time.Second, 10*time.Minute)
	now := t0.Add(2*time.Hour + 31*time.Minute)
	st, err := s.Compact("web1", now)
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(dir, "memory", "host=web1", "date=2026-08-21")
	hours := globCount(t, filepath.Join(d, "hour-*.parquet"))
	parts := globCount(t, filepath.Join(d, "part-*.parquet"))
	// 09 and 10 are ended: one file each; 11 is open: its 3 parts stay.
	all := globCount(t, filepath.Join(dir, "*", "host=web1", "date=*", "hour-*.parquet"))
	if hours != 2 || parts != 3 || st.Consolidated != all || all < 2*(len(tableList)-2) || st.Partitions != 0 {
		t.Errorf("after consolidation: %d hour files, %d parts of memory, stats %+v, %d hour files in all", hours, parts, st, all)
	}
	checkRows(t, s, dir, "web1", merged(bs))
	f, err := s.Scan("memory", "web1", t0, now, "free_bytes")
	if err != nil || f.Len() != len(merged(bs).Memory) {
		t.Fatalf("Scan = %d rows, %v; want %d", f.Len(), err, len(merged(bs).Memory))
	}
	if !slices.IsSorted(f.Time) {
		t.Errorf("Scan of hour files and parts is not in time order")
	}
	// The hour file is sorted like a day file and says so.
	names, _ := filepath.Glob(filepath.Join(d, "hour-*.parquet"))
	sorting := fileSorting(t, names[0])
	if want := []string{"time"}; !slices.Equal(sorting, want) {
		t.Errorf("hour file of memory sorted by %v, want %v", sorting, want)
	}
	// A run that finds nothing to do writes nothing.
	if st, err := s.Compact("web1", now); err != nil || st.Consolidated != 0 || st.Removed != 0 {
		t.Errorf("second run: %+v, %v; want nothing done", st, err)
	}
	// The next hour ends: its parts merge; the day ends: one day file.
	st, err = s.Compact("web1", t0.Add(3*time.Hour))
	if err != nil || st.Consolidated < len(tableList)-2 || globCount(t, filepath.Join(d, "part-*")) != 0 {
		t.Errorf("at 12:00: %+v, %v; want an hour file of each table, no part left", st, err)
	}
	if _, err := s.Compact("web1", t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if n := globCount(t, filepath.Join(d, "*")); n != 1 || globCount(t, filepath.Join(d, "day-*.parquet")) != 1 {
		t.Errorf("after the day closed: %d files, want one day file", n)
	}
	checkRows(t, s, dir, "web1", merged(bs))
}

// fileSorting returns the sorting columns a data file's first row group
// declares.
func fileSorting(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range pf.RowGroups()[0].SortingColumns() {
		out = append(out, strings.Join(c.Path(), "."))
	}
	return out
}

// TestConsolidateLeftovers puts the folder in each state a consolidation
// killed at some moment leaves (a tmp hour file; the hour file renamed in
// beside every part it covers; some parts deleted), and checks readers see
// every row once in each, and the next run cleans up.
func TestConsolidateLeftovers(t *testing.T) {
	for _, state := range []string{"tmp", "renamed", "half deleted"} {
		t.Run(state, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir)
			bs := writeFlushing(t, s, "web1", t0, 360, 10*time.Second, 10*time.Minute)
			d := filepath.Join(dir, "system", "host=web1", "date=2026-08-21")
			parts, _ := filepath.Glob(filepath.Join(d, "part-*.parquet"))
			saved := map[string][]byte{}
			for _, p := range parts {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				saved[p] = b
			}
			now := t0.Add(time.Hour + time.Minute)
			if _, err := s.Compact("web1", now); err != nil {
				t.Fatal(err)
			}
			hour, _ := filepath.Glob(filepath.Join(d, "hour-*.parquet"))
			if len(hour) != 1 {
				t.Fatalf("hour files: %v, want one", hour)
			}
			// Bring back the state the kill left.
			for p, b := range saved {
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			switch state {
			case "tmp":
				if err := os.Rename(hour[0], filepath.Join(d, "."+filepath.Base(hour[0])+".tmp")); err != nil {
					t.Fatal(err)
				}
			case "half deleted":
				mustRemove(t, parts[0])
			}
			want := len(merged(bs).System)
			f, err := s.Scan("system", "web1", t0, now, "load1")
			if err != nil || f.Len() != want {
				t.Errorf("Scan in state %q = %d rows, %v; want %d", state, f.Len(), err, want)
			}
			keys, err := s.ClosedFiles()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if strings.HasPrefix(k, "system/") && strings.Contains(k, "/part-") && state != "tmp" {
					t.Errorf("ClosedFiles lists the covered part %s", k)
				}
			}
			if _, err := s.Compact("web1", now); err != nil {
				t.Fatal(err)
			}
			if n, h := globCount(t, filepath.Join(d, "*")), globCount(t, filepath.Join(d, "hour-*.parquet")); n != 1 || h != 1 {
				t.Errorf("after the next run: %d entries, %d hour files; want the hour file only", n, h)
			}
			if tmp := globCount(t, filepath.Join(d, ".*")); tmp != 0 {
				t.Errorf("%d hidden files left", tmp)
			}
			checkRows(t, s, dir, "web1", merged(bs))
		})
	}
}

// checkRows checks that the live files of host hold the rows of want, in
// any order (hour and day files sort by key): every row of some tables,
// and the number of rows of every table.
func checkRows(t *testing.T, s *Store, dir, host string, want *schema.Batch) {
	t.Helper()
	sameRows(t, "system", want.System, readTable[schema.SystemRow](t, dir, "system", host))
	sameRows(t, "cpu", want.CPU, readTable[schema.CPURow](t, dir, "cpu", host))
	sameRows(t, "process", want.Process, readTable[schema.ProcessRow](t, dir, "process", host))
	sameRows(t, "alert", want.Alert, readTable[schema.AlertRow](t, dir, "alert", host))
	infos, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, in := range infos {
		got[in.Table] += in.Rows
	}
	for _, tb := range tableList {
		if n := int64(tb.count(want)); got[tb.name()] != n {
			t.Errorf("table %s: %d rows in the archive, want %d", tb.name(), got[tb.name()], n)
		}
	}
}

// sameRows compares two lists of rows as multisets.
func sameRows[T any](t *testing.T, table string, want, got []T) {
	t.Helper()
	str := func(rows []T) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = string(b)
		}
		slices.Sort(out)
		return out
	}
	if diff := gocmp.Diff(str(want), str(got)); diff != "" {
		t.Errorf("table %s rows mismatch (-want +got):\n%s", table, diff)
	}
}
