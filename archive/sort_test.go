package archive

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"almanac/schema"
)

// TestSortRows checks the in-place index sort against a plain stable
// sort of the same rows: keys, then time, ties in their first order.
func TestSortRows(t *testing.T) {
	tb := tables[schema.TableProcess].(*tableOf[schema.ProcessRow])
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 100, 5000} {
		rows := make([]schema.ProcessRow, n)
		for i := range rows {
			rows[i] = schema.ProcessRow{Time: int64(r.IntN(5)), PID: int32(r.IntN(20)), StartTime: int64(r.IntN(3)), Threads: int32(i)}
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(a, b schema.ProcessRow) int {
			return cmp.Or(cmp.Compare(a.PID, b.PID), cmp.Compare(a.StartTime, b.StartTime), cmp.Compare(a.Time, b.Time))
		})
		tb.sort(rows)
		if !slices.Equal(rows, want) {
			t.Errorf("%d rows: sort differs from a stable sort by pid, start_time, time", n)
		}
	}
}
