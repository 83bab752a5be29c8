package render

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// The rollup fixture: web1 sampled every minute for three hours 40 days
// ago (a day only the 365-day range covers, read from the per-hour
// rollup), then for the last four days with the sampler off for three
// hours on the 7th. One sample of each old day is a CPU spike.
var (
	rollupOld    = fixedNow.AddDate(0, 0, -40).Add(-2 * time.Hour) // 10:00
	rollupFrom   = fixedNow.AddDate(0, 0, -4)                      // the 6th 12:00
	holeFrom     = time.Date(2026, 3, 7, 18, 0, 0, 0, time.UTC)
	holeTo       = time.Date(2026, 3, 7, 21, 0, 0, 0, time.UTC)
	rollupSpikes = map[time.Time]float64{
		rollupOld.Add(97 * time.Minute):               97.5,
		time.Date(2026, 3, 7, 13, 37, 0, 0, time.UTC): 99.5,
		time.Date(2026, 3, 8, 4, 11, 0, 0, time.UTC):  98.5,
	}
)

// writeRollupFixture writes the rollup fixture into dir; with compact, it
// then compacts the closed days, which writes their rollups.
func writeRollupFixture(t *testing.T, dir string, compact bool) *archive.Store {
	t.Helper()
	st, w := web1Writer(t, dir)
	g := synth.New(synth.Host{Name: "web1", Seed: 3, Boot: rollupOld.Add(-time.Hour)})
	write := func(from, to time.Time) {
		for at := from; at.Before(to); at = at.Add(time.Minute) {
			b := g.Batch(at)
			if v, ok := rollupSpikes[at]; ok {
				for i := range b.CPU {
					if c := &b.CPU[i]; c.CPU == "all" {
						*c = schema.CPURow{Time: c.Time, CPU: c.CPU, UserPct: schema.ToCenti(v), IdlePct: schema.ToCenti(100 - v)}
					}
				}
			}
			if err := w.Append(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(rollupOld, rollupOld.Add(3*time.Hour))
	write(rollupFrom, holeFrom)
	write(holeTo, fixedNow.Add(time.Second))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if compact {
		if _, err := st.Compact("web1", fixedNow); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// recorder is a scanner that notes which days of the cpu table were read
// raw and from which rollup.
type recorder struct {
	*archive.Store
	mu    sync.Mutex
	reads map[string]string // day -> "raw", "1m" or "1h"
}

func (r *recorder) note(table string, from time.Time, how string) {
	if table != schema.TableCPU {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads[from.UTC().Format(time.DateOnly)] = how
}

func (r *recorder) Scan(table, host string, from, to time.Time, cols ...string) (*archive.Frame, error) {
	r.note(table, from, "raw")
	return r.Store.Scan(table, host, from, to, cols...)
}

func (r *recorder) ScanFiles(res archive.Resolution, d archive.DayFiles, from, to time.Time, cols ...string) (*archive.Frame, error) {
	how := res.String()
	if res == archive.Raw {
		how = "raw"
	}
	r.note(d.Table, time.UnixMicro(max(from.UnixMicro(), d.Day.UnixMicro())), how)
	return r.Store.ScanFiles(res, d, from, to, cols...)
}

// chartOf returns the chart id of range r of d.
func chartOf(t *testing.T, d *hostData, r int, id string) Chart {
	t.Helper()
	for _, s := range d.ranges[r] {
		for _, c := range s.Charts {
			if c.ID == id {
				return c
			}
		}
	}
	t.Fatalf("range %s has no chart %q", ranges[r].Name, id)
	return Chart{}
}

// extremes returns the smallest and largest value of each column of gr.
func extremes(gr grid) (lo, hi []float64) {
	for _, c := range gr.Cols {
		l, h := math.Inf(1), math.Inf(-1)
		for _, v := range c {
			if !math.IsNaN(v) {
				l, h = min(l, v), max(h, v)
			}
		}
		lo, hi = append(lo, l), append(hi, h)
	}
	return lo, hi
}

func TestRollupRender(t *testing.T) {
	raw := writeRollupFixture(t, t.TempDir(), false)
	dir := t.TempDir()
	rolled := writeRollupFixture(t, dir, true)
	// The cpu rollup of the 8th goes missing: that day is read raw.
	if err := os.RemoveAll(filepath.Join(dir, "rollup", "1m", "cpu", "host=web1", "date=2026-03-08")); err != nil {
		t.Fatal(err)
	}
	want, err := gather(raw, "web1", hostDir("web1"), fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Store: rolled, reads: map[string]string{}}
	got, err := gather(rec, "web1", hostDir("web1"), fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("days read", func(t *testing.T) {
		wantReads := map[string]string{
			rollupOld.Format(time.DateOnly): "1h",  // only in the 365-day range
			"2026-03-06":                    "1m",  // in the 30-day range
			"2026-03-07":                    "1m",  //
			"2026-03-08":                    "raw", // no rollup
			"2026-03-09":                    "raw", // in the last 24 hours
			"2026-03-10":                    "raw", // today
		}
		for day, how := range wantReads {
			if rec.reads[day] != how {
				t.Errorf("cpu of %s read %q, want %q (all: %v)", day, rec.reads[day], how, rec.reads)
			}
		}
	})

	t.Run("spikes survive", func(t *testing.T) {
		for r := 1; r < len(ranges); r++ {
			from, _ := got.rangeWindowOf(r)
			want := math.Inf(-1)
			for at, v := range rollupSpikes {
				if at.UnixMicro() >= from {
					want = max(want, v)
				}
			}
			_, hi := extremes(chartOf(t, got, r, "cpu").data)
			if peak := hi[len(cpuModes)]; peak != want {
				t.Errorf("%s: highest busy (peak) %% = %v, want the spike %v", ranges[r].Name, peak, want)
			}
		}
		// The spike of the 8th (read raw) shows in the 7 days.
		c := chartOf(t, got, 1, "cpu").data
		at := time.Date(2026, 3, 8, 4, 11, 0, 0, time.UTC).UnixMicro()
		found := false
		for i, v := range c.Cols[len(cpuModes)] {
			if v == 98.5 && c.T[i] >= at-bucketWidth(0, 7*24*time.Hour.Microseconds(), maxPoints) && c.T[i] <= at+time.Hour.Microseconds() {
				found = true
			}
		}
		if !found {
			t.Error("7d: the spike of the 8th (a day without rollup) is not in the series")
		}
	})

	t.Run("same extremes as raw", func(t *testing.T) {
		// The cpu chart's stacked modes are means, which per-hour rollups
		// change (an hour's mean counts once, whatever its samples); its
		// peak, the last column, is compared in "spikes survive".
		ids := []string{"load", "procs", "kernel", "pressure", "disk-bytes", "disk-iops", "disk-busy",
			"disk-await", "net-bytes", "net-packets", "net-errors", "net-drops", "temperature", "swap-io", "faults", "oom"}
		for r := 1; r < len(ranges); r++ {
			for _, id := range ids {
				wlo, whi := extremes(chartOf(t, want, r, id).data)
				glo, ghi := extremes(chartOf(t, got, r, id).data)
				if !slices.Equal(wlo, glo) || !slices.Equal(whi, ghi) {
					t.Errorf("%s %s: extremes from rollups %v..%v, from raw samples %v..%v", ranges[r].Name, id, glo, ghi, wlo, whi)
				}
			}
		}
	})

	t.Run("gaps stay", func(t *testing.T) {
		// The hole is longer than a bucket of the 7 and 30 days (not of
		// the 365 days, where raw samples show no gap either).
		for r := 1; r <= 2; r++ {
			for _, id := range []string{"cpu", "load", "disk-busy", "fs-space", "memory"} {
				c := chartOf(t, got, r, id).data
				nulls := 0
				for i, ts := range c.T {
					if ts <= holeFrom.UnixMicro() || ts >= holeTo.UnixMicro() {
						continue
					}
					for _, col := range c.Cols {
						if !math.IsNaN(col[i]) {
							t.Errorf("%s %s: a value at %v, inside the hole", ranges[r].Name, id, time.UnixMicro(ts).UTC())
						}
					}
					nulls++
				}
				if nulls == 0 {
					t.Errorf("%s %s: no null point in the hole %v-%v", ranges[r].Name, id, holeFrom, holeTo)
				}
			}
		}
	})

	t.Run("availability unchanged", func(t *testing.T) {
		w, g := want.avail, got.avail
		wj, err := json.Marshal(w.Calendar.Option)
		if err != nil {
			t.Fatal(err)
		}
		gj, err := json.Marshal(g.Calendar.Option)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(wj, gj) {
			t.Errorf("calendar from the compacted archive differs:\n%s\n%s", gj, wj)
		}
		w.Calendar, g.Calendar = nil, nil
		if fmt.Sprint(w) != fmt.Sprint(g) {
			t.Errorf("availability from the compacted archive differs:\n%+v\n%+v", got.avail, want.avail)
		}
	})
}

// rangeWindowOf returns the window (µs) of range r as the host was
// gathered.
func (d *hostData) rangeWindowOf(r int) (int64, int64) {
	return d.tl.Now - ranges[r].Dur.Microseconds(), d.tl.Now + 1
}
