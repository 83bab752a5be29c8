//go:build linux

package sample

import (
	"almanac/schema"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/procfs"
)

func TestCPURow(t *testing.T) {
	// Ticks in the kernel's order: user nice system idle iowait irq
	// softirq steal guest guest_nice.
	base := cpuTicks{5000, 100, 2000, 50000, 300, 10, 40, 200, 900, 50}
	plus := func(d cpuTicks) cpuTicks {
		var c cpuTicks
		for i := range c {
			c[i] = base[i] + d[i]
		}
		return c
	}
	tests := []struct {
		name string
		cur  cpuTicks
		want schema.CPURow
		ok   bool
	}{
		{
			// 1000 ticks in all: user 300 of which guest 100, nice 50
			// of which guest_nice 20.
			name: "every mode",
			cur:  plus(cpuTicks{300, 50, 100, 400, 50, 10, 20, 70, 100, 20}),
			want: schema.CPURow{UserPct: 2000, NicePct: 300, SystemPct: 1000, IdlePct: 4000,
				IOWaitPct: 500, IRQPct: 100, SoftIRQPct: 200, StealPct: 700, GuestPct: 1200},
			ok: true,
		},
		{
			// 3 ticks: thirds, rounded so they still add up to 100.00.
			name: "thirds",
			cur:  plus(cpuTicks{1, 0, 1, 1}),
			want: schema.CPURow{UserPct: 3334, SystemPct: 3333, IdlePct: 3333},
			ok:   true,
		},
		{
			name: "all idle",
			cur:  plus(cpuTicks{modeIdle: 250}),
			want: schema.CPURow{IdlePct: 10000},
			ok:   true,
		},
		{
			// The kernel bumps user and guest one after the other; a
			// reading between the two shows more guest than user.
			name: "guest ahead of user",
			cur:  plus(cpuTicks{2, 0, 0, 8, 0, 0, 0, 0, 3, 0}),
			want: schema.CPURow{UserPct: 0, IdlePct: 7273, GuestPct: 2727},
			ok:   true,
		},
		{name: "no time passed", cur: base},
		{name: "idle went backwards", cur: plus(cpuTicks{modeUser: 100}).with(modeIdle, base[modeIdle]-1)},
		{name: "guest went backwards", cur: plus(cpuTicks{modeUser: 100}).with(modeGuest, base[modeGuest]-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cpuRow(base, tt.cur)
			if ok != tt.ok {
				t.Fatalf("cpuRow() ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("cpuRow() mismatch (-want +got):\n%s", diff)
			}
			if ok {
				if sum := pctSum(got); sum != 10000 {
					t.Errorf("modes add up to %v, want 100.00", sum.Float())
				}
			}
		})
	}
}

// with returns c with the ticks of one mode set to v.
func (c cpuTicks) with(mode int, v uint64) cpuTicks { c[mode] = v; return c }

func pctSum(r schema.CPURow) schema.Centi {
	return r.UserPct + r.NicePct + r.SystemPct + r.IdlePct + r.IOWaitPct +
		r.IRQPct + r.SoftIRQPct + r.StealPct + r.GuestPct
}

// Shares always add up to exactly 100.00, whatever the split.
func TestSharesAddUp(t *testing.T) {
	parts := make([]uint64, numModes-1)
	for seed := uint64(1); seed < 5000; seed++ {
		x := seed
		for i := range parts {
			x = x*6364136223846793005 + 1442695040888963407
			parts[i] = (x >> 40) % (seed%7*1000 + 3)
		}
		got, ok := shares(parts)
		var sum, total schema.Centi
		for _, p := range parts {
			total += schema.Centi(p)
		}
		for i := range parts {
			sum += got[i]
			if got[i] < 0 || got[i] > 10000 {
				t.Fatalf("shares(%v)[%d] = %v, out of 0..10000", parts, i, got[i])
			}
		}
		if ok != (total > 0) || (ok && sum != 10000) {
			t.Fatalf("shares(%v) = %v (sum %v), %v", parts, got, sum, ok)
		}
	}
}

func TestCPUCollectorFixture(t *testing.T) {
	b := collectFixturePair(t, &cpuCollector{})
	at := schema.Micros(statEpoch.Add(10 * time.Second))
	want := []schema.CPURow{
		// Deltas of the cpu line: user 810 nice 50 system 305 idle 1375
		// iowait 58 irq 10 softirq 22 steal 70 guest 100 guest_nice 20,
		// 2700 ticks in all. user = 810-100, nice = 50-20, guest = 120.
		// 710/27 = 26.296 → 26.30, 30/27 = 1.11, 305/27 = 11.296 → 11.30,
		// 1375/27 = 50.926 → 50.93, 58/27 = 2.148 → 2.15, 10/27 = 0.37,
		// 22/27 = 0.815 → 0.81 (its remainder is too small to get the
		// last hundredths), 70/27 = 2.59, 120/27 = 4.44.
		{Time: at, CPU: "all", UserPct: 2630, NicePct: 111, SystemPct: 1130, IdlePct: 5093,
			IOWaitPct: 215, IRQPct: 37, SoftIRQPct: 81, StealPct: 259, GuestPct: 444},
		// cpu0: 1000 ticks, user 300 (guest 100), nice 50 (guest_nice 20).
		{Time: at, CPU: "0", UserPct: 2000, NicePct: 300, SystemPct: 1000, IdlePct: 4000,
			IOWaitPct: 500, IRQPct: 100, SoftIRQPct: 200, StealPct: 700, GuestPct: 1200},
		// cpu1: 1000 ticks, mostly idle.
		{Time: at, CPU: "1", UserPct: 100, SystemPct: 50, IdlePct: 9800, IOWaitPct: 30, SoftIRQPct: 20},
		// cpu2: idle went backwards: no row. cpu3: went offline: no row.
	}
	if diff := cmp.Diff(want, b.CPU); diff != "" {
		t.Errorf("cpu rows mismatch (-want +got):\n%s", diff)
	}
}

// statOf builds a /proc/stat reading whose cores (and total) have spent
// the given idle and user ticks.
func statOf(cores map[int64][2]float64) procfs.Stat {
	s := procfs.Stat{CPU: map[int64]procfs.CPUStat{}}
	for n, c := range cores {
		s.CPU[n] = procfs.CPUStat{User: c[0] / userHZ, Idle: c[1] / userHZ}
		s.CPUTotal.User += c[0] / userHZ
		s.CPUTotal.Idle += c[1] / userHZ
	}
	return s
}

func TestCPUCollectorSteps(t *testing.T) {
	type step struct {
		name  string
		first bool
		cores map[int64][2]float64 // core → user, idle ticks
		want  []string             // the cpu column of the rows
		user  []schema.Centi       // their user_pct
	}
	steps := []step{
		{name: "first reading", first: true,
			cores: map[int64][2]float64{0: {100, 100}, 2: {100, 100}, 10: {100, 100}}},
		{name: "sorted by core number",
			cores: map[int64][2]float64{0: {150, 150}, 2: {110, 190}, 10: {200, 100}},
			// all: user 160 and idle 140 of 300 ticks: 53.33 and 46.67.
			want: []string{"all", "0", "2", "10"}, user: []schema.Centi{5333, 5000, 1000, 10000}},
		{name: "core 3 came online, core 10 went offline",
			cores: map[int64][2]float64{0: {200, 200}, 2: {110, 290}, 3: {0, 50}},
			// all: user 460→310 went backwards in this synthetic
			// reading (the kernel keeps an offline core's ticks in the
			// total): no "all" row.
			want: []string{"0", "2"}, user: []schema.Centi{5000, 0}},
		{name: "rebooted", first: true,
			cores: map[int64][2]float64{0: {1, 1}, 1: {1, 1}}},
		{name: "after the reboot",
			cores: map[int64][2]float64{0: {3, 3}, 1: {1, 5}},
			want:  []string{"all", "0", "1"}, user: []schema.Centi{2500, 5000, 0}},
	}
	c := &cpuCollector{}
	now := statEpoch
	for _, s := range steps {
		now = now.Add(10 * time.Second)
		tick := Tick{Now: now, Time: schema.Micros(now), First: s.first, Stat: statOf(s.cores)}
		if !s.first {
			tick.Interval = 10 * time.Second
		}
		b := &schema.Batch{}
		if err := c.Collect(Source{}, tick, b); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var cpus []string
		var user []schema.Centi
		for _, r := range b.CPU {
			cpus, user = append(cpus, r.CPU), append(user, r.UserPct)
			if r.Time != tick.Time {
				t.Errorf("%s: row time %d, want %d", s.name, r.Time, tick.Time)
			}
		}
		if diff := cmp.Diff(s.want, cpus); diff != "" {
			t.Errorf("%s: cpus mismatch (-want +got):\n%s", s.name, diff)
		}
		if diff := cmp.Diff(s.user, user); diff != "" {
			t.Errorf("%s: user_pct mismatch (-want +got):\n%s", s.name, diff)
		}
	}
}

func TestCPUCollectorLive(t *testing.T) {
	b, tick := collectLiveTwice(t, &cpuCollector{})
	if len(b.CPU) == 0 || b.CPU[0].CPU != "all" {
		t.Fatalf("no \"all\" row first: %+v", b.CPU)
	}
	if len(b.CPU) > 1+len(tick.Stat.CPU) {
		t.Errorf("%d rows for %d cores", len(b.CPU), len(tick.Stat.CPU))
	}
	for _, r := range b.CPU {
		for _, p := range []schema.Centi{r.UserPct, r.NicePct, r.SystemPct, r.IdlePct, r.IOWaitPct,
			r.IRQPct, r.SoftIRQPct, r.StealPct, r.GuestPct} {
			if p < 0 || p > 10000 {
				t.Errorf("cpu %s: a mode at %v%%: %+v", r.CPU, p.Float(), r)
			}
		}
		if sum := pctSum(r); sum != 10000 {
			t.Errorf("cpu %s: modes add up to %v, want 100: %+v", r.CPU, sum.Float(), r)
		}
	}
	// A CPU was kept busy for the whole interval.
	if all := b.CPU[0]; all.IdlePct > 9000 {
		t.Errorf("all: idle %v%% while one CPU was busy", all.IdlePct.Float())
	}
}

// BenchmarkCollectCPU measures the cpu rows of one sample from this
// machine's /proc/stat, read once outside the loop as the Sampler does.
// Run: go test ./sample -run '^$' -bench CollectCPU -benchmem
func BenchmarkCollectCPU(b *testing.B) {
	src := procSource(b, "/proc")
	tick := statTick(b, src, time.Now(), nil)
	c := &cpuCollector{}
	if err := c.Collect(src, tick, &schema.Batch{}); err != nil {
		b.Fatal(err)
	}
	tick.First, tick.Interval = false, 10*time.Second
	batch := &schema.Batch{}
	b.ReportAllocs()
	for b.Loop() {
		for n, s := range tick.Stat.CPU { // one tick of user time more
			s.User += 1.0 / userHZ
			tick.Stat.CPU[n] = s
		}
		tick.Stat.CPUTotal.User += float64(len(tick.Stat.CPU)) / userHZ
		batch.CPU = batch.CPU[:0]
		if err := c.Collect(src, tick, batch); err != nil {
			b.Fatal(err)
		}
	}
	if len(batch.CPU) != 1+len(tick.Stat.CPU) {
		b.Fatalf("%d rows, want %d", len(batch.CPU), 1+len(tick.Stat.CPU))
	}
}
