//go:build linux

package sample

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime returns the CPU time (user + system) this process has used.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// systemSampler is a Sampler on the live machine without the process
// collector: what the budget calls "a system sample".
func systemSampler(tb testing.TB) *Sampler {
	s := New(openSource(tb, "/proc", "/sys", "/"), Options{})
	kept := s.collectors[:0]
	for _, c := range s.collectors {
		if c.name != "process" {
			kept = append(kept, c)
		}
	}
	s.collectors = kept
	return s
}

// BenchmarkSystemSample measures one sample of every table but the process
// table on this machine's /proc and /sys, in wall time (ns/op) and in CPU
// time of the whole process (cpu-ns/op), with the host facts read as often
// as they are in service (every 5 minutes of a 10 s interval). The budget:
// under 0.5 ms of CPU, and under 2x BenchmarkSystemFloor.
//
//	go test ./sample -run '^$' -bench 'System(Sample|Floor)' -benchmem
func BenchmarkSystemSample(b *testing.B) {
	s := systemSampler(b)
	now := time.Now()
	s.Sample(now)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime(b)
	for i := range b.N {
		now = now.Add(10 * time.Second)
		if _, err := s.Sample(now); err != nil && i == 0 {
			b.Logf("sample: %v", err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-c0)/float64(b.N), "cpu-ns/op")
}

// systemFiles lists what a system sample reads on this machine: the kernel
// files, the mount points it calls statfs on, and (every 30th sample) the
// files of the host facts.
func systemFiles(tb testing.TB) (files, mounts, facts []string) {
	s := systemSampler(tb)
	now := time.Now()
	s.Sample(now)
	b, _ := s.Sample(now.Add(10 * time.Second))
	if b == nil {
		tb.Fatal("no batch")
	}
	for _, f := range b.Filesystem {
		mounts = append(mounts, f.Mountpoint)
	}
	for _, f := range []string{"stat", "loadavg", "meminfo", "vmstat", "diskstats", "1/net/dev", "1/mountinfo",
		"pressure/cpu", "pressure/memory", "pressure/io", "pressure/irq"} {
		if _, err := os.Stat(filepath.Join("/proc", f)); err == nil {
			files = append(files, filepath.Join("/proc", f))
		}
	}
	for _, g := range []string{"/sys/class/thermal/thermal_zone*/temp", "/sys/class/hwmon/hwmon*/temp*_input"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	facts = []string{"/proc/cpuinfo", "/proc/sys/kernel/hostname", "/proc/sys/kernel/osrelease", "/etc/os-release"}
	return files, mounts, facts
}

// floorReader returns a function that opens, reads to the end and closes
// a file with bare system calls: what a floor benchmark does per file.
func floorReader() func(path string) {
	buf := make([]byte, 64<<10)
	return func(path string) {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return
		}
		for {
			n, err := unix.Read(fd, buf)
			if n <= 0 || err != nil {
				break
			}
		}
		unix.Close(fd)
	}
}

// BenchmarkSystemFloor is the floor of BenchmarkSystemSample: opening and
// reading the same files and calling statfs on the same mount points,
// with nothing parsed or kept.
func BenchmarkSystemFloor(b *testing.B) {
	files, mounts, facts := systemFiles(b)
	systemFloor(b, files, mounts, facts, nil)
}

// systemFloor measures reading files and calling statfs on mounts every
// sample, facts every 30th, and more (when not nil) every sample, in CPU
// time per sample.
func systemFloor(b *testing.B, files, mounts, facts []string, more func(read func(string))) {
	read := floorReader()
	var st unix.Statfs_t
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime(b)
	for i := range b.N {
		for _, f := range files {
			read(f)
		}
		for _, m := range mounts {
			unix.Statfs(m, &st)
		}
		if more != nil {
			more(read)
		}
		if i%30 == 0 {
			for _, f := range facts {
				read(f)
			}
		}
	}
	b.ReportMetric(float64(cpuTime(b)-c0)/float64(b.N), "cpu-ns/op")
}
