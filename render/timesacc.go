package render

import (
	"math"
	"slices"

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
	// keep theirs in <table>.memo of the host's folder.
	if m := g.memo; m != nil {
		g.memo = &hostMemo{c: m.c, dir: m.dir + "/" + timesMemoDir, log: m.log}
		defer func() { g.memo = m }()
	}
	acc := &timesAcc{}
	err = g.eachKept(days, schema.TableSystem, []string{"boot_time"}, []dayAcc{acc}, func(c chunk) {
		acc.ts = append(acc.ts, c.f.Time)
		acc.boots = append(acc.boots, col(c.f, "boot_time"))
	})
	if err != nil {
		return nil, nil, err
	}
	// Joined once: a year is millions of samples.
	ts, raw := slices.Concat(acc.ts...), slices.Concat(acc.boots...)
	return ts, carryBoots(raw), nil
}

// timesMemoDir is the folder, in a host's day memo, of the memo of its
// sample times (system.memo there).
const timesMemoDir = "times"

// carryBoots returns the boot times of raw as int64, a missing one (NaN)
// the one before, 0 before the first.
func carryBoots(raw []float64) []int64 {
	boots := make([]int64, len(raw))
	for i, b := range raw {
		switch {
		case !math.IsNaN(b):
			boots[i] = int64(b)
		case i > 0:
			boots[i] = boots[i-1]
		}
	}
	return boots
}

// timesAcc is the dayAcc of the sample times: the times and the boot
// times (as read, NaN where missing) of each day, joined once all are in.
// They belong to no range: a day is kept whole, and a day read again for
// the ranges that start in it (only) adds nothing.
type timesAcc struct {
	ts    [][]int64   // per day read or kept
	boots [][]float64 // per day, a boot time per time
	mark  int
}

func (a *timesAcc) begin() { a.mark = len(a.ts) }

func (a *timesAcc) end(b *memoBuf, _ rangeSet, only bool) {
	if b != nil {
		putTimes(b, slices.Concat(a.ts[a.mark:]...))
		putRuns(b, slices.Concat(a.boots[a.mark:]...))
	}
	if only {
		a.ts, a.boots = a.ts[:a.mark], a.boots[:a.mark]
	}
}

func (a *timesAcc) decode(r *memoReader) func() {
	ts := getTimes(r)
	boots := getRuns(r, len(ts))
	return func() {
		a.ts = append(a.ts, ts)
		a.boots = append(a.boots, boots)
	}
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

// getTimes decodes what putTimes encoded.
func getTimes(r *memoReader) []int64 {
	n := r.count(1)
	ts := make([]int64, n)
	var prev, delta int64
	for i := range ts {
		if i == 0 {
			prev = r.int()
		} else {
			delta += r.int()
			prev += delta
		}
		ts[i] = prev
	}
	return ts
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

// getRuns decodes what putRuns encoded: n values (a record whose runs
// add up to another count is damaged).
func getRuns(r *memoReader, n int) []float64 {
	runs := r.count(9)
	out := make([]float64, 0, n)
	for range runs {
		v, k := r.float(), r.uint()
		if k == 0 || k > uint64(n-len(out)) {
			r.fail("run")
			return nil
		}
		for range k {
			out = append(out, v)
		}
	}
	if len(out) != n {
		r.fail("runs")
		return nil
	}
	return out
}
