//go:build linux

package sample

import (
	"almanac/internal/testfs"
	"almanac/schema"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCgroupFiles(t *testing.T) {
	if v, ok := parseKeyed([]byte("usage_usec 123\nuser_usec 100\n"), "usage_usec"); !ok || v != 123 {
		t.Errorf("parseKeyed usage_usec = %d, %v", v, ok)
	}
	if v, ok := parseKeyed([]byte("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n"), "oom_kill"); !ok || v != 7 {
		t.Errorf("parseKeyed oom_kill = %d, %v", v, ok)
	}
	if _, ok := parseKeyed([]byte("oom 1\n"), "oom_kill"); ok {
		t.Error("parseKeyed found a key that is not there")
	}
	if _, ok := parseKeyed([]byte("oom_kill x\n"), "oom_kill"); ok {
		t.Error("parseKeyed took a value that is not a number")
	}
	if v, ok := parseSingle([]byte("4096\n")); !ok || v != 4096 {
		t.Errorf("parseSingle = %d, %v", v, ok)
	}
	if _, ok := parseSingle([]byte("max\n")); ok {
		t.Error("parseSingle took max for a number")
	}
	rd, wr, ok := parseIOStat([]byte("8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=1 wbytes=2 rios=1 wios=1\n"))
	if !ok || rd != 101 || wr != 202 {
		t.Errorf("parseIOStat = %d, %d, %v", rd, wr, ok)
	}
	if _, _, ok := parseIOStat(nil); ok {
		t.Error("parseIOStat of an empty file found bytes")
	}
	rd, wr, ok = parseBlkio([]byte("8:0 Read 10\n8:0 Write 20\n8:0 Total 30\n8:16 Read 1\n8:16 Write 2\nTotal 33\n"))
	if !ok || rd != 11 || wr != 22 {
		t.Errorf("parseBlkio = %d, %d, %v", rd, wr, ok)
	}
}

// FuzzParseCgroupFiles checks that no file content makes the cgroup file
// parsers panic.
func FuzzParseCgroupFiles(f *testing.F) {
	for _, s := range []string{"usage_usec 1\n", "8:0 rbytes=1 wbytes=2\n", "8:0 Read 1\nTotal 1\n", "max\n", "", "8:0 rbytes=\n=\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parseKeyed(data, "oom_kill")
		parseSingle(data)
		parseIOStat(data)
		parseBlkio(data)
	})
}

// bumpCounters adds to every cumulative counter of the cgroup files below
// dir what ten seconds of activity would: 5 s of CPU, 10 KiB read and
// 20 KiB written, 1 s of every pressure stall.
func bumpCounters(t *testing.T, dir string) {
	t.Helper()
	add := func(re *regexp.Regexp, by uint64) func([]byte) []byte {
		return func(b []byte) []byte {
			return re.ReplaceAllFunc(b, func(m []byte) []byte {
				i := bytes.LastIndexAny(m, " =")
				n, _ := strconv.ParseUint(string(m[i+1:]), 10, 64)
				return append(m[:i+1:i+1], strconv.FormatUint(n+by, 10)...)
			})
		}
	}
	edits := map[string][]func([]byte) []byte{
		"cpu.stat":      {add(regexp.MustCompile(`(?m)^usage_usec \d+`), 5_000_000)},
		"cpuacct.usage": {add(regexp.MustCompile(`^\d+`), 5_000_000_000)},
		"io.stat":       {add(regexp.MustCompile(`rbytes=\d+`), 10240), add(regexp.MustCompile(`wbytes=\d+`), 20480)},
		"blkio.throttle.io_service_bytes_recursive": {add(regexp.MustCompile(`Read \d+`), 10240), add(regexp.MustCompile(`Write \d+`), 20480)},
		"cpu.pressure":    {add(regexp.MustCompile(`total=\d+`), 1_000_000)},
		"memory.pressure": {add(regexp.MustCompile(`total=\d+`), 1_000_000)},
		"io.pressure":     {add(regexp.MustCompile(`total=\d+`), 1_000_000)},
	}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		fns := edits[filepath.Base(p)]
		if fns == nil {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, fn := range fns {
			data = fn(data)
		}
		return os.WriteFile(p, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// collectCgroups runs the process and cgroup collectors over the fixture
// tree dir twice, ten seconds apart, with the counters bumped between.
func collectCgroups(t *testing.T, tree string) *schema.Batch {
	t.Helper()
	dir := testfs.CopyTree(t, tree)
	src := Source{ProcPath: filepath.Join(dir, "proc"), SysPath: filepath.Join(dir, "sys"), RootFS: "testdata/rootfs"}
	proc := newProcessCollector(false, discardLog())
	proc.pageSize = 4096
	cg := newCgroupCollector(proc, discardLog())
	groups := &procGroupCollector{}
	var first schema.Batch
	for _, c := range []collector{proc, cg, groups} {
		if err := c.Collect(src, fixtureTick(fixturePrev, true), &first); err != nil {
			t.Fatal(err)
		}
	}
	if n := first.Rows(); n != 0 {
		t.Errorf("first reading appended %d rows", n)
	}
	bumpCounters(t, filepath.Join(dir, "sys"))
	b := &schema.Batch{Time: fixtureNow}
	for _, c := range []collector{proc, cg, groups} {
		if err := c.Collect(src, fixtureTick(fixtureNow, false), b); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func centiP(v schema.Centi) *schema.Centi { return &v }

// busyCgroup is a cgroup's row after bumpCounters: 50 % of a CPU, 1024 B/s
// read, 2048 B/s written, 10 % of the interval stalled.
func busyCgroup(r schema.CgroupRow, v2 bool, memory, peak int64) schema.CgroupRow {
	r.CPUPct, r.CPUUsec = centiP(5000), i64(5_000_000)
	r.MemoryBytes = i64(memory)
	if peak > 0 {
		r.MemoryPeakBytes = i64(peak)
	}
	r.ReadBytesPerS, r.WriteBytesPerS = i64(1024), i64(2048)
	r.OOMKills = i64(0)
	if v2 {
		r.CPUSomePct, r.MemorySomePct, r.MemoryFullPct, r.IOSomePct, r.IOFullPct =
			centiP(1000), centiP(1000), centiP(1000), centiP(1000), centiP(1000)
	}
	return r
}

func TestCgroupCollectorFixtures(t *testing.T) {
	tm := schema.Micros(fixtureNow)
	const (
		cA = "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
		cB = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
		u1 = "6b1d7c2e-3f4a-4b5c-8d9e-0f1a2b3c4d5e"
		u2 = "0c9e8d7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
	)
	p1 := "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + strings.ReplaceAll(u1, "-", "_") + ".slice/cri-containerd-" + cA + ".scope"
	pod2 := "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + strings.ReplaceAll(u2, "-", "_") + ".slice"
	p2 := pod2 + "/cri-containerd-" + cB + ".scope"
	row := func(path, unit string, procs, threads int32) schema.CgroupRow {
		return schema.CgroupRow{Time: tm, Cgroup: path, Unit: unit, Processes: procs, Threads: threads}
	}
	ctr := func(r schema.CgroupRow, id, runtime, pod string) schema.CgroupRow {
		r.Container, r.Runtime, r.Pod = id, runtime, pod
		return r
	}
	tests := []struct {
		tree string
		want []schema.CgroupRow
	}{
		{"v2-systemd", []schema.CgroupRow{
			row("/", "", 1, 1), // kthreadd: the root's files are not read
			busyCgroup(row("/init.scope", "init.scope", 1, 1), true, 20<<20, 40<<20),
			busyCgroup(row("/system.slice/nginx.service", "nginx.service", 2, 5), true, 300<<20, 512<<20),
			// no memory.peak: an older kernel
			busyCgroup(row("/user.slice/user-1000.slice/session-3.scope", "session-3.scope", 2, 2), true, 50<<20, 0),
		}},
		{"docker", []schema.CgroupRow{
			busyCgroup(row("/init.scope", "init.scope", 1, 1), true, 20<<20, 40<<20),
			busyCgroup(row("/system.slice/containerd.service", "containerd.service", 1, 9), true, 60<<20, 70<<20),
			busyCgroup(ctr(row("/system.slice/docker-"+cA+".scope", "docker-"+cA+".scope", 2, 8), cA, "docker", ""), true, 700<<20, 800<<20),
			busyCgroup(ctr(row("/system.slice/docker-"+cB+".scope", "docker-"+cB+".scope", 1, 1), cB, "docker", ""), true, 900<<20, 1000<<20),
			busyCgroup(row("/system.slice/docker.service", "docker.service", 1, 12), true, 80<<20, 100<<20),
		}},
		{"kubernetes", []schema.CgroupRow{
			busyCgroup(row("/init.scope", "init.scope", 1, 1), true, 20<<20, 40<<20),
			busyCgroup(ctr(row(pod2, "kubepods-besteffort-pod"+strings.ReplaceAll(u2, "-", "_")+".slice", 1, 1), "", "kubepods", u2), true, 1<<20, 2<<20),
			busyCgroup(ctr(row(p2, "cri-containerd-"+cB+".scope", 1, 5), cB, "containerd", u2), true, 30<<20, 35<<20),
			busyCgroup(ctr(row(p1, "cri-containerd-"+cA+".scope", 1, 1), cA, "containerd", u1), true, 400<<20, 450<<20),
			busyCgroup(row("/system.slice/kubelet.service", "kubelet.service", 1, 20), true, 150<<20, 200<<20),
		}},
		{"v1", []schema.CgroupRow{
			// memory controller at the root: CPU and I/O only
			func() schema.CgroupRow {
				r := busyCgroup(row("/init.scope", "init.scope", 1, 1), false, 0, 0)
				r.MemoryBytes, r.OOMKills = nil, nil
				return r
			}(),
			busyCgroup(row("/system.slice/cron.service", "cron.service", 1, 1), false, 5<<20, 9<<20),
			busyCgroup(row("/system.slice/mysql.service", "mysql.service", 1, 1), false, 2<<30, 3<<30),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			b := collectCgroups(t, filepath.Join("testdata", "cgroup", tt.tree))
			if diff := cmp.Diff(tt.want, b.Cgroup); diff != "" {
				t.Errorf("cgroup rows (-want +got):\n%s", diff)
			}
			// Every process row names its cgroup, as the cgroup rows do.
			paths := map[string]schema.CgroupRow{}
			for _, r := range b.Cgroup {
				paths[r.Cgroup] = r
			}
			for _, p := range b.Process {
				r, ok := paths[p.Cgroup]
				if !ok || r.Unit != p.Unit || r.Container != p.Container {
					t.Errorf("process %d (%s) in cgroup %q unit %q container %q: no such cgroup row", p.PID, p.Comm, p.Cgroup, p.Unit, p.Container)
				}
				if tt.tree == "v1" && p.CgroupCPU != p.Cgroup {
					t.Errorf("process %d: cgroup_cpu %q, want %q", p.PID, p.CgroupCPU, p.Cgroup)
				}
				if tt.tree != "v1" && (p.CgroupCPU != "" || p.CgroupMemory != "") {
					t.Errorf("process %d on a v2 host has v1 paths %q, %q", p.PID, p.CgroupCPU, p.CgroupMemory)
				}
			}
			// The groups sum the processes.
			for _, g := range b.ProcGroup {
				if g.By != "unit" {
					continue
				}
				var procs int32
				for _, r := range b.Cgroup {
					if r.Unit == g.Name {
						procs += r.Processes
					}
				}
				if procs != g.Processes {
					t.Errorf("proc_group unit %s: %d processes, the cgroup rows have %d", g.Name, g.Processes, procs)
				}
			}
		})
	}
}
