//go:build linux

package sample

import (
	"almanac/schema"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"
)

func TestParseDiskstats(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []diskStat
		wantErr bool
	}{
		{
			name: "kernel 5.5+ with discard and flush counters",
			in:   " 254       0 vda 21289 4093 1281882 33999 1886 14749 1435096 4091 0 11312 38717 4765 59 235216 626 4 0\n",
			want: []diskStat{{name: "vda", reads: 21289, readSectors: 1281882, readTicks: 33999, writes: 1886,
				writeSectors: 1435096, writeTicks: 4091, ioTicks: 11312, weightedTicks: 38717}},
		},
		{
			name: "kernel before 4.18: 11 counters, no final newline",
			in:   "   8  0 sda 1 2 3 4 5 6 7 8 9 10 11",
			want: []diskStat{{name: "sda", reads: 1, readSectors: 3, readTicks: 4, writes: 5,
				writeSectors: 7, writeTicks: 8, ioTicks: 10, weightedTicks: 11}},
		},
		{
			name: "a name with a slash, tabs, blank lines",
			in:   "\n104\t0\tcciss/c0d0\t1 0 0 0 0 0 0 0 0 0 0\n\n",
			want: []diskStat{{name: "cciss/c0d0", reads: 1}},
		},
		{
			name:    "too few counters: the line is skipped, the others kept",
			in:      "8 0 sda 1 2 3\n8 16 sdb 1 0 0 0 0 0 0 0 0 0 0\n",
			want:    []diskStat{{name: "sdb", reads: 1}},
			wantErr: true,
		},
		{
			name:    "a counter that is not a number",
			in:      "8 0 sda 1 2 3 4 5 6 7 8 9 10 x1\n",
			wantErr: true,
		},
		{
			name:    "a counter beyond 64 bits",
			in:      "8 0 sda 18446744073709551616 0 0 0 0 0 0 0 0 0 0\n",
			wantErr: true,
		},
		{
			name:    "a major number that is not a number",
			in:      "x 0 sda 1 0 0 0 0 0 0 0 0 0 0\n",
			wantErr: true,
		},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDiskstats([]byte(tt.in), nil, nil)
			if (err != nil) != tt.wantErr {
				t.Errorf("parseDiskstats() error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(diskStat{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parseDiskstats() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseDiskstats(f *testing.F) {
	for _, p := range []string{"testdata/proc/diskstats", "testdata/proc2/diskstats"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("8 0 sda 1 2 3\n"))
	f.Add([]byte("8 0 \xff\xfe 1 2 3 4 5 6 7 8 9 10 11\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := interner{}
		got, err := parseDiskstats(data, nil, in)
		for _, d := range got {
			if d.name == "" {
				t.Errorf("parsed a device without a name from %q", data)
			}
		}
		if err == nil && len(got) > strings.Count(string(data), "\n")+1 {
			t.Errorf("%d devices from %d lines", len(got), strings.Count(string(data), "\n")+1)
		}
		// A reading compared with itself: every rate is zero.
		for _, r := range diskRows(got, got, time.Second, 0, true, nil) {
			if r != (schema.DiskRow{Device: r.Device}) {
				t.Errorf("identical readings gave a non-zero row: %+v", r)
			}
		}
	})
}

func TestDiskRows(t *testing.T) {
	const tm = 1_000_000
	disk := func(name string, v ...uint64) diskStat {
		return diskStat{name: name, reads: v[0], readSectors: v[1], readTicks: v[2], writes: v[3],
			writeSectors: v[4], writeTicks: v[5], ioTicks: v[6], weightedTicks: v[7]}
	}
	tests := []struct {
		name      string
		prev, cur []diskStat
		d         time.Duration
		all       bool
		want      []schema.DiskRow
	}{
		{
			name: "iostat -x over 2 s",
			prev: []diskStat{disk("sda", 100, 1000, 50, 10, 80, 20, 100, 300)},
			// Δ: 40 reads, 800 sectors, 100 ms reading; 60 writes, 1600 sectors, 400 ms writing;
			// 500 ms busy, 1000 weighted ms.
			cur: []diskStat{disk("sda", 140, 1800, 150, 70, 1680, 420, 600, 1300)},
			d:   2 * time.Second,
			want: []schema.DiskRow{{Time: tm, Device: "sda", ReadsPerS: 2000, WritesPerS: 3000,
				ReadBytesPerS: 800 * 512 / 2, WriteBytesPerS: 1600 * 512 / 2,
				BusyPct: 2500, AwaitMs: 500, QueueSize: 50}},
		},
		{
			name: "no I/O in the interval: await 0, not NaN",
			prev: []diskStat{disk("sda", 1, 8, 1, 1, 8, 1, 2, 2)},
			cur:  []diskStat{disk("sda", 1, 8, 1, 1, 8, 1, 2, 2)},
			d:    time.Second,
			want: []schema.DiskRow{{Time: tm, Device: "sda"}},
		},
		{
			name: "busy longer than the interval is capped at 100 %",
			prev: []diskStat{disk("sda", 0, 0, 0, 1, 8, 0, 0, 0)},
			cur:  []diskStat{disk("sda", 0, 0, 0, 2, 16, 1, 1010, 1010)},
			d:    time.Second,
			want: []schema.DiskRow{{Time: tm, Device: "sda", WritesPerS: 100, WriteBytesPerS: 4096,
				BusyPct: 10000, AwaitMs: 100, QueueSize: 101}},
		},
		{
			name: "a counter going backwards gives no row for that device only",
			prev: []diskStat{disk("sda", 100, 8, 1, 1, 8, 1, 2, 2), disk("sdb", 1, 8, 1, 1, 8, 1, 2, 2)},
			cur:  []diskStat{disk("sda", 5, 8, 1, 1, 8, 1, 2, 2), disk("sdb", 1, 8, 1, 1, 8, 1, 2, 2)},
			d:    time.Second,
			want: []schema.DiskRow{{Time: tm, Device: "sdb"}},
		},
		{
			name: "a weighted tick counter wrapping gives no row",
			prev: []diskStat{disk("sda", 1, 8, 1, 1, 8, 1, 2, 1<<32-1)},
			cur:  []diskStat{disk("sda", 2, 16, 2, 1, 8, 1, 3, 5)},
			d:    time.Second,
		},
		{
			name: "a device that appears has no row until its second reading",
			prev: []diskStat{disk("sda", 1, 8, 1, 1, 8, 1, 2, 2)},
			cur:  []diskStat{disk("sdb", 1, 8, 1, 1, 8, 1, 2, 2), disk("sda", 1, 8, 1, 1, 8, 1, 2, 2)},
			d:    time.Second,
			want: []schema.DiskRow{{Time: tm, Device: "sda"}},
		},
		{
			name: "a device that vanished has no row",
			prev: []diskStat{disk("sda", 1, 8, 1, 1, 8, 1, 2, 2), disk("sdb", 1, 8, 1, 1, 8, 1, 2, 2)},
			cur:  []diskStat{disk("sdb", 1, 8, 1, 1, 8, 1, 2, 2)},
			d:    time.Second,
			want: []schema.DiskRow{{Time: tm, Device: "sdb"}},
		},
		{
			name: "a device idle since boot is left out",
			prev: []diskStat{disk("sr0", 0, 0, 0, 0, 0, 0, 0, 0)},
			cur:  []diskStat{disk("sr0", 0, 0, 0, 0, 0, 0, 0, 0)},
			d:    time.Second,
		},
		{
			name: "a device idle since boot is kept with all",
			prev: []diskStat{disk("sr0", 0, 0, 0, 0, 0, 0, 0, 0)},
			cur:  []diskStat{disk("sr0", 0, 0, 0, 0, 0, 0, 0, 0)},
			d:    time.Second,
			all:  true,
			want: []schema.DiskRow{{Time: tm, Device: "sr0"}},
		},
		{
			name: "a name that is not UTF-8 is escaped",
			prev: []diskStat{disk("sd\xff<x>", 0, 0, 0, 1, 0, 0, 0, 0)},
			cur:  []diskStat{disk("sd\xff<x>", 0, 0, 0, 1, 0, 0, 0, 0)},
			d:    time.Second,
			want: []schema.DiskRow{{Time: tm, Device: `sd\xff<x>`}},
		},
		{
			name: "no interval, no rows",
			prev: []diskStat{disk("sda", 1, 8, 1, 1, 8, 1, 2, 2)},
			cur:  []diskStat{disk("sda", 1, 8, 1, 1, 8, 1, 2, 2)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diskRows(tt.prev, tt.cur, tt.d, tm, tt.all, nil)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("diskRows() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPartitionName(t *testing.T) {
	devs := map[string]bool{"sda": true, "sda1": true, "nvme0n1": true, "nvme0n1p2": true,
		"mmcblk0": true, "mmcblk0p1": true, "md0": true, "dm-1": true, "vda": true}
	for name, want := range map[string]bool{
		"sda": false, "sda1": true, "nvme0n1": false, "nvme0n1p2": true, "mmcblk0": false,
		"mmcblk0p1": true, "md0": false, "dm-1": false, "vda": false, "1": false, "": false,
	} {
		if got := partitionName(name, devs); got != want {
			t.Errorf("partitionName(%q) = %v, want %v", name, got, want)
		}
	}
}

// The fixture tree holds whole disks (vda, sda, nvme0n1 with an old
// 11-counter line), their partitions, a device-mapper and an md device,
// zram used as swap, loop and ram devices, and idle sr0 and fd0. The second
// reading (testdata/proc2) is 10 s later: dm-0 went backwards, md0 vanished
// and sdb appeared.
func TestDiskCollectorFixture(t *testing.T) {
	tm := schema.Micros(fixtureEpoch.Add(10 * time.Second))
	vda := schema.DiskRow{Time: tm, Device: "vda", ReadsPerS: 1000, WritesPerS: 500, ReadBytesPerS: 40960,
		WriteBytesPerS: 81920, BusyPct: 250, AwaitMs: 133, QueueSize: 2}
	zram := schema.DiskRow{Time: tm, Device: "zram0", WritesPerS: 200, WriteBytesPerS: 8192, BusyPct: 1}
	sda := schema.DiskRow{Time: tm, Device: "sda", ReadsPerS: 30000, WritesPerS: 10000, ReadBytesPerS: 1228800,
		WriteBytesPerS: 409600, BusyPct: 10000, AwaitMs: 375, QueueSize: 400}
	nvme := schema.DiskRow{Time: tm, Device: "nvme0n1", WritesPerS: 10, WriteBytesPerS: 410, BusyPct: 2, AwaitMs: 300}
	zero := func(name string) schema.DiskRow { return schema.DiskRow{Time: tm, Device: name} }
	loop1 := schema.DiskRow{Time: tm, Device: "loop1", ReadsPerS: 100, ReadBytesPerS: 10240, BusyPct: 2, AwaitMs: 20}

	tests := []struct {
		name string
		all  bool
		want []schema.DiskRow
	}{
		{name: "default", want: []schema.DiskRow{vda, zram, sda, nvme}},
		{name: "all", all: true, want: []schema.DiskRow{zero("loop0"), loop1, zero("ram0"), vda, zram, sda, nvme,
			zero("sr0"), zero("fd0")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, second := collectFixture(t, &diskCollector{all: tt.all})
			if len(first.Disk) != 0 {
				t.Errorf("first reading gave %d rows, want none", len(first.Disk))
			}
			if diff := cmp.Diff(tt.want, second.Disk); diff != "" {
				t.Errorf("disk rows mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Without /sys/block, partitions are recognised by their names.
func TestDiskCollectorNoSysBlock(t *testing.T) {
	c := &diskCollector{}
	src := openSource(t, "testdata/proc", t.TempDir(), "/")
	t1 := firstTick(fixtureEpoch)
	if err := c.Collect(src, t1, &schema.Batch{}); err != nil {
		t.Fatal(err)
	}
	src.ProcPath = "testdata/proc2"
	b := &schema.Batch{}
	if err := c.Collect(src, laterTick(t1, fixtureEpoch.Add(10*time.Second)), b); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range b.Disk {
		got = append(got, r.Device)
	}
	// md0 is gone and dm-0 went backwards, as with /sys/block.
	want := []string{"vda", "zram0", "sda", "nvme0n1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("devices mismatch (-want +got):\n%s", diff)
	}
}

func TestDiskCollectorMissingFile(t *testing.T) {
	c := &diskCollector{}
	b := &schema.Batch{}
	if err := c.Collect(openSource(t, t.TempDir(), "testdata/sys", "/"), firstTick(fixtureEpoch), b); err != nil {
		t.Errorf("Collect without diskstats: %v, want no error", err)
	}
}

// The live test writes and syncs a file between two readings of this
// machine's /proc/diskstats.
func TestDiskCollectorLive(t *testing.T) {
	dir := t.TempDir()
	b := collectLive(t, &diskCollector{}, func() {
		f, err := os.Create(filepath.Join(dir, "x"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Write(make([]byte, 1<<16)); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	})
	if len(b.Disk) == 0 {
		t.Fatal("no disk rows on this machine")
	}
	var written int64
	for _, r := range b.Disk {
		if strings.HasPrefix(r.Device, "loop") || strings.HasPrefix(r.Device, "ram") {
			t.Errorf("device %q kept without all", r.Device)
		}
		if _, err := os.Stat(filepath.Join("/sys/block", r.Device)); err != nil {
			t.Errorf("device %q is not a whole disk: %v", r.Device, err)
		}
		if r.ReadsPerS < 0 || r.WritesPerS < 0 || r.ReadBytesPerS < 0 || r.WriteBytesPerS < 0 ||
			r.BusyPct < 0 || r.BusyPct > 10000 || r.AwaitMs < 0 || r.QueueSize < 0 {
			t.Errorf("row out of range: %+v", r)
		}
		written += r.WriteBytesPerS
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err == nil && st.Type != unix.TMPFS_MAGIC && written == 0 {
		t.Errorf("no bytes written on any disk after an fsync of 64 KiB in %s", dir)
	}
}

// BenchmarkCollectDisk measures one reading of this machine's
// /proc/diskstats; BenchmarkReadDiskstats is its floor, reading the file.
//
//	go test ./sample -run '^$' -bench 'Disk|Diskstats' -benchmem
func BenchmarkCollectDisk(b *testing.B) {
	src := openSource(b, "/proc", "/sys", "/")
	c := &diskCollector{}
	t := firstTick(time.Now())
	if err := c.Collect(src, t, &schema.Batch{}); err != nil {
		b.Fatal(err)
	}
	batch := &schema.Batch{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t = laterTick(t, t.Now.Add(time.Second))
		batch.Disk = batch.Disk[:0]
		if err := c.Collect(src, t, batch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadDiskstats(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 64<<10)
	for b.Loop() {
		f, err := os.Open("/proc/diskstats")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Read(buf); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
