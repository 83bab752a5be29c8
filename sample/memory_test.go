//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseMeminfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    memInfo
		wantErr bool
	}{
		{
			name: "kernel lines",
			in: "MemTotal:       24684096 kB\nMemFree:        22117592 kB\nMemAvailable:   23952252 kB\n" +
				"Buffers:           34492 kB\nCached:          1937080 kB\nSwapCached:            0 kB\n" +
				"SwapTotal:       2097148 kB\nSwapFree:        2000000 kB\nDirty:              1234 kB\n" +
				"Shmem:              8788 kB\nSlab:             200084 kB\nHugePages_Total:       0\n",
			want: memInfo{
				total: 24684096 * 1024, free: 22117592 * 1024, available: 23952252 * 1024,
				buffers: 34492 * 1024, cached: 1937080 * 1024, swapTotal: 2097148 * 1024,
				swapFree: 2000000 * 1024, dirty: 1234 * 1024, shared: 8788 * 1024, slab: 200084 * 1024,
			},
		},
		{
			name: "old kernel without MemAvailable, a value without unit",
			in:   "MemTotal: 1000 kB\nMemFree: 12\n",
			want: memInfo{total: 1024000, free: 12},
		},
		{name: "unknown lines skipped", in: "Whatever: x y z\nMemTotal: 1 kB\n\n", want: memInfo{total: 1024}},
		{name: "empty", in: "", want: memInfo{}},
		{name: "bad number", in: "MemTotal: 1x kB\n", wantErr: true},
		{name: "no number", in: "MemTotal:\n", wantErr: true},
		{name: "unknown unit", in: "MemTotal: 1 MB\n", wantErr: true},
		{name: "overflow", in: "MemTotal: 18446744073709551615 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMeminfo(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseMeminfo() error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(memInfo{})); diff != "" {
				t.Errorf("parseMeminfo() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseMeminfo(f *testing.F) {
	for _, p := range []string{"testdata/proc/meminfo", "testdata/proc2/meminfo"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("MemTotal: 9007199254740993 kB\nSwapFree:\t 3 kB junk\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMeminfo(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Written back in bytes, it parses to the same values.
		again := fmt.Sprintf("MemTotal: %d\nMemFree: %d\nMemAvailable: %d\nBuffers: %d\n"+
			"Cached: %d\nShmem: %d\nSlab: %d\nDirty: %d\nSwapTotal: %d\nSwapFree: %d\n",
			m.total, m.free, m.available, m.buffers, m.cached, m.shared, m.slab, m.dirty, m.swapTotal, m.swapFree)
		m2, err := parseMeminfo(strings.NewReader(again))
		if err != nil || m2 != m {
			t.Errorf("parseMeminfo(%q) = %+v; written back and parsed: %+v, %v", data, m, m2, err)
		}
	})
}

func TestParseVMStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    vmStat
		wantErr bool
	}{
		{
			name: "kernel lines",
			in: "nr_free_pages 1111127\npswpin 100\npswpout 200\npgfault 4355325\n" +
				"pgmajfault 1121\noom_kill 1\npgfault_later 9\n",
			want: vmStat{pswpin: 100, pswpout: 200, pgfault: 4355325, pgmajfault: 1121, oomKill: 1},
		},
		{
			name: "before Linux 4.13: no oom_kill",
			in:   "pswpin 1\npswpout 2\npgfault 3\npgmajfault 4\n",
			want: vmStat{pswpin: 1, pswpout: 2, pgfault: 3, pgmajfault: 4},
		},
		{name: "names only alike", in: "pswpin_x 5\noom_kills 7\npgfaul 3\n", want: vmStat{}},
		{name: "no final newline", in: "pgfault 3", want: vmStat{pgfault: 3}},
		{name: "empty", in: "", want: vmStat{}},
		{name: "bad number", in: "pgfault -3\n", wantErr: true},
		{name: "missing number", in: "pgmajfault\n", wantErr: true},
		{name: "overflow", in: "pswpout 18446744073709551616\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVMStat(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseVMStat() error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(vmStat{})); diff != "" {
				t.Errorf("parseVMStat() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseVMStat(f *testing.F) {
	for _, p := range []string{"testdata/proc/vmstat", "testdata/proc2/vmstat"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("pgfault 1\npgfault 2\noom_kill\t3 4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseVMStat(bytes.NewReader(data))
		if err != nil {
			return
		}
		// What was parsed is really in the input.
		for name, n := range map[string]uint64{"pswpin": v.pswpin, "pswpout": v.pswpout,
			"pgfault": v.pgfault, "pgmajfault": v.pgmajfault, "oom_kill": v.oomKill} {
			if n != 0 && !bytes.Contains(data, []byte(name)) {
				t.Errorf("parseVMStat(%q): %s = %d, but the input does not name it", data, name, n)
			}
		}
	})
}

func TestMemoryRow(t *testing.T) {
	mi := memInfo{total: 8 << 30, free: 1 << 30, available: 4 << 30, buffers: 1 << 20,
		cached: 2 << 30, shared: 3 << 20, slab: 5 << 20, dirty: 7 << 10, swapTotal: 1 << 30, swapFree: 1 << 29}
	sizes := schema.MemoryRow{TotalBytes: 8 << 30, FreeBytes: 1 << 30, AvailableBytes: 4 << 30,
		BuffersBytes: 1 << 20, CachedBytes: 2 << 30, SharedBytes: 3 << 20, SlabBytes: 5 << 20,
		DirtyBytes: 7 << 10, SwapTotalBytes: 1 << 30, SwapFreeBytes: 1 << 29}
	with := func(r schema.MemoryRow, in, out, faults, major schema.Centi, ooms int64) schema.MemoryRow {
		r.SwapInPerS, r.SwapOutPerS, r.PageFaultsPerS, r.MajorFaultsPerS, r.OOMKills = in, out, faults, major, ooms
		return r
	}
	prev := vmStat{pswpin: 100, pswpout: 200, pgfault: 1000, pgmajfault: 10, oomKill: 2}
	tests := []struct {
		name string
		cur  vmStat
		d    time.Duration
		want schema.MemoryRow
		ok   bool
	}{
		{
			name: "rates over 4 s",
			cur:  vmStat{pswpin: 102, pswpout: 600, pgfault: 1000 + 12345, pgmajfault: 11, oomKill: 5},
			d:    4 * time.Second,
			// 2/4, 400/4, 12345/4 = 3086.25, 1/4; 3 kills.
			want: with(sizes, 50, 10000, 308625, 25, 3),
			ok:   true,
		},
		{name: "nothing happened", cur: prev, d: time.Second, want: sizes, ok: true},
		{name: "oom_kill went backwards", cur: vmStat{pswpin: 100, pswpout: 200, pgfault: 1000, pgmajfault: 10, oomKill: 1}, d: time.Second},
		{name: "pgfault went backwards", cur: vmStat{pswpin: 100, pswpout: 200, pgfault: 999, pgmajfault: 10, oomKill: 2}, d: time.Second},
		{name: "no time passed", cur: prev, d: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := memoryRow(mi, prev, tt.cur, tt.d)
			if ok != tt.ok {
				t.Fatalf("memoryRow() ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("memoryRow() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMemoryCollectorFixture(t *testing.T) {
	b := collectFixturePair(t, &memoryCollector{})
	want := []schema.MemoryRow{{
		Time:           schema.Micros(statEpoch.Add(10 * time.Second)),
		TotalBytes:     24684096 * 1024,
		FreeBytes:      21900000 * 1024,
		AvailableBytes: 23800000 * 1024,
		BuffersBytes:   34600 * 1024,
		CachedBytes:    1940000 * 1024,
		SharedBytes:    9000 * 1024,
		SlabBytes:      60000 * 1024,
		DirtyBytes:     4321 * 1024,
		SwapTotalBytes: 2097148 * 1024,
		SwapFreeBytes:  1900000 * 1024,
		// vmstat over 10 s: pswpin +500, pswpout +1234, pgfault +123456,
		// pgmajfault +77, oom_kill 1 → 3.
		SwapInPerS:      5000,
		SwapOutPerS:     12340,
		PageFaultsPerS:  1234560,
		MajorFaultsPerS: 770,
		OOMKills:        2,
	}}
	if diff := cmp.Diff(want, b.Memory); diff != "" {
		t.Errorf("memory rows mismatch (-want +got):\n%s", diff)
	}
}

// A reboot (a First tick) gives no row; the next interval starts from the
// reading taken at the reboot, so the counters that restarted near zero
// give no negative or huge rate.
func TestMemoryCollectorReboot(t *testing.T) {
	c := &memoryCollector{}
	at := func(sec int) time.Time { return statEpoch.Add(time.Duration(sec) * time.Second) }
	steps := []struct {
		proc  string
		tick  Tick
		rows  int
		fault schema.Centi
	}{
		{"testdata/proc2", Tick{Now: at(0), First: true}, 0, 0},
		// proc has smaller counters than proc2: as after a reboot the
		// Sampler did not notice. No row rather than a negative rate.
		{"testdata/proc", Tick{Now: at(10), Interval: 10 * time.Second}, 0, 0},
		{"testdata/proc2", Tick{Now: at(20), First: true}, 0, 0},
		{"testdata/proc2", Tick{Now: at(30), Interval: 10 * time.Second}, 1, 0},
	}
	for i, s := range steps {
		b := &schema.Batch{}
		if err := c.Collect(procSource(t, s.proc), s.tick, b); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if len(b.Memory) != s.rows {
			t.Fatalf("step %d: %d rows, want %d: %+v", i, len(b.Memory), s.rows, b.Memory)
		}
		if s.rows > 0 && b.Memory[0].PageFaultsPerS != s.fault {
			t.Errorf("step %d: page_faults_per_s = %v, want %v", i, b.Memory[0].PageFaultsPerS, s.fault)
		}
	}
}

func TestMemoryCollectorLive(t *testing.T) {
	c := &memoryCollector{}
	b, _ := collectLiveTwice(t, c)
	if len(b.Memory) != 1 {
		t.Fatalf("got %d memory rows, want 1", len(b.Memory))
	}
	r := b.Memory[0]
	if r.TotalBytes <= 0 {
		t.Errorf("total_bytes = %d, want > 0", r.TotalBytes)
	}
	for name, v := range map[string]int64{"free": r.FreeBytes, "available": r.AvailableBytes,
		"buffers": r.BuffersBytes, "cached": r.CachedBytes, "shared": r.SharedBytes,
		"slab": r.SlabBytes, "dirty": r.DirtyBytes} {
		if v < 0 || v > r.TotalBytes {
			t.Errorf("%s_bytes = %d, want 0..%d", name, v, r.TotalBytes)
		}
	}
	if r.SwapFreeBytes < 0 || r.SwapFreeBytes > r.SwapTotalBytes {
		t.Errorf("swap_free_bytes = %d, want 0..%d", r.SwapFreeBytes, r.SwapTotalBytes)
	}
	if r.SwapInPerS < 0 || r.SwapOutPerS < 0 || r.PageFaultsPerS < 0 || r.MajorFaultsPerS < 0 || r.OOMKills < 0 {
		t.Errorf("a negative rate: %+v", r)
	}
	if r.MajorFaultsPerS > r.PageFaultsPerS {
		t.Errorf("more major faults than faults: %+v", r)
	}
}

// BenchmarkCollectMemory measures the memory row of one sample from this
// machine's /proc/meminfo and /proc/vmstat.
// Run: go test ./sample -run '^$' -bench CollectMemory -benchmem
func BenchmarkCollectMemory(b *testing.B) {
	src := procSource(b, "/proc")
	c := &memoryCollector{}
	now := time.Now()
	if err := c.Collect(src, Tick{Now: now, First: true}, &schema.Batch{}); err != nil {
		b.Fatal(err)
	}
	tick := Tick{Now: now, Interval: 10 * time.Second}
	batch := &schema.Batch{}
	b.ReportAllocs()
	for b.Loop() {
		batch.Memory = batch.Memory[:0]
		if err := c.Collect(src, tick, batch); err != nil {
			b.Fatal(err)
		}
	}
	if len(batch.Memory) != 1 {
		b.Fatalf("%d rows, want 1", len(batch.Memory))
	}
}
