package render

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// TestProcessIO: the 24-hour processes page ranks processes by disk I/O
// and shows each one's bytes read and written and its peak rate as the
// archive's rows say (rates times the one-minute interval); the longer
// ranges show I/O too.
func TestProcessIO(t *testing.T) {
	st := writeBrowserFixture(t)
	d, err := gather(st, "web1", hostDir("web1"), browserNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := browserNow.UnixMicro()
	f, err := st.Scan(schema.TableProcess, "web1", time.UnixMicro(now-procWindow.Microseconds()), time.UnixMicro(now+1),
		"pid", "start_time", "read_bytes_per_s", "write_bytes_per_s")
	if err != nil {
		t.Fatal(err)
	}
	type io struct {
		pid                 int32
		read, written, peak float64
	}
	sums := map[procID]*io{}
	for i := range f.Time {
		id := procID{PID: int32(f.Num["pid"][i]), Start: int64(f.Num["start_time"][i])}
		r, w := f.Num["read_bytes_per_s"][i], f.Num["write_bytes_per_s"][i]
		if math.IsNaN(r) && math.IsNaN(w) {
			continue
		}
		s := sums[id]
		if s == nil {
			s = &io{pid: id.PID}
			sums[id] = s
		}
		s.read += nz(r) * 60
		s.written += nz(w) * 60
		s.peak = max(s.peak, nz(r)+nz(w))
	}
	var want []io
	for _, s := range sums {
		if s.read+s.written > 0 {
			want = append(want, *s)
		}
	}
	slices.SortFunc(want, func(a, b io) int {
		if c := cmp.Compare(b.read+b.written, a.read+a.written); c != 0 {
			return c
		}
		return cmp.Compare(a.pid, b.pid)
	})
	got := d.procs[0].TopIO
	if len(want) == 0 || len(got) != min(topN, len(want)) {
		t.Fatalf("%d rows in the I/O table, want %d", len(got), min(topN, len(want)))
	}
	for i, r := range got {
		w := want[i]
		if r.PID != w.pid || math.Abs(r.ReadSort-w.read) > 1 || math.Abs(r.WrittenSort-w.written) > 1 || math.Abs(r.IOPeakSort-w.peak) > 1 {
			t.Errorf("I/O row %d: pid %d read %.0f written %.0f peak %.0f, want pid %d %.0f %.0f %.0f",
				i, r.PID, r.ReadSort, r.WrittenSort, r.IOPeakSort, w.pid, w.read, w.written, w.peak)
		}
		if !r.HasIO || r.Read == "" || r.IOPeak == "" {
			t.Errorf("I/O row %d: HasIO %v, read %q, peak %q", i, r.HasIO, r.Read, r.IOPeak)
		}
	}
	i := slices.IndexFunc(d.procs[0].Charts, func(c Chart) bool { return c.ID == "top-io" })
	if i < 0 {
		t.Fatalf("no top-io chart on the 24-hour processes page")
	}
	if n := len(d.procs[0].Charts[i].Option.MultiSeries); n != min(topLines, len(want)) {
		t.Errorf("top-io chart: %d lines, want %d", n, min(topLines, len(want)))
	}
	// The fixture has 30 hours: the 7-day page shows the same I/O.
	for r := 1; r < len(ranges); r++ {
		if p := d.procs[r]; len(p.TopIO) == 0 || len(p.TopCPU) == 0 || !p.TopCPU[0].HasIO || !p.TopCPU[0].PeakHour {
			t.Errorf("%s: no I/O shown", ranges[r].Name)
		}
	}
}

// procIOWant is what a processes page must say of one process's disk I/O
// and groups, worked out from the archive's raw rows.
type procIOWant struct {
	id                  procID
	read, written, peak float64 // bytes; bytes/s: the highest hourly mean
	unit, container     string  // in its last row
}

// wantLongIO sums the raw rows of the process table of web1 in [from, to)
// (µs), sampled every interval: bytes are rates times the interval, the
// peak is the highest mean (read + write) of an hour. Hours before
// rolledTo (µs) count as having no I/O when noOld is set (a rollup
// written before it kept I/O), the groups coming from the newer rows.
func wantLongIO(t *testing.T, st *archive.Store, from, to int64, interval float64, noOldBefore int64) []procIOWant {
	t.Helper()
	f, err := st.Scan(schema.TableProcess, "web1", time.UnixMicro(from), time.UnixMicro(to),
		"pid", "start_time", "read_bytes_per_s", "write_bytes_per_s", "unit", "container")
	if err != nil {
		t.Fatal(err)
	}
	type hourKey struct {
		id procID
		h  int64
	}
	type hourSum struct {
		sum float64
		n   int
	}
	hours := map[hourKey]*hourSum{}
	byID := map[procID]*procIOWant{}
	last := map[procID]int64{}
	hour := time.Hour.Microseconds()
	for i, tm := range f.Time {
		id := procID{PID: int32(f.Num["pid"][i]), Start: int64(f.Num["start_time"][i])}
		w := byID[id]
		if w == nil {
			w = &procIOWant{id: id}
			byID[id] = w
		}
		if tm >= noOldBefore && tm >= last[id] {
			w.unit, w.container, last[id] = f.Str["unit"][i], f.Str["container"][i], tm
		}
		rd, wr := f.Num["read_bytes_per_s"][i], f.Num["write_bytes_per_s"][i]
		if tm < noOldBefore || math.IsNaN(rd) && math.IsNaN(wr) {
			continue
		}
		w.read += nz(rd) * interval
		w.written += nz(wr) * interval
		k := hourKey{id, tm - tm%hour}
		if hours[k] == nil {
			hours[k] = &hourSum{}
		}
		hours[k].sum += nz(rd) + nz(wr)
		hours[k].n++
	}
	for k, h := range hours {
		byID[k.id].peak = max(byID[k.id].peak, h.sum/float64(h.n))
	}
	var out []procIOWant
	for _, w := range byID {
		if w.read+w.written > 0 {
			out = append(out, *w)
		}
	}
	slices.SortFunc(out, func(a, b procIOWant) int {
		return cmp.Or(cmp.Compare(b.read+b.written, a.read+a.written), cmp.Compare(a.id.PID, b.id.PID), cmp.Compare(a.id.Start, b.id.Start))
	})
	return out
}

// blankRollupIO is a scanner whose per-hour process rollups lack the
// disk I/O, unit and container columns, as a rollup written before they
// were kept reads: NULL.
type blankRollupIO struct{ *archive.Store }

func (b blankRollupIO) ScanFiles(res archive.Resolution, d archive.DayFiles, from, to time.Time, cols ...string) (*archive.Frame, error) {
	f, err := b.Store.ScanFiles(res, d, from, to, cols...)
	return blankIO(f, err, res, d.Table)
}

// blankIO sets the disk I/O, unit and container of a frame of the process
// table's per-hour rollup to NULL.
func blankIO(f *archive.Frame, err error, res archive.Resolution, table string) (*archive.Frame, error) {
	if err != nil || table != schema.TableProcess || res != archive.PerHour {
		return f, err
	}
	for _, c := range []string{procReadAvg, procWritAvg} {
		if v, ok := f.Num[c]; ok {
			for i := range v {
				v[i] = math.NaN()
			}
		}
	}
	for _, c := range procGroupColumns {
		if v, ok := f.Str[c]; ok {
			clear(v)
		}
	}
	return f, nil
}

// TestProcessIOLongRange: the 7-day processes page, read from the
// per-hour rollup of closed days and the raw rows of today, ranks
// processes by disk I/O and shows what each read and wrote over the week
// and its peak hour as the archive's raw rows say, with the unit and
// container of its last sample; its I/O chart draws the first ones. With
// rollups that lack the columns (written before they were kept), the old
// hours count no I/O and no error is raised.
func TestProcessIOLongRange(t *testing.T) {
	st := writeProcRollupFixture(t)
	now := fixedNow.UnixMicro()
	for _, tt := range []struct {
		name string
		old  bool
	}{
		{"rollup with I/O", false},
		{"rollup without I/O", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := &procCounter{Store: st}
			var sc scanner = src
			if tt.old {
				sc = blankRollupIO{st}
			}
			d, err := gather(sc, "web1", hostDir("web1"), fixedNow, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.old && src.rollups == 0 {
				t.Fatal("the 7-day page did not read the per-hour process rollup")
			}
			from, _ := d.rangeWindowOf(1)
			noOld := int64(math.MinInt64)
			if tt.old {
				// Closed days come from rollups: only today has I/O.
				noOld = fixedNow.Truncate(24 * time.Hour).UnixMicro()
			}
			want := wantLongIO(t, st, from, now+1, 60, noOld)
			got := d.procs[1].TopIO
			if len(want) == 0 || len(got) != min(topN, len(want)) {
				t.Fatalf("%d rows in the 7-day I/O table, want %d", len(got), min(topN, len(want)))
			}
			near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(math.Abs(b), 1) }
			for i, r := range got {
				w := want[i]
				if r.PID != w.id.PID || !near(r.ReadSort, w.read) || !near(r.WrittenSort, w.written) || !near(r.IOPeakSort, w.peak) {
					t.Errorf("7-day I/O row %d: pid %d read %.0f written %.0f peak %.1f, want pid %d %.0f %.0f %.1f",
						i, r.PID, r.ReadSort, r.WrittenSort, r.IOPeakSort, w.id.PID, w.read, w.written, w.peak)
				}
				if r.Unit != w.unit || r.Container != w.container {
					t.Errorf("7-day I/O row %d (pid %d): unit %q container %q, want %q %q", i, r.PID, r.Unit, r.Container, w.unit, w.container)
				}
				if !r.HasIO || !r.PeakHour || r.Read != fmtBytes(w.read) {
					t.Errorf("7-day I/O row %d: HasIO %v PeakHour %v read %q, want %q", i, r.HasIO, r.PeakHour, r.Read, fmtBytes(w.read))
				}
			}
			if tt.old {
				return
			}
			if w := want[0]; w.unit == "" && w.container == "" {
				t.Errorf("the busiest process has neither unit nor container: the fixture does not check them")
			}
			i := slices.IndexFunc(d.procs[1].Charts, func(c Chart) bool { return c.ID == "top-io" })
			if i < 0 {
				t.Fatalf("no top-io chart on the 7-day processes page")
			}
			c := d.procs[1].Charts[i]
			if n := len(c.data.Cols); n != min(topLines, len(want)) {
				t.Errorf("7-day top-io chart: %d lines, want %d", n, min(topLines, len(want)))
			}
			// Its first line is the busiest process's hourly mean rate:
			// its highest point is the peak hour of the table.
			if _, hi := extremes(c.data); len(hi) == 0 || !near(hi[0], want[0].peak) {
				t.Errorf("7-day top-io chart: first line peaks at %v, want %.1f", hi, want[0].peak)
			}
		})
	}
}

// writeProcRollupFixture writes web1 with 6 processes (synth: they have
// disk I/O, units and containers) sampled every minute for the last three
// days, and compacts the closed days, which writes their per-hour process
// rollups.
func writeProcRollupFixture(t *testing.T) *archive.Store {
	t.Helper()
	st, w := web1Writer(t, t.TempDir())
	g := synth.New(synth.Host{Name: "web1", Processes: 6, Seed: 7, Boot: fixedNow.AddDate(0, 0, -10)})
	for at := fixedNow.AddDate(0, 0, -3); !at.After(fixedNow); at = at.Add(time.Minute) {
		if err := w.Append(g.Batch(at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Compact("web1", fixedNow); err != nil {
		t.Fatal(err)
	}
	return st
}
