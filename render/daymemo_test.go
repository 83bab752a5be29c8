package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// memoFleet is two hosts with twelve days of samples, their closed days
// compacted: one steady, every 10 minutes (few enough samples that every
// range draws them all: closed days are read raw), one every 5 minutes
// with a day off and a reboot (the days before the last 24 hours are read
// from their per-minute rollups).
func memoFleet(t *testing.T) *archive.Store {
	n := fixedNow
	st := writeFixture(t,
		fixtureHost{Name: "steady", Every: 10 * time.Minute, Processes: 2, Seed: 5,
			Spans: []span{{From: n.Add(-12 * 24 * time.Hour), To: n.Add(time.Second)}}},
		fixtureHost{Name: "bumpy", Every: 5 * time.Minute, Processes: 2, Seed: 6,
			Spans: []span{
				{From: n.Add(-12 * 24 * time.Hour), To: n.Add(-6 * 24 * time.Hour)},
				{From: n.Add(-5 * 24 * time.Hour), To: n.Add(time.Second), Boot: n.Add(-5*24*time.Hour - time.Minute)},
			}},
	)
	for _, h := range []string{"steady", "bumpy"} {
		if _, err := st.Compact(h, n); err != nil {
			t.Fatal(err)
		}
	}
	// The day folders as a timer finds them: unchanged for a while, so a
	// render keeps their listings (archive.Listings).
	settled := time.Now().Add(-10 * time.Minute)
	err := filepath.WalkDir(st.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && strings.HasPrefix(d.Name(), "date=") {
			err = os.Chtimes(p, settled, settled)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestDaysBeforeLongestRange renders a host whose archive holds days
// before the 365-day range's start, as one kept with --keep 0 does: its
// pages must equal those of the archive without them, and a render must
// not look at their folders (the render cache's kept listings count the
// folders looked at: as many as the archive without them has).
func TestDaysBeforeLongestRange(t *testing.T) {
	n := fixedNow
	from := n.Add(-longest)
	write := func() *archive.Store {
		st := writeFixture(t, fixtureHost{Name: "old", Every: 30 * time.Minute, Processes: 2, Seed: 9,
			Spans: []span{{From: n.Add(-369 * 24 * time.Hour), To: n.Add(-363 * 24 * time.Hour)},
				{From: n.Add(-2 * 24 * time.Hour), To: n.Add(time.Second)}}})
		if _, err := st.Compact("old", n); err != nil {
			t.Fatal(err)
		}
		return st
	}
	full, pruned := write(), write()
	// The folders of the days that end at or before the range's start,
	// removed from one archive; all of them settled, as a timer finds them.
	removed := 0
	settled := time.Now().Add(-10 * time.Minute)
	for _, st := range []*archive.Store{full, pruned} {
		err := filepath.WalkDir(st.Dir(), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() || !strings.HasPrefix(d.Name(), "date=") {
				return err
			}
			day, err := time.Parse(time.DateOnly, strings.TrimPrefix(d.Name(), "date="))
			if err != nil {
				return err
			}
			if st == pruned && !day.AddDate(0, 0, 1).After(from) {
				removed++
				if err := os.RemoveAll(p); err != nil {
					return err
				}
				return fs.SkipDir
			}
			return os.Chtimes(p, settled, settled)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if removed == 0 {
		t.Fatal("the fixture has no day before the longest range")
	}
	render := func(st *archive.Store, cache, out string) Report {
		t.Helper()
		var rep Report
		for i := range 2 { // the second render uses the listings the first kept
			var err error
			rep, err = Build(context.Background(), st, Options{Out: filepath.Join(out, fmt.Sprint(i)), Now: n, Log: quietLog(), Cache: cache})
			if err != nil {
				t.Fatal(err)
			}
		}
		return rep
	}
	dir := t.TempDir()
	got := render(full, filepath.Join(dir, "cache-full"), filepath.Join(dir, "full"))
	want := render(pruned, filepath.Join(dir, "cache-pruned"), filepath.Join(dir, "pruned"))
	compareSites(t, "days before the range", filepath.Join(dir, "full", "1"), filepath.Join(dir, "pruned", "1"))
	if want.FoldersKept == 0 || got.FoldersKept != want.FoldersKept {
		t.Errorf("day folders looked at from their kept listings: %d, want %d (%d folders before the range removed): the days before the range were looked at",
			got.FoldersKept, want.FoldersKept, removed)
	}
}

// TestDayMemo renders with a render cache at later and later times, as a
// timer does, with changes to the archive in between: each render must
// equal a full render without a cache, add the closed days it can from
// the day memo, and read again the days whose files changed.
func TestDayMemo(t *testing.T) {
	st := memoFleet(t)
	cache := filepath.Join(t.TempDir(), "render-cache")
	now := fixedNow
	render := func(what string) Report {
		t.Helper()
		now = now.Add(5 * time.Minute)
		dir := t.TempDir()
		rep, err := Build(context.Background(), st, Options{Out: filepath.Join(dir, "cached"), Now: now, Log: quietLog(), Cache: cache})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if _, err := Build(context.Background(), st, Options{Out: filepath.Join(dir, "full"), Now: now, Log: quietLog()}); err != nil {
			t.Fatal(err)
		}
		compareSites(t, what, filepath.Join(dir, "cached"), filepath.Join(dir, "full"))
		if rep.Cached != 0 {
			t.Errorf("%s: %d hosts' pages from the cache at a new render time", what, rep.Cached)
		}
		return rep
	}
	first := render("first render")
	if first.DaysKept != 0 || first.DaysRead == 0 {
		t.Fatalf("first render: %d days kept, %d read; want none kept, some read", first.DaysKept, first.DaysRead)
	}
	later := render("five minutes later")
	if later.DaysKept == 0 || later.DaysRead >= first.DaysRead/2 {
		t.Fatalf("five minutes later: %d days kept, %d read (the first render read %d): the memo was not used",
			later.DaysKept, later.DaysRead, first.DaysRead)
	}
	steady := render("steady")
	if steady.DaysRead != later.DaysRead {
		t.Errorf("nothing changed: %d days read, %d the render before", steady.DaysRead, later.DaysRead)
	}
	// Each closed day's folder, unchanged, was taken from its listing.
	if first.FoldersKept != 0 || steady.FoldersKept < steady.DaysKept {
		t.Errorf("day folders from their listings: %d at first, %d later (%d days kept); want none, then at least one a day kept",
			first.FoldersKept, steady.FoldersKept, steady.DaysKept)
	}

	// A late part: samples of "steady" four days ago, in a closed day.
	day := now.Add(-4 * 24 * time.Hour).Truncate(24 * time.Hour)
	g := synth.New(synth.Host{Name: "steady", Seed: 77})
	appendLate(t, st, "steady", g.Batch(day.Add(3*time.Hour+5*time.Minute)))
	late := render("late part")
	if late.DaysRead <= steady.DaysRead {
		t.Errorf("after a late part: %d days read, as many as before (%d): the changed day came from the memo", late.DaysRead, steady.DaysRead)
	}
	if r := render("after the late part"); r.DaysRead != steady.DaysRead {
		t.Errorf("the render after the late part's: %d days read, want %d", r.DaysRead, steady.DaysRead)
	}

	// The day compacted again: a new day file and new rollups.
	if _, err := st.Compact("steady", now); err != nil {
		t.Fatal(err)
	}
	if r := render("compacted again"); r.DaysRead <= steady.DaysRead {
		t.Errorf("after a new compaction: %d days read, as many as before (%d)", r.DaysRead, steady.DaysRead)
	}
	if r := render("after the compaction"); r.DaysRead != steady.DaysRead {
		t.Errorf("the render after the compaction's: %d days read, want %d", r.DaysRead, steady.DaysRead)
	}

	// A rollup file rewritten in place (same name, new modification time).
	rollups, _ := filepath.Glob(filepath.Join(st.Dir(), "rollup", "*", "memory", "host=bumpy", "date=*", "*.parquet"))
	if len(rollups) == 0 {
		t.Fatal("no memory rollups of bumpy")
	}
	touched := time.Now().Add(time.Hour)
	for _, f := range rollups {
		if err := os.Chtimes(f, touched, touched); err != nil {
			t.Fatal(err)
		}
	}
	if r := render("rollup rewritten"); r.DaysRead <= steady.DaysRead {
		t.Errorf("after touching the memory rollups: %d days read, as many as before (%d)", r.DaysRead, steady.DaysRead)
	}

	// A day file rewritten in place (same name, new modification time).
	files, _ := filepath.Glob(filepath.Join(st.Dir(), "disk", "host=steady", "date=*", "day-*.parquet"))
	if len(files) == 0 {
		t.Fatal("no disk day files of steady")
	}
	for _, f := range files {
		if err := os.Chtimes(f, touched, touched); err != nil {
			t.Fatal(err)
		}
	}
	if r := render("day file rewritten"); r.DaysRead <= steady.DaysRead {
		t.Errorf("after touching the disk day files: %d days read, as many as before (%d)", r.DaysRead, steady.DaysRead)
	}

	// A damaged memo file is thrown away: its days are read again and the
	// pages are still right.
	memo := filepath.Join(cache, "days", hostDir("bumpy"), "memory.memo")
	damage(t, memo, 0xff)
	if r := render("damaged memo"); r.DaysRead <= steady.DaysRead {
		t.Errorf("after damaging a memo file: %d days read, as many as before (%d)", r.DaysRead, steady.DaysRead)
	}
}

// TestDayMemoJitter renders a host whose samples are a minute apart and
// a little late, as a sampler's timer wakes it (100 µs or 300 µs): new
// samples that move the median distance by those µs must not change the
// day memo's keys, or a timer's render would read every day again.
func TestDayMemoJitter(t *testing.T) {
	st, err := archive.Open(t.TempDir(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	g := synth.New(synth.Host{Name: "jitter", Seed: 9})
	at := fixedNow.Add(-4 * 24 * time.Hour).Truncate(24 * time.Hour)
	take := func(n int, late func(i int) time.Duration) []*schema.Batch {
		var bs []*schema.Batch
		for i := range n {
			at = at.Add(time.Minute + late(i))
			bs = append(bs, g.Batch(at))
		}
		return bs
	}
	// Up to two hours before now: 40 more intervals 100 µs late than
	// 300 µs late, so the median distance is 1 min + 100 µs.
	n := int(fixedNow.Add(-2*time.Hour).Sub(at) / time.Minute)
	appendLate(t, st, "jitter", take(n, func(i int) time.Duration {
		if i < 40 || i%2 == 0 {
			return 100 * time.Microsecond
		}
		return 300 * time.Microsecond
	})...)
	if _, err := st.Compact("jitter", fixedNow); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), "render-cache")
	render := func(now time.Time) Report {
		t.Helper()
		rep, err := Build(context.Background(), st, Options{Out: filepath.Join(t.TempDir(), "site"), Now: now, Log: quietLog(), Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	render(fixedNow)
	steady := render(fixedNow.Add(5 * time.Minute))
	if steady.DaysKept == 0 {
		t.Fatalf("nothing changed: no day kept (%d read)", steady.DaysRead)
	}
	// 100 samples 300 µs late: now the median is 1 min + 300 µs.
	appendLate(t, st, "jitter", take(100, func(int) time.Duration { return 300 * time.Microsecond })...)
	if later := render(fixedNow.Add(10 * time.Minute)); later.DaysRead != steady.DaysRead || later.DaysKept != steady.DaysKept {
		t.Errorf("after samples of today: %d days kept and %d read, want %d and %d as before: the closed days were read again",
			later.DaysKept, later.DaysRead, steady.DaysKept, steady.DaysRead)
	}
}

// TestReplayDamaged checks that a day's record cut short or with bytes
// left over adds nothing, and that a whole one adds what the day added.
func TestReplayDamaged(t *testing.T) {
	now := fixedNow.UnixMicro()
	g := &gatherer{now: now, from: now - longest.Microseconds(), d: &hostData{}}
	g.setModes(nil)
	day := fixedNow.Add(-3 * 24 * time.Hour).Truncate(24 * time.Hour).UnixMicro()
	var ts []int64
	var keys []string
	var vs []float64
	for i := range 300 {
		for _, k := range []string{"sda", "sdb"} {
			ts, keys, vs = append(ts, day+int64(i)*60_000_000), append(keys, k), append(vs, float64(i%17))
		}
	}
	set, week, h := g.newSet(1), &weekStat{}, g.newHeat()
	accs := []dayAcc{set, &weekDays{w: week}, h}
	for _, a := range accs {
		a.begin()
	}
	set.add(ts, keys, vs)
	week.add(3, 5, 60)
	h.add(ts, keys, vs)
	var b memoBuf
	for _, a := range accs {
		a.end(&b, 0, false)
	}
	rec := b.b

	for _, bad := range [][]byte{rec[:len(rec)-1], rec[:len(rec)/2], rec[:1], nil, append(slices.Clone(rec), 0)} {
		s2, w2, h2 := g.newSet(1), &weekStat{}, g.newHeat()
		if g.replay([]dayAcc{s2, &weekDays{w: w2}, h2}, bad) {
			t.Errorf("a record of %d bytes (of %d) replayed", len(bad), len(rec))
		}
		if len(s2.seen) != 0 || w2.seen || len(h2.cells[1]) != 0 || slices.ContainsFunc(s2.parts, func(p []chunkPart) bool { return len(p) > 0 }) {
			t.Errorf("a record of %d bytes (of %d) that did not replay added something", len(bad), len(rec))
		}
	}
	s2, w2, h2 := g.newSet(1), &weekStat{}, g.newHeat()
	if !g.replay([]dayAcc{s2, &weekDays{w: w2}, h2}, rec) {
		t.Fatal("the whole record did not replay")
	}
	if !reflect.DeepEqual(s2.keys(), set.keys()) || *w2 != *week {
		t.Errorf("replayed keys %v and week %+v, want %v and %+v", s2.keys(), *w2, set.keys(), *week)
	}
	for r := range ranges {
		got, want := s2.grid(r, set.keys()), set.grid(r, set.keys())
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("range %d: replayed grid differs", r)
		}
		if fmt.Sprint(h2.rows(r, set.keys())) != fmt.Sprint(h.rows(r, set.keys())) {
			t.Errorf("range %d: replayed heatmap differs", r)
		}
	}
}

// FuzzReplay feeds records to the accumulators of every kind: none may
// panic, and a record that does not decode adds nothing.
func FuzzReplay(f *testing.F) {
	now := fixedNow.UnixMicro()
	g := &gatherer{now: now, from: now - longest.Microseconds(), d: &hostData{}}
	g.setModes(nil)
	accsOf := func() ([]dayAcc, *seriesSet) {
		set := g.newSet(2)
		var w weekStat
		var t, last int64
		v := math.NaN()
		labels := map[string]string{}
		var ts []int64
		var fs []float64
		groups := map[string]*groupAcc{}
		meta := map[string]customMeta{}
		prev := map[string][2]float64{}
		return []dayAcc{set, &weekDays{w: &w}, g.newHeat(), &newest{t: &t, v: &v}, &latestTime{t: &last},
			&newestOf[string]{m: &labels, put: (*memoBuf).str, get: (*memoReader).str},
			&appended{ints: []*[]int64{&ts}, floats: []*[]float64{&fs}, bound: bound(0)}, &groupDays{m: &groups},
			&timesAcc{}, &newestOf[customMeta]{m: &meta, put: putCustomMeta, get: getCustomMeta},
			&carried[[2]float64]{m: &prev, put: putPrev, get: getPrev}}, set
	}
	// A real record as the seed.
	accs, set := accsOf()
	for _, a := range accs {
		a.begin()
	}
	day := fixedNow.Add(-3 * 24 * time.Hour).Truncate(24 * time.Hour).UnixMicro()
	set.add([]int64{day, day + 60_000_000}, []string{"a", "a"}, []float64{1, 2}, []float64{3, 4})
	var b memoBuf
	for _, a := range accs {
		a.end(&b, 0, false)
	}
	f.Add(b.b)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, rec []byte) {
		accs, set := accsOf()
		ok := g.replay(accs, rec)
		if !ok && len(set.seen) != 0 {
			t.Errorf("a record that did not decode added keys %v", set.keys())
		}
		for r := range ranges {
			set.grid(r, set.keys()) // must not panic
		}
	})
}

// TestDayMemoEarlier renders with a render cache made by a later render:
// the days a range starts in were kept as of that later time, and what
// they add to the windows that start in them must not come from there.
func TestDayMemoEarlier(t *testing.T) {
	st := memoFleet(t)
	cache := filepath.Join(t.TempDir(), "render-cache")
	for i, now := range []time.Time{fixedNow.Add(3 * time.Hour), fixedNow.Add(time.Hour)} {
		dir := t.TempDir()
		rep, err := Build(context.Background(), st, Options{Out: filepath.Join(dir, "cached"), Now: now, Log: quietLog(), Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Build(context.Background(), st, Options{Out: filepath.Join(dir, "full"), Now: now, Log: quietLog()}); err != nil {
			t.Fatal(err)
		}
		compareSites(t, now.Format(time.TimeOnly), filepath.Join(dir, "cached"), filepath.Join(dir, "full"))
		if i == 1 && rep.DaysKept == 0 {
			t.Errorf("the earlier render kept no day from the memo")
		}
	}
}

// dayScans is a scanner that counts the reads of one table's days (with
// rollups set, of its rollups only), and can make the rollups of one day
// read as empty (a day compacted again since its listing).
type dayScans struct {
	*archive.Store
	table   string
	rollups bool
	mu      sync.Mutex
	reads   map[time.Time]int
	gone    time.Time // the day whose rollups read as empty (zero: none)
}

func (s *dayScans) ScanFiles(res archive.Resolution, d archive.DayFiles, from, to time.Time, cols ...string) (*archive.Frame, error) {
	if d.Table == s.table && (res != archive.Raw || !s.rollups) {
		s.mu.Lock()
		s.reads[d.Day]++
		gone := res != archive.Raw && d.Day.Equal(s.gone)
		s.mu.Unlock()
		if gone {
			return s.Store.ScanFiles(res, archive.DayFiles{Partition: d.Partition}, from, to, cols...)
		}
	}
	return s.Store.ScanFiles(res, d, from, to, cols...)
}

// TestRollupHours renders a host with more samples than a week's charts
// draw, so that the day the 7-day range starts in is read from its
// per-minute rollup, an hour at a time: a later render takes its hours
// from the memo and reads none of its rollup; pages equal a render
// without a cache, also when the rollup turns out gone (compacted again
// since the listing).
func TestRollupHours(t *testing.T) {
	n := fixedNow
	st := writeFixture(t, fixtureHost{Name: "dense", Every: 2 * time.Minute, Processes: 1, Seed: 3,
		Spans: []span{{From: n.Add(-9 * 24 * time.Hour), To: n.Add(time.Second)}}})
	if _, err := st.Compact("dense", n); err != nil {
		t.Fatal(err)
	}
	src := &dayScans{Store: st, table: schema.TableCPU, rollups: true, reads: map[time.Time]int{}}
	cache := filepath.Join(t.TempDir(), "render-cache")
	now := n
	render := func(what string) map[time.Time]int {
		t.Helper()
		now = now.Add(5 * time.Minute)
		dir := t.TempDir()
		if _, err := build(context.Background(), src, Options{Out: filepath.Join(dir, "full"), Now: now, Log: quietLog()}); err != nil {
			t.Fatal(err)
		}
		src.mu.Lock()
		clear(src.reads)
		src.mu.Unlock()
		if _, err := build(context.Background(), src, Options{Out: filepath.Join(dir, "cached"), Now: now, Log: quietLog(), Cache: cache}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		compareSites(t, what, filepath.Join(dir, "cached"), filepath.Join(dir, "full"))
		src.mu.Lock()
		defer src.mu.Unlock()
		return maps.Clone(src.reads)
	}
	cutDay := n.Add(5*time.Minute - 7*24*time.Hour).Truncate(24 * time.Hour)
	if reads := render("first render"); reads[cutDay] == 0 {
		t.Fatalf("first render: the cpu rollups read %v, none of %v, the day the 7-day range starts in", reads, cutDay)
	}
	if reads := render("five minutes later"); reads[cutDay] != 0 {
		t.Errorf("five minutes later: the cpu rollup of %v read %d times, want its hours from the memo", cutDay, reads[cutDay])
	}
	// The rollup gone since the listing: the day is read as it was
	// before hours (its raw rows), and nothing of it is kept.
	src.gone = cutDay
	for _, f := range mustGlob(t, filepath.Join(cache, "days", hostDir("dense"), "cpu.spans.memo")) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	render("rollup gone")
	src.gone = time.Time{}
	if reads := render("rollup back"); reads[cutDay] == 0 {
		t.Errorf("after a render that found the rollup gone: the cpu rollup of %v not read, want it read and kept", cutDay)
	}
	if reads := render("rollup kept"); reads[cutDay] != 0 {
		t.Errorf("the render after: the cpu rollup of %v read %d times, want its hours from the memo", cutDay, reads[cutDay])
	}
}

// mustGlob returns the names pattern matches, at least one.
func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	names, err := filepath.Glob(pattern)
	if err != nil || len(names) == 0 {
		t.Fatalf("nothing matches %s (%v)", pattern, err)
	}
	return names
}

// TestParseMemo checks the reading of a memo file: its records come back;
// a damaged one, a cut one and one of no format are refused as damaged; a
// day memo of another format (an older almanac's) is refused as such, so
// that a render reads its days again without a warning.
func TestParseMemo(t *testing.T) {
	var b memoBuf
	b.b = append(b.b, dayMemoFormat...)
	b.bytes([]byte("d1"))
	b.bytes([]byte("record one"))
	b.bytes([]byte("s2"))
	b.bytes([]byte("record two"))
	good := memoSum(b.b)
	flipped := slices.Clone(good)
	flipped[len(dayMemoFormat)+3] ^= 0x10
	older := append([]byte("almanac-day-memo-3\n"), good[len(dayMemoFormat):]...)
	for _, tt := range []struct {
		name   string
		data   []byte
		format bool // refused as another format
		ok     bool
	}{
		{"good", good, false, true},
		{"a bit flipped", flipped, false, false},
		{"cut", good[:len(good)-1], false, false},
		{"checksum only", memoSum([]byte(dayMemoFormat))[:len(dayMemoFormat)+memoSumSize-1], false, false},
		{"no format", []byte("hello"), false, false},
		{"older format", older, true, false},
	} {
		recs, err := parseMemo(tt.data)
		if tt.ok != (err == nil) || errors.Is(err, errMemoFormat) != tt.format {
			t.Errorf("%s: error %v, want ok %t, another format %t", tt.name, err, tt.ok, tt.format)
			continue
		}
		if tt.ok && (string(recs["d1"]) != "record one" || string(recs["s2"]) != "record two" || len(recs) != 2) {
			t.Errorf("%s: records %q", tt.name, recs)
		}
	}
}

// TestMemoVarints checks that the memo's numbers come back as they were
// written, those of one byte (read without encoding/binary) and longer
// ones, and lists of floats, and that numbers cut short are refused.
func TestMemoVarints(t *testing.T) {
	ints := []int64{math.MinInt64, math.MaxInt64, -1 << 40, 1 << 40, -65, -64, -63, 63, 64, 65, 1000, -1000}
	for v := int64(-130); v <= 130; v++ {
		ints = append(ints, v)
	}
	var b memoBuf
	for _, v := range ints {
		b.int(v)
		b.uint(uint64(v))
	}
	r := memoReader{b: b.b}
	for _, v := range ints {
		if got := r.int(); got != v {
			t.Errorf("int %d read as %d", v, got)
		}
		if got := r.uint(); got != uint64(v) {
			t.Errorf("uint %d read as %d", uint64(v), got)
		}
	}
	if r.err != nil || len(r.b) != 0 {
		t.Errorf("after every number: error %v, %d bytes left", r.err, len(r.b))
	}
	// Lists of floats, read at once, bit for bit; one cut short is refused.
	fs := []float64{0, math.Copysign(0, -1), 1.5, -2.25, math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64}
	var fb memoBuf
	fb.floats(fs)
	fb.floats(nil)
	fb.floats(fs[:3])
	fr := memoReader{b: fb.b}
	for _, want := range [][]float64{fs, {}, fs[:3]} {
		got := fr.floats()
		if len(got) != len(want) {
			t.Fatalf("floats: %d read, want %d", len(got), len(want))
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Errorf("float %v read as %v", want[i], got[i])
			}
		}
	}
	if fr.err != nil || len(fr.b) != 0 {
		t.Errorf("after the floats: error %v, %d bytes left", fr.err, len(fr.b))
	}
	cut := memoReader{b: fb.b[:len(fb.b)-1]}
	cut.floats()
	cut.floats()
	if cut.floats(); cut.err == nil {
		t.Error("floats cut short were read")
	}
	var long memoBuf
	long.int(1 << 20)
	for _, read := range []func(*memoReader){func(r *memoReader) { r.int() }, func(r *memoReader) { r.uint() }} {
		r := memoReader{b: long.b[:len(long.b)-1]}
		if read(&r); r.err == nil {
			t.Error("a number cut short was read")
		}
	}
}

// TestMemoFileCut: a memo file cut short while a render has it mapped
// (not something almanac does: it replaces memo files by renaming) makes
// that host's render fault reading it; the host is rendered again without
// the memo, with a warning, and the site is the same as without a cache.
func TestMemoFileCut(t *testing.T) {
	st := memoFleet(t)
	cache := filepath.Join(t.TempDir(), "render-cache")
	dir := t.TempDir()
	opts := Options{Out: filepath.Join(dir, "first"), Now: fixedNow, Log: quietLog(), Cache: cache}
	if _, err := Build(context.Background(), st, opts); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	cut := 0
	testHookMemoRead = func(name string) {
		mu.Lock()
		defer mu.Unlock()
		if cut == 0 && strings.HasSuffix(name, "/"+schema.TableCPU+".memo") {
			if err := os.Truncate(filepath.Join(cache, filepath.FromSlash(name)), 0); err != nil {
				t.Error(err)
			}
			cut++
		}
	}
	defer func() { testHookMemoRead = nil }()
	var log lockedBuffer // hosts log from their own goroutines
	opts.Now, opts.Out = fixedNow.Add(5*time.Minute), filepath.Join(dir, "cached")
	opts.Log = slog.New(slog.NewTextHandler(&log, nil))
	if _, err := Build(context.Background(), st, opts); err != nil {
		t.Fatal(err)
	}
	if cut != 1 || !strings.Contains(log.String(), "changed while it was read") || !strings.Contains(log.String(), errMemoFault.Error()) {
		t.Errorf("%d files cut; log:\n%s\nwant the fault reported", cut, log.String())
	}
	if _, err := Build(context.Background(), st, Options{Out: filepath.Join(dir, "full"), Now: opts.Now, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	compareSites(t, "after a memo file cut", filepath.Join(dir, "cached"), filepath.Join(dir, "full"))
}
