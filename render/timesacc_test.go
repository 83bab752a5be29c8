package render

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"almanac/schema"

	"github.com/google/go-cmp/cmp"
)

// TestSampleTimesMemo reads the hosts' sample times and boot times with a
// day memo at later and later times, and at an earlier one, and checks
// each against a read without one: the same times and boot times (a day
// a range starts in, added from the memo and read again for that range,
// adds its times once), and closed days taken from the memo.
func TestSampleTimesMemo(t *testing.T) {
	st := memoFleet(t)
	cache, err := openCache(filepath.Join(t.TempDir(), "render-cache"), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	read := func(host string, now time.Time, memo *hostMemo) (ts, boots []int64, tl timeline) {
		t.Helper()
		g := &gatherer{src: st, host: host, now: now.UnixMicro(), d: &hostData{}, memo: memo}
		g.from = g.now - longest.Microseconds()
		days, err := g.days(schema.TableSystem)
		if err != nil {
			t.Fatal(err)
		}
		times, err := g.sampleTimes(days)
		if err != nil {
			t.Fatal(err)
		}
		if g.memo != memo {
			t.Fatal("sampleTimes did not put the host's memo back")
		}
		tl = buildTimeline(times, g.now)
		ts, boots = times.all()
		return ts, boots, tl
	}
	times := []time.Time{fixedNow, fixedNow.Add(5 * time.Minute), fixedNow.Add(10 * time.Minute),
		fixedNow.Add(26 * time.Hour), fixedNow.Add(-3 * time.Hour)}
	for _, host := range []string{"steady", "bumpy"} {
		memo := cache.memo(hostDir(host), quietLog())
		for i, now := range times {
			wantT, wantB, wantTL := read(host, now, nil)
			if len(wantT) == 0 {
				t.Fatalf("%s: no samples", host)
			}
			kept := cache.daysKept
			gotT, gotB, gotTL := read(host, now, memo)
			at := now.Sub(fixedNow)
			if !slices.Equal(gotT, wantT) {
				t.Errorf("%s at %v: %d sample times from the memo, want %d (read)", host, at, len(gotT), len(wantT))
			}
			if !slices.Equal(gotB, wantB) {
				t.Errorf("%s at %v: boot times from the memo differ from those read", host, at)
			}
			if diff := cmp.Diff(wantTL, gotTL); diff != "" {
				t.Errorf("%s at %v: the timeline from the memo differs from the one read (-read +memo):\n%s", host, at, diff)
			}
			if i > 0 && cache.daysKept == kept {
				t.Errorf("%s at %v: no day from the memo", host, at)
			}
		}
	}
	file := filepath.Join(cache.root.Name(), "days", hostDir("bumpy"), timesMemo+".memo")
	if got := daysIn(t, file); got == 0 {
		t.Fatal("no memo of bumpy's sample times")
	}
	// A damaged memo is thrown away: the days are read again, the times
	// are still right.
	damage(t, file, 0x40)
	now := fixedNow.Add(30 * time.Minute)
	wantT, wantB, _ := read("bumpy", now, nil)
	read0 := cache.daysRead
	gotT, gotB, _ := read("bumpy", now, cache.memo(hostDir("bumpy"), quietLog()))
	if !slices.Equal(gotT, wantT) || !slices.Equal(gotB, wantB) {
		t.Error("after damaging the memo: the sample times differ from those read")
	}
	if n := cache.daysRead - read0; n < 10 {
		t.Errorf("after damaging the memo: %d days read, want all (12)", n)
	}
}

// damage flips the bits mask of the middle byte of the file at path.
func damage(t *testing.T, path string, mask byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= mask
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// daysIn returns how many days the memo file at path holds.
func daysIn(t *testing.T, path string) int {
	t.Helper()
	return len(readMemoFile(t, path))
}

// TestTimesCodec checks that times and boot times come back as they were
// encoded, whatever they are, and that a damaged encoding is refused.
func TestTimesCodec(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name  string
		ts    []int64
		boots []float64
	}{
		{"none", nil, nil},
		{"one", []int64{1_773_100_800_000_000}, []float64{1_773_000_000_000_000}},
		{"steady", []int64{10, 20, 30, 40, 50}, []float64{1, 1, 1, 1, 1}},
		{"jitter and a reboot", []int64{1_000_003, 11_000_001, 20_999_999, 31_000_250, 91_000_000},
			[]float64{5, 5, 5, 31_000_000, 31_000_000}},
		{"missing boot times", []int64{1, 2, 3, 4, 5, 6}, []float64{nan, nan, 7, nan, 7, math.Inf(1)}},
		{"extremes", []int64{math.MinInt64, math.MaxInt64, 0, -1, math.MaxInt64},
			[]float64{-1e300, 1e300, 0, math.Copysign(0, -1), -1e300}},
	} {
		var b memoBuf
		acc := &timesAcc{}
		acc.begin()
		// The day in two chunks.
		half := len(c.ts) / 2
		acc.add(c.ts[:half], c.boots[:half])
		acc.add(c.ts[half:], c.boots[half:])
		acc.end(&b, 0, false)
		wantT, wantB := acc.times().all()
		if !slices.Equal(wantT, c.ts) {
			t.Errorf("%s: joined times %v, want %v", c.name, wantT, c.ts)
		}
		got := &timesAcc{}
		r := memoReader{b: b.b}
		add := got.decode(&r)
		if r.err != nil || len(r.b) != 0 {
			t.Fatalf("%s: %v, %d bytes left", c.name, r.err, len(r.b))
		}
		add()
		if len(c.ts) > 0 {
			// What the timeline takes of the kept day is what it takes
			// of the day read whole.
			whole := timesDay{ts: c.ts, boots: c.boots}
			whole.summarize()
			k := got.days[0]
			if k.n != whole.n || k.first != whole.first || k.last != whole.last || k.iv != whole.iv ||
				!slices.Equal(k.gaps, whole.gaps) || fmt.Sprint(k.runs) != fmt.Sprint(whole.runs) {
				t.Errorf("%s: kept day %d %d..%d iv %d gaps %v runs %v, read %d %d..%d iv %d gaps %v runs %v", c.name,
					k.n, k.first, k.last, k.iv, k.gaps, k.runs, whole.n, whole.first, whole.last, whole.iv, whole.gaps, whole.runs)
			}
		}
		// A day read after the kept one: the boot time carries on.
		got.begin()
		got.add([]int64{7}, []float64{nan})
		got.end(nil, 0, false)
		wantT, wantB = append(wantT, 7), append(wantB, 0)
		if len(wantB) > 1 {
			wantB[len(wantB)-1] = wantB[len(wantB)-2]
		}
		if gotT, gotB := got.times().all(); !slices.Equal(gotT, wantT) || !slices.Equal(gotB, wantB) {
			t.Errorf("%s: got %v %v, want %v %v", c.name, gotT, gotB, wantT, wantB)
		}
		for cut := range len(b.b) {
			r := memoReader{b: b.b[:cut]}
			got.decode(&r)
			if r.err == nil && len(r.b) == 0 && cut < len(b.b) && len(c.ts) > 0 {
				t.Errorf("%s: a record cut to %d of %d bytes decoded", c.name, cut, len(b.b))
			}
		}
	}
	// Runs that add up to more or fewer boot times than times.
	for _, runs := range [][2]uint64{{3, 0}, {4, 1}, {1, 1}, {2, 2}} {
		var b memoBuf
		putTimes(&b, []int64{1, 2, 3})
		b.uint(2)
		b.float(1)
		b.uint(runs[0])
		b.float(2)
		b.uint(runs[1])
		r := memoReader{b: b.b}
		(&timesAcc{}).decode(&r)
		if r.err == nil {
			t.Errorf("runs of %d and %d for 3 times decoded", runs[0], runs[1])
		}
	}
}

// TestSampleTimesWindows checks what the sample times answer about a
// window (count, extent, the times in it) against the whole list, for
// windows within a day and across days, with days read and days kept.
func TestSampleTimesWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := int64(1_780_000_000) * sec
	var ts []int64
	for at := start; at < start+4*dayUS; at += int64(1+rng.IntN(600)) * sec {
		if rng.IntN(200) == 0 {
			at += 6 * 3600 * sec // a gap, across midnight at times
		}
		ts = append(ts, at)
	}
	read := newSampleTimes(ts, nil)
	for name, s := range map[string]*sampleTimes{"read": read, "kept": keepDays(t, read)} {
		for range 2000 {
			from := start - dayUS/2 + rng.Int64N(5*dayUS)
			to := from + rng.Int64N([]int64{3600 * sec, dayUS, 3 * dayUS}[rng.IntN(3)])
			lo, hi := window(ts, from, to)
			want := ts[lo:hi]
			if got := s.count(from, to); got != len(want) {
				t.Fatalf("%s: count(%d, %d) = %d, want %d", name, from, to, got, len(want))
			}
			f, l := s.extent(from, to)
			if len(want) > 0 && (f != want[0] || l != want[len(want)-1]) || len(want) == 0 && (f != 0 || l != 0) {
				t.Fatalf("%s: extent(%d, %d) = %d, %d; want the first and last of %d times", name, from, to, f, l, len(want))
			}
			if got := s.in(from, to); !slices.Equal(got, want) {
				t.Fatalf("%s: in(%d, %d): %d times, want %d", name, from, to, len(got), len(want))
			}
		}
	}
}

// keepDays returns the days of read as a later render has them: each
// encoded in its memo record and decoded.
func keepDays(t *testing.T, read *sampleTimes) *sampleTimes {
	t.Helper()
	var kept timesAcc
	for _, d := range read.days {
		var b memoBuf
		acc := &timesAcc{}
		acc.begin()
		acc.add(d.ts, d.boots)
		acc.end(&b, 0, false)
		r := memoReader{b: b.b}
		add := kept.decode(&r)
		if r.err != nil || len(r.b) != 0 {
			t.Fatalf("a day's record: %v, %d bytes left", r.err, len(r.b))
		}
		add()
	}
	return kept.times()
}

// TestGetTimes: what putTimes writes reads back whole, and its count,
// first and last without the rest; differences that are one number too
// many or too few, or that end elsewhere than the last time, fail both
// ways of reading.
func TestGetTimes(t *testing.T) {
	for _, ts := range [][]int64{
		nil,
		{5},
		{-3, 4},
		{0, 10, 20, 30, 40},
		{1_700_000_000_000_000, 1_700_000_010_000_123, 1_700_000_019_999_000, 1_700_000_600_000_000, 1_700_000_610_000_000},
		{math.MinInt64 / 2, 0, math.MaxInt64 / 2},
	} {
		var b memoBuf
		putTimes(&b, ts)
		r := memoReader{b: b.b}
		n, first, last := getTimes(&r, nil)
		if r.err != nil || len(r.b) != 0 || n != len(ts) || n > 0 && (first != ts[0] || last != ts[n-1]) {
			t.Errorf("%v: count %d, %d..%d, %v, %d bytes left", ts, n, first, last, r.err, len(r.b))
		}
		var all []int64
		r = memoReader{b: b.b}
		getTimes(&r, &all)
		if r.err != nil || len(r.b) != 0 || !slices.Equal(all, ts) {
			t.Errorf("%v: read back %v, %v", ts, all, r.err)
		}
	}
	damaged := func(n int, last int64, diffs ...int64) []byte {
		var b, d memoBuf
		b.uint(uint64(n))
		b.int(0)
		b.int(last)
		for _, x := range diffs {
			d.int(x)
		}
		b.bytes(d.b)
		return b.b
	}
	for name, rec := range map[string][]byte{
		"a number too many":  damaged(2, 10, 10, 0),
		"a number too few":   damaged(3, 20, 10),
		"a number cut":       append(damaged(2, 1000, 1000)[:4], 1, 0xE8),
		"one time, two ends": damaged(1, 5),
	} {
		r := memoReader{b: rec}
		getTimes(&r, nil)
		var all []int64
		r2 := memoReader{b: rec}
		getTimes(&r2, &all)
		if r.err == nil || r2.err == nil {
			t.Errorf("%s: counted %v, read %v (%v)", name, r.err, r2.err, all)
		}
	}
	// Differences that do not end at the last time: only reading them all
	// tells (the memo file's checksum guards the rest).
	r := memoReader{b: damaged(3, 25, 10, 0)}
	var all []int64
	if getTimes(&r, &all); r.err == nil {
		t.Errorf("times %v ending elsewhere than 25 read", all)
	}
}
