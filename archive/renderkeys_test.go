package archive

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRenderKeys(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	old := "2026-09-01"    // older than 31 days
	recent := "2026-11-10" // within 31 days
	tests := []struct {
		name string
		keys []string
		want []string // nil: the same as keys
	}{
		{name: "old day with current rollups: raw left out", keys: []string{
			"cpu/host=a/date=" + old + "/day-5.parquet",
			"rollup/1m/cpu/host=a/date=" + old + "/day-5.s2.parquet",
			"rollup/1h/cpu/host=a/date=" + old + "/day-5.s2.parquet",
		}, want: []string{
			"rollup/1m/cpu/host=a/date=" + old + "/day-5.s2.parquet",
			"rollup/1h/cpu/host=a/date=" + old + "/day-5.s2.parquet",
		}},
		{name: "recent day kept raw", keys: []string{
			"cpu/host=a/date=" + recent + "/day-5.parquet",
			"rollup/1m/cpu/host=a/date=" + recent + "/day-5.s2.parquet",
			"rollup/1h/cpu/host=a/date=" + recent + "/day-5.s2.parquet",
		}},
		{name: "rollup of an older day file is not current", keys: []string{
			"cpu/host=a/date=" + old + "/day-7.parquet",
			"rollup/1m/cpu/host=a/date=" + old + "/day-5.s2.parquet",
			"rollup/1h/cpu/host=a/date=" + old + "/day-5.s2.parquet",
		}},
		{name: "a late part makes the rollup stale", keys: []string{
			"cpu/host=a/date=" + old + "/day-5.parquet",
			"cpu/host=a/date=" + old + "/part-9.parquet",
			"rollup/1m/cpu/host=a/date=" + old + "/day-5.s2.parquet",
			"rollup/1h/cpu/host=a/date=" + old + "/day-5.s2.parquet",
		}},
		{name: "rollups of another schema version are not current", keys: []string{
			"cpu/host=a/date=" + old + "/day-5.parquet",
			"rollup/1m/cpu/host=a/date=" + old + "/day-5.parquet",
			"rollup/1h/cpu/host=a/date=" + old + "/day-5.parquet",
		}},
		{name: "one resolution missing", keys: []string{
			"cpu/host=a/date=" + old + "/day-5.parquet",
			"rollup/1h/cpu/host=a/date=" + old + "/day-5.s2.parquet",
		}},
		{name: "process needs its hourly rollup only", keys: []string{
			"process/host=a/date=" + old + "/day-5.parquet",
			"rollup/1h/process/host=a/date=" + old + "/day-5.s2.parquet",
		}, want: []string{"rollup/1h/process/host=a/date=" + old + "/day-5.s2.parquet"}},
		{name: "system and host always kept", keys: []string{
			"system/host=a/date=" + old + "/day-5.parquet",
			"rollup/1m/system/host=a/date=" + old + "/day-5.s2.parquet",
			"rollup/1h/system/host=a/date=" + old + "/day-5.s2.parquet",
			"host/host=a/date=" + old + "/day-5.parquet",
		}},
		{name: "31 days ago still kept raw", keys: []string{
			"cpu/host=a/date=2026-10-24/day-5.parquet",
			"rollup/1m/cpu/host=a/date=2026-10-24/day-5.s2.parquet",
			"rollup/1h/cpu/host=a/date=2026-10-24/day-5.s2.parquet",
		}},
		{name: "32 days ago: raw left out", keys: []string{
			"cpu/host=a/date=2026-10-23/day-5.parquet",
			"rollup/1m/cpu/host=a/date=2026-10-23/day-5.s2.parquet",
			"rollup/1h/cpu/host=a/date=2026-10-23/day-5.s2.parquet",
		}, want: []string{
			"rollup/1m/cpu/host=a/date=2026-10-23/day-5.s2.parquet",
			"rollup/1h/cpu/host=a/date=2026-10-23/day-5.s2.parquet",
		}},
		{name: "not compacted: parts kept", keys: []string{
			"disk/host=a/date=" + old + "/part-1.parquet",
			"disk/host=a/date=" + old + "/part-2.parquet",
		}},
		{name: "process: rollup serves any day but the last 24 hours", keys: []string{
			"process/host=a/date=" + recent + "/day-5.parquet",
			"process/host=a/date=2026-11-23/day-5.parquet",
			"rollup/1h/process/host=a/date=" + recent + "/day-5.s2.parquet",
			"rollup/1h/process/host=a/date=2026-11-23/day-5.s2.parquet",
		}, want: []string{
			"process/host=a/date=2026-11-23/day-5.parquet",
			"rollup/1h/process/host=a/date=" + recent + "/day-5.s2.parquet",
			"rollup/1h/process/host=a/date=2026-11-23/day-5.s2.parquet",
		}},
		{name: "process with a late part", keys: []string{
			"process/host=a/date=" + old + "/day-5.parquet",
			"process/host=a/date=" + old + "/part-6.parquet",
			"rollup/1h/process/host=a/date=" + old + "/day-5.s2.parquet",
		}},
		{name: "not data files kept", keys: []string{"README", "x/y/z.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = tt.keys
			}
			if diff := cmp.Diff(want, RenderKeys(tt.keys, now)); diff != "" {
				t.Errorf("RenderKeys (-want +got):\n%s", diff)
			}
		})
	}
}
