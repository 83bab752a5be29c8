package archive

import (
	"almanac/schema"
	"slices"
	"strconv"
	"testing"
)

func TestReadKeys(t *testing.T) {
	s := ".s" + strconv.Itoa(schema.Version) + ".parquet"
	d := "2026-11-10"
	perMinute := func(table string) Resolution {
		if table == schema.TableProcess {
			return PerHour
		}
		return PerMinute
	}
	raw := func(string) Resolution { return Raw }
	hostA := func(p Partition) bool { return p.Host == "a" && p.Table != schema.TableMemory }
	tests := []struct {
		name string
		res  func(string) Resolution
		keys []string
		want []string
	}{
		{"current rollup instead of raw", perMinute, []string{
			"cpu/host=a/date=" + d + "/day-5.parquet",
			"rollup/1m/cpu/host=a/date=" + d + "/day-5" + s,
			"rollup/1h/cpu/host=a/date=" + d + "/day-5" + s,
		}, []string{"rollup/1m/cpu/host=a/date=" + d + "/day-5" + s}},
		{"raw asked for", raw, []string{
			"cpu/host=a/date=" + d + "/day-5.parquet",
			"rollup/1m/cpu/host=a/date=" + d + "/day-5" + s,
		}, []string{"cpu/host=a/date=" + d + "/day-5.parquet"}},
		{"a late part: raw", perMinute, []string{
			"cpu/host=a/date=" + d + "/day-5.parquet",
			"cpu/host=a/date=" + d + "/part-9.parquet",
			"rollup/1m/cpu/host=a/date=" + d + "/day-5" + s,
		}, []string{"cpu/host=a/date=" + d + "/day-5.parquet", "cpu/host=a/date=" + d + "/part-9.parquet"}},
		{"today's parts", perMinute, []string{
			"cpu/host=a/date=" + d + "/part-1.parquet",
			"cpu/host=a/date=" + d + "/part-2.parquet",
		}, []string{"cpu/host=a/date=" + d + "/part-1.parquet", "cpu/host=a/date=" + d + "/part-2.parquet"}},
		{"process: its hourly rollup", perMinute, []string{
			"process/host=a/date=" + d + "/day-5.parquet",
			"rollup/1h/process/host=a/date=" + d + "/day-5" + s,
		}, []string{"rollup/1h/process/host=a/date=" + d + "/day-5" + s}},
		{"other hosts and tables left out", perMinute, []string{
			"cpu/host=b/date=" + d + "/part-1.parquet",
			"memory/host=a/date=" + d + "/part-1.parquet",
			"rollup/1m/cpu/host=b/date=" + d + "/day-5" + s,
		}, nil},
		{"a rollup without its raw day", perMinute, []string{
			"rollup/1m/cpu/host=a/date=" + d + "/day-3" + s,
			"rollup/1m/cpu/host=a/date=" + d + "/day-5" + s,
			"rollup/1h/cpu/host=a/date=" + d + "/day-5" + s,
		}, []string{"rollup/1m/cpu/host=a/date=" + d + "/day-5" + s}},
		{"not archive data", perMinute, []string{"README", "rollup/9m/cpu/host=a/date=" + d + "/x.parquet", "../cpu/host=a/date=" + d + "/p.parquet"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReadKeys(tt.keys, tt.res, hostA)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ReadKeys = %q, want %q", got, tt.want)
			}
		})
	}
}
