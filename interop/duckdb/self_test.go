package duckdb

import (
	"database/sql"
	"slices"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// checkSelfCost checks the README's query on the self table: per host and
// UTC day, the mean CPU %, the peak RSS, the MB written and the mean
// reading time, worked out from the rows the test wrote.
func (f *fleet) checkSelfCost(t *testing.T, db *sql.DB, q string) {
	type acc struct {
		cpu, ms      float64
		n            int
		rss, written int64
	}
	var want result
	for _, host := range sortedHosts() {
		days := map[time.Time]*acc{}
		eachRow(f, host, func(b *schema.Batch) []schema.SelfRow { return b.Self }, func(b *schema.Batch, r *schema.SelfRow) {
			d := archive.Day(micros(r.Time))
			a := days[d]
			if a == nil {
				a = &acc{}
				days[d] = a
			}
			a.cpu += r.CPUPct.Float()
			a.ms += r.SampleMs.Float()
			a.n++
			a.rss = max(a.rss, r.RSSBytes)
			a.written += r.WrittenBytes
		})
		for _, d := range slices.SortedFunc(mapKeys(days), func(a, b time.Time) int { return a.Compare(b) }) {
			a := days[d]
			want = append(want, []any{host, d, round(a.cpu/float64(a.n), 2), round(float64(a.rss)/(1<<20), 1),
				round(float64(a.written)/1e6, 2), round(a.ms/float64(a.n), 2)})
		}
	}
	if len(want) < 3*len(fleetHosts) {
		t.Fatalf("the test wrote self rows for only %d host-days", len(want))
	}
	got := query(t, db, q)
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.0051)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
