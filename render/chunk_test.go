package render

import (
	"fmt"
	"math"
	"testing"
	"unsafe"

	"almanac/archive"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testGatherer returns a gatherer whose now is 100 000 s and whose
// sampling interval is 10 s, with the modes set for samples ts.
func testGatherer(ts []int64) *gatherer {
	g := &gatherer{now: 100_000 * sec, d: &hostData{}}
	g.from = g.now - longest.Microseconds()
	g.d.tl.Interval = 10 * sec
	g.setModes(newSampleTimes(ts, nil))
	return g
}

// Reducing day-sized chunks and joining them gives what reducing the whole
// series at once gives, gaps between chunks included.
func TestSeriesSetChunks(t *testing.T) {
	for _, step := range []int64{10, 60} {
		t.Run(fmt.Sprintf("every %d s", step), func(t *testing.T) { testSeriesSetChunks(t, step) })
	}
}

func testSeriesSetChunks(t *testing.T, step int64) {
	var ts []int64
	var key []string
	var val []float64
	for s := int64(100_000 - 2*86400); s < 100_000; s += step {
		if s >= 50_000 && s < 51_200 {
			continue // a 20-minute gap, where the chunks meet
		}
		for _, k := range []string{"sdb", "sda"} {
			ts = append(ts, s*sec)
			key = append(key, k)
			v := math.Sin(float64(s) / 1000)
			if k == "sdb" {
				v *= 2
			}
			val = append(val, v)
		}
	}
	g := testGatherer(uniqueTimes(ts))
	g.d.tl.Interval = step * sec
	set := g.newSet(1)
	cut := 0
	for ts[cut] < 50_000*sec {
		cut++
	}
	set.add(ts[:cut], key[:cut], val[:cut])
	set.add(ts[cut:], key[cut:], val[cut:])
	if got, want := set.keys(), []string{"sda", "sdb"}; !cmp.Equal(got, want) {
		t.Errorf("keys = %v, want %v", got, want)
	}
	whole := pivot(ts, key, []string{"sda", "sdb"}, val)
	for r := range ranges {
		from, to := g.rangeWindow(r)
		want := reduce(whole, from, to, g.raw[r], g.width[r], g.gap())
		got := set.grid(r, []string{"sda", "sdb"})
		if r == 0 && g.raw[r] != (step == 60) {
			t.Errorf("24h raw = %v, want %v", g.raw[r], step == 60)
		}
		if !g.raw[r] {
			// Buckets that straddle the chunk boundary are reduced in two
			// parts; compare the peaks instead of the rows.
			for j := range want.Cols {
				if a, b := peak(want.Cols[j]), peak(got.Cols[j]); a != b {
					t.Errorf("%s: peak of column %d = %v, want %v", ranges[r].Name, j, b, a)
				}
			}
			// The gap shows where it is longer than a bucket.
			if want := 1200*sec > g.width[r]; hasNullRow(got) != want {
				t.Errorf("%s: null row = %v, want %v", ranges[r].Name, hasNullRow(got), want)
			}
			continue
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("%s: joined chunks differ from the whole (-want +got):\n%s", ranges[r].Name, diff)
		}
	}
}

func peak(c []float64) float64 {
	p := math.Inf(-1)
	for _, v := range c {
		if v > p {
			p = v
		}
	}
	return p
}

func hasNullRow(g grid) bool {
	for i := range g.T {
		null := true
		for _, c := range g.Cols {
			if !math.IsNaN(c[i]) {
				null = false
			}
		}
		if null {
			return true
		}
	}
	return false
}

// TestAppendQuotedList checks that the day key's column list is written as
// it was with fmt's %q: a key made by an earlier build stays the same key.
func TestAppendQuotedList(t *testing.T) {
	for _, cols := range [][]string{
		nil,
		{},
		{"cpu"},
		{"time", "user", "system"},
		{`a"b`, `back\slash`, "tab\there", "nl\n", "ünï", "\x00\x7f", "\xff bad utf-8", ""},
	} {
		if got, want := string(appendQuotedList([]byte("x"), cols)), "x"+fmt.Sprintf("%q", cols); got != want {
			t.Errorf("appendQuotedList(%#v) = %s, want %s", cols, got, want)
		}
	}
}

// TestFrameMemo: a frame kept in the memo (encodeFrame) reads back as it
// was, its strings shared per distinct value, an empty column included;
// a record cut short or with a string index past its values does not.
func TestFrameMemo(t *testing.T) {
	f := &archive.Frame{
		Time: []int64{10, 20, 20, 30},
		Num:  map[string][]float64{"pid": {1, 2, 1, 2}, "cpu": {0.5, math.NaN(), 1.25, -3}, "none": {}},
		Str:  map[string][]string{"comm": {"a", "b\x00", "a", ""}, "user": {"root", "root", "root", "root"}},
	}
	var b memoBuf
	encodeFrame(&b, f)
	got, ok := decodeFrame(b.b)
	if !ok {
		t.Fatal("a frame did not decode")
	}
	if diff := cmp.Diff(f, got, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	if unsafe.StringData(got.Str["user"][0]) != unsafe.StringData(got.Str["user"][3]) {
		t.Error("a repeated string was decoded into copies")
	}
	for cut := range len(b.b) {
		if _, ok := decodeFrame(b.b[:cut]); ok {
			t.Errorf("a record cut to %d of %d bytes decoded", cut, len(b.b))
		}
	}
	var d memoBuf
	d.strs([]string{"x"})
	d.uint(1)
	d.uint(1) // index 1 of one value
	r := memoReader{b: d.b}
	if getDict(&r); r.err == nil {
		t.Error("a string index past the values decoded")
	}
}
