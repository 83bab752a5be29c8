package render

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"

	"almanac/schema"
)

// TestProcessIO: the 24-hour processes page ranks processes by disk I/O
// and shows each one's bytes read and written and its peak rate as the
// archive's rows say (rates times the one-minute interval); the longer
// ranges, read from the per-hour rollup that has no I/O, have none.
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
	for r := 1; r < len(ranges); r++ {
		if p := d.procs[r]; len(p.TopIO) > 0 || (len(p.TopCPU) > 0 && p.TopCPU[0].HasIO) {
			t.Errorf("%s: I/O shown from a rollup without it", ranges[r].Name)
		}
	}
}
