package render

import (
	"maps"
	"math"
	"slices"
)

// The accumulators a table's days feed (dayAcc), so that what a closed
// day adds can be kept in the day memo and added again (daymemo.go).

// begin sets aside the parts and keys of the days before.
func (s *seriesSet) begin() {
	s.mark = s.mark[:0]
	for r := range s.parts {
		s.mark = append(s.mark, len(s.parts[r]))
	}
	s.before, s.seen = s.seen, map[string]bool{}
}

// end encodes the keys the day brought and its parts of every range.
func (s *seriesSet) end(b *memoBuf, cut rangeSet, only bool) {
	if b != nil {
		keys := slices.Sorted(maps.Keys(s.seen))
		b.strs(keys)
		for r := range s.parts {
			added := s.parts[r][s.mark[r]:]
			if cut.has(r) {
				added = nil
			}
			b.uint(uint64(len(added)))
			for _, p := range added {
				b.strs(p.keys)
				b.int(p.first)
				b.int(p.last)
				putGrid(b, p.g)
			}
		}
	}
	if only {
		for r := range s.parts {
			if !cut.has(r) {
				s.parts[r] = s.parts[r][:s.mark[r]]
			}
		}
	}
	for k := range s.seen {
		s.before[k] = true
	}
	s.seen, s.before = s.before, nil
}

// decode reads what end encoded.
func (s *seriesSet) decode(r *memoReader) func() {
	keys := r.strs()
	parts := make([][]chunkPart, len(s.parts))
	for i := range parts {
		n := r.count(1)
		for range n {
			p := chunkPart{keys: r.strs(), first: r.int(), last: r.int(), g: getGrid(r)}
			if !p.g.shaped(len(p.keys) * s.nval) {
				r.fail("series")
			}
			parts[i] = append(parts[i], p)
		}
	}
	return func() {
		for _, k := range keys {
			s.seen[k] = true
		}
		for i := range parts {
			s.parts[i] = append(s.parts[i], parts[i]...)
		}
	}
}

// putGrid encodes g.
func putGrid(b *memoBuf, g grid) {
	b.ints(g.T)
	b.uint(uint64(len(g.Cols)))
	for _, c := range g.Cols {
		b.floats(c)
	}
	b.bool(g.Lo != nil)
	if g.Lo != nil {
		for j := range g.Cols {
			b.floats(g.Lo[j])
			b.floats(g.Hi[j])
		}
	}
}

// shaped reports whether g has cols columns (and lows and highs, if
// any), each a value per time.
func (g grid) shaped(cols int) bool {
	if len(g.Cols) != cols || g.Lo != nil && (len(g.Lo) != cols || len(g.Hi) != cols) {
		return false
	}
	for _, cs := range [][][]float64{g.Cols, g.Lo, g.Hi} {
		for _, c := range cs {
			if len(c) != len(g.T) {
				return false
			}
		}
	}
	return true
}

// getGrid decodes what putGrid encoded.
func getGrid(r *memoReader) grid {
	g := grid{T: r.ints()}
	g.Cols = make([][]float64, r.count(1))
	for j := range g.Cols {
		g.Cols[j] = r.floats()
	}
	if r.bool() {
		g.Lo, g.Hi = make([][]float64, len(g.Cols)), make([][]float64, len(g.Cols))
		for j := range g.Cols {
			g.Lo[j], g.Hi[j] = r.floats(), r.floats()
		}
	}
	return g
}

// weekDays feeds a weekStat a day at a time: each day's own sum, weight
// and peak, then added to the days before. The week is the window of
// weekRange.
type weekDays struct {
	w      *weekStat
	before weekStat
}

func (a *weekDays) begin() { a.before, *a.w = *a.w, weekStat{} }

func (a *weekDays) end(b *memoBuf, cut rangeSet, only bool) {
	day := *a.w
	if b != nil {
		kept := day
		if cut.has(weekRange) {
			kept = weekStat{}
		}
		b.float(kept.sum)
		b.float(kept.weight)
		b.float(kept.peak)
		b.bool(kept.seen)
	}
	if only && !cut.has(weekRange) {
		day = weekStat{}
	}
	*a.w = a.before.merge(day)
}

func (a *weekDays) decode(r *memoReader) func() {
	day := weekStat{sum: r.float(), weight: r.float(), peak: r.float(), seen: r.bool()}
	return func() { *a.w = a.w.merge(day) }
}

// merge returns w and the rows of o together.
func (w weekStat) merge(o weekStat) weekStat {
	if !o.seen {
		return w
	}
	out := weekStat{sum: w.sum + o.sum, weight: w.weight + o.weight, peak: o.peak, seen: true}
	if w.seen && w.peak >= o.peak {
		out.peak = w.peak
	}
	return out
}

// newest keeps the newest value a day set: a time (0: none) and a value.
type newest struct {
	t       *int64
	v       *float64
	beforeT int64
	beforeV float64
}

func (a *newest) begin() { a.beforeT, a.beforeV, *a.t, *a.v = *a.t, *a.v, 0, math.NaN() }

func (a *newest) end(b *memoBuf, _ rangeSet, only bool) {
	if b != nil {
		b.int(*a.t)
		b.float(*a.v)
	}
	if *a.t == 0 || only {
		*a.t, *a.v = a.beforeT, a.beforeV
	}
}

func (a *newest) decode(r *memoReader) func() {
	t, v := r.int(), r.float()
	return func() {
		if t != 0 {
			*a.t, *a.v = t, v
		}
	}
}

// latestTime keeps the latest of the times the days set (0: none).
type latestTime struct {
	t      *int64
	before int64
}

func (a *latestTime) begin() { a.before, *a.t = *a.t, 0 }

func (a *latestTime) end(b *memoBuf, _ rangeSet, only bool) {
	if b != nil {
		b.int(*a.t)
	}
	if only {
		*a.t = 0
	}
	*a.t = max(*a.t, a.before)
}

func (a *latestTime) decode(r *memoReader) func() {
	t := r.int()
	return func() { *a.t = max(*a.t, t) }
}

// newestOf keeps a map of the newest value of each key: what a day set
// replaces what the days before set.
type newestOf[V any] struct {
	m      *map[string]V
	put    func(*memoBuf, V)
	get    func(*memoReader) V
	before map[string]V
}

func (a *newestOf[V]) begin() { a.before, *a.m = *a.m, map[string]V{} }

func (a *newestOf[V]) end(b *memoBuf, _ rangeSet, only bool) {
	day := *a.m
	if b != nil {
		putKeyed(b, day, a.put)
	}
	if !only {
		maps.Copy(a.before, day)
	}
	*a.m, a.before = a.before, nil
}

func (a *newestOf[V]) decode(r *memoReader) func() {
	day := getKeyed(r, a.get)
	return func() { maps.Copy(*a.m, day) }
}

// carried keeps a map that a day's rows read and update, and the days
// after go on from (a custom counter's last value, for its next rate): a
// day keeps the entries it changed. Its state keys a day in the memo
// (eachCarried), so it is never read for only some ranges.
type carried[V comparable] struct {
	m     *map[string]V
	put   func(*memoBuf, V)
	get   func(*memoReader) V
	start map[string]V
}

func (a *carried[V]) begin() { a.start = maps.Clone(*a.m) }

func (a *carried[V]) end(b *memoBuf, _ rangeSet, _ bool) {
	if b != nil {
		changed := map[string]V{}
		for k, v := range *a.m {
			if was, ok := a.start[k]; !ok || was != v {
				changed[k] = v
			}
		}
		putKeyed(b, changed, a.put)
	}
	a.start = nil
}

func (a *carried[V]) decode(r *memoReader) func() {
	day := getKeyed(r, a.get)
	return func() { maps.Copy(*a.m, day) }
}

// state encodes the map as it is: what the next day goes on from.
func (a *carried[V]) state() []byte {
	var b memoBuf
	putKeyed(&b, *a.m, a.put)
	return b.b
}

// putKeyed encodes m, its keys in order, each value with put.
func putKeyed[V any](b *memoBuf, m map[string]V, put func(*memoBuf, V)) {
	keys := slices.Sorted(maps.Keys(m))
	b.uint(uint64(len(keys)))
	for _, k := range keys {
		b.str(k)
		put(b, m[k])
	}
}

// getKeyed decodes what putKeyed encoded, each value with get.
func getKeyed[V any](r *memoReader, get func(*memoReader) V) map[string]V {
	n := r.count(1)
	m := make(map[string]V, n)
	for range n {
		k := r.str()
		m[k] = get(r)
	}
	return m
}

// appended keeps the rows a day appended to columns (of one length):
// rows of any time of the day, or with bound, only the rows in the window
// of ranges[*bound].
type appended struct {
	ints   []*[]int64
	floats []*[]float64
	strs   []*[]string
	bound  *int
	mark   int
}

// bound returns a pointer to r, for appended.bound.
func bound(r int) *int { return &r }

// cutBy reports whether the rows depend on the window of a range of cut.
func (a *appended) cutBy(cut rangeSet) bool { return a.bound != nil && cut.has(*a.bound) }

func (a *appended) len() int {
	switch {
	case len(a.ints) > 0:
		return len(*a.ints[0])
	case len(a.floats) > 0:
		return len(*a.floats[0])
	case len(a.strs) > 0:
		return len(*a.strs[0])
	}
	return 0
}

func (a *appended) begin() { a.mark = a.len() }

func (a *appended) end(b *memoBuf, cut rangeSet, only bool) {
	mark := a.mark
	if b != nil {
		if a.cutBy(cut) {
			mark = a.len()
		}
		for _, c := range a.ints {
			b.ints((*c)[mark:])
		}
		for _, c := range a.floats {
			b.floats((*c)[mark:])
		}
		for _, c := range a.strs {
			b.strs((*c)[mark:])
		}
	}
	if only && !a.cutBy(cut) {
		for _, c := range a.ints {
			*c = (*c)[:a.mark]
		}
		for _, c := range a.floats {
			*c = (*c)[:a.mark]
		}
		for _, c := range a.strs {
			*c = (*c)[:a.mark]
		}
	}
}

func (a *appended) decode(r *memoReader) func() {
	ints, floats, strs := make([][]int64, len(a.ints)), make([][]float64, len(a.floats)), make([][]string, len(a.strs))
	n := -1
	same := func(m int) {
		if n >= 0 && m != n {
			r.fail("rows")
		}
		n = m
	}
	for i := range ints {
		ints[i] = r.ints()
		same(len(ints[i]))
	}
	for i := range floats {
		floats[i] = r.floats()
		same(len(floats[i]))
	}
	for i := range strs {
		strs[i] = r.strs()
		same(len(strs[i]))
	}
	return func() {
		for i, c := range a.ints {
			*c = append(*c, ints[i]...)
		}
		for i, c := range a.floats {
			*c = append(*c, floats[i]...)
		}
		for i, c := range a.strs {
			*c = append(*c, strs[i]...)
		}
	}
}
