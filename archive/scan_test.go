package archive

import (
	"almanac/schema"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// TestSortByTime checks both orderings of sortByTime (packed integers, and
// the general one for times too far apart) against a stable sort.
func TestSortByTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		span int64
	}{
		{"a day", 86_400_000_000},
		{"too wide to pack", math.MaxInt64 / 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 5000
			f := &Frame{Num: map[string][]float64{"v": {}}, Str: map[string][]string{"s": {}}}
			for i := range n {
				ts := rng.Int64N(50) * (tc.span / 50) // many equal times
				f.Time = append(f.Time, ts)
				f.Num["v"] = append(f.Num["v"], float64(i))
				f.Str["s"] = append(f.Str["s"], string(rune('a'+i%26)))
			}
			idx := make([]int, n)
			for i := range idx {
				idx[i] = i
			}
			slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(f.Time[a], f.Time[b]) })
			want := &Frame{Num: map[string][]float64{"v": {}}, Str: map[string][]string{"s": {}}}
			for _, i := range idx {
				want.Time = append(want.Time, f.Time[i])
				want.Num["v"] = append(want.Num["v"], f.Num["v"][i])
				want.Str["s"] = append(want.Str["s"], f.Str["s"][i])
			}
			f.sortByTime()
			if diff := gocmp.Diff(want, f); diff != "" {
				t.Errorf("sortByTime mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScanDictionaryStrings reads dictionary-encoded string columns,
// required and optional with NULLs in every pattern, from parts and from a
// compacted day file (several row groups), and checks every row against
// what was written: the dictionary pages are read by index, the others
// value by value, and both must agree with the rows.
func TestScanDictionaryStrings(t *testing.T) {
	defer func(n int) { mergeChunk = n }(mergeChunk)
	mergeChunk = 700
	s := openStore(t, t.TempDir())
	w, err := s.Writer("h", WriterOptions{NoSync: true, FlushEvery: 20 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	units := []string{"", "a.service", "b.service", "", "c.scope"}
	type key struct {
		t   int64
		pid float64
	}
	want := map[key][2]string{}
	for i := range 240 {
		tm := day.Add(time.Duration(i) * 30 * time.Second)
		b := &schema.Batch{Time: tm}
		for j := range 7 {
			r := schema.ProcessRow{Time: tm.UnixMicro(), PID: int32(j + 1), StartTime: day.UnixMicro(),
				User: "u", Comm: fmt.Sprintf("cmd%d", (i*j)%5), State: "S",
				Unit: units[(i+j*j)%len(units)]}
			want[key{r.Time, float64(r.PID)}] = [2]string{r.Comm, r.Unit}
			b.Process = append(b.Process, r)
		}
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		f, err := s.Scan(schema.TableProcess, "h", day, day.AddDate(0, 0, 1), "pid", "comm", "unit")
		if err != nil {
			t.Fatal(err)
		}
		if f.Len() != len(want) {
			t.Fatalf("%s: %d rows, want %d", when, f.Len(), len(want))
		}
		for i, tm := range f.Time {
			k := key{tm, f.Num["pid"][i]}
			if got := [2]string{f.Str["comm"][i], f.Str["unit"][i]}; got != want[k] {
				t.Fatalf("%s: row %d (%v, pid %v): comm, unit = %q, want %q", when, i, time.UnixMicro(tm).UTC(), k.pid, got, want[k])
			}
		}
	}
	check("parts")
	if _, err := s.Compact("h", day.AddDate(0, 0, 1).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("compacted")
}
