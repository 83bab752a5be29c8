package render

import (
	"math"

	"almanac/archive"
	"almanac/schema"
)

// The host's sample times and boot times (its system table's time and
// boot_time columns, raw) feed the timeline (availability, gaps,
// reboots), how each range is drawn (setModes), the charts' data extent
// and the processes page. They are read a day at a time through the day
// memo like the other readers' days (eachKept): a closed day's times and
// boot times are kept, compactly, and a later render adds them from there
// instead of reading the day's raw rows.

// sampleTimes returns the times of the host's samples over the longest
// range, ascending, and the boot time of each (a missing one is the one
// before, 0 before the first), from the raw rows of days, its system
// table's, read a day at a time; with a day memo, closed days are added
// from it (timesAcc).
func (g *gatherer) sampleTimes(days []archive.DayFiles) (ts, boots []int64, err error) {
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
	err = g.eachKeptAs(timesMemo, days, schema.TableSystem, []string{"boot_time"}, []dayAcc{acc}, func(c chunk) {
		acc.parts = append(acc.parts, timesPart{ts: c.f.Time, boots: col(c.f, "boot_time")})
	})
	if err != nil {
		return nil, nil, err
	}
	ts, boots = acc.join()
	return ts, boots, nil
}

// timesMemo names the memo file of a host's sample times.
const timesMemo = "sample-times"

// carryBoots appends to dst the boot times of raw as int64, a missing
// one (NaN) the one before (*last, at first), and sets *last to the last.
func carryBoots(dst []int64, raw []float64, last *int64) []int64 {
	for _, b := range raw {
		if !math.IsNaN(b) {
			*last = int64(b)
		}
		dst = append(dst, *last)
	}
	return dst
}

// timesAcc is the dayAcc of the sample times: the times and the boot
// times of each day, read or kept, joined once all are in (a year is
// millions of samples: a kept day is decoded straight into the joined
// list). They belong to no range: a day is kept whole, and a day read
// again for the ranges that start in it (only) adds nothing.
type timesAcc struct {
	parts []timesPart
	mark  int
}

// timesPart is a day's sample times: read (ts, and boots as read, NaN
// where missing), or kept (rec, the encoding of n times, checked).
type timesPart struct {
	ts    []int64
	boots []float64
	rec   []byte
	n     int
}

func (a *timesAcc) begin() { a.mark = len(a.parts) }

func (a *timesAcc) end(b *memoBuf, _ rangeSet, only bool) {
	if b != nil {
		var ts []int64
		var boots []float64
		for _, p := range a.parts[a.mark:] {
			ts, boots = append(ts, p.ts...), append(boots, p.boots...)
		}
		putTimes(b, ts)
		putRuns(b, boots)
	}
	if only {
		a.parts = a.parts[:a.mark]
	}
}

func (a *timesAcc) decode(r *memoReader) func() {
	start := r.b
	n := getTimes(r, nil)
	getRuns(r, n, nil, nil)
	p := timesPart{rec: start[:len(start)-len(r.b)], n: n}
	return func() { a.parts = append(a.parts, p) }
}

// join returns the times of every day and their boot times, a missing
// one the one before (0 before the first).
func (a *timesAcc) join() (ts, boots []int64) {
	n := 0
	for _, p := range a.parts {
		n += p.n + len(p.ts)
	}
	ts, boots = make([]int64, 0, n), make([]int64, 0, n)
	var last int64
	for _, p := range a.parts {
		if p.rec == nil {
			ts = append(ts, p.ts...)
			boots = carryBoots(boots, p.boots, &last)
			continue
		}
		r := memoReader{b: p.rec}
		getTimes(&r, &ts)
		getRuns(&r, p.n, &boots, &last) // checked by decode
	}
	return ts, boots
}

// putTimes encodes times as their count, the first, then each difference
// of their differences (zigzag varints): samples at a steady interval
// take a byte each.
func putTimes(b *memoBuf, ts []int64) {
	b.uint(uint64(len(ts)))
	var prev, delta int64
	for i, t := range ts {
		if i == 0 {
			b.int(t)
		} else {
			d := t - prev // wraps alike both ways
			b.int(d - delta)
			delta = d
		}
		prev = t
	}
}

// getTimes reads what putTimes encoded and returns how many times it
// holds; with dst, it appends them to *dst.
func getTimes(r *memoReader, dst *[]int64) int {
	n := r.count(1)
	var prev, delta int64
	for i := range n {
		if i == 0 {
			prev = r.int()
		} else {
			delta += r.int()
			prev += delta
		}
		if dst != nil {
			*dst = append(*dst, prev)
		}
	}
	return n
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

// getRuns reads what putRuns encoded, which must be n values (runs that
// add up to another count are damaged); with dst, it appends them to
// *dst as boot times (carryBoots: from *last on).
func getRuns(r *memoReader, n int, dst *[]int64, last *int64) {
	runs := r.count(9)
	left := uint64(n)
	for range runs {
		v, k := r.float(), r.uint()
		if k == 0 || k > left {
			r.fail("run")
			return
		}
		left -= k
		if dst == nil {
			continue
		}
		if !math.IsNaN(v) {
			*last = int64(v)
		}
		for range k {
			*dst = append(*dst, *last)
		}
	}
	if left != 0 {
		r.fail("runs")
	}
}
