package render

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/fleetgen"
	"almanac/synth"
)

// The fleet of the speed budget: 10 hosts, 30 days of 10-second samples,
// with the process table (60 processes) for the last two days (the pages
// read 24 hours of it raw, the closed day from its per-hour rollup), made
// by fleetgen (go run ./cmd/fleetgen): four template hosts (a crash, a
// stopped sampler, an OOM kill, a filling /var) sampled and compacted, the
// others hard-linked clones of them, which cost render as much. Generating
// it takes minutes, so it is kept in $TMPDIR/almanac-render-bench-v4 and
// reused by later runs; delete that folder to rebuild it.
// ALMANAC_BENCH_SCALE=<hosts>x<days> makes another size, and
// ALMANAC_BENCH_PROCDAYS=<n> keeps the process table for the last n days
// (a host's processes over the long ranges: the sampler keeps them 90),
// and ALMANAC_BENCH_CUSTOM=1 adds custom metrics to every sample.
const (
	benchHosts     = 10
	benchDays      = 30
	benchProcDays  = 2
	benchProcesses = 60
	benchEvery     = 10 * time.Second
)

var (
	benchMu    sync.Mutex
	benchDirs  = map[string]string{}
	benchError = map[string]error{}
)

// benchFleet returns the folder of the benchmark archive, making it on
// first use.
func benchFleet(b *testing.B) string {
	return benchFleetOf(b, benchHosts, benchDays)
}

// benchFleetOf returns the folder of a benchmark archive of hosts x days,
// making it on first use (the folder is kept in $TMPDIR for later runs).
func benchFleetOf(b *testing.B, hosts, days int) string {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	name := "almanac-render-bench-v4"
	if hosts != benchHosts || days != benchDays {
		name = fmt.Sprintf("almanac-render-bench-v4-%dx%d", hosts, days)
	}
	procDays := benchProcDays
	if v := os.Getenv("ALMANAC_BENCH_PROCDAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("ALMANAC_BENCH_PROCDAYS: %q is not a number of days", v)
		}
		if n != benchProcDays {
			procDays = n
			name += fmt.Sprintf("-p%d", n)
		}
	}
	custom := os.Getenv("ALMANAC_BENCH_CUSTOM") == "1"
	if custom {
		name += "-custom"
	}
	if dir, ok := benchDirs[name]; ok {
		if err := benchError[name]; err != nil {
			b.Fatal(err)
		}
		return dir
	}
	dir := filepath.Join(os.TempDir(), name)
	start := time.Now()
	err := fleetgen.Generate(context.Background(), fleetgen.Options{
		Dir: dir, Hosts: hosts, Days: days, Every: benchEvery, Processes: benchProcesses,
		ProcDays: procDays, Now: fixedNow, Log: quietLog(), Custom: custom,
	})
	benchDirs[name], benchError[name] = dir, err
	if err != nil {
		b.Fatal(err)
	}
	settleFolders(b, dir)
	if d := time.Since(start); d > 10*time.Second {
		fmt.Fprintf(os.Stderr, "benchmark archive of %d hosts x %d days written to %s in %v\n", hosts, days, dir, d.Round(time.Second))
	}
	return dir
}

// peakRSS resets the kernel's peak resident size of this process and
// returns a function reporting the peak since, in MiB.
func peakRSS(b *testing.B) func() float64 {
	b.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS: %v", err)
	}
	return func() float64 {
		f, err := os.Open("/proc/self/status")
		if err != nil {
			return 0
		}
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
				return kb / 1024
			}
		}
		return 0
	}
}

// cpuTime returns a function reporting the CPU time (user + system) this
// process used since, in seconds: on a shared machine it says more than
// the wall time.
func cpuTime() func() float64 {
	now := func() float64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0
		}
		return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	start := now()
	return func() float64 { return now() - start }
}

// BenchmarkRenderFleet renders the benchmark fleet (10 hosts x 30 days of
// 10-second samples). Budget: under 60 s per op, no page over 2 MB, peak
// RSS under 500 MB. Run it with
//
//	go test ./render -run '^$' -bench RenderFleet -benchtime 1x
func BenchmarkRenderFleet(b *testing.B) {
	dir := benchFleet(b)
	st, err := archive.Open(dir, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	out := filepath.Join(b.TempDir(), "site")
	peak := peakRSS(b)
	cpu := cpuTime()
	b.ResetTimer()
	var rep Report
	for b.Loop() {
		os.RemoveAll(out) // Build writes into a missing or empty folder
		rep, err = Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(cpu()/float64(b.N), "cpu-s/op")
	b.ReportMetric(peak(), "peak-RSS-MiB")
	b.ReportMetric(float64(rep.Pages), "pages")
	b.ReportMetric(float64(biggestPage(b, out))/(1<<20), "max-page-MiB")
	var procs int64
	for r := range ranges {
		procs = max(procs, biggestPageNamed(out, "/"+procFile(r)))
	}
	b.ReportMetric(float64(procs)/(1<<20), "max-processes-page-MiB")
	b.ReportMetric(float64(rep.Bytes)/(1<<20), "site-MiB")
}

// BenchmarkRerenderFleet renders the benchmark fleet again after a new
// sample arrived for every host: only today's data changed. Budget: under
// 10 s per op. Run it with
//
//	go test ./render -run '^$' -bench RerenderFleet -benchtime 1x
func BenchmarkRerenderFleet(b *testing.B) {
	dir := benchFleet(b)
	st, err := archive.Open(dir, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	out := filepath.Join(b.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()}); err != nil {
		b.Fatal(err)
	}
	// The sample that arrives is 10 s later; render at that time. (The
	// archive is shared between runs, so nothing is appended to it: the
	// newest sample is the same, only now moves.)
	now := fixedNow.Add(benchEvery)
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		os.RemoveAll(out) // Build writes into a missing or empty folder
		if _, err := Build(context.Background(), st, Options{Out: out, Now: now, Log: quietLog()}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(cpu()/float64(b.N), "cpu-s/op")
}

// biggestPage returns the size of the largest page of the site at dir.
func biggestPage(b *testing.B, dir string) int64 {
	return biggestPageNamed(dir, ".html")
}

// biggestPageNamed returns the size of the largest page of the site at
// dir whose name ends with suffix.
func biggestPageNamed(dir, suffix string) int64 {
	var biggest int64
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, suffix) && strings.HasSuffix(p, ".html") && fi.Size() > biggest {
			biggest = fi.Size()
		}
		return nil
	})
	return biggest
}

// oneHost shows only the first host of an archive.
type oneHost struct{ *archive.Store }

func (o oneHost) Hosts() ([]string, error) {
	hs, err := o.Store.Hosts()
	return hs[:min(1, len(hs))], err
}

// BenchmarkRenderHost renders one host of the benchmark fleet (30 days of
// 10-second samples): a tenth of BenchmarkRenderFleet, for profiling.
//
//	go test ./render -run '^$' -bench RenderHost -benchtime 1x -cpuprofile cpu.out
func BenchmarkRenderHost(b *testing.B) {
	dir := benchFleet(b)
	st, err := archive.Open(dir, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	out := filepath.Join(b.TempDir(), "site")
	peak := peakRSS(b)
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		os.RemoveAll(out) // build writes into a missing or empty folder
		if _, err := build(context.Background(), oneHost{st}, Options{Out: out, Now: fixedNow, Log: quietLog()}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(cpu()/float64(b.N), "cpu-s/op")
	b.ReportMetric(peak(), "peak-RSS-MiB")
}

// BenchmarkRenderScale renders synthetic fleets of several sizes (hosts x
// days, from $ALMANAC_BENCH_SCALE, default "10x30,100x30"; e.g.
// ALMANAC_BENCH_SCALE=1000x7) with every core, and reports the CPU seconds
// per host-year of samples, the peak RSS and the size of the fleet
// overview. $ALMANAC_BENCH_JOBS sets Options.Jobs (default GOMAXPROCS). Goal: CPU linear in hosts x days, peak RSS independent of the
// number of hosts.
//
//	go test ./render -run '^$' -bench RenderScale -benchtime 1x -timeout 60m
func BenchmarkRenderScale(b *testing.B) {
	jobs, _ := strconv.Atoi(os.Getenv("ALMANAC_BENCH_JOBS")) // 0: GOMAXPROCS
	for _, size := range benchSizes(b, "10x30,100x30") {
		hosts, days := size[0], size[1]
		b.Run(fmt.Sprintf("hosts=%d,days=%d", hosts, days), func(b *testing.B) {
			dir := benchFleetOf(b, hosts, days)
			st, err := archive.Open(dir, quietLog())
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			out := filepath.Join(b.TempDir(), "site")
			runtime.GC()
			debug.FreeOSMemory()
			peak := peakRSS(b)
			cpu := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				os.RemoveAll(out)
				if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog(), Jobs: jobs}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			c := cpu() / float64(b.N)
			b.ReportMetric(c, "cpu-s/op")
			b.ReportMetric(c/(float64(hosts)*float64(days)/365), "cpu-s/host-year")
			b.ReportMetric(peak(), "peak-RSS-MiB")
			if fi, err := os.Stat(filepath.Join(out, "index.html")); err == nil {
				b.ReportMetric(float64(fi.Size())/1024, "index-KiB")
			}
		})
	}
}

// benchSizes returns the fleet sizes (hosts, days) of $ALMANAC_BENCH_SCALE,
// or of def when it is not set.
func benchSizes(b *testing.B, def string) [][2]int {
	scale := os.Getenv("ALMANAC_BENCH_SCALE")
	if scale == "" {
		scale = def
	}
	var out [][2]int
	for _, size := range strings.Split(scale, ",") {
		var hosts, days int
		if _, err := fmt.Sscanf(size, "%dx%d", &hosts, &days); err != nil || hosts < 1 || days < 1 {
			b.Fatalf("ALMANAC_BENCH_SCALE: %q is not <hosts>x<days>", size)
		}
		out = append(out, [2]int{hosts, days})
	}
	return out
}

// linkArchive makes a copy of the archive at src in a new folder, of hard
// links, so that a benchmark can add to it.
func linkArchive(b *testing.B, src string) string {
	b.Helper()
	dst := filepath.Join(b.TempDir(), "archive")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.Link(p, filepath.Join(dst, rel))
	})
	if err != nil {
		b.Fatal(err)
	}
	settleFolders(b, dst)
	return dst
}

// settleFolders sets the modification time of every folder under dir to
// an hour ago: as a timer's render finds the day folders of the days
// before today, which a render keeps the listings of (archive.Listings)
// once they are unchanged for a while. A copy made a moment ago (or a
// fleet just generated) would be listed again at every render.
func settleFolders(b *testing.B, dir string) {
	b.Helper()
	settled := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chtimes(p, settled, settled)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// linkedFleet opens a copy of the benchmark fleet, its files hard-linked
// (linkArchive), for a benchmark that writes to it, and returns its hosts;
// the Store is closed when b ends.
func linkedFleet(b *testing.B) (*archive.Store, []string) {
	b.Helper()
	st, err := archive.Open(linkArchive(b, benchFleet(b)), quietLog())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	hosts, err := st.Hosts()
	if err != nil {
		b.Fatal(err)
	}
	return st, hosts
}

// BenchmarkRenderIncremental renders the benchmark fleet with a render
// cache, then again at the same time after one new flush on one host (a
// part of 30 samples): the other hosts' pages come from the cache, the
// closed days of the host that changed from its day memo. Goal: the
// second render costs at most a tenth of the CPU of the first.
//
//	go test ./render -run '^$' -bench RenderIncremental -benchtime 1x
func BenchmarkRenderIncremental(b *testing.B) {
	st, hosts := linkedFleet(b)
	cache := filepath.Join(b.TempDir(), "render-cache")
	out := filepath.Join(b.TempDir(), "site")
	opts := Options{Out: out, Now: fixedNow, FixedNow: true, Log: quietLog(), Cache: cache}
	cpu := cpuTime()
	if _, err := Build(context.Background(), st, opts); err != nil {
		b.Fatal(err)
	}
	full := cpu()
	var inc float64
	b.ResetTimer()
	i := 0
	for b.Loop() {
		b.StopTimer()
		host := hosts[i%len(hosts)]
		i++
		w, err := st.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		g := synth.New(synth.Host{Name: host, Seed: uint64(i)})
		for k := range 30 {
			if err := w.Append(g.Batch(fixedNow.Add(-time.Hour + time.Duration(k)*benchEvery + time.Second))); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(out)
		b.StartTimer()
		c := cpuTime()
		rep, err := Build(context.Background(), st, opts)
		if err != nil {
			b.Fatal(err)
		}
		inc += c()
		if rep.Cached != len(hosts)-1 {
			b.Fatalf("%d of %d hosts from the cache, want all but %s", rep.Cached, len(hosts), host)
		}
	}
	b.StopTimer()
	b.ReportMetric(full, "full-cpu-s")
	b.ReportMetric(inc/float64(b.N), "cpu-s/op")
	b.ReportMetric(inc/float64(b.N)/full, "of-full")
}

// BenchmarkRenderTimer renders the benchmark fleet with a render cache,
// then as a timer does every five minutes while every host's sampler
// flushes every five minutes: before each render, each host gets a part of
// the five minutes before it (30 samples, its processes too), and the
// render time moves on by five minutes. With -benchtime 12x the twelve
// renders take an hour's twelve parts, as the open hour has them.
//
//	go test ./render -run '^$' -bench RenderTimer -benchtime 12x
func BenchmarkRenderTimer(b *testing.B) {
	st, hosts := linkedFleet(b)
	gens := make([]*synth.Generator, len(hosts))
	for i, h := range hosts {
		// The fleet's hosts booted an hour before their first sample.
		gens[i] = synth.New(synth.Host{Name: h, Seed: uint64(i + 1), Processes: benchProcesses,
			Boot: fixedNow.Add(-time.Duration(benchDays)*24*time.Hour - time.Hour)})
		gens[i].Batch(fixedNow.Add(-benchEvery)) // prime the rates
	}
	opts, full, _ := fullThenCached(b, st)
	out := opts.Out
	var timer float64
	i := 0
	for b.Loop() {
		b.StopTimer()
		from := fixedNow.Add(time.Duration(i) * 5 * time.Minute)
		i++
		for k, h := range hosts {
			w, err := st.Writer(h, archive.WriterOptions{NoSync: true, FlushEvery: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			for at := from; at.Before(from.Add(5 * time.Minute)); at = at.Add(benchEvery) {
				if err := w.Append(gens[k].Batch(at)); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
		os.RemoveAll(out)
		opts.Now = from.Add(5 * time.Minute)
		b.StartTimer()
		c := cpuTime()
		if _, err := Build(context.Background(), st, opts); err != nil {
			b.Fatal(err)
		}
		timer += c()
	}
	b.StopTimer()
	b.ReportMetric(full, "full-cpu-s")
	b.ReportMetric(timer/float64(b.N), "cpu-s/op")
	b.ReportMetric(timer/float64(b.N)/full, "of-full")
}

// BenchmarkRenderLater renders the benchmark fleet with a render cache,
// then, as a timer does, again five minutes later: every host's pages are
// made again (they are drawn as of the render time), the closed days of
// the tables whose readers keep them added from the day memo (daymemo.go),
// the others read from the archive. $ALMANAC_BENCH_SCALE picks other
// fleets (e.g. 1x365: whether the cost grows with days of history).
//
//	go test ./render -run '^$' -bench RenderLater -benchtime 1x
func BenchmarkRenderLater(b *testing.B) {
	for _, size := range benchSizes(b, fmt.Sprintf("%dx%d", benchHosts, benchDays)) {
		b.Run(fmt.Sprintf("hosts=%d,days=%d", size[0], size[1]), func(b *testing.B) {
			benchRenderLater(b, benchFleetOf(b, size[0], size[1]))
		})
	}
}

// BenchmarkRenderUnchanged renders the benchmark fleet with a render cache
// at a given time (--now), then again at that time with nothing changed:
// every host's pages are linked from the cache, keyed by a look at the
// files of its days in the longest range. It is what each host that did
// not change costs a render after one that did (RenderIncremental).
// $ALMANAC_BENCH_SCALE picks other fleets (1x365 and 1x730: whether the
// cost grows with days of history).
//
//	go test ./render -run '^$' -bench RenderUnchanged -benchtime 10x
func BenchmarkRenderUnchanged(b *testing.B) {
	for _, size := range benchSizes(b, fmt.Sprintf("%dx%d", benchHosts, benchDays)) {
		b.Run(fmt.Sprintf("hosts=%d,days=%d", size[0], size[1]), func(b *testing.B) {
			st, err := archive.Open(benchFleetOf(b, size[0], size[1]), quietLog())
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			hosts, err := st.Hosts()
			if err != nil {
				b.Fatal(err)
			}
			opts, full, _ := fullThenCached(b, st)
			opts.FixedNow = true
			os.RemoveAll(opts.Out)
			if _, err := Build(context.Background(), st, opts); err != nil { // keeps the pages
				b.Fatal(err)
			}
			var again float64
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				os.RemoveAll(opts.Out)
				b.StartTimer()
				c := cpuTime()
				rep, err := Build(context.Background(), st, opts)
				if err != nil {
					b.Fatal(err)
				}
				again += c()
				if rep.Cached != len(hosts) {
					b.Fatalf("%d of %d hosts from the cache, want all", rep.Cached, len(hosts))
				}
			}
			b.StopTimer()
			b.ReportMetric(full, "full-cpu-s")
			b.ReportMetric(again/float64(b.N), "cpu-s/op")
			b.ReportMetric(again/float64(b.N)/float64(len(hosts)), "cpu-s/host")
			b.ReportMetric(again/float64(b.N)/full, "of-full")
		})
	}
}

// fullThenCached renders st at fixedNow without a render cache, then again
// into an empty one, and returns the options of the second (its cache, a
// site folder) and the CPU seconds of each: a full render's, and a render
// that fills the cache's.
func fullThenCached(b *testing.B, st *archive.Store) (opts Options, full, cold float64) {
	b.Helper()
	opts = Options{Out: filepath.Join(b.TempDir(), "site"), Now: fixedNow, Log: quietLog()}
	cpu := cpuTime()
	if _, err := Build(context.Background(), st, opts); err != nil {
		b.Fatal(err)
	}
	full = cpu()
	os.RemoveAll(opts.Out)
	opts.Cache = filepath.Join(b.TempDir(), "render-cache")
	cpu = cpuTime()
	if _, err := Build(context.Background(), st, opts); err != nil {
		b.Fatal(err)
	}
	return opts, full, cpu()
}

func benchRenderLater(b *testing.B, dir string) {
	st, err := archive.Open(dir, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	opts, full, cold := fullThenCached(b, st)
	out := opts.Out
	var later float64
	var rep Report
	b.ResetTimer()
	i := 0
	for b.Loop() {
		b.StopTimer()
		os.RemoveAll(out)
		i++
		opts.Now = fixedNow.Add(time.Duration(i) * 5 * time.Minute)
		b.StartTimer()
		c := cpuTime()
		if rep, err = Build(context.Background(), st, opts); err != nil {
			b.Fatal(err)
		}
		later += c()
	}
	b.StopTimer()
	b.ReportMetric(full, "full-cpu-s")
	b.ReportMetric(cold, "cold-cache-cpu-s")
	b.ReportMetric(later/float64(b.N), "cpu-s/op")
	b.ReportMetric(later/float64(b.N)/full, "of-full")
	b.ReportMetric(float64(rep.DaysKept), "days-kept")
	b.ReportMetric(float64(rep.DaysRead), "days-read")
	b.ReportMetric(float64(rep.SpansKept), "spans-kept")
	b.ReportMetric(float64(rep.SpansRead), "spans-read")
}
