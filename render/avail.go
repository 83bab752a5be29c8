package render

import (
	"math"
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

// buildTimeline works out outages and reboots from the host's sample
// times and the boot time each sample reported (s, a UTC day at a time).
// A gap is more than gapFactor sampling intervals between two samples,
// the interval of the days they were taken on (dayIntervals: a sampler
// whose interval was changed is judged by the one in force then).
//
// Between two consecutive samples (step):
//   - the boot time changed: the host went down at the earlier sample and
//     came back at the new boot time (KindDown); if the sampler then took
//     longer than a gap to start, the rest is KindNoData;
//   - the boot time did not change and the samples are further apart than a
//     gap: KindNoData (the host ran, the sampler did not);
//   - otherwise the host was up.
//
// A day whose samples all read one boot time, and that has its own
// interval, adds the gaps it holds (timesDay.gaps) without its times: a
// kept day's are not decoded. The others are walked sample by sample.
//
// After the last sample, a silence longer than a gap is an ongoing outage:
// KindNoData while it is shorter than downAfter (status stale), KindDown
// after (status down: the host stopped answering).
func buildTimeline(s *sampleTimes, now int64) timeline {
	tl := timeline{Now: now, Status: StatusNone}
	if s == nil || len(s.days) == 0 {
		return tl
	}
	days := s.days
	ivs := dayIntervals(days)
	tl.First, tl.Last = days[0].first, days[len(days)-1].last
	tl.Interval = ivs[len(ivs)-1]
	var prevT, prevBoot int64 // the last sample so far, and its boot time (0 before the first)
	for j := range days {
		d := &days[j]
		gap := gapThreshold(ivs[j])
		cross := gap // across midnight: the longer of the two days' intervals
		if j > 0 {
			cross = gapThreshold(max(ivs[j-1], ivs[j]))
		}
		if len(d.runs) == 1 && d.iv != 0 {
			boot := carry(d.runs[0].v, prevBoot)
			if j > 0 {
				tl.step(prevT, d.first, prevBoot, boot, cross)
			}
			for _, p := range d.gaps {
				tl.add(Outage{Start: p.a, End: p.b, Kind: KindNoData})
			}
			prevT, prevBoot = d.last, boot
			continue
		}
		ts := d.times()
		i := 0
		for _, run := range d.runs {
			boot := carry(run.v, prevBoot)
			for _, t := range ts[i : i+run.n] {
				switch {
				case i > 0:
					tl.step(prevT, t, prevBoot, boot, gap)
				case j > 0:
					tl.step(prevT, t, prevBoot, boot, cross)
				}
				prevT, prevBoot = t, boot
				i++
			}
		}
	}
	tl.settle()
	return tl
}

// settle sets the status of a timeline whose samples are all in, and adds
// the ongoing outage after its last sample, if any.
func (tl *timeline) settle() {
	silent, gap := tl.Now-tl.Last, gapThreshold(tl.Interval)
	switch {
	case silent <= gap:
		tl.Status = StatusUp
	case silent <= downAfter.Microseconds():
		tl.Status = StatusStale
		tl.add(Outage{Start: tl.Last, End: tl.Now, Kind: KindNoData, Ongoing: true})
	default:
		tl.Status = StatusDown
		tl.add(Outage{Start: tl.Last, End: tl.Now, Kind: KindDown, Ongoing: true})
	}
}

// carry returns the boot time v read (as a time in µs), or prev when it
// is missing (NaN).
func carry(v float64, prev int64) int64 {
	if math.IsNaN(v) {
		return prev
	}
	return int64(v)
}

// step adds what happened between consecutive samples a and b (µs) that
// read the boot times prevBoot and boot, gap the gap threshold there.
func (tl *timeline) step(a, b, prevBoot, boot, gap int64) {
	if bootChanged(boot, prevBoot) {
		tl.Reboots = append(tl.Reboots, boot)
		if boot <= a || boot >= b {
			tl.add(Outage{Start: a, End: b, Kind: KindDown})
			return
		}
		tl.add(Outage{Start: a, End: boot, Kind: KindDown})
		if b-boot > gap {
			tl.add(Outage{Start: boot, End: b, Kind: KindNoData})
		}
		return
	}
	if b-a > gap {
		tl.add(Outage{Start: a, End: b, Kind: KindNoData})
	}
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

// dayInterval returns the sampling interval of a UTC day's times ts
// (ascending, µs): the median distance between its consecutive distinct
// samples, or 0 when it has fewer than minDayIntervals of them (a host
// that came back just before midnight).
func dayInterval(ts []int64) int64 {
	buf := make([]int64, 0, max(len(ts)-1, 0))
	for i := 1; i < len(ts); i++ {
		if ts[i] > ts[i-1] {
			buf = append(buf, ts[i]-ts[i-1])
		}
	}
	if len(buf) < minDayIntervals {
		return 0
	}
	return steadyInterval(kth(buf, len(buf)/2))
}

// dayIntervals returns the sampling interval of each of days: its own
// (dayInterval), or for a day without one that of the day before, or of
// the first day after that has one; when none has, every day has the
// median interval of all the samples.
func dayIntervals(days []timesDay) []int64 {
	ivs := make([]int64, len(days))
	for j := range days {
		ivs[j] = days[j].iv
	}
	k := slices.IndexFunc(ivs, func(iv int64) bool { return iv != 0 })
	if k < 0 {
		var all []int64 // days of a few samples each
		for j := range days {
			all = append(all, days[j].times()...)
		}
		iv := steadyInterval(medianInterval(all))
		for j := range ivs {
			ivs[j] = iv
		}
		return ivs
	}
	for j := range k {
		ivs[j] = ivs[k]
	}
	for j := k + 1; j < len(ivs); j++ {
		if ivs[j] == 0 {
			ivs[j] = ivs[j-1]
		}
	}
	return ivs
}
