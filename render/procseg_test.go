package render

import (
	"bytes"
	"context"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// procScans is a scanner that notes the windows of the process table's
// raw scans (not the one-sample reads of zombies' parents), and those of
// the raw reads of the cpu table's days (whole, or of the files that may
// hold a span: ScanSpans).
type procScans struct {
	*archive.Store
	mu      sync.Mutex
	windows [][2]time.Time
	cpu     [][2]time.Time
	rollups []time.Time // the days whose per-hour process rollup was read
}

func (p *procScans) ScanFiles(res archive.Resolution, d archive.DayFiles, from, to time.Time, cols ...string) (*archive.Frame, error) {
	if d.Table == schema.TableProcess && res == archive.PerHour {
		p.mu.Lock()
		p.rollups = append(p.rollups, d.Day)
		p.mu.Unlock()
	}
	if d.Table == schema.TableCPU && res == archive.Raw {
		p.mu.Lock()
		lo, hi := max(from.UnixMicro(), d.Day.UnixMicro()), min(to.UnixMicro(), d.End().UnixMicro())
		if hi > lo {
			p.cpu = append(p.cpu, [2]time.Time{time.UnixMicro(lo), time.UnixMicro(hi)})
		}
		p.mu.Unlock()
	}
	return p.Store.ScanFiles(res, d, from, to, cols...)
}

// ScanSpans notes a raw read of the cpu table's day as ScanFiles does, and
// one of the process table's as Scan does.
func (p *procScans) ScanSpans(d archive.DayFiles, spans []archive.FileSpan, from, to time.Time, cols ...string) (*archive.Frame, error) {
	p.mu.Lock()
	lo, hi := max(from.UnixMicro(), d.Day.UnixMicro()), min(to.UnixMicro(), d.End().UnixMicro())
	switch {
	case hi <= lo:
	case d.Table == schema.TableCPU:
		p.cpu = append(p.cpu, [2]time.Time{time.UnixMicro(lo), time.UnixMicro(hi)})
	case d.Table == schema.TableProcess && hi-lo > 1:
		p.windows = append(p.windows, [2]time.Time{time.UnixMicro(lo), time.UnixMicro(hi)})
	}
	p.mu.Unlock()
	return p.Store.ScanSpans(d, spans, from, to, cols...)
}

// takeRollups returns the days whose per-hour process rollup was read
// since the last take.
func (p *procScans) takeRollups() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.rollups
	p.rollups = nil
	return out
}

// takeCPU returns the windows of the cpu table read raw since the last
// take, and their total.
func (p *procScans) takeCPU() ([][2]time.Time, time.Duration) { return p.drain(&p.cpu) }

// drain empties *w and returns what it held, and its total time.
func (p *procScans) drain(w *[][2]time.Time) ([][2]time.Time, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := *w
	*w = nil
	var total time.Duration
	for _, x := range out {
		total += x[1].Sub(x[0])
	}
	return out, total
}

func (p *procScans) Scan(table, host string, from, to time.Time, cols ...string) (*archive.Frame, error) {
	if table == schema.TableProcess && to.Sub(from) > time.Microsecond {
		p.mu.Lock()
		p.windows = append(p.windows, [2]time.Time{from, to})
		p.mu.Unlock()
	}
	return p.Store.Scan(table, host, from, to, cols...)
}

// take returns the windows scanned since the last take, and their total.
func (p *procScans) take() ([][2]time.Time, time.Duration) { return p.drain(&p.windows) }

// covers reports whether a window holds t.
func covers(ws [][2]time.Time, t time.Time) bool {
	for _, w := range ws {
		if !t.Before(w[0]) && t.Before(w[1]) {
			return true
		}
	}
	return false
}

// TestProcessHourMemo renders with a render cache at later and later
// times: each render equals one without a cache, and reads raw only the
// hours it cannot take from the memo (the open hour, the hour the 24-hour
// window starts in, an hour a late part changed), of the processes and of
// the charts' tables (the cpu table's reads are counted), the hour the
// window starts in from the rows the memo keeps of it; it reads again
// an hour that did not keep the rows of a process it draws.
func TestProcessHourMemo(t *testing.T) {
	n := fixedNow
	st := writeFixture(t, fixtureHost{Name: "busy", Every: 2 * time.Minute, Processes: 40, Seed: 9,
		Spans: []span{{From: n.Add(-3 * 24 * time.Hour), To: n.Add(time.Second)}}})
	if _, err := st.Compact("busy", n); err != nil {
		t.Fatal(err)
	}
	src := &procScans{Store: st}
	cache := filepath.Join(t.TempDir(), "render-cache")
	now := n
	render := func(what string) (Report, [][2]time.Time, time.Duration) {
		t.Helper()
		now = now.Add(5 * time.Minute)
		dir := t.TempDir()
		if _, err := build(context.Background(), src, Options{Out: filepath.Join(dir, "full"), Now: now, Log: quietLog()}); err != nil {
			t.Fatal(err)
		}
		src.take()
		src.takeCPU()
		src.takeRollups()
		rep, err := build(context.Background(), src, Options{Out: filepath.Join(dir, "cached"), Now: now, Log: quietLog(), Cache: cache})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		ws, total := src.take()
		compareSites(t, what, filepath.Join(dir, "cached"), filepath.Join(dir, "full"))
		return rep, ws, total
	}
	src.takeRollups()
	rep, _, first := render("first render")
	if days := src.takeRollups(); len(days) < 2 {
		t.Errorf("first render: read the per-hour process rollup of %v, want the closed days", days)
	}
	if rep.SpansKept != 0 || rep.SpansRead == 0 {
		t.Errorf("first render: %d spans kept, %d read; want none kept, some read", rep.SpansKept, rep.SpansRead)
	}
	if first < 24*time.Hour {
		t.Fatalf("first render: scanned %v of process rows, want at least the 24 hours", first)
	}
	memoFile := filepath.Join(cache, "days", hostDir("busy"), schema.TableProcess+".spans.memo")
	hours := readMemoFile(t, memoFile)
	if len(hours) < 23 {
		t.Fatalf("the memo keeps %d hours of processes, want the 23 closed ones of the window at least", len(hours))
	}
	// Five minutes later: the hour the window starts in and the open hour.
	if _, d := src.takeCPU(); d < 24*time.Hour {
		t.Errorf("first render: read %v of the cpu table raw, want the last 24 hours at least", d)
	}
	rep, laterWs, later := render("five minutes later")
	if days := src.takeRollups(); len(days) > 0 {
		t.Errorf("five minutes later: read the per-hour process rollup of %v, want the days from the memo", days)
	}
	if rep.SpansKept == 0 || rep.SpansRead >= rep.SpansKept {
		t.Errorf("five minutes later: %d spans kept, %d read; want most kept", rep.SpansKept, rep.SpansRead)
	}
	if later > 2*time.Hour+time.Microsecond {
		t.Errorf("five minutes later: scanned %v of process rows, want at most the two hours the memo cannot keep", later)
	}
	// The hour the 24-hour window starts in comes from the rows the memo
	// keeps of it (segFrame), not from a scan of its day's file.
	if start := now.Add(-24 * time.Hour); covers(laterWs, start) {
		t.Errorf("five minutes later: scanned %v of process rows, which hold the 24-hour window's start %v: want its hour from the memo", laterWs, start)
	}
	if cw, d := src.takeCPU(); d > time.Hour+time.Microsecond {
		t.Errorf("five minutes later: read %v of the cpu table raw (%v), want at most the open hour", d, cw)
	}

	// Five minutes on, in the same hour: nothing the memo keeps changed,
	// so no memo file is written again.
	hostMemo := filepath.Join(cache, "days", hostDir("busy"))
	before := memoStamps(t, hostMemo)
	render("ten minutes later")
	src.takeCPU()
	if after := memoStamps(t, hostMemo); !sameFiles(after, before) {
		t.Errorf("a render later in the same hour wrote memo files: %d files, were %d", len(after), len(before))
	}

	// Whole days and spans are kept in two files: a change of spans only
	// (the late part below, in today) leaves the days' file as it was.
	daysFile := filepath.Join(cache, "days", hostDir("busy"), schema.TableCPU+".memo")
	daysBefore, err := os.Stat(daysFile)
	if err != nil {
		t.Fatal(err)
	}
	spansFile := filepath.Join(cache, "days", hostDir("busy"), schema.TableCPU+".spans.memo")
	spansBefore, err := os.ReadFile(spansFile)
	if err != nil {
		t.Fatal(err)
	}

	// A late part in a closed hour three hours ago.
	lateAt := now.Add(-3 * time.Hour).Truncate(time.Hour).Add(13 * time.Minute)
	g := synth.New(synth.Host{Name: "busy", Processes: 45, Seed: 99})
	// Three: the first batch has no processes (no CPU % yet).
	appendLate(t, st, "busy", batches(g, lateAt, 3, 2*time.Minute)...)
	_, ws, _ := render("late part")
	if !covers(ws, lateAt.Add(4*time.Minute)) {
		t.Errorf("after a late part at %v: scanned %v, not the hour it changed", lateAt, ws)
	}
	if cw, _ := src.takeCPU(); !covers(cw, lateAt.Add(4*time.Minute)) {
		t.Errorf("after a late part at %v: read %v of the cpu table raw, not the hour it changed", lateAt, cw)
	}
	if fi, err := os.Stat(daysFile); err != nil || !fi.ModTime().Equal(daysBefore.ModTime()) {
		t.Errorf("after a late part in today: the days' memo file %v (%v), was %v: rewritten", fi, err, daysBefore.ModTime())
	}
	if spans, err := os.ReadFile(spansFile); err != nil || bytes.Equal(spans, spansBefore) {
		t.Errorf("after a late part in today: the spans' memo file unchanged (%v)", err)
	}
	if _, _, d := render("after the late part"); d > 2*time.Hour+time.Microsecond {
		t.Errorf("the render after the late part's: scanned %v of process rows", d)
	}

	// A late part in the hour the 24-hour window starts in, whose rows
	// the memo keeps while the window starts in it.
	headAt := now.Add(5*time.Minute - 24*time.Hour).Add(2 * time.Minute)
	appendLate(t, st, "busy", batches(g, headAt, 3, 30*time.Second)...)
	if cw, _ := func() ([][2]time.Time, time.Duration) { render("late part in the first hour"); return src.takeCPU() }(); !covers(cw, headAt.Add(time.Minute)) {
		t.Errorf("after a late part at %v: read %v of the cpu table raw, not the hour the window starts in", headAt, cw)
	}

	// The memo's hours without the rows of any process: the next render
	// reads again the hours of the processes it draws, then keeps them.
	hours = readMemoFile(t, memoFile)
	stripped := map[string][]byte{}
	for k, rec := range hours {
		var s procSeg
		r := memoReader{b: rec}
		s.lo, s.hi = r.int(), r.int()
		if !decodeSeg(rec, &s) {
			if _, ok := decodeFrame(rec); ok {
				stripped[k] = rec // the rows of the hour the window starts in
				continue
			}
			t.Fatal("a kept hour does not decode")
		}
		var b memoBuf
		encodeSeg(&b, &s, nil)
		stripped[k] = b.b
	}
	writeMemoFile(t, memoFile, stripped)
	if _, _, d := render("rows stripped"); d < 20*time.Hour {
		t.Errorf("with the memo's rows stripped: scanned %v of process rows, want the window's hours read again", d)
	}
	if _, _, d := render("after the stripped render"); d > 2*time.Hour+time.Microsecond {
		t.Errorf("the render after the stripped one: scanned %v of process rows", d)
	}

	// A late part in a closed day, compacted again: that day's per-hour
	// rollup is new, and so is yesterday's (the compaction takes in the
	// late part above): only they are read again.
	oldAt := n.Add(-2 * 24 * time.Hour).Truncate(24 * time.Hour).Add(5*time.Hour + 7*time.Minute)
	appendLate(t, st, "busy", batches(g, oldAt, 3, 20*time.Second)...)
	if _, err := st.Compact("busy", now); err != nil {
		t.Fatal(err)
	}
	src.takeRollups()
	render("late part in a closed day")
	want := []time.Time{oldAt.Truncate(24 * time.Hour), headAt.Truncate(24 * time.Hour)}
	if days := src.takeRollups(); !slices.Equal(days, want) {
		t.Errorf("after late parts on %v and %v, compacted again: read the per-hour process rollup of %v, want %v", oldAt, headAt, days, want)
	}

	// A rollup touched (its modification time changed, as a copy or a
	// restore does): that day is read again.
	first3 := n.Add(-3 * 24 * time.Hour).Truncate(24 * time.Hour)
	touched, err := filepath.Glob(filepath.Join(st.Dir(), "rollup", "*", schema.TableProcess, "host=busy",
		"date="+first3.Format(time.DateOnly), "*.parquet"))
	if err != nil || len(touched) == 0 {
		t.Fatalf("no per-hour process rollup of %v (%v)", first3, err)
	}
	for _, f := range touched {
		if err := os.Chtimes(f, now, now); err != nil {
			t.Fatal(err)
		}
	}
	render("rollup touched")
	if days := src.takeRollups(); !slices.Equal(days, []time.Time{first3}) {
		t.Errorf("after the rollup of %v was touched: read the per-hour process rollup of %v, want that day", first3, days)
	}

	// A sample of the host without its processes added to that day: the
	// first and last seen of its processes may move, so the day is read
	// again, though its rollup is as it was.
	gen := synth.New(synth.Host{Name: "busy", Processes: 45, Seed: 7})
	at := first3.Add(13*time.Hour + 7*time.Minute + 30*time.Second)
	gen.Batch(at.Add(-10 * time.Second)) // rates need a sample before
	lone := gen.Batch(at)
	lone.Process = nil
	appendLate(t, st, "busy", lone)
	if _, err := st.Compact("busy", now); err != nil {
		t.Fatal(err)
	}
	render("a sample added")
	if days := src.takeRollups(); !slices.Equal(days, []time.Time{first3}) {
		t.Errorf("after a sample was added to %v: read the per-hour process rollup of %v, want that day", first3, days)
	}

	// A damaged memo file is thrown away: every hour is read again.
	if err := os.WriteFile(memoFile, []byte(dayMemoFormat+"damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, d := render("damaged memo"); d < 24*time.Hour {
		t.Errorf("with a damaged memo: scanned %v of process rows, want every hour", d)
	}
}

// memoStamps returns the files in dir by name.
func memoStamps(t *testing.T, dir string) map[string]os.FileInfo {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]os.FileInfo{}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fi
	}
	return out
}

// sameFiles reports whether a and b name the same files, none of them
// replaced or written (os.SameFile, size and modification time).
func sameFiles(a, b map[string]os.FileInfo) bool {
	return maps.EqualFunc(a, b, func(x, y os.FileInfo) bool {
		return os.SameFile(x, y) && x.Size() == y.Size() && x.ModTime().Equal(y.ModTime())
	})
}

// readMemoFile returns the records of a day memo file.
func readMemoFile(t *testing.T, name string) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := parseMemo(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs
}

// writeMemoFile writes recs as a day memo file.
func writeMemoFile(t *testing.T, name string, recs map[string][]byte) {
	t.Helper()
	var b memoBuf
	b.b = append(b.b, dayMemoFormat...)
	for _, k := range slices.Sorted(maps.Keys(recs)) {
		b.bytes([]byte(k))
		b.bytes(recs[k])
	}
	if err := os.WriteFile(name, memoSum(b.b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProcSegCodec checks that a segment and its processes' rows come
// back from their encoding as they were, and that damaged encodings are
// refused.
func TestProcSegCodec(t *testing.T) {
	nan := math.NaN()
	p := procRows{
		T:       []int64{10, 10, 20, 20, 30},
		PID:     []float64{1, 2, 1, 2, 1},
		Start:   []float64{5, 6, 5, 6, 5},
		CPUUser: []float64{1.5, 0, 2.25, nan, 3},
		CPUSys:  []float64{0.5, 0, nan, 0, 1},
		RSS:     []float64{4096, 8192, 4096, nan, 12288},
		IORead:  []float64{nan, 100, 0.5, nan, 1},
		IOWrite: []float64{nan, 0, 0, nan, 2},
		Comm:    []string{"a", "b", "a", "b", "a"},
		User:    []string{"u", "v", "u", "v", "u"},
		Stat:    []string{"S", "R", "S", "Z", "S"},
	}
	rows := &segRows{procRows: p, unit: []string{"x.service", "", "x.service", "", "y.service"},
		container: make([]string, 5), ioColumns: true}
	s := procSeg{lo: 0, hi: 40}
	s.fill(rows, 0, 5)
	ids := map[procID]bool{{PID: 1, Start: 5}: true, {PID: 2, Start: 6}: true}
	lines := s.linesOf(ids)
	var b memoBuf
	encodeSeg(&b, &s, lines)
	got := procSeg{lo: 0, hi: 40}
	if !decodeSeg(b.b, &got) {
		t.Fatal("the encoding does not decode")
	}
	if got.missing(ids) {
		t.Error("a decoded segment misses rows it kept")
	}
	if !slices.Equal(got.times, s.times) || !got.io {
		t.Errorf("times %v io %v, want %v true", got.times, got.io, s.times)
	}
	if len(got.parts) != 2 || got.parts[0].unit != "y.service" || got.parts[1].state != "Z" || got.parts[0].cpuSum != s.parts[0].cpuSum {
		t.Errorf("parts %+v, want %+v", got.parts, s.parts)
	}
	for id, l := range lines {
		gl := got.lines[id]
		same := func(a, b []float64) bool {
			return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
		}
		if !slices.Equal(gl.at, l.at) || !same(gl.cpu, l.cpu) || !same(gl.rss, l.rss) || !same(gl.io, l.io) {
			t.Errorf("rows of %v: %+v, want %+v", id, gl, l)
		}
	}
	none := procSeg{lo: 0, hi: 40}
	var nb memoBuf
	encodeSeg(&nb, &s, nil)
	if !decodeSeg(nb.b, &none) || !none.missing(ids) {
		t.Error("a segment kept without rows does not say it misses them")
	}
	// Another span, cut or padded records: refused.
	other := procSeg{lo: 0, hi: 50}
	if decodeSeg(b.b, &other) {
		t.Error("a segment of another span decoded")
	}
	for _, bad := range [][]byte{b.b[:len(b.b)-1], append(slices.Clone(b.b), 0), b.b[:len(b.b)/2]} {
		x := procSeg{lo: 0, hi: 40}
		if decodeSeg(bad, &x) {
			t.Errorf("a damaged record of %d bytes decoded", len(bad))
		}
	}
	// Rows of a process that do not decode are missing: read again.
	x := procSeg{lo: 0, hi: 40}
	if !decodeSeg(b.b, &x) {
		t.Fatal("the encoding does not decode")
	}
	for id := range x.blobs {
		x.blobs[id] = []byte{1, 2}
	}
	if !x.missing(ids) {
		t.Error("rows that do not decode are not missing")
	}
}

// FuzzProcSeg feeds records to decodeSeg: it never panics, and what it
// accepts encodes back to the same bytes.
func FuzzProcSeg(f *testing.F) {
	rows := &segRows{procRows: procRows{T: []int64{1, 2}, PID: []float64{1, 1}, Start: []float64{0, 0},
		CPUUser: []float64{1, 2}, CPUSys: []float64{0, 0}, RSS: []float64{1, 2}, IORead: []float64{0, 0}, IOWrite: []float64{0, 0},
		Comm: []string{"a", "a"}, User: []string{"u", "u"}, Stat: []string{"S", "S"}}, unit: []string{"", ""}, container: []string{"", ""}}
	s := procSeg{lo: 0, hi: 10}
	s.fill(rows, 0, 2)
	var b memoBuf
	encodeSeg(&b, &s, s.linesOf(map[procID]bool{{PID: 1}: true}))
	f.Add(b.b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, rec []byte) {
		x := procSeg{lo: 0, hi: 10}
		if !decodeSeg(rec, &x) {
			return
		}
		all := map[procID]bool{}
		for id := range x.blobs {
			all[id] = true
		}
		x.missing(all)
		var out memoBuf
		encodeSeg(&out, &x, x.lines)
		y := procSeg{lo: 0, hi: 10}
		if !decodeSeg(out.b, &y) {
			t.Fatal("a re-encoded segment does not decode")
		}
	})
}
