//go:build linux

package sample

import (
	"almanac/schema"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// copyInto copies the tree src into dst, replacing files that exist.
func copyInto(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fixtureTrees builds the two readings the whole Sampler sees: the system
// files of testdata/proc with the processes of testdata/proc-prev, then
// testdata/proc with testdata/proc2's system files laid over it.
func fixtureTrees(t *testing.T) (first, second string) {
	t.Helper()
	first, second = t.TempDir(), t.TempDir()
	copyInto(t, "testdata/proc", first)
	entries, err := os.ReadDir(first)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err == nil && e.Name() != "1" {
			if err := os.RemoveAll(filepath.Join(first, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	copyInto(t, "testdata/proc-prev", first)
	copyInto(t, "testdata/proc", second)
	copyInto(t, "testdata/proc2", second)
	return first, second
}

// TestSamplerFixture drives the whole Sampler through two readings of the
// fixture tree: the first gives no batch, the second a row in every table
// the fixtures cover, all stamped with the second reading's time.
func TestSamplerFixture(t *testing.T) {
	p1, p2 := fixtureTrees(t)
	s := New(openSource(t, p1, "testdata/sys", "testdata/rootfs"), Options{})
	b, err := s.Sample(fixtureEpoch)
	if b != nil {
		t.Errorf("first reading gave a batch of %d rows, want none", b.Rows())
	}
	if err != nil {
		t.Logf("first reading: %v", err)
	}
	s.src = openSource(t, p2, "testdata/sys", "testdata/rootfs")
	now := fixtureEpoch.Add(10 * time.Second)
	b, err = s.Sample(now)
	if err != nil {
		t.Logf("second reading: %v", err)
	}
	if b == nil {
		t.Fatal("second reading gave no batch")
	}
	counts := map[string]int{
		schema.TableHost: len(b.Host), schema.TableCPU: len(b.CPU), schema.TableSystem: len(b.System),
		schema.TablePressure: len(b.Pressure), schema.TableMemory: len(b.Memory), schema.TableDisk: len(b.Disk),
		schema.TableNetwork: len(b.Network), schema.TableTemperature: len(b.Temperature),
		schema.TableProcCount: len(b.ProcCount), schema.TableProcUser: len(b.ProcUser), schema.TableProcess: len(b.Process),
	}
	for table, n := range counts {
		if n == 0 {
			t.Errorf("table %s has no rows", table)
		}
	}
	us := schema.Micros(now)
	check := func(table string, times ...int64) {
		for _, tm := range times {
			if tm != us {
				t.Errorf("%s row at %d, want %d", table, tm, us)
			}
		}
	}
	check(schema.TableSystem, b.System[0].Time)
	check(schema.TableMemory, b.Memory[0].Time)
	check(schema.TableHost, b.Host[0].Time)
	for _, r := range b.Process {
		check(schema.TableProcess, r.Time)
	}
	if got, want := b.System[0].IntervalMs, int32(10000); got != want {
		t.Errorf("interval_ms = %d, want %d", got, want)
	}
	if b.Host[0].Hostname == "" || b.Host[0].Kernel == "" {
		t.Errorf("host facts incomplete: %+v", b.Host[0])
	}
	if b.Host[0].OS == "" {
		t.Errorf("host facts lack the os from testdata/rootfs/etc/os-release: %+v", b.Host[0])
	}

	// The facts are written once a day: the next sample has no host row.
	b, _ = s.Sample(now.Add(10 * time.Second))
	if b != nil && len(b.Host) != 0 {
		t.Errorf("host facts written again without a change: %+v", b.Host)
	}
}

// TestSamplerLive samples this machine twice and checks the batch is
// plausible: every table a Linux machine always has is filled.
func TestSamplerLive(t *testing.T) {
	s := New(openSource(t, "/proc", "/sys", "/"), Options{})
	t0 := time.Now()
	if b, err := s.Sample(t0); b != nil || err != nil {
		t.Fatalf("first reading = %v, %v; want nil, nil", b, err)
	}
	for time.Since(t0) < 200*time.Millisecond { // let every counter move
	}
	b, err := s.Sample(time.Now())
	if err != nil {
		t.Errorf("second reading: %v", err)
	}
	if b == nil {
		t.Fatal("no batch")
	}
	if len(b.CPU) < 2 || len(b.System) != 1 || len(b.Memory) != 1 || len(b.Process) == 0 ||
		len(b.ProcCount) != 1 || len(b.Host) != 1 || len(b.Network) == 0 {
		t.Errorf("batch lacks rows: cpu %d system %d memory %d process %d proc_count %d host %d network %d",
			len(b.CPU), len(b.System), len(b.Memory), len(b.Process), len(b.ProcCount), len(b.Host), len(b.Network))
	}
	if got := int(b.ProcCount[0].Total); got != len(b.Process) {
		t.Errorf("proc_count total %d != %d process rows", got, len(b.Process))
	}
	me := int32(os.Getpid())
	found := false
	for _, p := range b.Process {
		found = found || p.PID == me
	}
	if !found {
		t.Errorf("this test process (pid %d) is not in the process table", me)
	}
}

// TestSamplerReboot checks that a boot time that moved by more than the
// jitter NTP causes starts over: no rates across a reboot.
func TestSamplerReboot(t *testing.T) {
	p1, p2 := fixtureTrees(t)
	s := New(openSource(t, p1, "testdata/sys", "testdata/rootfs"), Options{})
	s.Sample(fixtureEpoch)
	s.prevBoot = s.prevBoot.Add(-time.Hour) // as if the first reading was of an earlier boot
	s.src = openSource(t, p2, "testdata/sys", "testdata/rootfs")
	if b, _ := s.Sample(fixtureEpoch.Add(10 * time.Second)); b != nil {
		t.Errorf("a reading after a reboot gave %d rows, want none", b.Rows())
	}
	if b, _ := s.Sample(fixtureEpoch.Add(20 * time.Second)); b == nil {
		t.Error("the reading after that gave no batch")
	}
}

// TestSameMounts checks that sameMounts agrees with comparing mountList,
// which it stands in for on every sample.
func TestSameMounts(t *testing.T) {
	rows := []schema.FilesystemRow{{Mountpoint: "/", FSType: "ext4", Device: "/dev/vda"}, {Mountpoint: "/a b", FSType: "xfs", Device: "/dev/x"}}
	list := mountList(rows)
	tests := []struct {
		name string
		rows []schema.FilesystemRow
		want bool
	}{
		{"same", rows, true},
		{"one fewer", rows[:1], false},
		{"other device", []schema.FilesystemRow{rows[0], {Mountpoint: "/a b", FSType: "xfs", Device: "/dev/y"}}, false},
		{"a space moved from mount point to type", []schema.FilesystemRow{rows[0], {Mountpoint: "/a", FSType: "b xfs", Device: "/dev/x"}}, false},
		{"other type", []schema.FilesystemRow{rows[0], {Mountpoint: "/a b", FSType: "ext4", Device: "/dev/x"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameMounts(tt.rows, list); got != tt.want {
				t.Errorf("sameMounts = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSamplerBootJitter checks that a btime that moved by a second (the
// kernel derives it from the clock) leaves boot_time as it was, so the
// archive shows a reboot only where there was one.
func TestSamplerBootJitter(t *testing.T) {
	p1, p2 := fixtureTrees(t)
	withBtime := func(dir string, delta int64) string {
		t.Helper()
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(stat), "\n")
		for i, l := range lines {
			if v, ok := strings.CutPrefix(l, "btime "); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				lines[i] = "btime " + strconv.FormatInt(n+delta, 10)
			}
		}
		out := t.TempDir()
		copyInto(t, dir, out)
		if err := os.WriteFile(filepath.Join(out, "stat"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return out
	}
	s := New(openSource(t, p1, "testdata/sys", "testdata/rootfs"), Options{})
	s.Sample(fixtureEpoch)
	s.src = openSource(t, p2, "testdata/sys", "testdata/rootfs")
	b, _ := s.Sample(fixtureEpoch.Add(10 * time.Second))
	if b == nil || len(b.System) != 1 || len(b.Host) != 1 {
		t.Fatalf("second reading: no system or host row: %+v", b)
	}
	boot := b.System[0].BootTime
	if b.Host[0].BootTime != boot {
		t.Errorf("host boot_time %d, system boot_time %d", b.Host[0].BootTime, boot)
	}
	for i, delta := range []int64{1, -1, 2} {
		s.src = openSource(t, withBtime(p2, delta), "testdata/sys", "testdata/rootfs")
		b, _ = s.Sample(fixtureEpoch.Add(time.Duration(20+10*i) * time.Second))
		if b == nil || len(b.System) != 1 {
			t.Fatalf("btime %+d s: no system row (taken as a reboot?)", delta)
		}
		if got := b.System[0].BootTime; got != boot {
			t.Errorf("btime %+d s: boot_time %d, want %d as before", delta, got, boot)
		}
		if len(b.Host) != 0 {
			t.Errorf("btime %+d s: host facts written again: %+v", delta, b.Host)
		}
	}
	// A real reboot: a new boot time, rates start over.
	s.src = openSource(t, withBtime(p2, 3600), "testdata/sys", "testdata/rootfs")
	if b, _ = s.Sample(fixtureEpoch.Add(time.Minute)); b != nil {
		t.Errorf("after a reboot: %d rows, want none", b.Rows())
	}
	b, _ = s.Sample(fixtureEpoch.Add(time.Minute + 10*time.Second))
	if b == nil || len(b.System) != 1 || b.System[0].BootTime != boot+3600e6 {
		t.Errorf("after a reboot: boot_time %+v, want %d", b, boot+3600e6)
	}
}
