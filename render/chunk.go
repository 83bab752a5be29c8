package render

import (
	"math"
	"slices"

	"almanac/archive"
)

// A host's big tables are read one day partition at a time, and each day
// is reduced for every range at once, so that memory holds a day of rows
// and the reduced series, never a year of rows.

// each scans cols of table one day partition at a time over the longest
// range and calls fn with each day's rows (in time order).
func (g *gatherer) each(table string, cols []string, fn func(f *archive.Frame)) error {
	parts, err := g.src.Partitions(table, g.host)
	if err != nil {
		if isNoData(err) {
			return nil
		}
		return err
	}
	for _, p := range parts {
		lo, hi := max(p.Day.UnixMicro(), g.from), min(p.End().UnixMicro(), g.now+1)
		if hi <= lo {
			continue
		}
		f, err := g.scanWindow(table, lo, hi, cols...)
		if err != nil {
			return err
		}
		if f.Len() > 0 {
			fn(f)
		}
	}
	return nil
}

// chunkPart is one chunk of a series reduced for one range: its columns are
// named by keys.
type chunkPart struct {
	keys        []string
	g           grid
	first, last int64 // the first and last raw sample time in the range
}

// seriesSet builds the reduced series of one chart for every range from
// chunks of rows. Columns are named by a key (a device, a mount, ...) and
// a value index, so chunks may bring keys the others lack.
type seriesSet struct {
	g     *gatherer
	nval  int
	parts [][]chunkPart // per range
	seen  map[string]bool
}

// newSet returns a set of nval values per key.
func (g *gatherer) newSet(nval int) *seriesSet {
	return &seriesSet{g: g, nval: nval, parts: make([][]chunkPart, len(ranges)), seen: map[string]bool{}}
}

// add reduces one chunk: times ts (ascending) and, per row, its key (nil
// when the table has one row per sample) and values.
func (s *seriesSet) add(ts []int64, key []string, vals ...[]float64) {
	var gr grid
	var keys []string
	if key == nil {
		gr = grid{T: ts, Cols: vals}
		keys = []string{""}
	} else {
		keys = distinct(key)
		gr = pivot(ts, key, keys, vals...)
	}
	for _, k := range keys {
		s.seen[k] = true
	}
	if len(gr.T) == 0 {
		return
	}
	for r := range ranges {
		from, to := s.g.rangeWindow(r)
		lo, hi := window(gr.T, from, to)
		if hi <= lo {
			continue
		}
		red := reduce(gr, from, to, s.g.raw[r], s.g.width[r], s.g.gap())
		s.parts[r] = append(s.parts[r], chunkPart{keys: keys, g: red, first: gr.T[lo], last: gr.T[hi-1]})
	}
}

// keys returns the keys seen, sorted.
func (s *seriesSet) keys() []string {
	out := make([]string, 0, len(s.seen))
	for k := range s.seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// has reports whether range r has at least one value.
func (s *seriesSet) has(r int) bool {
	for _, p := range s.parts[r] {
		for _, c := range p.g.Cols {
			for _, v := range c {
				if !math.IsNaN(v) {
					return true
				}
			}
		}
	}
	return false
}

// grid joins the chunks of range r into one grid with the columns of keys
// (each with nval values, key-major), a null row where chunks are further
// apart than a gap.
func (s *seriesSet) grid(r int, keys []string) grid {
	out := grid{Cols: make([][]float64, len(keys)*s.nval)}
	idx := make(map[string]int, len(keys))
	for i, k := range keys {
		idx[k] = i
	}
	bigGap := s.g.gap()
	if !s.g.raw[r] {
		bigGap = max(bigGap, s.g.width[r])
	}
	var last int64
	for n, p := range s.parts[r] {
		if n > 0 && p.first-last > bigGap {
			out.T = append(out.T, last+(p.first-last)/2)
			for j := range out.Cols {
				out.Cols[j] = append(out.Cols[j], math.NaN())
			}
		}
		last = p.last
		start := len(out.T)
		out.T = append(out.T, p.g.T...)
		for j := range out.Cols {
			out.Cols[j] = append(out.Cols[j], nanRow(len(p.g.T))...)
		}
		for pk, k := range p.keys {
			i, ok := idx[k]
			if !ok {
				continue
			}
			for v := range s.nval {
				copy(out.Cols[i*s.nval+v][start:], p.g.Cols[pk*s.nval+v])
			}
		}
	}
	return out
}

// nanRow returns n NaNs.
func nanRow(n int) []float64 {
	c := make([]float64, n)
	for i := range c {
		c[i] = math.NaN()
	}
	return c
}

// heat accumulates a heatmap of the peak value per time bucket and key for
// every range, from chunks of rows.
type heat struct {
	g     *gatherer
	cells []map[string][]float64 // per range, per key
	times [][]int64              // per range, bucket start times
}

func (g *gatherer) newHeat() *heat {
	h := &heat{g: g, cells: make([]map[string][]float64, len(ranges)), times: make([][]int64, len(ranges))}
	for r := range ranges {
		h.cells[r] = map[string][]float64{}
	}
	return h
}

// add adds one chunk of (time, key, value) rows.
func (h *heat) add(ts []int64, key []string, val []float64) {
	keys := distinct(key)
	gr := pivot(ts, key, keys, val)
	for r := range ranges {
		from, to := h.g.rangeWindow(r)
		times, cells := bucketMax(gr, from, to, heatBuckets)
		h.times[r] = times
		for j, k := range keys {
			acc, ok := h.cells[r][k]
			if !ok {
				h.cells[r][k] = cells[j]
				continue
			}
			for i, v := range cells[j] {
				if !math.IsNaN(v) && (math.IsNaN(acc[i]) || v > acc[i]) {
					acc[i] = v
				}
			}
		}
	}
}

// rows returns the cells of range r in the order of keys.
func (h *heat) rows(r int, keys []string) [][]float64 {
	out := make([][]float64, len(keys))
	for i, k := range keys {
		if c, ok := h.cells[r][k]; ok {
			out[i] = c
		} else {
			out[i] = nanRow(heatBuckets)
		}
	}
	return out
}

// valueKeys lists the columns of a set's grid for keys and per-value
// suffixes: keys x suffixes, key-major, joined by a space.
func valueKeys(keys []string, suffixes ...string) []string {
	var out []string
	for _, k := range keys {
		for _, s := range suffixes {
			if s == "" {
				out = append(out, k)
			} else {
				out = append(out, k+" "+s)
			}
		}
	}
	return out
}

// setModes decides, per range, whether its series keep every sample (at
// most maxPoints samples in the range) or are reduced to buckets, from the
// sample times of the host (its system table).
func (g *gatherer) setModes(ts []int64) {
	g.raw = make([]bool, len(ranges))
	g.width = make([]int64, len(ranges))
	for r := range ranges {
		from, to := g.rangeWindow(r)
		lo, hi := window(ts, from, to)
		g.raw[r] = hi-lo <= maxPoints
		g.width[r] = bucketWidth(from, to, maxPoints)
	}
}

// gap returns the gap threshold of the host.
func (g *gatherer) gap() int64 {
	if g.d.tl.Interval > 0 {
		return gapThreshold(g.d.tl.Interval)
	}
	return gapThreshold(defaultInterval)
}
