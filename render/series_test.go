package render

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const sec = int64(1_000_000) // one second in µs

func secs(ss ...int64) []int64 {
	out := make([]int64, len(ss))
	for i, s := range ss {
		out[i] = s * sec
	}
	return out
}

var nan = math.NaN()

func TestMedianInterval(t *testing.T) {
	tests := []struct {
		name string
		ts   []int64
		want int64
	}{
		{"empty", nil, defaultInterval},
		{"one", secs(5), defaultInterval},
		{"regular", secs(0, 10, 20, 30), 10 * sec},
		{"with a gap", secs(0, 10, 20, 30, 500, 510), 10 * sec},
		{"repeated times ignored", secs(0, 0, 5, 5, 10, 10), 5 * sec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := medianInterval(tt.ts); got != tt.want {
				t.Errorf("medianInterval() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestKth checks the selection against a sort, on inputs with runs of
// equal values, sorted, reversed and random ones, at every k.
func TestKth(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := map[string][]int64{
		"one":      {7},
		"equal":    {3, 3, 3, 3, 3},
		"sorted":   {1, 2, 3, 4, 5, 6, 7, 8},
		"reversed": {9, 8, 7, 6, 5, 4, 3, 2, 1},
		"two runs": {10, 10, 10, 20, 20, 10, 20, 10},
	}
	for n := range 40 {
		r := make([]int64, n+1)
		for i := range r {
			r[i] = rng.Int64N(int64(n/3 + 2)) // many repeats
		}
		inputs[fmt.Sprintf("random %d", n)] = r
	}
	for name, in := range inputs {
		want := slices.Sorted(slices.Values(in))
		for k := range in {
			if got := kth(slices.Clone(in), k); got != want[k] {
				t.Errorf("%s: kth(%v, %d) = %d, want %d", name, in, k, got, want[k])
			}
		}
	}
}

func TestDownsample(t *testing.T) {
	eq := cmpopts.EquateNaNs()
	tests := []struct {
		name      string
		in        grid
		from, to  int64
		maxPoints int
		gap       int64
		want      grid
	}{
		{
			name: "a gap shorter than a bucket is not shown",
			in: grid{T: []int64{0, 1, 2, 3, 20, 21, 22, 23}, Cols: [][]float64{
				{1, 2, 3, 4, 5, 6, 7, 8},
			}},
			from:      0,
			to:        40,
			maxPoints: 4, // width 20
			gap:       3,
			want: grid{T: []int64{0, 3, 20, 23}, Cols: [][]float64{
				{1, 4, 5, 8},
			}},
		},
		{
			name:      "few rows: kept, gap becomes a null row",
			in:        grid{T: secs(0, 10, 20, 60, 70), Cols: [][]float64{{1, 2, 3, 4, 5}}},
			from:      0,
			to:        100 * sec,
			maxPoints: 100,
			gap:       25 * sec,
			want:      grid{T: secs(0, 10, 20, 40, 60, 70), Cols: [][]float64{{1, 2, 3, nan, 4, 5}}},
		},
		{
			name:      "window cuts both ends",
			in:        grid{T: secs(0, 10, 20, 30, 40), Cols: [][]float64{{1, 2, 3, 4, 5}}},
			from:      10 * sec,
			to:        40 * sec,
			maxPoints: 100,
			gap:       25 * sec,
			want:      grid{T: secs(10, 20, 30), Cols: [][]float64{{2, 3, 4}}},
		},
		{
			name: "buckets keep min and max in time order",
			in: grid{T: []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Cols: [][]float64{
				{1, 5, 2, 0, 3, 2, 2, 9, 2, 2},
				{nan, nan, nan, nan, nan, 7, nan, nan, nan, nan},
			}},
			from:      0,
			to:        10,
			maxPoints: 4,
			gap:       100,
			// width 5: bucket 0 is t0..t4 (max 5 at t1, then min 0 at t3),
			// bucket 1 is t5..t9 (min 2 at t5, then max 9 at t7).
			want: grid{T: []int64{0, 4, 5, 9}, Cols: [][]float64{
				{5, 0, 2, 9},
				{nan, nan, 7, 7},
			}},
		},
		{
			name: "a gap longer than a bucket between buckets is a null row",
			in: grid{T: []int64{0, 1, 2, 3, 30, 31, 32, 33}, Cols: [][]float64{
				{1, 2, 3, 4, 5, 6, 7, 8},
			}},
			from:      0,
			to:        40,
			maxPoints: 4, // width 20
			gap:       3,
			want: grid{T: []int64{0, 3, 16, 30, 33}, Cols: [][]float64{
				{1, 4, nan, 5, 8},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := downsample(tt.in, tt.from, tt.to, tt.maxPoints, tt.gap)
			if diff := cmp.Diff(tt.want, got, eq); diff != "" {
				t.Errorf("downsample() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A one-sample spike in a year of 10-second samples must survive.
func TestDownsampleKeepsSpike(t *testing.T) {
	const n = 365 * 8640
	g := grid{T: make([]int64, n), Cols: [][]float64{make([]float64, n)}}
	for i := range g.T {
		g.T[i] = int64(i) * 10 * sec
		g.Cols[0][i] = 1
	}
	spike := 123457
	g.Cols[0][spike] = 99
	got := downsample(g, 0, n*10*sec, 2000, 25*sec)
	if len(got.T) > 2000 {
		t.Errorf("downsample() kept %d rows, want <= 2000", len(got.T))
	}
	var peak float64
	for _, v := range got.Cols[0] {
		peak = max(peak, v)
	}
	if peak != 99 {
		t.Errorf("peak after downsample = %v, want 99", peak)
	}
	for i := 1; i < len(got.T); i++ {
		if got.T[i] < got.T[i-1] {
			t.Fatalf("times not ascending at %d: %d < %d", i, got.T[i], got.T[i-1])
		}
	}
}

func TestPivot(t *testing.T) {
	ts := secs(0, 0, 10, 10, 20)
	key := []string{"sda", "sdb", "sda", "sdb", "sdb"}
	r := []float64{1, 2, 3, 4, 5}
	w := []float64{10, 20, 30, 40, 50}
	got := pivot(ts, key, []string{"sda", "sdb"}, r, w)
	want := grid{T: secs(0, 10, 20), Cols: [][]float64{
		{1, 3, nan},   // sda r
		{10, 30, nan}, // sda w
		{2, 4, 5},     // sdb r
		{20, 40, 50},  // sdb w
	}}
	if diff := cmp.Diff(want, got, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("pivot() mismatch (-want +got):\n%s", diff)
	}
}

func TestDistinct(t *testing.T) {
	many := make([]string, 0, 120)
	for i := range 40 {
		many = append(many, fmt.Sprintf("veth%02d", 39-i), fmt.Sprintf("veth%02d", 39-i))
	}
	many = append(many, many...)
	var wantMany []string
	for i := range 40 {
		wantMany = append(wantMany, fmt.Sprintf("veth%02d", i))
	}
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", nil, nil},
		{"repeats in sample order", []string{"sdb", "sda", "sdb", "sda", "sdb"}, []string{"sda", "sdb"}},
		{"runs", []string{"x", "x", "a", "a", "x"}, []string{"a", "x"}},
		{"more than the short list", many, wantMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, distinct(tt.in)); diff != "" {
				t.Errorf("distinct() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReduceMean(t *testing.T) {
	tests := []struct {
		name  string
		g     grid
		raw   bool
		width int64
		peaks int
		want  grid
	}{
		{
			name: "raw keeps every row",
			g:    grid{T: secs(0, 10, 20), Cols: [][]float64{{1, 2, 3}, {4, 5, 6}}},
			raw:  true, width: 20e6,
			want: grid{T: secs(0, 10, 20), Cols: [][]float64{{1, 2, 3}, {4, 5, 6}}},
		},
		{
			// Buckets of 20 s (half of 40): the shares' means add up to
			// the mean total (100), where extremes would add up to more.
			name:  "means per bucket",
			g:     grid{T: secs(0, 10, 20, 30), Cols: [][]float64{{90, 10, 50, 50}, {10, 90, 50, 50}}},
			width: 40e6,
			want:  grid{T: secs(0, 20), Cols: [][]float64{{50, 50}, {50, 50}}},
		},
		{
			name:  "missing values left out",
			g:     grid{T: secs(0, 10), Cols: [][]float64{{nan, 4}, {nan, nan}}},
			width: 40e6,
			want:  grid{T: secs(0), Cols: [][]float64{{4}, {nan}}},
		},
		{
			name:  "the peak column keeps its highest value",
			g:     grid{T: secs(0, 10, 20, 30), Cols: [][]float64{{10, 30, 20, 20}, {15, 99, 25, 25}}},
			width: 40e6, peaks: 1,
			want: grid{T: secs(0, 20), Cols: [][]float64{{20, 20}, {99, 25}}},
		},
		{
			name:  "a gap is a null row",
			g:     grid{T: secs(0, 1000), Cols: [][]float64{{1, 2}}},
			width: 40e6,
			want:  grid{T: secs(0, 500, 1000), Cols: [][]float64{{1, nan, 2}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reduceMean(tt.g, 0, 2000e6, tt.raw, tt.width, 60e6, tt.peaks)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("reduceMean (-want +got):\n%s", diff)
			}
		})
	}
}

func TestZoomWindow(t *testing.T) {
	h := int64(3600)
	day := 24 * h
	tests := []struct {
		name   string
		g      grid
		lo, hi int64 // seconds; 0, 0: the whole range
	}{
		{"no data", grid{}, 0, 0},
		{"data over most of the range", grid{T: secs(h, 20*h), Cols: [][]float64{{1, 2}}}, 0, 0},
		// 30 seconds of data: two minutes around it.
		{"a sliver at the end", grid{T: secs(day-40, day-10), Cols: [][]float64{{1, 2}}}, day - 120, day},
		{"a sliver in the middle", grid{T: secs(10*h, 10*h+30), Cols: [][]float64{{1, 2}}}, 10*h - 45, 10*h + 75},
		// Six hours: a tenth more on each side.
		{"a quarter", grid{T: secs(2*h, 8*h), Cols: [][]float64{{1, 2}}}, 2*h - 36*60, 8*h + 36*60},
		{"null rows are not data", grid{T: secs(0, 12*h, 12*h+60), Cols: [][]float64{{nan, 1, 2}}}, 12*h - 30, 12*h + 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, ok := zoomWindow(tt.g, 0, day*sec)
			if !ok {
				lo, hi = 0, 0
			}
			if lo != tt.lo*sec || hi != tt.hi*sec {
				t.Errorf("zoomWindow = %d s..%d s, %v; want %d s..%d s", lo/sec, hi/sec, ok, tt.lo, tt.hi)
			}
		})
	}
}

func TestSparklineOnePoint(t *testing.T) {
	g := grid{T: secs(90), Cols: [][]float64{{50}}}
	got := sparkline(g, 0, 96*sec, 96, 60*sec)
	want := []sparkLine{{Points: "90,10.0 91,10.0"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sparkline of one sample (-want +got):\n%s", diff)
	}
}

func TestFmtInterval(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{999900 * time.Microsecond, "1s"},
		{time.Second, "1s"},
		{1500 * time.Millisecond, "1.5s"},
		{250 * time.Millisecond, "250ms"},
		{9999 * time.Millisecond, "10s"},
		{10 * time.Second, "10s"},
		{59999 * time.Millisecond, "1m 0s"},
		{0, ""},
	}
	for _, tt := range tests {
		if got := fmtInterval(tt.d); got != tt.want {
			t.Errorf("fmtInterval(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFmtCPUTime(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{4 * time.Millisecond, "0s"},
		{330 * time.Millisecond, "0.33s"},
		{4070 * time.Millisecond, "4.07s"},
		{9996 * time.Millisecond, "10.0s"},
		{12340 * time.Millisecond, "12.3s"},
		{59960 * time.Millisecond, "1m 0s"},
		{61500 * time.Millisecond, "1m 2s"},
		{3*time.Hour + 5*time.Minute, "3h 5m"},
	}
	for _, tt := range tests {
		if got := fmtCPUTime(tt.d); got != tt.want {
			t.Errorf("fmtCPUTime(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestWeekStat(t *testing.T) {
	tests := []struct {
		name     string
		rows     [][3]float64 // value, peak, weight
		want     string
		wantSort float64
	}{
		{"no data", nil, "", -1},
		{"one sample", [][3]float64{{20, 20, 10}}, "20.0 % / 20.0 %", 20},
		// A rollup hour of mean 10 (peak 90) weighs 360 samples of 10 s.
		{"weighted by time", [][3]float64{{10, 90, 3600}, {100, 100, 10}}, "10.2 % / 100.0 %", (10*3600 + 100*10) / 3610.0},
		{"missing values left out", [][3]float64{{nan, nan, 10}, {30, nan, 10}}, "30.0 % / 30.0 %", 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w weekStat
			for _, r := range tt.rows {
				w.add(r[0], r[1], r[2])
			}
			got, sort := w.text(fmtPct)
			if got != tt.want || sort != tt.wantSort {
				t.Errorf("text() = %q, %v; want %q, %v", got, sort, tt.want, tt.wantSort)
			}
		})
	}
}

// TestReduceAligned reduces the same rows over a window and over the
// window moved 5 minutes later, as two renders 5 minutes apart do: the
// buckets start at multiples of their width from the epoch, not at the
// window's start, so every row after the first bucket of the later
// window is the same in both.
func TestReduceAligned(t *testing.T) {
	const n = 8640 // a day of 10 s samples
	g := grid{T: make([]int64, n), Cols: [][]float64{make([]float64, n), make([]float64, n)}}
	start := int64(1_780_000_003) * sec // not a multiple of any width
	for i := range g.T {
		g.T[i] = start + int64(i)*10*sec
		g.Cols[0][i] = float64(i % 37)
		g.Cols[1][i] = float64((i * 7) % 101)
	}
	from, to := start, start+n*10*sec
	width := bucketWidth(from, to, maxPoints)
	later := 5 * 60 * sec
	for _, tc := range []struct {
		name   string
		reduce func(from, to int64) grid
	}{
		{"extremes", func(from, to int64) grid { return reduce(g, from, to, false, width, 25*sec) }},
		{"means", func(from, to int64) grid { return reduceMean(g, from, to, false, width, 25*sec, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.reduce(from, to), tc.reduce(from+later, to+later)
			// The rows of a from the first whole bucket of b's window on.
			cut := (from+later)/width*width + width
			i, _ := window(a.T, cut, to)
			j, _ := window(b.T, cut, to)
			if len(a.T)-i < 100 {
				t.Fatalf("only %d rows to compare", len(a.T)-i)
			}
			if diff := gocmp.Diff(a.T[i:], b.T[j:]); diff != "" {
				t.Fatalf("row times differ 5 minutes later (-now +later):\n%s", diff)
			}
			for c := range a.Cols {
				if diff := gocmp.Diff(a.Cols[c][i:], b.Cols[c][j:], cmpopts.EquateNaNs()); diff != "" {
					t.Errorf("column %d differs 5 minutes later (-now +later):\n%s", c, diff)
				}
			}
		})
	}
}
