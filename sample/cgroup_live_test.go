//go:build linux

package sample

import (
	"almanac/internal/testfs"
	"almanac/schema"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/procfs"
)

func TestMain(m *testing.M) {
	testfs.ChildMain()
	os.Exit(m.Run())
}

// TestCgroupCollectorLive puts a busy process holding 64 MiB into a cgroup
// of its own on this host (cgroup v1 memory and cpuacct controllers on a
// hybrid host, plus the v2 hierarchy) and finds its CPU and memory in that
// cgroup's row, and the cgroup in its process row.
func TestCgroupCollectorLive(t *testing.T) {
	cg := testfs.NewCgroup(t, "almanac-sample-"+strconv.Itoa(os.Getpid()), 0)
	child, _ := cg.StartChild(t, "burn")
	pid := int32(child.Process.Pid)

	pfs, err := procfs.NewFS("/proc")
	if err != nil {
		t.Fatal(err)
	}
	stat, err := pfs.Stat()
	if err != nil {
		t.Fatal(err)
	}
	boot := time.Unix(int64(stat.BootTime), 0)
	src := Source{ProcPath: "/proc", SysPath: "/sys", RootFS: "/"}
	proc := newProcessCollector(false, discardLog())
	cgc := newCgroupCollector(proc, discardLog())
	t0 := time.Now()
	var first schema.Batch
	for _, c := range []collector{proc, cgc} {
		if err := c.Collect(src, Tick{Now: t0, Time: schema.Micros(t0), First: true, BootTime: boot, Stat: stat}, &first); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second)
	t1 := time.Now()
	b := &schema.Batch{Time: t1}
	for _, c := range []collector{proc, cgc} {
		if err := c.Collect(src, Tick{Now: t1, Time: schema.Micros(t1), Interval: t1.Sub(t0), BootTime: boot, Stat: stat}, b); err != nil {
			t.Fatal(err)
		}
	}
	var row *schema.CgroupRow
	for i := range b.Cgroup {
		if b.Cgroup[i].Cgroup == cg.Path {
			row = &b.Cgroup[i]
		}
	}
	if row == nil {
		t.Fatalf("no row for the test's cgroup %s among %d", cg.Path, len(b.Cgroup))
	}
	t.Logf("%s: processes %d, cpu %v%%, memory %v, peak %v", row.Cgroup, row.Processes, deref(row.CPUPct), deref(row.MemoryBytes), deref(row.MemoryPeakBytes))
	if row.Processes != 1 {
		t.Errorf("processes = %d, want 1", row.Processes)
	}
	// The cgroup's CPU is its one process's: the kernel's cgroup
	// accounting (µs) and the process's ticks (10 ms) agree within a few
	// ticks over a second, however busy the machine.
	var procCPU schema.Centi
	for _, p := range b.Process {
		if p.PID == pid {
			procCPU = p.CPUUserPct + p.CPUSystemPct
		}
	}
	t.Logf("the child's own CPU: %v%%", procCPU)
	if row.CPUPct == nil || *row.CPUPct <= 0 || absCenti(*row.CPUPct-procCPU) > 500+procCPU/5 {
		t.Errorf("cpu_pct = %v, want about the child's %v", deref(row.CPUPct), procCPU)
	}
	if row.MemoryBytes == nil || *row.MemoryBytes < 64<<20 {
		t.Errorf("memory_bytes = %v, want at least the 64 MiB the child holds", deref(row.MemoryBytes))
	}
	if row.MemoryPeakBytes == nil || *row.MemoryPeakBytes < *row.MemoryBytes {
		t.Errorf("memory_peak_bytes = %v, want at least memory_bytes", deref(row.MemoryPeakBytes))
	}
	found := false
	for _, p := range b.Process {
		if p.PID == pid {
			found = true
			if p.Cgroup != cg.Path {
				t.Errorf("the child's process row names cgroup %q, want %q", p.Cgroup, cg.Path)
			}
			if !cg.V2 && p.CgroupMemory != cg.Path {
				t.Errorf("the child's cgroup_memory = %q, want %q", p.CgroupMemory, cg.Path)
			}
		}
	}
	if !found {
		t.Errorf("no process row for the child %d", pid)
	}
}

func absCenti(c schema.Centi) schema.Centi { return max(c, -c) }

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
