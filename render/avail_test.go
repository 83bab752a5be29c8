package render

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// samples returns sample times every 10 s from a to b inclusive (seconds),
// each reporting boot time boot (seconds).
func samples(a, b, boot int64) (ts, boots []int64) {
	return every(a, b, 10, boot)
}

// every returns sample times every step seconds from a to b inclusive
// (seconds), each reporting boot time boot (seconds).
func every(a, b, step, boot int64) (ts, boots []int64) {
	for t := a; t <= b; t += step {
		ts = append(ts, t*sec)
		boots = append(boots, boot*sec)
	}
	return ts, boots
}

// timelineOf returns the timeline of the sample times ts (µs) that read
// the boot times boots.
func timelineOf(ts, boots []int64, now int64) timeline {
	fs := make([]float64, len(boots))
	for i, b := range boots {
		fs[i] = float64(b)
	}
	return buildTimeline(newSampleTimes(ts, fs), now)
}

func concat(parts ...[2][]int64) (ts, boots []int64) {
	for _, p := range parts {
		ts = append(ts, p[0]...)
		boots = append(boots, p[1]...)
	}
	return ts, boots
}

func part(a, b, boot int64) [2][]int64 {
	ts, boots := samples(a, b, boot)
	return [2][]int64{ts, boots}
}

func TestBuildTimeline(t *testing.T) {
	tsA, bootsA := concat(part(0, 1000, -3600), part(1600, 3000, -3600), part(3320, 5000, 3300))
	const day = 86400
	step := func(a, b, s int64) [2][]int64 {
		ts, boots := every(a, b, s, -50)
		return [2][]int64{ts, boots}
	}
	// Two days at 60 s with a 5-minute gap, then two at 10 s with a
	// 1-minute gap: three times as many samples at 10 s, whose interval
	// would make every 60 s one a gap.
	slower, slowerBoots := concat(step(0, day/2, 60), step(day/2+300, 2*day-10, 60),
		step(2*day, 3*day, 10), step(3*day+60, 4*day-10, 10))
	// Six hours at 10 s with a 50 s gap, then three days at 60 s: at
	// 60 s, 50 s is no gap.
	faster, fasterBoots := concat(step(day-6*3600, day-3600, 10), step(day-3600+50, day-10, 10),
		step(day, 4*day, 60))
	tests := []struct {
		name        string
		ts, boots   []int64
		now         int64
		wantOutages []Outage
		wantReboots []int64
		wantStatus  string
	}{
		{
			name:       "empty",
			now:        100 * sec,
			wantStatus: StatusNone,
		},
		{
			name: "sampler stopped, then a reboot",
			// up 0..1000; sampler off 1000..1600 (same boot); up to 3000;
			// reboot at 3300 and the sampler is back at 3320 (within a gap).
			ts:    tsA,
			boots: bootsA,
			now:   5005 * sec,
			wantOutages: []Outage{
				{Start: 1000 * sec, End: 1600 * sec, Kind: KindNoData},
				{Start: 3000 * sec, End: 3300 * sec, Kind: KindDown},
			},
			wantReboots: []int64{3300 * sec},
			wantStatus:  StatusUp,
		},
		{
			name: "crash, slow sampler start, then silent for 10 minutes",
			ts: func() []int64 {
				ts, _ := concat(part(0, 1000, -50), part(1400, 2000, 1100))
				return ts
			}(),
			boots: func() []int64 {
				_, b := concat(part(0, 1000, -50), part(1400, 2000, 1100))
				return b
			}(),
			now: 2600 * sec,
			wantOutages: []Outage{
				{Start: 1000 * sec, End: 1100 * sec, Kind: KindDown},
				{Start: 1100 * sec, End: 1400 * sec, Kind: KindNoData},
				{Start: 2000 * sec, End: 2600 * sec, Kind: KindNoData, Ongoing: true},
			},
			wantReboots: []int64{1100 * sec},
			wantStatus:  StatusStale,
		},
		{
			name: "silent for 20 minutes: down",
			ts: func() []int64 {
				ts, _ := samples(0, 2000, -50)
				return ts
			}(),
			boots: func() []int64 {
				_, b := samples(0, 2000, -50)
				return b
			}(),
			now: 3200 * sec,
			wantOutages: []Outage{
				{Start: 2000 * sec, End: 3200 * sec, Kind: KindDown, Ongoing: true},
			},
			wantStatus: StatusDown,
		},
		{
			name:  "sampling interval changed from 60 s to 10 s",
			ts:    slower,
			boots: slowerBoots,
			now:   (4*day - 5) * sec,
			wantOutages: []Outage{
				{Start: day / 2 * sec, End: (day/2 + 300) * sec, Kind: KindNoData},
				{Start: 3 * day * sec, End: (3*day + 60) * sec, Kind: KindNoData},
			},
			wantStatus: StatusUp,
		},
		{
			name:  "sampling interval changed from 10 s to 60 s",
			ts:    faster,
			boots: fasterBoots,
			now:   (4*day + 30) * sec,
			wantOutages: []Outage{
				{Start: (day - 3600) * sec, End: (day - 3600 + 50) * sec, Kind: KindNoData},
			},
			wantStatus: StatusUp,
		},
		{
			name:       "boot time jitter of one second is not a reboot",
			ts:         secs(0, 10, 20, 30),
			boots:      secs(-100, -99, -100, -101),
			now:        35 * sec,
			wantStatus: StatusUp,
		},
		{
			name:        "boot time outside the gap: the whole gap is down",
			ts:          secs(0, 10, 20, 30),
			boots:       secs(-100, -100, 500, 500),
			now:         35 * sec,
			wantOutages: []Outage{{Start: 10 * sec, End: 20 * sec, Kind: KindDown}},
			wantReboots: secs(500),
			wantStatus:  StatusUp,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := timelineOf(tt.ts, tt.boots, tt.now)
			if diff := cmp.Diff(tt.wantOutages, tl.Outages); diff != "" {
				t.Errorf("outages mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantReboots, tl.Reboots); diff != "" {
				t.Errorf("reboots mismatch (-want +got):\n%s", diff)
			}
			if tl.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", tl.Status, tt.wantStatus)
			}
		})
	}
}

func TestTimelineSpan(t *testing.T) {
	s := func(n int64) time.Duration { return time.Duration(n) * time.Second }
	// Host A: up 0..1000, sampler off 1000..1600, up to 3000, down
	// 3000..3300 (reboot), up 3320..5000; now 5005.
	tsA, bootsA := concat(part(0, 1000, -3600), part(1600, 3000, -3600), part(3320, 5000, 3300))
	a := timelineOf(tsA, bootsA, 5005*sec)
	// Host B: up 0..1000, crash, boot at 1100, sampler at 1400, up to
	// 2000, silent until now 2600.
	tsB, bootsB := concat(part(0, 1000, -50), part(1400, 2000, 1100))
	b := timelineOf(tsB, bootsB, 2600*sec)

	tests := []struct {
		name     string
		tl       timeline
		from, to int64
		want     avail
		wantPct  float64
		wantOK   bool
	}{
		{
			// known 5005 s: 300 down, 600 no data, 4105 up.
			// 4105 / (4105 + 300) = 93.1895...%
			name: "A whole", tl: a, from: 0, to: 5005 * sec,
			want:    avail{Up: s(4105), Down: s(300), NoData: s(600)},
			wantPct: 100 * 4105.0 / 4405.0, wantOK: true,
		},
		{
			// before the first sample is not monitored; after now neither.
			name: "A with unmonitored edges", tl: a, from: -1000 * sec, to: 6000 * sec,
			want:    avail{Up: s(4105), Down: s(300), NoData: s(600), Unmonitored: s(1000 + 995)},
			wantPct: 100 * 4105.0 / 4405.0, wantOK: true,
		},
		{
			name: "A inside the no-data gap: unknown", tl: a, from: 1100 * sec, to: 1500 * sec,
			want: avail{NoData: s(400)},
		},
		{
			// 2600 known: down 100, no data 300 + 600 (ongoing), up 1600.
			// 1600 / 1700 = 94.1176...%
			name: "B whole", tl: b, from: 0, to: 2600 * sec,
			want:    avail{Up: s(1600), Down: s(100), NoData: s(900)},
			wantPct: 100 * 1600.0 / 1700.0, wantOK: true,
		},
		{
			name: "B across the crash", tl: b, from: 1050 * sec, to: 1200 * sec,
			want:    avail{Down: s(50), NoData: s(100)},
			wantPct: 0, wantOK: true,
		},
		{
			name: "no samples at all", tl: timelineOf(nil, nil, 100*sec), from: 0, to: 100 * sec,
			want: avail{Unmonitored: s(100)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.tl.span(tt.from, tt.to)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("span() mismatch (-want +got):\n%s", diff)
			}
			pct, ok := got.Pct()
			if ok != tt.wantOK || (ok && (pct-tt.wantPct) > 1e-9 || (ok && tt.wantPct-pct > 1e-9)) {
				t.Errorf("Pct() = %v, %v, want %v, %v", pct, ok, tt.wantPct, tt.wantOK)
			}
		})
	}
}

func TestSteadyInterval(t *testing.T) {
	for _, tt := range []struct{ in, want int64 }{
		{10_000_083, 10_000_000},
		{9_999_700, 10_000_000},
		{2_500_300, 2_500_000},
		{60_400_000, 60_000_000},
		{1_049_999, 1_000_000},
		{1_050_000, 1_100_000},
		{999, 1000},
		{42, 42},
		{0, 1},
	} {
		if got := steadyInterval(tt.in); got != tt.want {
			t.Errorf("steadyInterval(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// timelineRef is buildTimeline as it was before it took a day at a time:
// every pair of consecutive samples walked, the intervals of their days
// worked out from the whole list. TestTimelineDays holds the other to it.
func timelineRef(ts, boots []int64, now int64) timeline {
	tl := timeline{Now: now, Status: StatusNone}
	if len(ts) == 0 {
		return tl
	}
	tl.First, tl.Last = ts[0], ts[len(ts)-1]
	var ends []int
	var ivs []int64
	for lo := 0; lo < len(ts); {
		hi := lo + 1
		for hi < len(ts) && ts[hi]/dayUS == ts[lo]/dayUS {
			hi++
		}
		ends, ivs = append(ends, hi), append(ivs, dayInterval(ts[lo:hi]))
		lo = hi
	}
	if k := slices.IndexFunc(ivs, func(iv int64) bool { return iv != 0 }); k < 0 {
		for j := range ivs {
			ivs[j] = steadyInterval(medianInterval(slices.Clone(ts)))
		}
	} else {
		for j := range ivs {
			if j < k {
				ivs[j] = ivs[k]
			} else if ivs[j] == 0 {
				ivs[j] = ivs[j-1]
			}
		}
	}
	tl.Interval = ivs[len(ivs)-1]
	day := 0
	for i := 1; i < len(ts); i++ {
		gap := gapThreshold(ivs[day])
		if i == ends[day] {
			day++
			gap = gapThreshold(max(ivs[day-1], ivs[day]))
		}
		tl.step(ts[i-1], ts[i], boots[i-1], boots[i], gap)
	}
	tl.settle()
	return tl
}

// TestTimelineDays builds the timelines of random histories (days of
// steady or jittered samples at one of three intervals, gaps, reboots,
// missing boot times, days of a sample or two) from their days read and
// from their days kept in a memo record and decoded, where a day of one
// boot time is taken from its summary without its times, and compares
// both with timelineRef over the whole list.
func TestTimelineDays(t *testing.T) {
	nan := math.NaN()
	fast := 0 // days taken from their summaries
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		start := int64(1_780_000_000+rng.IntN(86400)) * sec
		var ts []int64
		var raw []float64
		boot := float64(start - 3600*sec)
		at := start
		for range 1 + rng.IntN(5) { // days
			end := (at/dayUS + 1) * dayUS
			iv := []int64{10, 60, 300}[rng.IntN(3)] * sec
			n := rng.IntN(400)
			missing := rng.IntN(4) == 0 // a day with boot times missing
			if rng.IntN(5) == 0 {
				n = rng.IntN(3) // a day of a sample or two
			}
			for range n {
				if at >= end {
					break
				}
				ts = append(ts, at)
				b := boot
				if missing && rng.IntN(50) == 0 {
					b = nan
				}
				raw = append(raw, b)
				step := iv + int64(rng.IntN(300))
				switch rng.IntN(100) {
				case 0: // the sampler stopped
					step = iv * int64(3+rng.IntN(40))
				case 1: // a reboot
					step = iv * int64(1+rng.IntN(20))
					boot = float64(at + step/2)
				}
				at += step
			}
			at = max(at, end+int64(rng.IntN(3600))*sec)
		}
		now := at + int64(rng.IntN(3600))*sec
		var carried []int64
		var last int64
		for _, b := range raw {
			if !math.IsNaN(b) {
				last = int64(b)
			}
			carried = append(carried, last)
		}
		want := timelineRef(ts, carried, now)

		read := newSampleTimes(ts, raw)
		if diff := cmp.Diff(want, buildTimeline(read, now)); diff != "" {
			t.Fatalf("seed %d: from the days read (-want +got):\n%s", seed, diff)
		}
		kt := keepDays(t, read)
		if diff := cmp.Diff(want, buildTimeline(kt, now)); diff != "" {
			t.Fatalf("seed %d: from the days kept (-want +got):\n%s", seed, diff)
		}
		for i, d := range kt.days {
			if len(d.runs) == 1 && d.iv != 0 {
				fast++
				if d.ts != nil {
					t.Fatalf("seed %d: day %d, of one boot time and its own interval, was decoded", seed, i)
				}
			}
		}
	}
	if fast < 100 {
		t.Errorf("%d days taken from their summaries, want at least 100", fast)
	}
}
