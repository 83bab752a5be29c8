package archive

import (
	"almanac/schema"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// rollupDay0 is the closed day of the rollup tests.
var rollupDay0 = time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC)

// rollupBatches returns batches on rollupDay0 with known values: cpu
// "all" and "0", the system table and one filesystem whose device changes.
func rollupBatches() []*schema.Batch {
	type in struct {
		at       time.Duration
		all, one float64 // user_pct of cpu all and cpu 0
		load     float64
		dev      string
		ro       bool
	}
	rows := []in{
		{10 * time.Second, 10.5, 1, 0.5, "sda1", false},
		{30 * time.Second, 20, 2, 1.25, "sda1", true},
		{50 * time.Second, 3.25, 4, 0.75, "sdb1", false},
		{70 * time.Second, 7, 8, 2, "sdb1", false},
		{time.Hour + 10*time.Second, 50, 16, 4, "sdc1", false},
	}
	var out []*schema.Batch
	for _, r := range rows {
		at := rollupDay0.Add(r.at)
		us := at.UnixMicro()
		out = append(out, &schema.Batch{
			Time: at,
			CPU: []schema.CPURow{
				{Time: us, CPU: "all", UserPct: schema.ToCenti(r.all), IdlePct: schema.ToCenti(100 - r.all)},
				{Time: us, CPU: "0", UserPct: schema.ToCenti(r.one)},
			},
			System: []schema.SystemRow{{Time: us, BootTime: 1, IntervalMs: 10000, Load1: schema.ToCenti(r.load), ProcsRunning: 3}},
			Filesystem: []schema.FilesystemRow{{Time: us, Mountpoint: "/", Device: r.dev, FSType: "ext4",
				UsedBytes: int64(r.at / time.Second), ReadOnly: r.ro}},
		})
	}
	return out
}

func writeBatches(t *testing.T, s *Store, host string, bs []*schema.Batch) {
	t.Helper()
	w, err := s.Writer(host, WriterOptions{NoSync: true, FlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, w, bs)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func scanRollup(t *testing.T, s *Store, res Resolution, table string, cols ...string) *Frame {
	t.Helper()
	f, err := s.ScanRollup(res, table, "web1", rollupDay0, rollupDay0.AddDate(0, 0, 1), cols...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var frameOpts = []gocmp.Option{cmpopts.EquateNaNs(), cmpopts.EquateApprox(0, 1e-9), cmpopts.EquateEmpty()}

func TestRollupValues(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	writeBatches(t, s, "web1", rollupBatches())
	if days, err := s.RollupDays(PerMinute, schema.TableCPU, "web1"); err != nil || len(days) != 0 {
		t.Fatalf("RollupDays before compaction = %v, %v; want none", days, err)
	}
	st, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1).Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// cpu, system and filesystem at 1m and 1h; other tables have no rows.
	if got, want := st.Rollups, 6; got != want {
		t.Errorf("Compact wrote %d rollups, want %d", got, want)
	}
	m := rollupDay0.UnixMicro()
	minute, hour := time.Minute.Microseconds(), time.Hour.Microseconds()
	us := func(d ...int64) []int64 { return d }
	// Means keep the column's precision (two decimals here).
	r2 := func(x float64) float64 { return math.Round(x*100) / 100 }

	t.Run("cpu per minute", func(t *testing.T) {
		got := scanRollup(t, s, PerMinute, schema.TableCPU, "cpu", "user_pct_min", "user_pct_avg", "user_pct_max", SamplesColumn)
		// Rows sorted by time, keys in key order within a time.
		want := &Frame{
			Time: us(m, m, m+minute, m+minute, m+hour, m+hour),
			Str:  map[string][]string{"cpu": {"0", "all", "0", "all", "0", "all"}},
			Num: map[string][]float64{
				"user_pct_min": {1, 3.25, 8, 7, 16, 50},
				"user_pct_avg": {r2((1 + 2 + 4) / 3.0), r2((10.5 + 20 + 3.25) / 3), 8, 7, 16, 50},
				"user_pct_max": {4, 20, 8, 7, 16, 50},
				SamplesColumn:  {3, 3, 1, 1, 1, 1},
			},
		}
		if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
			t.Errorf("ScanRollup mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("cpu per hour", func(t *testing.T) {
		got := scanRollup(t, s, PerHour, schema.TableCPU, "cpu", "user_pct_min", "user_pct_avg", "user_pct_max", SamplesColumn)
		want := &Frame{
			Time: us(m, m, m+hour, m+hour),
			Str:  map[string][]string{"cpu": {"0", "all", "0", "all"}},
			Num: map[string][]float64{
				"user_pct_min": {1, 3.25, 16, 50},
				"user_pct_avg": {r2((1 + 2 + 4 + 8) / 4.0), r2((10.5 + 20 + 3.25 + 7) / 4), 16, 50},
				"user_pct_max": {8, 20, 16, 50},
				SamplesColumn:  {4, 4, 1, 1},
			},
		}
		if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
			t.Errorf("ScanRollup mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("system and filesystem per hour", func(t *testing.T) {
		got := scanRollup(t, s, PerHour, schema.TableSystem, "load1_min", "load1_avg", "load1_max", "procs_running_max", "procs_running_avg")
		want := &Frame{
			Time: us(m, m+hour),
			Str:  map[string][]string{},
			Num: map[string][]float64{
				"load1_min": {0.5, 4}, "load1_avg": {r2((0.5 + 1.25 + 0.75 + 2) / 4), 4}, "load1_max": {2, 4},
				"procs_running_avg": {3, 3},
				"procs_running_max": {3, 3},
			},
		}
		if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
			t.Errorf("system mismatch (-want +got):\n%s", diff)
		}
		got = scanRollup(t, s, PerHour, schema.TableFilesystem, "mountpoint", "device", "used_bytes_max", "read_only")
		want = &Frame{
			Time: us(m, m+hour),
			Str:  map[string][]string{"mountpoint": {"/", "/"}, "device": {"sdb1", "sdc1"}},
			Num: map[string][]float64{
				"used_bytes_max": {70, 3610},
				"read_only":      {0, 0}, // a label: the bucket's newest value
			},
		}
		if diff := gocmp.Diff(want, got, frameOpts...); diff != "" {
			t.Errorf("filesystem mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := s.ScanRollup(PerMinute, schema.TableProcess, "web1", rollupDay0, rollupDay0.AddDate(0, 0, 1), "rss_bytes_max"); err == nil {
			t.Error("ScanRollup of the process table: no error")
		}
		if _, err := s.ScanRollup(PerMinute, schema.TableCPU, "web1", rollupDay0, rollupDay0.AddDate(0, 0, 1), "user_pct"); err == nil {
			t.Error("ScanRollup of a raw column name: no error")
		}
		if _, err := s.ScanRollup(Resolution(time.Second), schema.TableCPU, "web1", rollupDay0, rollupDay0.AddDate(0, 0, 1), "user_pct_max"); err == nil {
			t.Error("ScanRollup at 1s: no error")
		}
	})
}

// rollupNames returns the rollup files under dir, relative to it.
func rollupNames(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(dir, rollupDir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func TestRollupLifecycle(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	writeBatches(t, s, "web1", rollupBatches())
	now := rollupDay0.AddDate(0, 0, 1).Add(time.Hour)
	if _, err := s.Compact("web1", now); err != nil {
		t.Fatal(err)
	}
	first := rollupNames(t, dir)
	if len(first) != 6 {
		t.Fatalf("rollup files after compaction: %v, want 6", first)
	}
	stat := func(name string) time.Time {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	mtime := stat(first[0])

	t.Run("written once", func(t *testing.T) {
		st, err := s.Compact("web1", now)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rollups != 0 || st.Partitions != 0 {
			t.Errorf("second Compact: %+v, want nothing done", st)
		}
		if diff := gocmp.Diff(first, rollupNames(t, dir)); diff != "" {
			t.Errorf("rollup files changed (-want +got):\n%s", diff)
		}
		if !stat(first[0]).Equal(mtime) {
			t.Errorf("%s was rewritten", first[0])
		}
	})
	t.Run("shipped and listed", func(t *testing.T) {
		keys, err := s.ClosedFiles()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range first {
			if !slices.Contains(keys, f) {
				t.Errorf("ClosedFiles lacks %s", f)
			}
		}
		hosts, err := s.Hosts()
		if err != nil || !slices.Equal(hosts, []string{"web1"}) {
			t.Errorf("Hosts = %v, %v; want [web1]", hosts, err)
		}
		infos, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if in.Files != 1 {
				t.Errorf("List: %+v, want one file", in)
			}
		}
	})
	t.Run("late part", func(t *testing.T) {
		late := rollupBatches()[4]
		late.Time = late.Time.Add(time.Minute)
		late.CPU = []schema.CPURow{{Time: late.Time.UnixMicro(), CPU: "all", UserPct: schema.ToCenti(99)}}
		late.System, late.Filesystem = nil, nil
		writeBatches(t, s, "web1", []*schema.Batch{late})
		days, err := s.RollupDays(PerHour, schema.TableCPU, "web1")
		if err != nil || len(days) != 0 {
			t.Errorf("RollupDays with a late part = %v, %v; want none (read raw)", days, err)
		}
		if f := scanRollup(t, s, PerHour, schema.TableCPU, "user_pct_max"); f.Len() != 0 {
			t.Errorf("ScanRollup with a late part: %d rows, want 0", f.Len())
		}
		st, err := s.Compact("web1", now)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rollups != 2 {
			t.Errorf("Compact after a late part wrote %d rollups, want 2 (cpu 1m and 1h)", st.Rollups)
		}
		got := scanRollup(t, s, PerHour, schema.TableCPU, "cpu", "user_pct_max")
		if want := []float64{8, 20, 16, 99}; !slices.Equal(got.Num["user_pct_max"], want) {
			t.Errorf("user_pct_max after the late part = %v, want %v", got.Num["user_pct_max"], want)
		}
		if n := len(rollupNames(t, dir)); n != 6 {
			t.Errorf("%d rollup files, want 6 (older ones removed)", n)
		}
	})
	t.Run("backfill", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(dir, rollupDir)); err != nil {
			t.Fatal(err)
		}
		st, err := s.Compact("web1", now)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rollups != 6 || st.Partitions != 0 {
			t.Errorf("Compact of an archive without rollups: %+v, want 6 rollups and no partition", st)
		}
		days, err := s.RollupDays(PerMinute, schema.TableSystem, "web1")
		if err != nil || len(days) != 1 || !days[0].Equal(rollupDay0) {
			t.Errorf("RollupDays = %v, %v; want [%v]", days, err, rollupDay0)
		}
	})
	t.Run("pruned with their day", func(t *testing.T) {
		if _, err := s.Prune(rollupDay0.AddDate(0, 0, 10), 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if got := rollupNames(t, dir); len(got) != 0 {
			t.Errorf("rollups left after prune: %v", got)
		}
	})
}

func TestRollupSchema(t *testing.T) {
	sp := rollupSpecs[schema.TableDisk]
	var names []string
	for _, p := range sp.schema.Columns() {
		names = append(names, strings.Join(p, "."))
	}
	for _, want := range []string{"time", "device", "busy_pct_min", "busy_pct_avg", "busy_pct_max", SamplesColumn} {
		if !slices.Contains(names, want) {
			t.Errorf("disk rollup columns %v lack %s", names, want)
		}
	}
	if slices.Contains(names, "busy_pct") {
		t.Errorf("disk rollup columns %v hold the raw busy_pct", names)
	}
	if HasRollups(schema.TableHost) {
		t.Error("host table has rollups")
	}
	if HasResolution(schema.TableProcess, PerMinute) || !HasResolution(schema.TableProcess, PerHour) {
		t.Error("process table: want per-hour rollups only")
	}
}

func TestRollupCorruptDayFile(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	writeBatches(t, s, "web1", rollupBatches())
	now := rollupDay0.AddDate(0, 0, 1).Add(time.Hour)
	if _, err := s.Compact("web1", now); err != nil {
		t.Fatal(err)
	}
	// The cpu day file is cut in half and its rollups are gone.
	days, _ := filepath.Glob(filepath.Join(dir, "cpu", "host=web1", "date=*", "day-*.parquet"))
	if len(days) != 1 {
		t.Fatalf("cpu day files: %v, want one", days)
	}
	b, err := os.ReadFile(days[0])
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(days[0], b[:len(b)/2], 0o644)
	os.RemoveAll(filepath.Join(dir, rollupDir, "1m", "cpu"))
	os.RemoveAll(filepath.Join(dir, rollupDir, "1h", "cpu"))
	st, err := s.Compact("web1", now)
	if !errorsIs(err, ErrCorrupt) {
		t.Fatalf("Compact error = %v, want ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), filepath.Base(days[0])) {
		t.Errorf("Compact error %q does not name %s", err, filepath.Base(days[0]))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(days[0]), "."+filepath.Base(days[0])+".corrupt")); err != nil {
		t.Errorf("damaged day file not set aside: %v", err)
	}
	if st.Rollups != 0 {
		t.Errorf("Compact wrote %d rollups from a damaged file", st.Rollups)
	}
	// The next compaction has nothing left to complain about.
	if _, err := s.Compact("web1", now); err != nil {
		t.Errorf("Compact after setting the file aside: %v", err)
	}
}

// TestRollupMatchesRaw compares the rollups of a day compacted into many
// row groups (keys repeat across them) with min, mean and max computed
// here from the raw rows.
func TestRollupMatchesRaw(t *testing.T) {
	defer func(n int) { mergeChunk = n }(mergeChunk)
	mergeChunk = 1000
	dir := t.TempDir()
	s := openStore(t, dir)
	start := rollupDay0.Add(22 * time.Hour)
	writeDays(t, s, "web1", start, 600, 10*time.Second) // 22:00 to 23:40, parts every 10 min
	end := rollupDay0.AddDate(0, 0, 1)
	raw, err := s.Scan(schema.TableCPU, "web1", rollupDay0, end, "cpu", "system_pct")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compact("web1", end.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, res := range resolutions {
		t.Run(res.String(), func(t *testing.T) {
			type key struct {
				t   int64
				cpu string
			}
			type agg struct{ lo, hi, sum, n float64 }
			aggs := map[key]*agg{}
			w := time.Duration(res).Microseconds()
			for i, ts := range raw.Time {
				k := key{ts - (ts-rollupDay0.UnixMicro())%w, raw.Str["cpu"][i]}
				v := raw.Num["system_pct"][i]
				a, ok := aggs[k]
				if !ok {
					a = &agg{lo: v, hi: v}
					aggs[k] = a
				}
				a.lo, a.hi, a.sum, a.n = min(a.lo, v), max(a.hi, v), a.sum+v, a.n+1
			}
			got, err := s.ScanRollup(res, schema.TableCPU, "web1", rollupDay0, end, "cpu", "system_pct_min", "system_pct_avg", "system_pct_max", SamplesColumn)
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != len(aggs) {
				t.Fatalf("%d rollup rows, want %d", got.Len(), len(aggs))
			}
			for i, ts := range got.Time {
				a, ok := aggs[key{ts, got.Str["cpu"][i]}]
				if !ok {
					t.Fatalf("rollup row %d (%v, %s) has no raw rows", i, time.UnixMicro(ts).UTC(), got.Str["cpu"][i])
				}
				wantRow := []float64{a.lo, math.Round(a.sum/a.n*100) / 100, a.hi, a.n}
				gotRow := []float64{got.Num["system_pct_min"][i], got.Num["system_pct_avg"][i], got.Num["system_pct_max"][i], got.Num[SamplesColumn][i]}
				if diff := gocmp.Diff(wantRow, gotRow, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
					t.Errorf("row %v %s: min, avg, max, samples (-want +got):\n%s", time.UnixMicro(ts).UTC(), got.Str["cpu"][i], diff)
				}
			}
		})
	}
}
