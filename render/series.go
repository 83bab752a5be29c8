package render

import (
	"math"
	"slices"
	"sort"
)

// grid is a set of series that share one time axis: Cols[j][i] is the value
// of series j at T[i], NaN where that series has no value.
//
// A grid of rollup buckets also has Lo and Hi: Lo[j][i] and Hi[j][i] are
// the lowest and highest value of series j in the bucket starting at T[i],
// and Cols[j][i] its mean. reduce keeps them as it keeps the minimum and
// maximum of samples, so a spike rolled up into a bucket still shows.
type grid struct {
	T      []int64 // microseconds since the epoch, ascending
	Cols   [][]float64
	Lo, Hi [][]float64 // nil, or one per column of Cols
}

// newGrid returns a grid of cols empty columns with room for rows rows
// each: the times and the columns are allocated once, the columns from one
// array (each capped at rows, so that appending past it moves that column
// alone).
func newGrid(cols, rows int) grid {
	rows = max(rows, 0)
	g := grid{T: make([]int64, 0, rows), Cols: make([][]float64, cols)}
	vals := make([]float64, cols*rows)
	for j := range g.Cols {
		g.Cols[j] = vals[j*rows : j*rows : (j+1)*rows]
	}
	return g
}

// defaultInterval is the sampling interval assumed when a series has fewer
// than two samples (the sampler's default).
const defaultInterval = 10_000_000 // 10 s in µs

// gapFactor is how many sampling intervals without a sample make a gap.
const gapFactor = 2.5

// medianInterval returns the median distance between consecutive distinct
// times of ts (ascending), or defaultInterval when there are fewer than two.
func medianInterval(ts []int64) int64 {
	d := make([]int64, 0, max(len(ts)-1, 0)) // a year is millions: never grown
	for i := 1; i < len(ts); i++ {
		if ts[i] > ts[i-1] {
			d = append(d, ts[i]-ts[i-1])
		}
	}
	if len(d) == 0 {
		return defaultInterval
	}
	return kth(d, len(d)/2)
}

// kth returns the k-th smallest value of d (0-based), which it reorders:
// a selection in linear time on average, where a sort of a year of sample
// intervals takes a good part of a host's render.
func kth(d []int64, k int) int64 {
	lo, hi := 0, len(d) // the k-th value is in d[lo:hi]
	for hi-lo > 1 {
		// Three-way partition around the median of three: runs of equal
		// intervals (a steady sampler) end the search at once.
		a, b, c := d[lo], d[lo+(hi-lo)/2], d[hi-1]
		p := max(min(a, b), min(max(a, b), c))
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch {
			case d[i] < p:
				d[lt], d[i] = d[i], d[lt]
				lt++
				i++
			case d[i] > p:
				gt--
				d[gt], d[i] = d[i], d[gt]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return p
		}
	}
	return d[lo]
}

// gapThreshold returns the distance between two samples above which the
// time between them is missing data.
func gapThreshold(interval int64) int64 {
	return int64(float64(interval) * gapFactor)
}

// window returns the index range [lo, hi) of the times in ts with
// from <= t < to.
func window(ts []int64, from, to int64) (lo, hi int) {
	lo = sort.Search(len(ts), func(i int) bool { return ts[i] >= from })
	hi = sort.Search(len(ts), func(i int) bool { return ts[i] >= to })
	return lo, hi
}

// downsample returns the rows of g with from <= t < to, reduced so that each
// series holds at most about maxPoints points, and with a null row (all NaN)
// wherever consecutive samples are further apart than gap, so that a chart
// shows missing data as a break instead of a line across it.
//
// When there are more rows than maxPoints, the window is cut into
// maxPoints/2 buckets (aligned to the epoch, see reduce) and each bucket
// becomes two rows, at the times of its
// first and last sample, holding each series' minimum and maximum in the
// order they happened: a spike of one sample survives any range. A gap
// shorter than a bucket is not shown at that resolution.
func downsample(g grid, from, to int64, maxPoints int, gap int64) grid {
	lo, hi := window(g.T, from, to)
	return reduce(g, from, to, hi-lo <= maxPoints, bucketWidth(from, to, maxPoints), gap)
}

// bucketWidth returns the width of the buckets that cut [from, to) into
// maxPoints/2 buckets.
func bucketWidth(from, to int64, maxPoints int) int64 {
	buckets := int64(max(maxPoints, 2) / 2)
	return max((to-from+buckets-1)/buckets, 1)
}

// reduce is downsample with the mode chosen by the caller: raw keeps every
// row, else rows are reduced to buckets of width that start at multiples
// of width from the epoch, not at from: chunks of the same series reduced
// with the same width line up, and a render five minutes later makes the
// same buckets of the same rows (the first one of its window aside).
func reduce(g grid, from, to int64, raw bool, width int64, gap int64) grid {
	lo, hi := window(g.T, from, to)
	rows := hi - lo + (hi-lo)/64 + 1 // raw: every row, and a few gaps
	if !raw && hi > lo {
		// Up to two rows a bucket, and a gap's.
		rows = min(rows, 2*int(g.T[hi-1]/width-g.T[lo]/width+1)+8)
	}
	out := newGrid(len(g.Cols), rows)
	addRow := func(t int64, v func(j int) float64) {
		out.T = append(out.T, t)
		for j := range out.Cols {
			out.Cols[j] = append(out.Cols[j], v(j))
		}
	}
	nan := func(int) float64 { return math.NaN() }
	if raw {
		for i := lo; i < hi; i++ {
			if i > lo && g.T[i]-g.T[i-1] > gap {
				addRow(g.T[i-1]+(g.T[i]-g.T[i-1])/2, nan)
			}
			addRow(g.T[i], func(j int) float64 { return g.Cols[j][i] })
		}
		return out
	}
	bigGap := max(gap, width)
	type acc struct {
		min, max       float64
		minAt, maxAt   int
		hasMin, hasMax bool
	}
	accs := make([]acc, len(g.Cols))
	first, last := -1, -1
	flush := func() {
		if first < 0 {
			return
		}
		pick := func(j int, firstRow bool) float64 {
			a := accs[j]
			if !a.hasMin {
				return math.NaN()
			}
			if first == last {
				return a.min
			}
			if (a.minAt <= a.maxAt) == firstRow {
				return a.min
			}
			return a.max
		}
		addRow(g.T[first], func(j int) float64 { return pick(j, true) })
		if last != first {
			addRow(g.T[last], func(j int) float64 { return pick(j, false) })
		} else if g.Lo != nil && slices.ContainsFunc(accs, func(a acc) bool { return a.hasMin && a.max > a.min }) {
			// One bucket of a rollup: its lowest and highest value.
			addRow(g.T[last], func(j int) float64 {
				if !accs[j].hasMax {
					return math.NaN()
				}
				return accs[j].max
			})
		}
		for j := range accs {
			accs[j] = acc{}
		}
		first, last = -1, -1
	}
	cur := int64(-1)
	for i := lo; i < hi; i++ {
		b := g.T[i] / width // buckets aligned to the epoch, the same at every render
		if b != cur {
			flush()
			cur = b
		}
		if i > lo && g.T[i]-g.T[i-1] > bigGap {
			flush()
			addRow(g.T[i-1]+(g.T[i]-g.T[i-1])/2, nan)
		}
		if first < 0 {
			first = i
		}
		last = i
		for j, col := range g.Cols {
			lo, hi := col[i], col[i]
			if g.Lo != nil {
				lo, hi = g.Lo[j][i], g.Hi[j][i]
			}
			if math.IsNaN(lo) || math.IsNaN(hi) {
				continue
			}
			a := &accs[j]
			if !a.hasMin || lo < a.min {
				a.min, a.minAt, a.hasMin = lo, i, true
			}
			if !a.hasMax || hi > a.max {
				a.max, a.maxAt, a.hasMax = hi, i, true
			}
		}
	}
	flush()
	return out
}

// downsampleMean is downsample for stacked shares: reduced rows hold
// each series' mean over the bucket, so that the series of a row add up to
// a total that was true on average (a bucket's extremes, one series at its
// peak and another at its own, add up to more than ever happened).
func downsampleMean(g grid, from, to int64, maxPoints int, gap int64, peaks int) grid {
	lo, hi := window(g.T, from, to)
	return reduceMean(g, from, to, hi-lo <= maxPoints, bucketWidth(from, to, maxPoints), gap, peaks)
}

// reduceMean is reduce with means: raw keeps every row, else the rows
// are cut into buckets of half width (as many rows as reduce makes), each
// one row at its first sample's time with each series' mean (NaN values
// left out; NaN when a series has none). The last peaks columns are not
// shares but a peak drawn over them: they keep their bucket's highest
// value (from g.Hi for rollup rows).
func reduceMean(g grid, from, to int64, raw bool, width int64, gap int64, peaks int) grid {
	if raw {
		return reduce(g, from, to, true, width, gap)
	}
	width = max(width/2, 1)
	lo, hi := window(g.T, from, to)
	rows := hi - lo + 1
	if hi > lo {
		// A row a bucket, and a gap's.
		rows = min(rows, int(g.T[hi-1]/width-g.T[lo]/width+1)+8)
	}
	out := newGrid(len(g.Cols), rows)
	sum := make([]float64, len(g.Cols))
	cnt := make([]int, len(g.Cols))
	first := -1
	peak0 := len(g.Cols) - peaks
	flush := func() {
		if first < 0 {
			return
		}
		out.T = append(out.T, g.T[first])
		for j := range out.Cols {
			v := math.NaN()
			switch {
			case cnt[j] > 0 && j >= peak0:
				v = sum[j]
			case cnt[j] > 0:
				v = sum[j] / float64(cnt[j])
			}
			out.Cols[j] = append(out.Cols[j], v)
			sum[j], cnt[j] = 0, 0
		}
		first = -1
	}
	bigGap := max(gap, 2*width)
	cur := int64(-1)
	for i := lo; i < hi; i++ {
		if b := g.T[i] / width; b != cur { // aligned to the epoch, as in reduce
			flush()
			cur = b
		}
		if i > lo && g.T[i]-g.T[i-1] > bigGap {
			flush()
			out.T = append(out.T, g.T[i-1]+(g.T[i]-g.T[i-1])/2)
			for j := range out.Cols {
				out.Cols[j] = append(out.Cols[j], math.NaN())
			}
		}
		if first < 0 {
			first = i
		}
		for j, c := range g.Cols {
			v := c[i]
			if j >= peak0 {
				if g.Hi != nil {
					v = g.Hi[j][i]
				}
				if !math.IsNaN(v) && (cnt[j] == 0 || v > sum[j]) {
					sum[j] = v
				}
				if !math.IsNaN(v) {
					cnt[j]++
				}
				continue
			}
			if !math.IsNaN(v) {
				sum[j] += v
				cnt[j]++
			}
		}
	}
	flush()
	return out
}

// uniqueTimes returns the distinct values of ts (ascending) in order.
func uniqueTimes(ts []int64) []int64 {
	var out []int64
	for i, t := range ts {
		if i == 0 || t != ts[i-1] {
			out = append(out, t)
		}
	}
	return out
}

// pivot turns long rows (time, key, values) into a grid with one column per
// (key, value) pair: the result has len(keys)*len(vals) columns, key-major.
// ts must be ascending; rows whose key is not in keys are ignored.
func pivot(ts []int64, key []string, keys []string, vals ...[]float64) grid {
	g := grid{T: uniqueTimes(ts)}
	idx := make(map[string]int, len(keys))
	for i, k := range keys {
		idx[k] = i
	}
	n := len(g.T)
	g.Cols = make([][]float64, len(keys)*len(vals))
	for j := range g.Cols {
		c := make([]float64, n)
		for i := range c {
			c[i] = math.NaN()
		}
		g.Cols[j] = c
	}
	row := -1
	// Rows repeat their keys in the same order every sample: guess the
	// key from the one that followed the previous key last time.
	next := make([]int, len(keys)+1)
	for i := range next {
		next[i] = -1
	}
	prev := len(keys) // "before the first key"
	for i, t := range ts {
		if row < 0 || g.T[row] != t {
			row++
		}
		k := next[prev]
		if k < 0 || keys[k] != key[i] {
			var ok bool
			if k, ok = idx[key[i]]; !ok {
				continue
			}
			next[prev] = k
		}
		prev = k
		for v, col := range vals {
			g.Cols[k*len(vals)+v][row] = col[i]
		}
	}
	return g
}

// pivotRollup is pivot of rollup rows: the grid's Cols, Lo and Hi hold
// the means, lows and highs of vs.
func pivotRollup(ts []int64, key []string, keys []string, vs []vals) grid {
	n := len(vs)
	cs := make([][]float64, 0, 3*n)
	for _, v := range vs {
		cs = append(cs, v.V)
	}
	for _, v := range vs {
		cs = append(cs, v.Lo)
	}
	for _, v := range vs {
		cs = append(cs, v.Hi)
	}
	p := pivot(ts, key, keys, cs...)
	out := grid{T: p.T}
	for k := range keys {
		base := k * 3 * n
		out.Cols = append(out.Cols, p.Cols[base:base+n]...)
		out.Lo = append(out.Lo, p.Cols[base+n:base+2*n]...)
		out.Hi = append(out.Hi, p.Cols[base+2*n:base+3*n]...)
	}
	return out
}

// distinct returns the distinct strings of ss, sorted. Tables repeat a few
// keys (devices, cores) in every sample, so a short list is searched before
// falling back to a map.
func distinct(ss []string) []string {
	var out []string
	var seen map[string]bool
	last := -1
	for _, s := range ss {
		if last >= 0 && out[last] == s {
			continue
		}
		if seen != nil {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
			continue
		}
		found := false
		for i, o := range out {
			if o == s {
				last, found = i, true
				break
			}
		}
		if !found {
			out = append(out, s)
			last = len(out) - 1
			if len(out) > 32 {
				seen = make(map[string]bool, len(out))
				for _, o := range out {
					seen[o] = true
				}
				last = -1
			}
		}
	}
	slices.Sort(out)
	return out
}

// bootChanged reports whether two boot times (µs) differ by more than the
// jitter of a boot time derived from the uptime.
func bootChanged(a, b int64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d > bootJitter
}

// bootJitter is the largest difference between two readings of the same
// boot time.
const bootJitter = 2_000_000
