package archive

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

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
