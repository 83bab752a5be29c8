package render

import (
	"slices"
	"time"
)

// Outage kinds. Down means the host itself was not running or not
// answering: its boot time changed across the gap (a reboot or a crash), or
// it has stopped sending samples for longer than downAfter. NoData means the
// host kept running (same boot time on both sides) but nothing was sampled:
// the sampler was not running. No-data time is unknown, counted neither as
// up nor as down.
const (
	KindDown   = "down"
	KindNoData = "no data"
)

// downAfter is how long a host may be silent, at the end of the record,
// before it is called down rather than stale.
const downAfter = 15 * time.Minute

// Status values of a host now.
const (
	StatusUp    = "up"
	StatusStale = "stale"
	StatusDown  = "down"
	StatusNone  = "no data"
)

// Outage is a span of time (µs, Start < End) that was not up.
type Outage struct {
	Start, End int64
	Kind       string // KindDown or KindNoData
	Ongoing    bool   // the span reaches now: the host is silent still
}

// timeline is what the samples of a host say about when it was up.
type timeline struct {
	First, Last int64    // times of the first and last sample (µs)
	Now         int64    // the render's now (µs)
	Interval    int64    // the sampling interval (µs)
	Outages     []Outage // oldest first, not overlapping
	Reboots     []int64  // the boot times (µs) of the reboots seen
	Status      string   // StatusUp, StatusStale, StatusDown or StatusNone
}

// buildTimeline works out outages and reboots from the sample times ts
// (ascending, µs) and the boot time each sample reported. A gap is more
// than gapFactor sampling intervals between two samples, the interval of
// the days they were taken on (dayIntervals: a sampler whose interval
// was changed is judged by the one in force then).
//
// Between two consecutive samples:
//   - the boot time changed: the host went down at the earlier sample and
//     came back at the new boot time (KindDown); if the sampler then took
//     longer than a gap to start, the rest is KindNoData;
//   - the boot time did not change and the samples are further apart than a
//     gap: KindNoData (the host ran, the sampler did not);
//   - otherwise the host was up.
//
// After the last sample, a silence longer than a gap is an ongoing outage:
// KindNoData while it is shorter than downAfter (status stale), KindDown
// after (status down: the host stopped answering).
func buildTimeline(ts, boots []int64, now int64) timeline {
	tl := timeline{Now: now, Status: StatusNone}
	if len(ts) == 0 {
		return tl
	}
	tl.First, tl.Last = ts[0], ts[len(ts)-1]
	ends, ivs := dayIntervals(ts)
	tl.Interval = ivs[len(ivs)-1]
	day := 0 // of ts[i]
	for i := 1; i < len(ts); i++ {
		a, b := ts[i-1], ts[i]
		gap := gapThreshold(ivs[day])
		if i == ends[day] {
			// Across midnight: the longer of the two days' intervals.
			day++
			gap = gapThreshold(max(ivs[day-1], ivs[day]))
		}
		if bootChanged(boots[i], boots[i-1]) {
			boot := boots[i]
			tl.Reboots = append(tl.Reboots, boot)
			if boot <= a || boot >= b {
				tl.add(Outage{Start: a, End: b, Kind: KindDown})
				continue
			}
			tl.add(Outage{Start: a, End: boot, Kind: KindDown})
			if b-boot > gap {
				tl.add(Outage{Start: boot, End: b, Kind: KindNoData})
			}
			continue
		}
		if b-a > gap {
			tl.add(Outage{Start: a, End: b, Kind: KindNoData})
		}
	}
	silent, gap := now-tl.Last, gapThreshold(tl.Interval)
	switch {
	case silent <= gap:
		tl.Status = StatusUp
	case silent <= downAfter.Microseconds():
		tl.Status = StatusStale
		tl.add(Outage{Start: tl.Last, End: now, Kind: KindNoData, Ongoing: true})
	default:
		tl.Status = StatusDown
		tl.add(Outage{Start: tl.Last, End: now, Kind: KindDown, Ongoing: true})
	}
	return tl
}

// add appends o, merging it with the previous outage when they touch and
// are of the same kind.
func (tl *timeline) add(o Outage) {
	if n := len(tl.Outages); n > 0 {
		p := &tl.Outages[n-1]
		if p.Kind == o.Kind && p.End >= o.Start {
			p.End = max(p.End, o.End)
			p.Ongoing = o.Ongoing
			return
		}
	}
	tl.Outages = append(tl.Outages, o)
}

// avail is how a span of time divides into up, down and unknown time.
type avail struct {
	Up, Down, NoData time.Duration
	// Unmonitored is the part of the span before the first sample (or
	// after now): not known, not counted.
	Unmonitored time.Duration
}

// Known is the time that is either up or down.
func (a avail) Known() time.Duration { return a.Up + a.Down }

// Pct returns the share of known time that was up, in percent, and false
// when no time in the span is known.
func (a avail) Pct() (float64, bool) {
	k := a.Known()
	if k <= 0 {
		return 0, false
	}
	return 100 * float64(a.Up) / float64(k), true
}

// span returns the availability of [from, to) (µs).
func (tl timeline) span(from, to int64) avail {
	var a avail
	total := to - from
	if total <= 0 {
		return a
	}
	if tl.First == 0 && tl.Last == 0 {
		a.Unmonitored = time.Duration(total) * time.Microsecond
		return a
	}
	lo, hi := max(from, tl.First), min(to, tl.Now)
	var known int64
	if hi > lo {
		known = hi - lo
	}
	var down, nodata int64
	for _, o := range tl.Outages {
		s, e := max(o.Start, lo), min(o.End, hi)
		if e <= s {
			continue
		}
		if o.Kind == KindDown {
			down += e - s
		} else {
			nodata += e - s
		}
	}
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	a.Up = us(known - down - nodata)
	a.Down = us(down)
	a.NoData = us(nodata)
	a.Unmonitored = us(total - known)
	return a
}

// steadyInterval returns the median interval iv (µs) to two significant
// digits (10.000083 s is 10 s, 2.5003 s 2.5 s), at least a µs. A sampler's
// readings are taken when its timer wakes it, some µs late, so the
// median of the distances moves by a µs or so as samples come in; the
// interval keys the render cache's day memo (daymemo.go), which a moving
// interval would empty at every render.
func steadyInterval(iv int64) int64 {
	unit := int64(1)
	for iv/unit >= 100 {
		unit *= 10
	}
	return max((iv+unit/2)/unit*unit, 1)
}

// dayUS is a day in µs: the archive's days are UTC days.
const dayUS = 24 * 3600 * 1_000_000

// minDayIntervals is how many intervals a day needs to have its own
// sampling interval.
const minDayIntervals = 3

// dayIntervals divides ts (ascending, µs) into its UTC days: ends[j] is
// the end of the j-th day's times in ts, ivs[j] its sampling interval,
// the median distance between its consecutive distinct samples. A day
// with fewer than minDayIntervals of them (a host that came back just
// before midnight) has the interval of the day before, or of the first
// day after that has one; when none has, every day has the median
// interval of all of ts. A day at a time keeps one buffer of a day's
// intervals, where a year is millions.
func dayIntervals(ts []int64) (ends []int, ivs []int64) {
	var buf []int64
	for lo := 0; lo < len(ts); {
		day := ts[lo] / dayUS
		hi := lo + 1
		for hi < len(ts) && ts[hi]/dayUS == day {
			hi++
		}
		buf = buf[:0]
		for i := lo + 1; i < hi; i++ {
			if ts[i] > ts[i-1] {
				buf = append(buf, ts[i]-ts[i-1])
			}
		}
		var iv int64
		if len(buf) >= minDayIntervals {
			iv = steadyInterval(kth(buf, len(buf)/2))
		}
		ends, ivs = append(ends, hi), append(ivs, iv)
		lo = hi
	}
	k := slices.IndexFunc(ivs, func(iv int64) bool { return iv != 0 })
	if k < 0 {
		iv := steadyInterval(medianInterval(ts))
		for j := range ivs {
			ivs[j] = iv
		}
		return ends, ivs
	}
	for j := range k {
		ivs[j] = ivs[k]
	}
	for j := k + 1; j < len(ivs); j++ {
		if ivs[j] == 0 {
			ivs[j] = ivs[j-1]
		}
	}
	return ends, ivs
}
