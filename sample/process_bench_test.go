//go:build linux

package sample

import (
	"almanac/schema"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// The process table's budget is 1.5 times its floor per process, the floor
// being the cost of the system calls the collector cannot avoid: listing
// /proc, and for each pid opening and reading its stat and io and stating
// its folder (the owner's uid), exactly what the collector reads.
// Both are measured here on the live /proc, in the same run:
//
//	go test ./sample -run '^$' -bench 'Process' -benchmem
//
// and ns/proc of BenchmarkProcessTable divided by ns/proc of
// BenchmarkProcessFloor is the ratio to check.

// benchProcesses is how many processes the benchmarks want to see: a
// container may hold a dozen, too few for a per-process figure.
const benchProcesses = 200

// spawnSleepers starts sleeping processes until /proc lists at least want
// processes, and stops them when the benchmark ends.
func spawnSleepers(b *testing.B, want int) {
	b.Helper()
	pids := livePIDs(b)
	var cmds []*exec.Cmd
	b.Cleanup(func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	})
	for i := len(pids); i < want; i++ {
		c := exec.Command("sleep", "600")
		if err := c.Start(); err != nil {
			b.Fatalf("start a sleeping process: %v", err)
		}
		cmds = append(cmds, c)
	}
}

// cpuClock measures the CPU time (user and system) of the calling
// goroutine, which it locks to its thread. On a machine shared with other
// work, wall time per process mostly measures waiting for a CPU; CPU time
// does not, so the benchmarks report both (cpu-ns/proc and ns/proc).
type cpuClock struct{ start time.Duration }

func startCPUClock(b *testing.B) *cpuClock {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	return &cpuClock{start: threadCPU(b)}
}

// report adds the CPU time since start per process to the benchmark.
func (c *cpuClock) report(b *testing.B, procs int) {
	b.ReportMetric(float64((threadCPU(b)-c.start).Nanoseconds())/float64(procs), "cpu-ns/proc")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(procs), "ns/proc")
}

func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// livePIDs lists the pids of /proc.
func livePIDs(b *testing.B) []int32 {
	b.Helper()
	fd, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	pids, err := procPIDs(fd, make([]byte, 32<<10), nil)
	if err != nil {
		b.Fatal(err)
	}
	return pids
}

func liveBoot(b *testing.B) time.Time {
	b.Helper()
	fs, err := procfs.NewFS("/proc")
	if err != nil {
		b.Fatal(err)
	}
	st, err := fs.Stat()
	if err != nil {
		b.Fatal(err)
	}
	return time.Unix(int64(st.BootTime), 0)
}

func benchmarkProcessTable(b *testing.B, cmdline bool) {
	spawnSleepers(b, benchProcesses)
	c := newProcessCollector(cmdline, discardLog())
	src := Source{ProcPath: "/proc", RootFS: "/"}
	boot := liveBoot(b)
	now := time.Now()
	if err := c.Collect(src, Tick{Now: now, Time: schema.Micros(now), First: true, BootTime: boot}, &schema.Batch{}); err != nil {
		b.Fatal(err)
	}
	var procs, samples int
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	clock := startCPUClock(b)
	for b.Loop() {
		now = now.Add(10 * time.Second)
		batch := schema.Batch{Time: now}
		t := Tick{Now: now, Time: schema.Micros(now), Interval: 10 * time.Second, BootTime: boot}
		if err := c.Collect(src, t, &batch); err != nil {
			b.Fatal(err)
		}
		procs += len(batch.Process)
		samples++
	}
	clock.report(b, procs)
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(procs)/float64(samples), "procs/sample")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(procs), "allocs/proc")
}

// BenchmarkProcessTable is one sample of the process, proc_count and
// proc_user tables from the live /proc.
func BenchmarkProcessTable(b *testing.B) { benchmarkProcessTable(b, false) }

// BenchmarkProcessTableCmdline is the same with command lines recorded.
func BenchmarkProcessTableCmdline(b *testing.B) { benchmarkProcessTable(b, true) }

// BenchmarkProcessFloor is the floor of the process table: every sample
// opens /proc, lists it with getdents(2) into a reused buffer and, for every pid,
// opens, reads and closes its stat and io with raw system calls into one
// reused buffer, relative to an open /proc descriptor, and stats its
// folder (statx, the uid only), parsing nothing. These are exactly the
// files and calls the collector makes for a process (the status file it
// does not read is not here either), in the cheapest way, which makes it
// a strict floor.
func BenchmarkProcessFloor(b *testing.B) {
	spawnSleepers(b, benchProcesses)
	buf := make([]byte, 4096)
	dents := make([]byte, 32<<10)
	var pids []int32
	var path []byte
	var stx unix.Statx_t
	procs, samples := 0, 0
	clock := startCPUClock(b)
	for b.Loop() {
		dirfd, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		if pids, err = procPIDs(dirfd, dents, pids[:0]); err != nil {
			b.Fatal(err)
		}
		for _, pid := range pids {
			path = strconv.AppendInt(path[:0], int64(pid), 10)
			base := len(path)
			for _, name := range [...]string{"/stat\x00", "/io\x00"} {
				path = append(path[:base], name...)
				fd, err := procOpenat(dirfd, path)
				if err != nil {
					continue
				}
				_, _ = unix.Read(fd, buf)
				unix.Close(fd)
			}
			path = append(path[:base], 0)
			_, _ = procOwner(dirfd, path, &stx)
			procs++
		}
		unix.Close(dirfd)
		samples++
	}
	clock.report(b, procs)
	b.ReportMetric(float64(procs)/float64(max(samples, 1)), "procs/sample")
}

// BenchmarkProcessFloorPaths is the same floor by full paths: each file
// opened by its full path with open(2), read and closed, the folder
// stated with stat(2), /proc listed with os.ReadDir.
func BenchmarkProcessFloorPaths(b *testing.B) {
	spawnSleepers(b, benchProcesses)
	buf := make([]byte, 4096)
	procs := 0
	var st unix.Stat_t
	clock := startCPUClock(b)
	for b.Loop() {
		for _, pid := range livePIDs(b) {
			p := "/proc/" + strconv.Itoa(int(pid))
			for _, path := range [...]string{p + "/stat", p + "/io"} {
				fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
				if err != nil {
					continue
				}
				_, _ = unix.Read(fd, buf)
				unix.Close(fd)
			}
			_ = unix.Stat(p, &st)
			procs++
		}
	}
	clock.report(b, procs)
}

// BenchmarkProcessProcfs is the generic path the collector avoids:
// procfs's AllProcs, then Stat, NewStatus and IO of each process.
func BenchmarkProcessProcfs(b *testing.B) {
	spawnSleepers(b, benchProcesses)
	fs, err := procfs.NewFS("/proc")
	if err != nil {
		b.Fatal(err)
	}
	procs := 0
	clock := startCPUClock(b)
	for b.Loop() {
		all, err := fs.AllProcs()
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range all {
			if _, err := p.Stat(); err != nil {
				continue
			}
			_, _ = p.NewStatus()
			_, _ = p.IO()
			procs++
		}
	}
	clock.report(b, procs)
}
