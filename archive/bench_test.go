package archive

// Run with: go test ./archive -run '^$' -bench . -benchmem
// BenchmarkDaySize writes and compacts a whole day (8640 samples); it
// takes a minute or so and reports the bytes on disk per stored value.

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"almanac/schema"
	"almanac/synth"
)

// benchHost is a small server: 4 cores, two disks, two interfaces, three
// filesystems, three sensors.
func benchHost(procs int) synth.Host {
	return synth.Host{Name: "bench", Cores: 4, Processes: procs, Seed: 42}
}

func BenchmarkAppend(b *testing.B) {
	// journal: Append alone (no flush during the run); flush5m: with a
	// flush every 5 minutes of sample time, amortized; fsync: with the
	// fsync of every append, as the sampler runs.
	for _, bc := range []struct {
		name  string
		procs int
		sync  bool
		flush time.Duration
	}{
		{"system/journal", 0, false, 24 * time.Hour},
		{"system/flush5m", 0, false, 5 * time.Minute},
		{"system/fsync", 0, true, 24 * time.Hour},
		{"system+300proc/journal", 300, false, 24 * time.Hour},
		{"system+300proc/flush5m", 300, false, 5 * time.Minute},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g := synth.New(benchHost(bc.procs))
			start := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
			const n = 720 // two hours at 10 s
			bs := make([]*schema.Batch, n)
			for i := range bs {
				bs[i] = g.Batch(start.Add(time.Duration(i) * 10 * time.Second))
			}
			var w *Writer
			open := func() {
				s, err := Open(b.TempDir(), testLog(b))
				if err != nil {
					b.Fatal(err)
				}
				w, err = s.Writer("bench", WriterOptions{NoSync: !bc.sync, FlushEvery: bc.flush})
				if err != nil {
					b.Fatal(err)
				}
			}
			open()
			b.ReportAllocs()
			var cpu time.Duration
			mark := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 && i%n == 0 {
					b.StopTimer()
					cpu += cpuTime() - mark
					w.Close()
					open()
					mark = cpuTime()
					b.StartTimer()
				}
				if err := w.Append(bs[i%n]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu += cpuTime() - mark
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			w.Close()
		})
	}
}

// peakRSS returns the peak resident set size of the process (VmHWM).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime returns the CPU time (user and system) of the process so far.
// Benchmarks report it beside the wall time: on a shared machine the wall
// time also counts waiting for the disk and for the other processes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// daySize writes a day of samples of h at a 10 s interval, compacts it,
// and returns the bytes on disk, rows and stored values (rows times the
// columns other than time) of each table, and the bytes of its rollups
// (per minute and per hour).
type tableSize struct{ bytes, rows, values, rollupBytes int64 }

func daySize(b *testing.B, h synth.Host) map[string]tableSize {
	b.Helper()
	dir := b.TempDir()
	s, err := Open(dir, testLog(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w, err := s.Writer(h.Name, WriterOptions{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	g := synth.New(h)
	start := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
	for i := range 8640 {
		if err := w.Append(g.Batch(start.Add(time.Duration(i) * 10 * time.Second))); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	// Reset the peak RSS (VmHWM) so that it tells the compaction's peak.
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	if base := peakRSS(); base > 0 {
		b.ReportMetric(float64(base)/(1<<20), "before-compact-RSS-MB")
	}
	if _, err := s.Compact(h.Name, start.AddDate(0, 0, 1)); err != nil {
		b.Fatal(err)
	}
	if hwm := peakRSS(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "compact-peak-RSS-MB")
	}
	infos, err := s.List()
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]tableSize{}
	for _, in := range infos {
		cols := int64(len(tables[in.Table].schema().Columns()) - 1)
		ts := out[in.Table]
		ts.bytes += in.Bytes
		ts.rows += in.Rows
		ts.values += in.Rows * cols
		out[in.Table] = ts
	}
	// The rollups: rollup/<res>/<table>/host=…/date=…/*.parquet.
	filepath.WalkDir(filepath.Join(dir, rollupDir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return nil
		}
		rel, _ := filepath.Rel(filepath.Join(dir, rollupDir), p)
		if parts := strings.Split(filepath.ToSlash(rel), "/"); len(parts) > 2 {
			if info, err := d.Info(); err == nil {
				ts := out[parts[1]]
				ts.rollupBytes += info.Size()
				out[parts[1]] = ts
			}
		}
		return nil
	})
	// Only day files remain.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "part-") {
			b.Errorf("part left after compaction: %s", p)
		}
		return nil
	})
	return out
}

func BenchmarkDaySize(b *testing.B) {
	b.Run("system", func(b *testing.B) {
		var sys tableSize
		for range b.N {
			sizes := daySize(b, benchHost(0))
			sys = tableSize{}
			for table, ts := range sizes {
				b.Logf("%-12s %8d rows %9d values %8d bytes %.3f B/value, rollups %d bytes", table, ts.rows, ts.values, ts.bytes, float64(ts.bytes)/float64(ts.values), ts.rollupBytes)
				if table != schema.TableProcess {
					sys.bytes += ts.bytes
					sys.values += ts.values
					sys.rows += ts.rows
				}
			}
		}
		b.ReportMetric(float64(sys.bytes)/float64(sys.values), "B/value")
		b.ReportMetric(float64(sys.bytes), "B/day")
	})
	b.Run("process300", func(b *testing.B) {
		var p tableSize
		for range b.N {
			sizes := daySize(b, benchHost(300))
			p = sizes[schema.TableProcess]
			// With -v: every table of the host-day (the cgroup, proc_group
			// and oom_kill tables follow the processes).
			for _, table := range slices.Sorted(maps.Keys(sizes)) {
				ts := sizes[table]
				b.Logf("%-12s %8d rows %9d bytes, rollups %8d bytes", table, ts.rows, ts.bytes, ts.rollupBytes)
			}
		}
		b.ReportMetric(float64(p.bytes)/float64(p.rows), "B/row")
		b.ReportMetric(float64(p.bytes)/float64(p.values), "B/value")
		// The per-hour rollup, per raw row it summarizes.
		b.ReportMetric(float64(p.rollupBytes)/float64(p.rows), "rollup-B/row")
	})
}

// BenchmarkScan reads two columns of a compacted day of the cpu table (4
// cores + all, 10 s interval: 43200 rows) and of the process table (100
// processes: 864000 rows), and reports the cost per row returned.
func BenchmarkScan(b *testing.B) {
	_, s, start := compactedBenchDay(b)
	for _, bc := range []struct{ table, a, b string }{
		{"cpu", "cpu", "user_pct"},
		{"process", "pid", "rss_bytes"},
	} {
		b.Run(bc.table, func(b *testing.B) {
			b.ReportAllocs()
			rows := 0
			for range b.N {
				f, err := s.Scan(bc.table, "bench", start, start.AddDate(0, 0, 1), bc.a, bc.b)
				if err != nil {
					b.Fatal(err)
				}
				rows = f.Len()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
		})
	}
}

// BenchmarkScanParts reads the process table (100 processes at 10 s) of
// an hour flushed every 5 minutes, 12 parts, as a render reads the open
// hour: the frame's columns are grown once for the twelve, not at each.
func BenchmarkScanParts(b *testing.B) {
	start := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	_, s := writeBenchHost(b, start, 360, WriterOptions{NoSync: true})
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		f, err := s.Scan("process", "bench", start, start.Add(time.Hour), "pid", "rss_bytes", "comm")
		if err != nil {
			b.Fatal(err)
		}
		rows = f.Len()
	}
	if rows < 30000 {
		b.Fatalf("%d rows, want some 36,000", rows)
	}
	b.ReportMetric(float64(rows), "rows")
}

// writeBenchHost writes n samples of benchHost(100) at 10 s from start,
// as host "bench", into a new archive through a writer of opts, and
// returns the archive's folder and its Store (closed when b ends).
func writeBenchHost(b *testing.B, start time.Time, n int, opts WriterOptions) (string, *Store) {
	b.Helper()
	dir := b.TempDir()
	s, err := Open(dir, testLog(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	w, err := s.Writer("bench", opts)
	if err != nil {
		b.Fatal(err)
	}
	g := synth.New(benchHost(100))
	for i := range n {
		if err := w.Append(g.Batch(start.Add(time.Duration(i) * 10 * time.Second))); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return dir, s
}

// compactedBenchDay writes a day of benchHost(100) at 10 s into a new
// archive and compacts it, for the benchmarks that read a closed day. It
// returns the archive's folder, its Store (closed when b ends) and the day.
func compactedBenchDay(b *testing.B) (string, *Store, time.Time) {
	b.Helper()
	start := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
	dir, s := writeBenchHost(b, start, 8640, WriterOptions{NoSync: true, FlushEvery: time.Hour})
	if _, err := s.Compact("bench", start.AddDate(0, 0, 1)); err != nil {
		b.Fatal(err)
	}
	return dir, s, start
}
