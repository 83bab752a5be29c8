package archive

import (
	"testing"
	"time"

	"almanac/schema"

	"github.com/google/go-cmp/cmp"
)

func TestPlanDay(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	today := Day(now)
	ago := func(days int) time.Time { return today.AddDate(0, 0, -days) }
	both := []Resolution{PerMinute, PerHour}
	tests := []struct {
		name     string
		day      time.Time
		table    string
		current  []Resolution
		rawAfter time.Time
		want     Resolution
	}{
		{name: "today", day: today, table: schema.TableCPU, current: both, want: Raw},
		{name: "yesterday ends in the last 24 h", day: ago(1), table: schema.TableCPU, current: both, want: Raw},
		{name: "two days ago ends before the last 24 h", day: ago(2), table: schema.TableCPU, current: both, want: PerMinute},
		{name: "29 days ago: per minute", day: ago(29), table: schema.TableCPU, current: both, want: PerMinute},
		{name: "30 days ago ends in the 30 days", day: ago(30), table: schema.TableCPU, current: both, want: PerMinute},
		{name: "31 days ago: per hour", day: ago(31), table: schema.TableCPU, current: both, want: PerHour},
		{name: "a year ago", day: ago(365), table: schema.TableDisk, current: both, want: PerHour},
		{name: "not compacted", day: ago(10), table: schema.TableCPU, want: Raw},
		{name: "per-minute rollup missing", day: ago(10), table: schema.TableCPU, current: []Resolution{PerHour}, want: Raw},
		{name: "per-hour rollup missing", day: ago(40), table: schema.TableCPU, current: []Resolution{PerMinute}, want: Raw},
		{name: "covered by a range drawing every sample", day: ago(6), table: schema.TableCPU, current: both,
			rawAfter: now.AddDate(0, 0, -7), want: Raw},
		{name: "older than a range drawing every sample", day: ago(8), table: schema.TableCPU, current: both,
			rawAfter: now.AddDate(0, 0, -7), want: PerMinute},
		{name: "rawAfter later than 24 h ago changes nothing", day: ago(1), table: schema.TableCPU, current: both,
			rawAfter: now, want: Raw},
		{name: "system charts use rollups", day: ago(40), table: schema.TableSystem, current: both, want: PerHour},
		{name: "host table has no rollups", day: ago(40), table: schema.TableHost, current: both, want: Raw},
		{name: "process: per hour only, any closed day", day: ago(1), table: schema.TableProcess,
			current: []Resolution{PerHour}, want: PerHour},
		{name: "process in the 30 days: per hour", day: ago(10), table: schema.TableProcess,
			current: []Resolution{PerHour}, rawAfter: now.AddDate(0, 0, -30), want: PerHour},
		{name: "process without its rollup", day: ago(40), table: schema.TableProcess, want: Raw},
		{name: "proc_group in the 30 days: per hour, its only rollup", day: ago(10), table: schema.TableProcGroup,
			current: []Resolution{PerHour}, want: PerHour},
		{name: "proc_group yesterday: raw", day: ago(1), table: schema.TableProcGroup,
			current: []Resolution{PerHour}, want: Raw},
		{name: "process with a stray per-minute rollup only", day: ago(40), table: schema.TableProcess,
			current: []Resolution{PerMinute}, want: Raw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlanDay(now, tt.day, tt.table, tt.current, tt.rawAfter); got != tt.want {
				t.Errorf("PlanDay(%s, %s) = %v, want %v", tt.day.Format(time.DateOnly), tt.table, got, tt.want)
			}
		})
	}
}

// At midnight, days end exactly at the window edges: a day that ends 24
// hours (or 30 days) ago is out of the window.
func TestPlanDayMidnight(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	both := []Resolution{PerMinute, PerHour}
	tests := []struct {
		name string
		day  time.Time
		want Resolution
	}{
		{"yesterday ends now", now.AddDate(0, 0, -1), Raw},
		{"ends exactly 24 h ago", now.AddDate(0, 0, -2), PerMinute},
		{"ends 29 days ago", now.AddDate(0, 0, -30), PerMinute},
		{"ends exactly 30 days ago", now.AddDate(0, 0, -31), PerHour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlanDay(now, tt.day, schema.TableCPU, both, time.Time{}); got != tt.want {
				t.Errorf("PlanDay(%s) = %v, want %v", tt.day.Format(time.DateOnly), got, tt.want)
			}
		})
	}
}

func TestReadsRaw(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	old := Day(now).AddDate(0, 0, -40)
	tests := []struct {
		name  string
		day   time.Time
		table string
		want  bool
	}{
		{"system, any day", old, schema.TableSystem, true},
		{"host, any day", old, schema.TableHost, true},
		{"process, yesterday", Day(now).AddDate(0, 0, -1), schema.TableProcess, true},
		{"process, two days ago", Day(now).AddDate(0, 0, -2), schema.TableProcess, false},
		{"cpu", Day(now), schema.TableCPU, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReadsRaw(now, tt.day, tt.table); got != tt.want {
				t.Errorf("ReadsRaw = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCurrentRollups(t *testing.T) {
	tests := []struct {
		name    string
		names   []string
		rollups map[Resolution][]string
		want    []Resolution
	}{
		{"both current", []string{"day-5.parquet"},
			map[Resolution][]string{PerMinute: {"day-5.s2.parquet"}, PerHour: {"day-5.s2.parquet"}}, []Resolution{PerMinute, PerHour}},
		{"one current", []string{"day-5.parquet"},
			map[Resolution][]string{PerHour: {"day-5.s2.parquet"}}, []Resolution{PerHour}},
		{"rollup of an older day file", []string{"day-7.parquet"},
			map[Resolution][]string{PerMinute: {"day-5.s2.parquet"}, PerHour: {"day-5.s2.parquet"}}, nil},
		{"a late part", []string{"day-5.parquet", "part-9.parquet"},
			map[Resolution][]string{PerMinute: {"day-5.s2.parquet"}, PerHour: {"day-5.s2.parquet"}}, nil},
		{"covered parts left by a crash do not count", []string{"day-5.parquet", "part-3.parquet"},
			map[Resolution][]string{PerMinute: {"day-5.s2.parquet"}}, []Resolution{PerMinute}},
		{"not compacted", []string{"part-1.parquet", "part-2.parquet"},
			map[Resolution][]string{PerMinute: {"day-5.s2.parquet"}}, nil},
		{"raw rows left out of a copy: its rollups serve", nil,
			map[Resolution][]string{PerMinute: {"day-5.s2.parquet"}, PerHour: {"day-4.s2.parquet", "day-5.s2.parquet"}}, []Resolution{PerMinute, PerHour}},
		{"no raw files and only a stray tmp rollup", nil, map[Resolution][]string{PerMinute: {"day-5.s2.parquet.tmp"}}, nil},
		{"a rollup of another schema version is not current", []string{"day-5.parquet"},
			map[Resolution][]string{PerMinute: {"day-5.parquet"}, PerHour: {"day-5.s1.parquet"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, currentRollups(tt.names, tt.rollups)); diff != "" {
				t.Errorf("currentRollups (-want +got):\n%s", diff)
			}
		})
	}
}
