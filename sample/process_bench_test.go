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
// being the cost of just opening and reading each pid's stat, status and io.
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

// BenchmarkProcessFloor is the floor of the process table: for every pid
// (listed once, before timing), open, read and close its stat, status and
// io with raw system calls into one reused buffer, relative to an open
// /proc descriptor, parsing nothing. It is the cheapest way to get those
// three files, which makes it a strict floor.
func BenchmarkProcessFloor(b *testing.B) {
	spawnSleepers(b, benchProcesses)
	pids := livePIDs(b)
	dirfd, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(dirfd)
	paths := make([][3][]byte, len(pids))
	for i, pid := range pids {
		p := strconv.Itoa(int(pid))
		paths[i] = [3][]byte{[]byte(p + "/stat\x00"), []byte(p + "/status\x00"), []byte(p + "/io\x00")}
	}
	buf := make([]byte, 4096)
	procs := 0
	clock := startCPUClock(b)
	for b.Loop() {
		for i := range paths {
			for _, path := range paths[i] {
				fd, err := procOpenat(dirfd, path)
				if err != nil {
					continue
				}
				_, _ = unix.Read(fd, buf)
				unix.Close(fd)
			}
			procs++
		}
	}
	clock.report(b, procs)
	b.ReportMetric(float64(len(pids)), "procs/sample")
}

// BenchmarkProcessFloorPaths is the floor as the issue words it: each
// file opened by its full path with syscall.Open, read and closed.
func BenchmarkProcessFloorPaths(b *testing.B) {
	spawnSleepers(b, benchProcesses)
	pids := livePIDs(b)
	paths := make([][3]string, len(pids))
	for i, pid := range pids {
		p := "/proc/" + strconv.Itoa(int(pid))
		paths[i] = [3]string{p + "/stat", p + "/status", p + "/io"}
	}
	buf := make([]byte, 4096)
	procs := 0
	clock := startCPUClock(b)
	for b.Loop() {
		for i := range paths {
			for _, path := range paths[i] {
				fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
				if err != nil {
					continue
				}
				_, _ = unix.Read(fd, buf)
				unix.Close(fd)
			}
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
