package render

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"almanac/schema"
)

// TestSampleTimesMemo reads the hosts' sample times and boot times with a
// day memo at later and later times, and at an earlier one, and checks
// each against a read without one: the same times and boot times (a day
// a range starts in, added from the memo and read again for that range,
// adds its times once), and closed days taken from the memo.
func TestSampleTimesMemo(t *testing.T) {
	st := memoFleet(t)
	cache, err := openCache(filepath.Join(t.TempDir(), "render-cache"), st.Dir(), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	read := func(host string, now time.Time, memo *hostMemo) (ts, boots []int64) {
		t.Helper()
		g := &gatherer{src: st, host: host, now: now.UnixMicro(), d: &hostData{}, memo: memo}
		g.from = g.now - longest.Microseconds()
		days, err := g.days(schema.TableSystem)
		if err != nil {
			t.Fatal(err)
		}
		if ts, boots, err = g.sampleTimes(days); err != nil {
			t.Fatal(err)
		}
		if g.memo != memo {
			t.Fatal("sampleTimes did not put the host's memo back")
		}
		return ts, boots
	}
	times := []time.Time{fixedNow, fixedNow.Add(5 * time.Minute), fixedNow.Add(10 * time.Minute),
		fixedNow.Add(26 * time.Hour), fixedNow.Add(-3 * time.Hour)}
	for _, host := range []string{"steady", "bumpy"} {
		memo := cache.memo(hostDir(host), quietLog())
		for i, now := range times {
			wantT, wantB := read(host, now, nil)
			if len(wantT) == 0 {
				t.Fatalf("%s: no samples", host)
			}
			kept := cache.daysKept
			gotT, gotB := read(host, now, memo)
			at := now.Sub(fixedNow)
			if !slices.Equal(gotT, wantT) {
				t.Errorf("%s at %v: %d sample times from the memo, want %d (read)", host, at, len(gotT), len(wantT))
			}
			if !slices.Equal(gotB, wantB) {
				t.Errorf("%s at %v: boot times from the memo differ from those read", host, at)
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
	wantT, wantB := read("bumpy", now, nil)
	read0 := cache.daysRead
	gotT, gotB := read("bumpy", now, cache.memo(hostDir("bumpy"), quietLog()))
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
		acc.parts = append(acc.parts, timesPart{ts: c.ts[:half], boots: c.boots[:half]}, timesPart{ts: c.ts[half:], boots: c.boots[half:]})
		acc.end(&b, 0, false)
		wantT, wantB := acc.join()
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
		// A day read after the kept one: the boot time carries on.
		got.parts = append(got.parts, timesPart{ts: []int64{7}, boots: []float64{nan}})
		wantT, wantB = append(wantT, 7), append(wantB, 0)
		if len(wantB) > 1 {
			wantB[len(wantB)-1] = wantB[len(wantB)-2]
		}
		if gotT, gotB := got.join(); !slices.Equal(gotT, wantT) || !slices.Equal(gotB, wantB) {
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

// TestCarryBoots checks that a missing boot time is the one before, 0
// before the first.
func TestCarryBoots(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		raw  []float64
		want []int64
	}{
		{nil, []int64{}},
		{[]float64{nan, nan}, []int64{0, 0}},
		{[]float64{nan, 5, nan, nan, 7, nan}, []int64{0, 5, 5, 5, 7, 7}},
		{[]float64{3, 3, 4}, []int64{3, 3, 4}},
	} {
		var last int64
		if got := carryBoots([]int64{}, c.raw, &last); !reflect.DeepEqual(got, c.want) {
			t.Errorf("carryBoots(%v) = %v, want %v", c.raw, got, c.want)
		}
	}
}
