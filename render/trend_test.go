package render

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestTimeUntilFull(t *testing.T) {
	// line returns n samples every step seconds of used = base + slope*t.
	line := func(n int, step int64, base, slope float64) ([]int64, []float64) {
		var ts []int64
		var used []float64
		for i := range n {
			s := int64(i) * step
			ts = append(ts, s*sec)
			used = append(used, base+slope*float64(s))
		}
		return ts, used
	}
	tests := []struct {
		name   string
		n      int
		step   int64
		slope  float64 // bytes per second
		avail  float64
		want   time.Duration
		wantOK bool
	}{
		// 10 B/s with 864000 B free: 86400 s.
		{"a day at 10 B/s", 121, 60, 10, 864_000, 24 * time.Hour, true},
		// 1 MB/s with 3.6 GB free: one hour.
		{"an hour at 1 MB/s", 121, 60, 1e6, 3.6e9, time.Hour, true},
		{"flat", 121, 60, 0, 1e9, 0, false},
		{"shrinking", 121, 60, -5, 1e9, 0, false},
		// 1 B/s with 1e8 B free: 1157 days, beyond 30.
		{"beyond 30 days", 121, 60, 1, 1e8, 0, false},
		{"less than an hour of samples", 50, 60, 10, 1e5, 0, false},
		{"fewer than ten samples", 9, 900, 10, 1e5, 0, false},
		{"full already", 121, 60, 10, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, used := line(tt.n, tt.step, 5e9, tt.slope)
			got, ok := timeUntilFull(ts, used, tt.avail)
			if ok != tt.wantOK || (ok && (got-tt.want).Abs() > time.Second) {
				t.Errorf("timeUntilFull() = %v, %v, want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
	t.Run("missing values are skipped", func(t *testing.T) {
		ts, used := line(121, 60, 5e9, 10)
		used[3], used[50] = math.NaN(), math.NaN()
		got, ok := timeUntilFull(ts, used, 864_000)
		if !ok || (got-24*time.Hour).Abs() > time.Second {
			t.Errorf("timeUntilFull() = %v, %v, want 24h, true", got, ok)
		}
	})
}

func TestTopProcesses(t *testing.T) {
	// Three samples. pid 1 (started at 100) runs throughout; pid 2 only
	// in the second sample; pid 1 is reused in the third by a process
	// started at 500, which is another process.
	p := procRows{
		T:       secs(0, 10, 10, 20, 20),
		PID:     []float64{1, 1, 2, 1, 1},
		Start:   []float64{100, 100, 200, 100, 500},
		CPUUser: []float64{8, 15, 80, 25, 5},
		CPUSys:  []float64{2, 5, 10, 5, nan},
		RSS:     []float64{100, 300, 1000, 200, 50},
		Comm:    []string{"a", "a", "b", "a", "a2"},
		User:    []string{"root", "root", "www", "root", "nobody"},
		Stat:    []string{"S", "R", "Z", "S", "S"},
	}
	one := procID{PID: 1, Start: 100}
	two := procID{PID: 2, Start: 200}
	reused := procID{PID: 1, Start: 500}
	// mean CPU over 3 samples: one (10+20+30)/3 = 20, two 90/3 = 30,
	// reused 5/3.
	sOne := procStat{ID: one, Comm: "a", User: "root", State: "S", CPUAvg: 20, RSSMax: 300, RSSLast: 200, First: 0, Last: 20 * sec}
	sTwo := procStat{ID: two, Comm: "b", User: "www", State: "Z", CPUAvg: 30, RSSMax: 1000, RSSLast: 1000, First: 10 * sec, Last: 10 * sec}
	sReused := procStat{ID: reused, Comm: "a2", User: "nobody", State: "S", CPUAvg: 5.0 / 3, RSSMax: 50, RSSLast: 50, First: 20 * sec, Last: 20 * sec}
	opts := []cmp.Option{cmpopts.IgnoreUnexported(procStat{}), cmpopts.EquateApprox(0, 1e-9)}
	rows := &segRows{procRows: p, unit: make([]string, len(p.T)), container: make([]string, len(p.T))}
	rows.IORead, rows.IOWrite = nanRow(len(p.T)), nanRow(len(p.T))
	// Segments cut at 15 s, as a render cuts at hours and range starts:
	// sums over segments are sums over rows.
	segsOf := func(cuts ...int64) []procSeg {
		segs := make([]procSeg, len(cuts)-1)
		for i := range segs {
			segs[i].lo, segs[i].hi = cuts[i], cuts[i+1]
			a, b := window(p.T, cuts[i], cuts[i+1])
			segs[i].fill(rows, a, b)
		}
		return segs
	}
	top := func(segs []procSeg, from, to int64, n int) (byCPU, byMem []procStat) {
		return rankProcs(segStats(segs, from, to), n)
	}
	for _, segs := range [][]procSeg{segsOf(0, 30*sec), segsOf(0, 15*sec, 30*sec)} {
		byCPU, byMem := top(segs, 0, 30*sec, 10)
		if diff := cmp.Diff([]procStat{sTwo, sOne, sReused}, byCPU, opts...); diff != "" {
			t.Errorf("%d segments: by CPU mismatch (-want +got):\n%s", len(segs), diff)
		}
		if diff := cmp.Diff([]procStat{sTwo, sOne, sReused}, byMem, opts...); diff != "" {
			t.Errorf("%d segments: by memory mismatch (-want +got):\n%s", len(segs), diff)
		}
		byCPU, _ = top(segs, 0, 30*sec, 1)
		if len(byCPU) != 1 || byCPU[0].ID != two {
			t.Errorf("%d segments: top 1 by CPU = %+v, want pid 2", len(segs), byCPU)
		}
		ids := map[procID]bool{one: true, reused: true}
		lines := make([]map[procID]procLine, len(segs))
		for i := range segs {
			lines[i] = segs[i].linesOf(ids)
		}
		g := segLines(segs, lines, 0, 30*sec, []procID{one, reused})[lineCPU]
		want := grid{T: secs(0, 10, 20), Cols: [][]float64{{10, 20, 30}, {nan, nan, 5}}}
		if diff := cmp.Diff(want, g, cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("%d segments: lines mismatch (-want +got):\n%s", len(segs), diff)
		}
	}

	// The window [15 s, 30 s) holds only the third sample.
	byCPU, _ := top(segsOf(0, 15*sec, 30*sec), 15*sec, 30*sec, 10)
	if len(byCPU) != 2 || byCPU[0].ID != one || byCPU[0].CPUAvg != 30 || byCPU[1].ID != reused {
		t.Errorf("top by CPU of the last sample = %+v, want pid 1/100 at 30 then pid 1/500", byCPU)
	}
}

// TestFirstBy checks that firstBy takes the n first of a sort, ties by
// identity, for lists with ties and without, shorter and longer than n.
func TestFirstBy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ size, n, values int }{{0, 5, 3}, {3, 5, 3}, {40, 15, 4}, {500, 15, 1000}, {500, 0, 5}, {20, 20, 2}} {
		all := make([]procStat, c.size)
		for i := range all {
			all[i] = procStat{ID: procID{PID: int32(rng.IntN(50)), Start: int64(i)}, cpuSum: float64(rng.IntN(c.values))}
		}
		by := func(a, b *procStat) int { // by CPU, descending
			switch {
			case a.cpuSum > b.cpuSum:
				return -1
			case a.cpuSum < b.cpuSum:
				return 1
			}
			return 0
		}
		sorted := slices.Clone(all)
		slices.SortFunc(sorted, func(a, b procStat) int {
			if c := by(&a, &b); c != 0 {
				return c
			}
			return cmpProcID(a.ID, b.ID)
		})
		want := sorted[:min(c.n, len(sorted))]
		if got := firstBy(all, c.n, by); !slices.Equal(got, want) {
			t.Errorf("%d processes, %d first: got %v, want %v", c.size, c.n, got, want)
		}
	}
}
