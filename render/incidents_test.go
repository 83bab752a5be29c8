package render

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"almanac/archive"
)

func TestIncidents(t *testing.T) {
	us := func(m int) int64 { return time.Date(2026, 11, 30, 12, m, 0, 0, time.UTC).UnixMicro() }
	type row struct {
		at                       int64
		rule, series, state, sev string
		since                    int64
		peak                     float64
		silenced                 float64
	}
	rows := []row{
		{us(0), "fs", "mountpoint=/var", "pending", "warn", us(0), 91, 0},
		{us(5), "fs", "mountpoint=/var", "firing", "warn", us(0), 92, 0},
		{us(6), "fs", "mountpoint=/var", "escalated", "crit", us(0), 96, 0},
		{us(20), "fs", "mountpoint=/var", "resolved", "crit", us(0), 97.5, 0},
		{us(30), "mem", "", "firing", "warn", us(29), 8, 1},
		{us(31), "oom", "", "event", "warn", us(31), 2, 0},
		{us(40), "load", "", "pending", "warn", us(40), 3, 0},
		{us(41), "load", "", "cancelled", "warn", us(40), 3, 0},
	}
	f := &archive.Frame{Num: map[string][]float64{}, Str: map[string][]string{}}
	for _, r := range rows {
		f.Time = append(f.Time, r.at)
		f.Str["rule"] = append(f.Str["rule"], r.rule)
		f.Str["series"] = append(f.Str["series"], r.series)
		f.Str["state"] = append(f.Str["state"], r.state)
		f.Str["severity"] = append(f.Str["severity"], r.sev)
		f.Num["since"] = append(f.Num["since"], float64(r.since))
		f.Num["peak"] = append(f.Num["peak"], r.peak)
		f.Num["silenced"] = append(f.Num["silenced"], r.silenced)
	}
	got := incidents(f, us(45), nil)
	want := []IncidentRow{
		{Rule: "oom", Severity: "warn", Start: mkTime(us(31), nil), End: mkTime(us(31), nil), Event: true, Duration: fmtDuration(0), Peak: "2", From: us(31), To: us(31)},
		{Rule: "mem", Severity: "warn", Start: mkTime(us(29), nil), Ongoing: true, Duration: fmtDuration(16 * time.Minute), Seconds: 960, Peak: "8", Silenced: true, From: us(29), To: us(45)},
		{Rule: "fs", Series: "mountpoint=/var", Severity: "crit", Start: mkTime(us(0), nil), End: mkTime(us(20), nil),
			Duration: fmtDuration(20 * time.Minute), Seconds: 1200, Peak: "97.5", From: us(0), To: us(20)},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(IncidentRow{})); diff != "" {
		t.Errorf("incidents (-want +got):\n%s", diff)
	}
}
