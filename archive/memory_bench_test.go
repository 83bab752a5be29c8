package archive

import (
	"io/fs"
	"os"
	"path/filepath"

	"almanac/internal/testfs"
	"almanac/schema"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"almanac/synth"
)

// BenchmarkFlushMemory appends 5 minutes of samples at 1 s of a host with
// 1,000 processes (300 batches, 300,000 process rows) to a journal, then
// flushes it into parts, and reports the peak resident memory of the
// flush (VmHWM, reset before it), the peaks of its RssAnon and RssFile
// and its CPU time, with the soft memory
// limit almanac sample sets (20 MiB) and without one, and with the limit
// and the GOGC almanac sample sets while an Append flushes (25,
// flushGCPercent in cmd/almanac). The budget is 30 MB
// for the whole sampler; the figure includes the test binary's own share.
//
//	go test ./archive -run '^$' -bench FlushMemory -benchtime 1x
func BenchmarkFlushMemory(b *testing.B) {
	type flushCase struct {
		name  string
		limit int64
		gc    int // GOGC during the flush; 0 leaves it
	}
	var cases []flushCase
	for _, l := range memoryLimits {
		cases = append(cases, flushCase{name: l.name, limit: l.limit})
	}
	cases = append(cases, flushCase{name: "limit20MiB-gogc25", limit: 20 << 20, gc: 25})
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				s, err := Open(b.TempDir(), testLog(b))
				if err != nil {
					b.Fatal(err)
				}
				w, err := s.Writer("bench", WriterOptions{NoSync: true, FlushEvery: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				g := synth.New(benchHost(1000))
				start := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
				for i := range 300 {
					if err := w.Append(g.Batch(start.Add(time.Duration(i) * time.Second))); err != nil {
						b.Fatal(err)
					}
				}
				g = nil
				done := measureMemory(b, bc.limit, "flush")
				if bc.gc > 0 {
					old := debug.SetGCPercent(bc.gc)
					err = w.Flush()
					debug.SetGCPercent(old)
				} else {
					err = w.Flush()
				}
				if err != nil {
					b.Fatal(err)
				}
				done()
				w.Close()
				s.Close()
			}
		})
	}
}

// benchDayOf300 writes (once, then reuses from $TMPDIR) a day of
// benchHost(300) at 10 s flushed every 5 minutes, as the sampler writes
// it: 288 parts per table.
func benchDayOf300(b *testing.B) string {
	return benchArchive(b, "almanac-compact-bench-v3", 300, benchDay, 8640, 10*time.Second)
}

// benchArchive writes (once, then reuses from $TMPDIR/name) n samples of
// benchHost(procs) every interval from start, flushed every 5 minutes as
// the sampler flushes.
func benchArchive(b *testing.B, name string, procs int, start time.Time, n int, interval time.Duration) string {
	b.Helper()
	return testfs.Kept(b, name, func(dir string) { writeBenchArchive(b, dir, procs, start, n, interval) })
}

// writeBenchArchive writes benchArchive's archive into dir.
func writeBenchArchive(b *testing.B, dir string, procs int, start time.Time, n int, interval time.Duration) {
	s, err := Open(dir, testLog(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w, err := s.Writer("bench", WriterOptions{NoSync: true, FlushEvery: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	g := synth.New(benchHost(procs))
	for i := range n {
		if err := w.Append(g.Batch(start.Add(time.Duration(i) * interval))); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

var benchDay = time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)

// rssSampler reads RssAnon and RssFile of /proc/self/status every 5 ms
// until stopped, and keeps the largest of each: what of the peak is the
// process's own memory (the heap) and what is the binary's code and data
// mapped in, which no change to the heap reduces. The kernel keeps the
// peak of their sum only (VmHWM). Reading the file costs about 0.5 % of a
// core.
type rssSampler struct {
	stop       chan struct{}
	done       chan struct{}
	anon, file int64 // kB
}

func startRSSSampler() *rssSampler {
	r := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			anon, file := statusRSS()
			r.anon, r.file = max(r.anon, anon), max(r.file, file)
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// report stops r and reports its peaks.
func (r *rssSampler) report(b *testing.B, prefix string) {
	close(r.stop)
	<-r.done
	b.ReportMetric(float64(r.anon)/1024, prefix+"-peak-RssAnon-MiB")
	b.ReportMetric(float64(r.file)/1024, prefix+"-peak-RssFile-MiB")
}

// memoryLimits are the soft memory limits the memory benchmarks run
// under: almanac sample's, and none.
var memoryLimits = []struct {
	name  string
	limit int64
}{{"limit20MiB", 20 << 20}, {"nolimit", -1}}

// compactCases are the cases of the compaction benchmarks: each of
// memoryLimits, no limit with the GOGC almanac sample sets while it
// compacts (25, compactGCPercent in cmd/almanac), and both, as almanac
// sample compacts: its soft limit (memoryLimit) holds for the whole
// process.
var compactCases = func() []compactCase {
	var out []compactCase
	for _, l := range memoryLimits {
		out = append(out, compactCase{name: l.name, limit: l.limit})
	}
	return append(out, compactCase{name: "nolimit-gogc25", limit: -1, gc: 25},
		compactCase{name: "limit20MiB-gogc25", limit: 20 << 20, gc: 25})
}()

type compactCase struct {
	name  string
	limit int64
	gc    int // GOGC during the compaction; 0 leaves it
}

// compact is s.Compact(host, now) with the GOGC of c.
func (c compactCase) compact(s *Store, host string, now time.Time) (CompactStats, error) {
	if c.gc > 0 {
		defer debug.SetGCPercent(debug.SetGCPercent(c.gc))
	}
	return s.Compact(host, now)
}

// measureMemory sets the soft memory limit (negative: none), collects the
// garbage, resets the peak resident memory (VmHWM) and starts sampling
// RssAnon and RssFile. The function it returns reports, named after what,
// the CPU time since, the resident memory before, the peak and the peaks
// of RssAnon and RssFile, and puts the limit back.
func measureMemory(b *testing.B, limit int64, what string) (done func()) {
	old := debug.SetMemoryLimit(limit)
	if limit < 0 {
		debug.SetMemoryLimit(old)
	}
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	base := peakRSS()
	rs := startRSSSampler()
	cpu := cpuTime()
	return func() {
		b.ReportMetric((cpuTime() - cpu).Seconds(), what+"-cpu-s")
		rs.report(b, what)
		b.ReportMetric(float64(base)/(1<<20), "before-RSS-MiB")
		b.ReportMetric(float64(peakRSS())/(1<<20), what+"-peak-RSS-MiB")
		debug.SetMemoryLimit(old)
	}
}

// statusRSS returns RssAnon and RssFile of /proc/self/status, in kB.
func statusRSS() (anon, file int64) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != "RssAnon" && k != "RssFile" {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		if k == "RssAnon" {
			anon = n
		} else {
			file = n
		}
	}
	return anon, file
}

// linkTree copies the folder tree from into to, hard-linking the files
// (compaction replaces files, never changes one).
func linkTree(b testing.TB, from, to string) {
	b.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		return os.Link(p, filepath.Join(to, rel))
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCompactMemory compacts a day of a host with 300 processes at
// 10 s (2.6 million process rows), from the 288 parts per table of a
// 5-minute flush (parts) and from the hour files consolidation leaves
// (hours: 24 per table), with the sampler's soft memory limit (20 MiB),
// without one, without one at the sampler's GOGC for compactions, and
// with both, as the sampler compacts (compactCases), and reports the peak resident memory of the
// compaction (VmHWM, reset before it), the peaks of its two parts
// (RssAnon, RssFile; see rssSampler) and its CPU time. The budget is
// 30 MB without a CPU penalty from the limit.
//
//	go test ./archive -run '^$' -bench CompactMemory -benchtime 1x -timeout 30m
func BenchmarkCompactMemory(b *testing.B) {
	src := benchDayOf300(b)
	for _, input := range []string{"parts", "hours"} {
		for _, bc := range compactCases {
			b.Run(input+"/"+bc.name, func(b *testing.B) {
				for range b.N {
					dir := b.TempDir()
					linkTree(b, src, dir)
					s, err := Open(dir, testLog(b))
					if err != nil {
						b.Fatal(err)
					}
					if input == "hours" {
						if _, err := s.Compact("bench", benchDay.Add(24*time.Hour-time.Second)); err != nil {
							b.Fatal(err)
						}
					}
					done := measureMemory(b, bc.limit, "compact")
					st, err := bc.compact(s, "bench", benchDay.AddDate(0, 0, 1))
					if err != nil {
						b.Fatal(err)
					}
					done()
					b.ReportMetric(float64(st.FilesIn), "files-in")
					infos, err := s.List()
					if err != nil {
						b.Fatal(err)
					}
					for _, in := range infos {
						if in.Table == schema.TableProcess {
							b.ReportMetric(float64(in.Bytes)/float64(in.Rows), "process-B/row")
						}
					}
					s.Close()
				}
			})
		}
	}
}

// benchHourOf1000 writes (once, then reuses from $TMPDIR) an hour of
// benchHost(1000) at 1 s flushed every 5 minutes, as the sampler writes
// it: 12 parts per table, 3.6 million process rows.
func benchHourOf1000(b *testing.B) string {
	return benchArchive(b, "almanac-consolidate-bench-v1", 1000, benchDay.Add(10*time.Hour), 3600, time.Second)
}

// BenchmarkConsolidateMemory consolidates an hour of a host with 1,000
// processes at 1 s (the 12 parts of a 5-minute flush, per table) into hour
// files, as almanac sample does at the end of every hour, in each of
// compactCases, and reports the
// peak resident memory of the consolidation (VmHWM, reset before it), the
// peaks of its two parts (RssAnon, RssFile) and its CPU time.
//
//	go test ./archive -run '^$' -bench ConsolidateMemory -benchtime 1x -timeout 30m
func BenchmarkConsolidateMemory(b *testing.B) {
	src := benchHourOf1000(b)
	for _, bc := range compactCases {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				dir := b.TempDir()
				linkTree(b, src, dir)
				s, err := Open(dir, testLog(b))
				if err != nil {
					b.Fatal(err)
				}
				done := measureMemory(b, bc.limit, "consolidate")
				st, err := bc.compact(s, "bench", benchDay.Add(11*time.Hour))
				if err != nil {
					b.Fatal(err)
				}
				done()
				b.ReportMetric(float64(st.Consolidated), "hour-files")
				s.Close()
			}
		})
	}
}
