//go:build linux

package sample

import (
	"almanac/internal/testfs"
	"almanac/schema"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The cgroup table's cost is measured per cgroup against its floor: the
// cost of opening, reading and closing the files it reads (those the
// kernel has, for the cgroups this host's processes are in), nothing
// parsed. Both run on the live /proc and /sys, with benchCgroups cgroups
// made for the run, each holding a sleeping process:
//
//	go test ./sample -run '^$' -bench 'Cgroup' -benchmem
//
// and cpu-ns/cgroup of BenchmarkCgroupTable divided by that of
// BenchmarkCgroupFloor is the ratio. They need root (to make cgroups).

// benchCgroups is how many cgroups the benchmarks make.
const benchCgroups = 20

// primedCgroups makes the cgroups, and returns a process collector that
// has read /proc once and a cgroup collector that has read their files
// once.
func primedCgroups(b *testing.B) (*processCollector, *cgroupCollector, Source, time.Time) {
	b.Helper()
	for i := range benchCgroups {
		cg := testfs.NewCgroup(b, "almanac-bench-"+strconv.Itoa(os.Getpid())+"-"+strconv.Itoa(i), 0)
		c := exec.Command("sleep", "600")
		if err := c.Start(); err != nil {
			b.Fatalf("start a sleeping process: %v", err)
		}
		b.Cleanup(func() { // before the cgroup's own cleanup, which runs later
			_ = c.Process.Kill()
			_ = c.Wait()
		})
		if err := cg.Add(c.Process.Pid); err != nil {
			b.Fatal(err)
		}
	}
	src := Source{ProcPath: "/proc", SysPath: "/sys", RootFS: "/"}
	proc := newProcessCollector(false, discardLog())
	cg := newCgroupCollector(proc, discardLog())
	boot := liveBoot(b)
	now := time.Now()
	t := Tick{Now: now, Time: schema.Micros(now), First: true, BootTime: boot}
	for _, c := range []collector{proc, cg} {
		if err := c.Collect(src, t, &schema.Batch{}); err != nil {
			b.Fatal(err)
		}
	}
	return proc, cg, src, now
}

// BenchmarkCgroupTable is one sample of the cgroup table, the processes
// already read.
func BenchmarkCgroupTable(b *testing.B) {
	_, cg, src, now := primedCgroups(b)
	boot := liveBoot(b)
	var rows, samples int
	clock := startCPUClock(b)
	for b.Loop() {
		now = now.Add(10 * time.Second)
		batch := schema.Batch{Time: now}
		t := Tick{Now: now, Time: schema.Micros(now), Interval: 10 * time.Second, BootTime: boot}
		if err := cg.Collect(src, t, &batch); err != nil {
			b.Fatal(err)
		}
		rows += len(batch.Cgroup)
		samples++
	}
	clock.reportPer(b, rows, "cgroup")
	b.ReportMetric(float64(rows)/float64(samples), "cgroups/sample")
}

// BenchmarkCgroupFloor opens, reads and closes the files the cgroup
// collector found for each cgroup, with raw system calls into one buffer.
func BenchmarkCgroupFloor(b *testing.B) {
	_, cg, _, _ := primedCgroups(b)
	var files [][]string
	for _, st := range cg.state {
		var fs []string
		for f, p := range st.path {
			if p != "" && !st.missing[f] {
				fs = append(fs, p)
			}
		}
		files = append(files, fs)
	}
	// The root cgroup's row reads no file, but it is a row.
	for _, s := range cg.sums {
		if s.cg.path == "/" {
			files = append(files, nil)
		}
	}
	buf := make([]byte, 4096)
	n := 0
	clock := startCPUClock(b)
	for b.Loop() {
		for _, fs := range files {
			for _, p := range fs {
				fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
				if err != nil {
					continue
				}
				_, _ = unix.Read(fd, buf)
				unix.Close(fd)
			}
			n++
		}
	}
	clock.reportPer(b, n, "cgroup")
	b.ReportMetric(float64(len(files)), "cgroups/sample")
}

// reportPer adds the CPU and wall time per unit to the benchmark.
func (c *cpuClock) reportPer(b *testing.B, n int, unit string) {
	b.ReportMetric(float64((threadCPU(b)-c.start).Nanoseconds())/float64(n), "cpu-ns/"+unit)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/"+unit)
}
