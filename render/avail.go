package render

import (
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
// than gapFactor sampling intervals between two samples.
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
	tl.Interval = medianInterval(ts)
	gap := gapThreshold(tl.Interval)
	for i := 1; i < len(ts); i++ {
		a, b := ts[i-1], ts[i]
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
	silent := now - tl.Last
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
