package archive

import (
	"almanac/schema"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// TestRollupProcess checks the per-hour rollup of the process table
// against values computed by hand: one row per process identity (pid and
// start time) and hour, a reused pid staying two identities.
func TestRollupProcess(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	start1 := rollupDay0.Add(-time.Hour).UnixMicro()       // pid 100, the first process
	start2 := rollupDay0.Add(90 * time.Minute).UnixMicro() // pid 100 again, a new process
	start7 := rollupDay0.Add(-48 * time.Hour).UnixMicro()
	type in struct {
		at                time.Duration
		pid               int32
		start             int64
		comm, user, state string
		usr, sys          float64
		rss               int64
		threads           int32
	}
	rows := []in{
		{10 * time.Second, 7, start7, "init", "root", "S", 0, 0, 50, 1},
		{10 * time.Second, 100, start1, "a", "root", "S", 10, 1, 100, 2},
		{30*time.Minute + 10*time.Second, 100, start1, "a2", "root", "R", 20, 3, 300, 4},
		{time.Hour + 10*time.Second, 100, start1, "a2", "root", "S", 5, 0, 200, 1},
		{90*time.Minute + 10*time.Second, 100, start2, "b", "www", "R", 50, 5, 1000, 8},
	}
	var bs []*schema.Batch
	for _, r := range rows {
		at := rollupDay0.Add(r.at)
		cmd := "/bin/" + r.comm
		b := &schema.Batch{Time: at, Process: []schema.ProcessRow{{
			Time: at.UnixMicro(), PID: r.pid, PPID: 1, StartTime: r.start, User: r.user, Comm: r.comm, State: r.state,
			CPUUserPct: schema.ToCenti(r.usr), CPUSystemPct: schema.ToCenti(r.sys), RSSBytes: r.rss,
			VSizeBytes: 4 * r.rss, Threads: r.threads, Cmdline: &cmd,
		}}}
		// One batch per time: rows of the same time go together.
		if n := len(bs); n > 0 && bs[n-1].Time.Equal(at) {
			bs[n-1].Process = append(bs[n-1].Process, b.Process...)
			continue
		}
		bs = append(bs, b)
	}
	writeBatches(t, s, "web1", bs)
	st, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1).Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Rollups, 1; got != want {
		t.Errorf("Compact wrote %d rollups, want %d (process: per hour only)", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, rollupDir, "1m", schema.TableProcess)); !os.IsNotExist(err) {
		t.Errorf("a per-minute process rollup folder exists (stat: %v)", err)
	}
	if _, err := s.ScanRollup(PerMinute, schema.TableProcess, "web1", rollupDay0, rollupDay0.AddDate(0, 0, 1), "rss_bytes_max"); err == nil {
		t.Error("ScanRollup of the process table per minute: no error")
	}
	days, err := s.RollupDays(PerHour, schema.TableProcess, "web1")
	if err != nil || len(days) != 1 || !days[0].Equal(rollupDay0) {
		t.Errorf("RollupDays(1h, process) = %v, %v; want [%v]", days, err, rollupDay0)
	}
	got := scanRollup(t, s, PerHour, schema.TableProcess, "pid", "start_time", "comm", "user", "state",
		"cpu_user_pct_min", "cpu_user_pct_avg", "cpu_user_pct_max",
		"cpu_system_pct_min", "cpu_system_pct_avg", "cpu_system_pct_max",
		"rss_bytes_avg", "rss_bytes_max", "threads_max", SamplesColumn)
	m, hour := rollupDay0.UnixMicro(), time.Hour.Microseconds()
	want := &Frame{
		// By hour, then by pid and start time.
		Time: []int64{m, m, m + hour, m + hour},
		Str: map[string][]string{
			"comm":  {"init", "a2", "a2", "b"},
			"user":  {"root", "root", "root", "www"},
			"state": {"S", "R", "S", "R"},
		},
		Num: map[string][]float64{
			"pid":                {7, 100, 100, 100},
			"start_time":         {float64(start7), float64(start1), float64(start1), float64(start2)},
			"cpu_user_pct_min":   {0, 10, 5, 50},
			"cpu_user_pct_avg":   {0, 15, 5, 50},
			"cpu_user_pct_max":   {0, 20, 5, 50},
			"cpu_system_pct_min": {0, 1, 0, 5},
			"cpu_system_pct_avg": {0, 2, 0, 5},
			"cpu_system_pct_max": {0, 3, 0, 5},
			"rss_bytes_avg":      {50, 200, 200, 1000},
			"rss_bytes_max":      {50, 300, 200, 1000},
			"threads_max":        {1, 4, 1, 8},
			SamplesColumn:        {1, 2, 1, 1},
		},
	}
	if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
		t.Errorf("process rollup mismatch (-want +got):\n%s", diff)
	}
}

func TestRollupProcessSchema(t *testing.T) {
	var names []string
	for _, p := range rollupSpecs[schema.TableProcess].schema.Columns() {
		names = append(names, strings.Join(p, "."))
	}
	for _, want := range []string{"time", "pid", "start_time", "comm", "user", "state", "cpu_user_pct_avg",
		"cpu_system_pct_max", "rss_bytes_max", "rss_bytes_avg", "threads_max", "read_bytes_per_s_avg",
		"write_bytes_per_s_avg", "unit", "container", SamplesColumn} {
		if !slices.Contains(names, want) {
			t.Errorf("process rollup columns %v lack %s", names, want)
		}
	}
	for _, not := range []string{"cmdline", "vsize_bytes_max", "gpu_mem_bytes_max", "cgroup", "ppid"} {
		if slices.Contains(names, not) {
			t.Errorf("process rollup columns %v hold %s", names, not)
		}
	}
}
