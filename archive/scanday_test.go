package archive

import (
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"almanac/schema"
)

// TestScanDay reads each day of an archive with ScanDay and compares it
// with Scan and ScanRollup over the same hours: a compacted day with its
// rollups, and a day still in parts (no rollup: empty, no error).
func TestScanDay(t *testing.T) {
	s := openStore(t, t.TempDir())
	start := rollupDay0.Add(22 * time.Hour)
	writeDays(t, s, "web1", start, 1080, 10*time.Second) // 22:00 to 01:00 the next day
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	writeDays(t, s, "web1", start.Add(27*time.Hour), 60, 10*time.Second) // day 2, in parts too
	cols := []string{"cpu", "system_pct", "user_pct"}
	rollupCols := []string{"cpu", "system_pct_min", "system_pct_avg", "system_pct_max", SamplesColumn}
	for _, day := range []time.Time{rollupDay0, rollupDay0.AddDate(0, 0, 1), rollupDay0.AddDate(0, 0, 2)} {
		p := Partition{Table: schema.TableCPU, Host: "web1", Day: day}
		for _, w := range []struct{ from, to time.Time }{
			{day, day.AddDate(0, 0, 1)},
			{day.Add(22 * time.Hour), day.Add(23 * time.Hour)},
			{day.Add(-time.Hour), day.Add(30 * time.Minute)},
		} {
			got, err := s.ScanDay(Raw, p, w.from, w.to, cols...)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := maxTime(w.from, day), minTime(w.to, day.AddDate(0, 0, 1))
			want, err := s.Scan(schema.TableCPU, "web1", lo, hi, cols...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
				t.Errorf("raw %s %v-%v (-Scan +ScanDay):\n%s", day.Format(time.DateOnly), w.from, w.to, diff)
			}
			for _, res := range resolutions {
				got, err := s.ScanDay(res, p, w.from, w.to, rollupCols...)
				if err != nil {
					t.Fatal(err)
				}
				want, err := s.ScanRollup(res, schema.TableCPU, "web1", lo, hi, rollupCols...)
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
					t.Errorf("%v %s (-ScanRollup +ScanDay):\n%s", res, day.Format(time.DateOnly), diff)
				}
				if day.Equal(rollupDay0) && w.to.Sub(w.from) == 24*time.Hour && got.Len() == 0 {
					t.Errorf("%v: the compacted day has no rollup rows", res)
				}
			}
		}
	}
	if _, err := s.ScanDay(Raw, Partition{Table: "nope", Host: "web1", Day: rollupDay0}, rollupDay0, rollupDay0.Add(time.Hour)); err == nil {
		t.Error("ScanDay of an unknown table: no error")
	}
	if _, err := s.ScanDay(Raw, Partition{Table: schema.TableCPU, Host: "../x", Day: rollupDay0}, rollupDay0, rollupDay0.Add(time.Hour)); err == nil {
		t.Error("ScanDay of a bad host name: no error")
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
