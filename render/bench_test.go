package render

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"almanac/archive"
	"almanac/synth"
)

// The fleet of the speed budget: 10 hosts, 30 days of 10-second samples,
// with the process table (60 processes) for the last two days (the pages
// read 24 hours of it raw, the closed day from its per-hour rollup). Its closed days are compacted, which writes their
// rollups, as the sampler does at the end of each day. Generating it takes
// minutes, so it is kept in $TMPDIR/almanac-render-bench-v2 and reused by
// later runs; delete that folder to rebuild it.
const (
	benchHosts     = 10
	benchDays      = 30
	benchProcDays  = 2
	benchProcesses = 60
	benchEvery     = 10 * time.Second
)

var (
	benchOnce  sync.Once
	benchDir   string
	benchError error
)

// benchFleet returns the folder of the benchmark archive, making it on
// first use.
func benchFleet(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchDir = filepath.Join(os.TempDir(), "almanac-render-bench-v2")
		done := filepath.Join(benchDir, ".complete")
		if _, err := os.Stat(done); err == nil {
			// Compact is cheap on days already done; it finishes the
			// job when an earlier run was interrupted.
			benchError = compactFleet(benchDir)
			return
		}
		os.RemoveAll(benchDir)
		start := time.Now()
		st, err := archive.Open(benchDir, quietLog())
		if err != nil {
			benchError = err
			return
		}
		defer st.Close()
		var wg sync.WaitGroup
		errs := make(chan error, benchHosts)
		sem := make(chan struct{}, 2)
		for h := range benchHosts {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				errs <- writeBenchHost(st, h)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				benchError = err
				return
			}
		}
		if benchError = compactFleet(benchDir); benchError != nil {
			return
		}
		benchError = os.WriteFile(done, nil, 0o644)
		fmt.Fprintf(os.Stderr, "benchmark archive written to %s in %v\n", benchDir, time.Since(start).Round(time.Second))
	})
	if benchError != nil {
		b.Fatal(benchError)
	}
	return benchDir
}

// compactFleet compacts the closed days of every host of the archive at
// dir (as of fixedNow), writing their rollups.
func compactFleet(dir string) error {
	st, err := archive.Open(dir, quietLog())
	if err != nil {
		return err
	}
	defer st.Close()
	hosts, err := st.Hosts()
	if err != nil {
		return err
	}
	start := time.Now()
	var total archive.CompactStats
	for _, h := range hosts {
		cs, err := st.Compact(h, fixedNow)
		if err != nil {
			return err
		}
		total.Partitions += cs.Partitions
		total.Rollups += cs.Rollups
	}
	if total.Partitions+total.Rollups > 0 {
		fmt.Fprintf(os.Stderr, "benchmark archive compacted: %d partitions, %d rollups in %v\n",
			total.Partitions, total.Rollups, time.Since(start).Round(time.Second))
	}
	return nil
}

// writeBenchHost writes host number h of the benchmark fleet.
func writeBenchHost(st *archive.Store, h int) error {
	name := fmt.Sprintf("host%02d", h)
	w, err := st.Writer(name, archive.WriterOptions{NoSync: true, FlushEvery: 1000 * time.Hour})
	if err != nil {
		return err
	}
	end := fixedNow
	start := end.Add(-benchDays * 24 * time.Hour)
	procFrom := end.Add(-benchProcDays * 24 * time.Hour)
	boot := start.Add(-time.Hour)
	host := synth.Host{Name: name, Seed: uint64(h + 1), Boot: boot}
	g := synth.New(host)
	for at := start; at.Before(end); at = at.Add(benchEvery) {
		if !at.Before(procFrom) && host.Processes == 0 {
			host.Processes = benchProcesses
			g = synth.New(host)
			g.Batch(at.Add(-benchEvery)) // prime the rates
		}
		if err := w.Append(g.Batch(at)); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
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
