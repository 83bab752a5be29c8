//go:build linux

package sample

import (
	"almanac/schema"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/procfs"
)

// The helpers below serve the tests of the collectors that read /proc/stat
// through the Tick (cpu, system) and of pressure, memory and host facts.

// statEpoch is the time of the first reading of testdata/proc; the second
// reading, testdata/proc2, is ten seconds later.
var statEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// procSource opens the proc tree at proc, with testdata/rootfs as the root
// filesystem; it needs no sys tree.
func procSource(tb testing.TB, proc string) Source {
	tb.Helper()
	fs, err := procfs.NewFS(proc)
	if err != nil {
		tb.Fatal(err)
	}
	root := "testdata/rootfs"
	if proc == "/proc" {
		root = "/"
	}
	return Source{Proc: fs, ProcPath: proc, RootFS: root}
}

// statTick reads /proc/stat of src and returns the Tick of a reading at now
// that follows prev (nil for the first reading of a run), the way
// Sampler.Sample makes it.
func statTick(tb testing.TB, src Source, now time.Time, prev *Tick) Tick {
	tb.Helper()
	stat, err := src.Proc.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	boot := time.Unix(int64(stat.BootTime), 0).UTC()
	t := Tick{Now: now, Time: schema.Micros(now), BootTime: boot, Stat: stat}
	t.First = prev == nil || !now.After(prev.Now) || boot.Sub(prev.BootTime).Abs() > bootJitter
	if !t.First {
		t.Interval = now.Sub(prev.Now)
	}
	return t
}

// collectFixturePair drives c through a first reading of testdata/proc and a
// second of testdata/proc2 ten seconds later. It checks that the first
// reading gives no rows and returns the batch of the second.
func collectFixturePair(t *testing.T, c collector) *schema.Batch {
	t.Helper()
	src1, src2 := procSource(t, "testdata/proc"), procSource(t, "testdata/proc2")
	t1 := statTick(t, src1, statEpoch, nil)
	first := &schema.Batch{}
	if err := c.Collect(src1, t1, first); err != nil {
		t.Fatalf("first Collect: %v", err)
	}
	if n := first.Rows(); n != 0 {
		t.Errorf("first reading gave %d rows, want 0", n)
	}
	t2 := statTick(t, src2, statEpoch.Add(10*time.Second), &t1)
	second := &schema.Batch{}
	if err := c.Collect(src2, t2, second); err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	return second
}

// collectLiveTwice drives c through two readings of this machine's /proc
// at least 50 ms apart, keeping a CPU busy in between so that the counters
// move, and returns the batch of the second.
func collectLiveTwice(t *testing.T, c collector) (*schema.Batch, Tick) {
	t.Helper()
	src := procSource(t, "/proc")
	t1 := statTick(t, src, time.Now(), nil)
	if err := c.Collect(src, t1, &schema.Batch{}); err != nil {
		t.Fatalf("first Collect: %v", err)
	}
	busy(50 * time.Millisecond)
	t2 := statTick(t, src, time.Now(), &t1)
	if t2.First {
		t.Fatalf("second reading is a first reading: %+v", t2)
	}
	b := &schema.Batch{}
	if err := c.Collect(src, t2, b); err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	return b, t2
}

// busy keeps this goroutine's CPU busy for d, making work for the kernel's
// counters to count (and forking nothing).
func busy(d time.Duration) {
	start := time.Now()
	for x := 0; time.Since(start) < d; x++ {
		if x%1000 == 0 {
			os.Getpid() // a system call now and then
		}
	}
}

func TestSystemRow(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur systemCounters
		d         time.Duration
		want      schema.SystemRow
		ok        bool
	}{
		{
			name: "rates",
			prev: systemCounters{ctxt: 1000, intr: 500, forks: 10},
			cur:  systemCounters{ctxt: 1000 + 12345, intr: 500 + 2000, forks: 10 + 3},
			d:    2 * time.Second,
			want: schema.SystemRow{IntervalMs: 2000, CtxtPerS: 617250, IntrPerS: 100000, ForksPerS: 150},
			ok:   true,
		},
		{
			name: "rounding to hundredths",
			prev: systemCounters{},
			cur:  systemCounters{ctxt: 1, intr: 2, forks: 0},
			d:    3 * time.Second,
			want: schema.SystemRow{IntervalMs: 3000, CtxtPerS: 33, IntrPerS: 67},
			ok:   true,
		},
		{
			name: "a counter went backwards",
			prev: systemCounters{ctxt: 1000, intr: 500, forks: 10},
			cur:  systemCounters{ctxt: 1100, intr: 400, forks: 11},
			d:    time.Second,
		},
		{
			name: "no time passed",
			prev: systemCounters{ctxt: 1000},
			cur:  systemCounters{ctxt: 1100},
			d:    0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := systemRow(tt.prev, tt.cur, tt.d)
			if ok != tt.ok {
				t.Fatalf("systemRow() ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("systemRow() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLoadAvg(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    loadAvg
		wantErr bool
	}{
		{name: "kernel line", in: "0.21 0.37 0.39 1/719 19737\n", want: loadAvg{21, 37, 39}},
		{name: "large", in: "1234.56 99.00 0.05 120/3000 1\n", want: loadAvg{123456, 9900, 5}},
		{name: "only the averages", in: "1.00 2.00 3.00", want: loadAvg{100, 200, 300}},
		{name: "too few fields", in: "0.21 0.37\n", wantErr: true},
		{name: "negative", in: "-1.00 0.37 0.39 1/1 1\n", wantErr: true},
		{name: "not a number", in: "0.21 abc 0.39 1/1 1\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLoadAvgBytes([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseLoadAvgBytes(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(loadAvg{})); diff != "" {
				t.Errorf("parseLoadAvgBytes(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzParseLoadAvg(f *testing.F) {
	for _, p := range []string{"testdata/proc/loadavg", "testdata/proc2/loadavg"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("99999999999999999999.99 1 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		la, err := parseLoadAvgBytes(data)
		if err == nil && (la.load1 < 0 || la.load5 < 0 || la.load15 < 0) {
			t.Errorf("parseLoadAvgBytes(%q) = %+v: a negative load", data, la)
		}
	})
}

func TestSystemCollectorFixture(t *testing.T) {
	b := collectFixturePair(t, &systemCollector{})
	want := []schema.SystemRow{{
		Time:         schema.Micros(statEpoch.Add(10 * time.Second)),
		BootTime:     1772280000 * 1e6, // btime
		IntervalMs:   10000,
		Load1:        152,
		Load5:        61,
		Load15:       45,
		ProcsRunning: 2,
		ProcsBlocked: 0,
		CtxtPerS:     456780, // (596354-550676)/10
		IntrPerS:     250000, // (350661-325661)/10
		ForksPerS:    1230,   // (8592-8469)/10
	}}
	if diff := cmp.Diff(want, b.System); diff != "" {
		t.Errorf("system rows mismatch (-want +got):\n%s", diff)
	}
}

// A reboot (the Sampler marks the tick First) gives no row, and the next
// interval is computed from the reading after the reboot.
func TestSystemCollectorReboot(t *testing.T) {
	c := &systemCollector{}
	src := procSource(t, "testdata/proc2")
	at := func(sec int, first bool, ctxt uint64) Tick {
		now := statEpoch.Add(time.Duration(sec) * time.Second)
		return Tick{Now: now, Time: schema.Micros(now), First: first, Interval: 10 * time.Second,
			Stat: procfs.Stat{ContextSwitches: ctxt}}
	}
	for _, step := range []struct {
		tick Tick
		rows int
		ctxt schema.Centi
	}{
		{at(0, true, 5_000_000), 0, 0},
		{at(10, false, 5_001_000), 1, 10000},
		{at(20, true, 300), 0, 0}, // rebooted: the counter started again
		{at(30, false, 1300), 1, 10000},
	} {
		b := &schema.Batch{}
		if err := c.Collect(src, step.tick, b); err != nil {
			t.Fatal(err)
		}
		if len(b.System) != step.rows {
			t.Fatalf("at %v: %d rows, want %d", step.tick.Now, len(b.System), step.rows)
		}
		if step.rows > 0 && b.System[0].CtxtPerS != step.ctxt {
			t.Errorf("at %v: ctxt_per_s = %v, want %v", step.tick.Now, b.System[0].CtxtPerS, step.ctxt)
		}
	}
}

func TestSystemCollectorMissingLoadavg(t *testing.T) {
	dir := t.TempDir()
	src := Source{ProcPath: dir}
	c := &systemCollector{}
	t1 := Tick{Now: statEpoch, First: true}
	if err := c.Collect(src, t1, &schema.Batch{}); err != nil {
		t.Fatal(err)
	}
	t2 := Tick{Now: statEpoch.Add(time.Second), Interval: time.Second}
	b := &schema.Batch{}
	if err := c.Collect(src, t2, b); err == nil {
		t.Errorf("Collect without loadavg: no error, %d rows", len(b.System))
	}
}

func TestSystemCollectorLive(t *testing.T) {
	b, tick := collectLiveTwice(t, &systemCollector{})
	if len(b.System) != 1 {
		t.Fatalf("got %d system rows, want 1", len(b.System))
	}
	r := b.System[0]
	if r.Load1 < 0 || r.Load5 < 0 || r.Load15 < 0 {
		t.Errorf("negative load: %+v", r)
	}
	if r.CtxtPerS <= 0 || r.IntrPerS <= 0 {
		t.Errorf("no context switches or interrupts in a busy interval: %+v", r)
	}
	if r.ForksPerS < 0 {
		t.Errorf("forks_per_s = %v, want >= 0", r.ForksPerS)
	}
	if got, want := r.IntervalMs, int32(tick.Interval.Milliseconds()); got != want || got < 50 {
		t.Errorf("interval_ms = %d, want %d (>= 50)", got, want)
	}
	if got, want := r.BootTime, schema.Micros(tick.BootTime); got != want || time.UnixMicro(got).After(time.Now()) {
		t.Errorf("boot_time = %d, want %d, in the past", got, want)
	}
}

// BenchmarkCollectSystem measures one system row from the live
// /proc/loadavg (and a /proc/stat read once, outside the loop, as the
// Sampler does). Run: go test ./sample -run '^$' -bench CollectSystem -benchmem
func BenchmarkCollectSystem(b *testing.B) {
	src := procSource(b, "/proc")
	t0 := statTick(b, src, time.Now(), nil)
	c := &systemCollector{}
	if err := c.Collect(src, t0, &schema.Batch{}); err != nil {
		b.Fatal(err)
	}
	tick := t0
	tick.First, tick.Interval = false, 10*time.Second
	batch := &schema.Batch{}
	b.ReportAllocs()
	for b.Loop() {
		tick.Stat.ContextSwitches += 1000 // as if time had passed
		batch.System = batch.System[:0]
		if err := c.Collect(src, tick, batch); err != nil {
			b.Fatal(err)
		}
	}
	if len(batch.System) != 1 {
		b.Fatalf("%d rows, want 1", len(batch.System))
	}
}

// floorRead opens, reads and closes each of paths into a reused buffer:
// the least a collector of those files can cost, to compare the
// BenchmarkCollect figures with. Missing files are skipped.
func floorRead(b *testing.B, paths ...string) {
	buf := make([]byte, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				continue
			}
			for {
				n, err := f.Read(buf)
				if n == 0 || err != nil {
					break
				}
			}
			f.Close()
		}
	}
}

// The floors of the system, pressure and memory collectors (cpu reads no
// file of its own: /proc/stat is read once by the Sampler).
// Run: go test ./sample -run '^$' -bench 'Floor' -benchmem
func BenchmarkFloorSystem(b *testing.B) { floorRead(b, "/proc/loadavg") }
func BenchmarkFloorPressure(b *testing.B) {
	floorRead(b, "/proc/pressure/cpu", "/proc/pressure/memory", "/proc/pressure/io", "/proc/pressure/irq")
}
func BenchmarkFloorMemory(b *testing.B) { floorRead(b, "/proc/meminfo", "/proc/vmstat") }
