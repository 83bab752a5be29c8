package render

import (
	"math"
	"slices"
	"sort"

	"almanac/archive"
	"almanac/schema"
)

// The host's sample times and boot times (its system table's time and
// boot_time columns, raw) feed the timeline (availability, gaps,
// reboots), how each range is drawn (setModes), the charts' data extent
// and the processes page. They are read a day at a time through the day
// memo like the other readers' days (eachKept): a closed day's times and
// boot times are kept, compactly, with what the timeline needs of the day
// (its sampling interval and the gaps in it), and a later render adds
// them from there instead of reading the day's raw rows. A kept day's
// times are decoded only when something asks for times in it (a range's
// first day, the processes' days): a year is millions of samples.

// sampleTimes returns the host's sample times and boot times over the
// longest range, a UTC day at a time, from the raw rows of days, its
// system table's, read a day at a time; with a day memo, closed days are
// added from it (timesAcc).
func (g *gatherer) sampleTimes(days []archive.DayFiles) (*sampleTimes, error) {
	// The times decide how each range is drawn (setModes), so they are
	// read before: meanwhile every range counts as drawing every sample,
	// which makes the planner read every day raw (rollupFor) and keys the
	// days alike at every render (dayKey).
	g.raw, g.width = make([]bool, len(ranges)), make([]int64, len(ranges))
	for r := range g.raw {
		g.raw[r] = true
	}
	// Its own memo file: the load and kernel readers of the system table
	// keep theirs in system.memo.
	acc := &timesAcc{}
	err := g.eachKeptAs(timesMemo, days, schema.TableSystem, []string{"boot_time"}, []dayAcc{acc}, func(c chunk) {
		acc.add(c.f.Time, col(c.f, "boot_time"))
	})
	if err != nil {
		return nil, err
	}
	return acc.times(), nil
}

// timesMemo names the memo file of a host's sample times.
const timesMemo = "sample-times"

// timesAcc is the dayAcc of the sample times: each day's, read or kept.
// They belong to no range: a day is kept whole, and a day read again for
// the ranges that start in it (only) adds nothing.
type timesAcc struct {
	days []timesDay
	mark int
}

// add adds times ts read, with their boot times as read (NaN where
// missing), to the day they are in (a day is read in chunks).
func (a *timesAcc) add(ts []int64, boots []float64) {
	for len(ts) > 0 {
		day := utcDay(ts[0])
		n := 1
		for n < len(ts) && utcDay(ts[n]) == day {
			n++
		}
		if k := len(a.days); k > a.mark && a.days[k-1].rec == nil && utcDay(a.days[k-1].first) == day {
			d := &a.days[k-1]
			d.ts, d.boots = append(d.ts, ts[:n]...), append(d.boots, boots[:n]...)
			d.n = 0 // summarized again
		} else {
			a.days = append(a.days, timesDay{ts: slices.Clip(ts[:n]), boots: slices.Clip(boots[:n]), first: ts[0]})
		}
		ts, boots = ts[n:], boots[n:]
	}
}

func (a *timesAcc) begin() { a.mark = len(a.days) }

// times returns the days added, each summarized: a day added whole (kept,
// or read) as it is, a day added in pieces (today's kept hours and the
// hour read) joined first.
func (a *timesAcc) times() *sampleTimes {
	var out []timesDay
	for i := 0; i < len(a.days); {
		day := utcDay(a.days[i].first)
		j := i + 1
		for j < len(a.days) && utcDay(a.days[j].first) == day {
			j++
		}
		d := a.days[i]
		if j > i+1 {
			d = timesDay{}
			for k := i; k < j; k++ {
				d.ts, d.boots = append(d.ts, a.days[k].times()...), append(d.boots, a.days[k].rawBoots()...)
			}
		}
		if d.n == 0 { // read, and not summarized for a memo record
			d.summarize()
		}
		out = append(out, d)
		i = j
	}
	return &sampleTimes{days: out}
}

func (a *timesAcc) end(b *memoBuf, _ rangeSet, only bool) {
	if b != nil {
		// A day (or an hour) read: one entry, the chunks joined by add
		// (none when it had no rows), summarized here for its record and
		// kept summarized; times of several UTC days (none in the
		// archive, whose days are UTC days) make one record too.
		var d timesDay
		switch k := len(a.days) - a.mark; {
		case k == 1:
			a.days[a.mark].summarize()
			d = a.days[a.mark]
		case k > 1:
			for i := a.mark; i < len(a.days); i++ {
				d.ts, d.boots = append(d.ts, a.days[i].times()...), append(d.boots, a.days[i].rawBoots()...)
			}
			d.summarize()
		}
		putTimes(b, d.ts)
		putRuns(b, d.boots)
		b.int(d.iv)
		b.uint(uint64(len(d.gaps)))
		for _, p := range d.gaps {
			b.int(p.a)
			b.int(p.b - p.a)
		}
	}
	if only {
		a.days = a.days[:a.mark]
	}
}

func (a *timesAcc) decode(r *memoReader) func() {
	start := r.b
	n, first, last := getTimes(r, nil)
	rec := start[:len(start)-len(r.b)]
	runs := getRunList(r, n)
	d := timesDay{n: n, first: first, last: last, rec: rec, runs: runs, iv: r.int()}
	gaps := r.count(2)
	for range gaps {
		a := r.int()
		d.gaps = append(d.gaps, gapPair{a, a + r.int()})
	}
	if d.iv < 0 {
		r.fail("interval")
	}
	return func() {
		if d.n > 0 {
			a.days = append(a.days, d)
		}
	}
}

// utcDay returns the UTC day (since the epoch) of the time t (µs).
func utcDay(t int64) int64 { return t / dayUS }

// timesDay is one UTC day of the host's sample times (with at least one):
// read (ts, and boots as read, NaN where missing), or kept (rec, the
// encoding of its times, decoded into ts when they are needed, and runs,
// its boot times); with what the timeline needs of it (summarize).
type timesDay struct {
	ts          []int64
	boots       []float64
	rec         []byte
	runs        []bootRun
	n           int       // 0 for a day read until it is summarized
	first, last int64     // first: set as the day is added
	iv          int64     // the day's own sampling interval; 0 when it has too few (dayInterval)
	gaps        []gapPair // the consecutive samples further apart than gapThreshold(iv), when iv is not 0
}

// bootRun is a run of samples of one day that read the same boot time
// (bit for bit: NaN, missing, is a value too).
type bootRun struct {
	v float64
	n int
}

// gapPair is two consecutive samples (µs).
type gapPair struct{ a, b int64 }

// summarize sets what the timeline needs of a day read: its count,
// first and last times, boot runs, interval and gaps.
func (d *timesDay) summarize() {
	d.n, d.first, d.last = len(d.ts), d.ts[0], d.ts[len(d.ts)-1]
	d.runs = d.runs[:0]
	for i, v := range d.boots {
		if i == 0 || math.Float64bits(v) != math.Float64bits(d.boots[i-1]) {
			d.runs = append(d.runs, bootRun{v: v})
		}
		d.runs[len(d.runs)-1].n++
	}
	d.iv = dayInterval(d.ts)
	d.gaps = d.gaps[:0]
	if d.iv == 0 {
		return
	}
	gap := gapThreshold(d.iv)
	for i := 1; i < len(d.ts); i++ {
		if d.ts[i]-d.ts[i-1] > gap {
			d.gaps = append(d.gaps, gapPair{d.ts[i-1], d.ts[i]})
		}
	}
}

// times returns the day's times, decoding a kept day's once.
func (d *timesDay) times() []int64 {
	if d.ts == nil && d.rec != nil {
		// Checked by decode as far as it reads; the memo file's checksum
		// covers the rest.
		r := memoReader{b: d.rec}
		d.ts = make([]int64, 0, d.n)
		getTimes(&r, &d.ts)
	}
	return d.ts
}

// rawBoots returns the day's boot times as read (NaN where missing).
func (d *timesDay) rawBoots() []float64 {
	if d.boots != nil || d.rec == nil {
		return d.boots
	}
	out := make([]float64, 0, d.n)
	for _, r := range d.runs {
		for range r.n {
			out = append(out, r.v)
		}
	}
	return out
}

// sampleTimes is the host's sample times and boot times, a day at a time
// (timesAcc), oldest first.
type sampleTimes struct {
	days []timesDay
}

// newSampleTimes returns ts (ascending, µs) and their boot times as read
// (NaN where missing; nil: all missing) as sampleTimes.
func newSampleTimes(ts []int64, boots []float64) *sampleTimes {
	if boots == nil {
		boots = make([]float64, len(ts))
		for i := range boots {
			boots[i] = math.NaN()
		}
	}
	var a timesAcc
	a.add(ts, boots)
	return a.times()
}

// count returns how many samples were taken in [from, to) (µs): a day
// wholly in it is counted without its times.
func (s *sampleTimes) count(from, to int64) int {
	n := 0
	for i := range s.days {
		d := &s.days[i]
		switch {
		case d.last < from || d.first >= to:
		case d.first >= from && d.last < to:
			n += d.n
		default:
			lo, hi := window(d.times(), from, to)
			n += hi - lo
		}
	}
	return n
}

// extent returns the first and last sample in [from, to) (µs), or zeros.
func (s *sampleTimes) extent(from, to int64) (first, last int64) {
	if s == nil {
		return 0, 0
	}
	found := false
	for i := range s.days {
		d := &s.days[i]
		if d.last < from || d.first >= to {
			continue
		}
		lo, hi := 0, d.n
		if d.first < from || d.last >= to {
			lo, hi = window(d.times(), from, to)
			if lo >= hi {
				continue
			}
		}
		f, l := d.first, d.last
		if lo > 0 || hi < d.n {
			f, l = d.ts[lo], d.ts[hi-1]
		}
		if !found {
			first, found = f, true
		}
		last = l
	}
	return first, last
}

// in returns the samples taken in [from, to) (µs): within a UTC day (an
// hour, a day of the processes page), a part of that day's times; across
// days, a copy.
func (s *sampleTimes) in(from, to int64) []int64 {
	if s == nil || to <= from {
		return nil
	}
	i := sort.Search(len(s.days), func(i int) bool { return s.days[i].last >= from })
	var out []int64
	for j := i; j < len(s.days) && s.days[j].first < to; j++ {
		ts := s.days[j].times()
		lo, hi := window(ts, from, to)
		if out == nil && (j+1 == len(s.days) || s.days[j+1].first >= to) {
			return ts[lo:hi] // the one day
		}
		out = append(out, ts[lo:hi]...)
	}
	return out
}

// last returns the time of the last sample and the boot time it read
// (a missing one the one before, 0 before the first), or zeros.
func (s *sampleTimes) last() (t, boot int64) {
	if s == nil || len(s.days) == 0 {
		return 0, 0
	}
	t = s.days[len(s.days)-1].last
	for i := len(s.days) - 1; i >= 0; i-- {
		runs := s.days[i].runs
		for j := len(runs) - 1; j >= 0; j-- {
			if !math.IsNaN(runs[j].v) {
				return t, int64(runs[j].v)
			}
		}
	}
	return t, 0
}

// all returns every time and its boot time (a missing one the one
// before, 0 before the first).
func (s *sampleTimes) all() (ts, boots []int64) {
	ts, boots = []int64{}, []int64{}
	var last int64
	for i := range s.days {
		d := &s.days[i]
		ts = append(ts, d.times()...)
		for _, r := range d.runs {
			if !math.IsNaN(r.v) {
				last = int64(r.v)
			}
			for range r.n {
				boots = append(boots, last)
			}
		}
	}
	return ts, boots
}

// putTimes encodes times as their count, then (when there are any) the
// first, the last and the length in bytes of what follows: each
// difference from the one before, written as its change from the
// difference before it (0, one byte, for samples at a steady interval).
// A kept day is added knowing its count, first and last time, without
// reading the rest (getTimes): a host-year's render read 3 million
// numbers to learn them.
func putTimes(b *memoBuf, ts []int64) {
	b.uint(uint64(len(ts)))
	if len(ts) == 0 {
		return
	}
	b.int(ts[0])
	b.int(ts[len(ts)-1])
	var d memoBuf
	prev, delta := ts[0], int64(0)
	for _, t := range ts[1:] {
		dt := t - prev // wraps alike both ways
		d.int(dt - delta)
		delta, prev = dt, t
	}
	b.bytes(d.b)
}

// getTimes reads what putTimes encoded and returns how many times it
// holds, the first and the last; with dst, it appends them to *dst, else
// it checks only that the differences are as many numbers as there are
// times after the first.
func getTimes(r *memoReader, dst *[]int64) (n int, first, last int64) {
	n = r.count(1)
	if n == 0 {
		return 0, 0, 0
	}
	first, last = r.int(), r.int()
	diffs := r.bytes()
	if r.err != nil {
		return 0, 0, 0
	}
	if dst == nil {
		// Each number ends in a byte without its high bit.
		ends := 0
		for _, c := range diffs {
			if c < 0x80 {
				ends++
			}
		}
		if ends != n-1 || len(diffs) > 0 && diffs[len(diffs)-1] >= 0x80 || n == 1 && first != last {
			r.fail("times")
		}
		return n, first, last
	}
	d := memoReader{b: diffs}
	t, delta := first, int64(0)
	*dst = append(*dst, t)
	for range n - 1 {
		delta += d.int()
		t += delta
		*dst = append(*dst, t)
	}
	if d.err != nil || len(d.b) > 0 || t != last {
		r.fail("times")
	}
	return n, first, last
}

// putRuns encodes values as runs of the same value (bit for bit, so NaN
// is a value too): the number of runs, then each value and its length.
func putRuns(b *memoBuf, vs []float64) {
	var n uint64
	for i := range vs {
		if i == 0 || math.Float64bits(vs[i]) != math.Float64bits(vs[i-1]) {
			n++
		}
	}
	b.uint(n)
	for i := 0; i < len(vs); {
		j := i + 1
		for j < len(vs) && math.Float64bits(vs[j]) == math.Float64bits(vs[i]) {
			j++
		}
		b.float(vs[i])
		b.uint(uint64(j - i))
		i = j
	}
}

// getRunList reads what putRuns encoded, which must be n values (runs
// that add up to another count are damaged), as runs.
func getRunList(r *memoReader, n int) []bootRun {
	count := r.count(9)
	out := make([]bootRun, 0, count)
	left := uint64(n)
	for range count {
		v, k := r.float(), r.uint()
		if k == 0 || k > left {
			r.fail("run")
			return nil
		}
		left -= k
		out = append(out, bootRun{v, int(k)})
	}
	if left != 0 {
		r.fail("runs")
		return nil
	}
	return out
}
