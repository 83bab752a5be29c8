package duckdb

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"almanac/archive"
	"almanac/schema"
)

// label returns the value of label name of a custom row, or "".
func label(r *schema.CustomRow, name string) string {
	for _, l := range r.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

func (f *fleet) checkCustomBackups(t *testing.T, db *sql.DB, q string) {
	var want result
	for _, host := range sortedHosts() {
		newest := map[string]*schema.CustomRow{}
		eachRow(f, host, func(b *schema.Batch) []schema.CustomRow { return b.Custom }, func(b *schema.Batch, r *schema.CustomRow) {
			if r.Metric != "backup_age_seconds" || !archive.Day(b.Time).Equal(f.today) {
				return
			}
			db := label(r, "db")
			if n := newest[db]; n == nil || r.Time > n.Time {
				newest[db] = r
			}
		})
		for _, db := range slices.Sorted(func(yield func(string) bool) {
			for k := range newest {
				if !yield(k) {
					return
				}
			}
		}) {
			want = append(want, []any{host, db, newest[db].Value})
		}
	}
	if len(want) == 0 {
		t.Fatal("the test wrote no backup_age_seconds rows today")
	}
	if diff := cmp.Diff(want, query(t, db, q)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func (f *fleet) checkCustomCounter(t *testing.T, db *sql.DB, q string) {
	type key struct {
		host string
		hour int64
	}
	runs := map[key]float64{}
	seen := map[key]bool{}
	for _, host := range sortedHosts() {
		prev, have := 0.0, false
		eachRow(f, host, func(b *schema.Batch) []schema.CustomRow { return b.Custom }, func(b *schema.Batch, r *schema.CustomRow) {
			if r.Metric != "job_runs_total" || label(r, "outcome") != "ok" || !archive.Day(b.Time).Equal(f.yesterday()) {
				return
			}
			k := key{host, time.UnixMicro(r.Time).Truncate(time.Hour).UnixMicro()}
			seen[k] = true
			if have {
				if r.Value >= prev {
					runs[k] += r.Value - prev
				} else {
					runs[k] += r.Value
				}
			}
			prev, have = r.Value, true
		})
	}
	var want result
	for k := range seen {
		want = append(want, []any{k.host, micros(k.hour), runs[k]})
	}
	slices.SortFunc(want, func(a, b []any) int {
		if c := strings.Compare(a[0].(string), b[0].(string)); c != 0 {
			return c
		}
		return a[1].(time.Time).Compare(b[1].(time.Time))
	})
	if len(want) == 0 {
		t.Fatal("the test wrote no job_runs_total rows yesterday")
	}
	got := query(t, db, q)
	// The first hour's first sample has no previous one: NULL there only
	// when it is the hour's only sample.
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func (f *fleet) checkGPUHourly(t *testing.T, db *sql.DB, q string) {
	type key struct {
		host, card string
		hour       int64
	}
	type acc struct {
		sum       float64
		n         int
		mem, temp int64
	}
	hours := map[key]*acc{}
	for _, host := range sortedHosts() {
		eachRow(f, host, func(b *schema.Batch) []schema.GPURow { return b.GPU }, func(b *schema.Batch, r *schema.GPURow) {
			if r.Driver != "amdgpu" || !archive.Day(b.Time).Equal(f.yesterday()) {
				return
			}
			k := key{host, r.Card, time.UnixMicro(r.Time).Truncate(time.Hour).UnixMicro()}
			a := hours[k]
			if a == nil {
				a = &acc{}
				hours[k] = a
			}
			a.sum += r.BusyPct.Float()
			a.n++
			a.mem = max(a.mem, *r.MemUsedBytes)
			a.temp = max(a.temp, int64(*r.Celsius))
		})
	}
	var want result
	for k, a := range hours {
		want = append(want, []any{k.host, k.card, micros(k.hour), round(a.sum/float64(a.n), 2), a.mem, float64(a.temp) / 100})
	}
	slices.SortFunc(want, func(a, b []any) int {
		for i := range 2 {
			if c := strings.Compare(a[i].(string), b[i].(string)); c != 0 {
				return c
			}
		}
		return a[2].(time.Time).Compare(b[2].(time.Time))
	})
	if len(want) == 0 {
		t.Fatal("the test wrote no amdgpu rows yesterday")
	}
	if diff := cmp.Diff(want, query(t, db, q), cmpopts.EquateApprox(0, 0.0101)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
