//go:build linux

package sample

import (
	"almanac/schema"
	"math"
	"slices"
	"strconv"

	"github.com/prometheus/procfs"
)

// The modes of a cpu line of /proc/stat, in the kernel's order.
const (
	modeUser = iota
	modeNice
	modeSystem
	modeIdle
	modeIOWait
	modeIRQ
	modeSoftIRQ
	modeSteal
	modeGuest
	modeGuestNice
	numModes
)

// userHZ is the unit of the cpu lines of /proc/stat (USER_HZ, 100 on every
// Linux architecture); procfs divides by it to give seconds.
const userHZ = 100

// cpuTicks is one cpu line of /proc/stat in clock ticks, indexed by mode.
type cpuTicks [numModes]uint64

// ticksOf turns procfs's seconds back into the kernel's integer ticks, so
// that deltas are exact.
func ticksOf(s procfs.CPUStat) cpuTicks {
	t := func(v float64) uint64 {
		if v <= 0 || math.IsNaN(v) {
			return 0
		}
		return uint64(math.Round(v * userHZ))
	}
	return cpuTicks{
		t(s.User), t(s.Nice), t(s.System), t(s.Idle), t(s.Iowait),
		t(s.IRQ), t(s.SoftIRQ), t(s.Steal), t(s.Guest), t(s.GuestNice),
	}
}

// cpuCollector fills the cpu table from the cpu lines of /proc/stat (read
// once per sample by the Sampler, passed in Tick.Stat): one row for the
// whole machine ("all") and one per core, sorted by core number.
type cpuCollector struct {
	have      bool
	prevTotal cpuTicks
	prev, cur map[int64]cpuTicks // by core number; swapped after each reading
	cores     []int64            // scratch for sorting
	names     []string           // core number -> its name ("0", "1", …)
}

// Collect implements collector.
func (c *cpuCollector) Collect(_ Source, t Tick, b *schema.Batch) error {
	if c.cur == nil {
		c.prev, c.cur = map[int64]cpuTicks{}, map[int64]cpuTicks{}
	}
	clear(c.cur)
	c.cores = c.cores[:0]
	for core, s := range t.Stat.CPU {
		c.cur[core] = ticksOf(s)
		c.cores = append(c.cores, core)
	}
	total := ticksOf(t.Stat.CPUTotal)
	if c.have && !t.First {
		slices.Sort(c.cores)
		b.CPU = slices.Grow(b.CPU, 1+len(c.cores))
		if row, ok := cpuRow(c.prevTotal, total); ok {
			row.Time, row.CPU = t.Time, "all"
			b.CPU = append(b.CPU, row)
		}
		for _, core := range c.cores {
			prev, ok := c.prev[core]
			if !ok {
				continue // came online during the interval
			}
			if row, ok := cpuRow(prev, c.cur[core]); ok {
				row.Time, row.CPU = t.Time, c.name(core)
				b.CPU = append(b.CPU, row)
			}
		}
	}
	c.prevTotal, c.have = total, true
	c.prev, c.cur = c.cur, c.prev
	return nil
}

// name returns the cpu column of a core, without allocating after the
// first time.
func (c *cpuCollector) name(core int64) string {
	if core < 0 || core >= 4096 {
		return strconv.FormatInt(core, 10)
	}
	for int64(len(c.names)) <= core {
		c.names = append(c.names, strconv.Itoa(len(c.names)))
	}
	return c.names[core]
}

// cpuRow returns the share of the interval between two readings of one cpu
// line that was spent in each mode, or false when a counter went backwards
// (a reset, or a core that went offline and came back) or no time passed.
// As in sar, user excludes guest and nice excludes guest_nice (the kernel
// counts guest time in both), and guest_pct is guest+guest_nice, so the
// modes add up to exactly 100.00: the hundredths are shared out by largest
// remainder.
func cpuRow(prev, cur cpuTicks) (schema.CPURow, bool) {
	var d cpuTicks
	for i := range cur {
		n, ok := delta(prev[i], cur[i])
		if !ok {
			return schema.CPURow{}, false
		}
		d[i] = n
	}
	// The parts that add up to the whole interval.
	parts := [...]uint64{
		modeUser:    sub0(d[modeUser], d[modeGuest]),
		modeNice:    sub0(d[modeNice], d[modeGuestNice]),
		modeSystem:  d[modeSystem],
		modeIdle:    d[modeIdle],
		modeIOWait:  d[modeIOWait],
		modeIRQ:     d[modeIRQ],
		modeSoftIRQ: d[modeSoftIRQ],
		modeSteal:   d[modeSteal],
		modeGuest:   d[modeGuest] + d[modeGuestNice],
	}
	pct, ok := shares(parts[:])
	if !ok {
		return schema.CPURow{}, false
	}
	return schema.CPURow{
		UserPct:    pct[modeUser],
		NicePct:    pct[modeNice],
		SystemPct:  pct[modeSystem],
		IdlePct:    pct[modeIdle],
		IOWaitPct:  pct[modeIOWait],
		IRQPct:     pct[modeIRQ],
		SoftIRQPct: pct[modeSoftIRQ],
		StealPct:   pct[modeSteal],
		GuestPct:   pct[modeGuest],
	}, true
}

// sub0 returns a-b, or 0 when b > a (the kernel updates user and guest one
// after the other, so a reading can catch guest ahead).
func sub0(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// shares returns each part as hundredths of a percent of their sum,
// rounded so that they add up to exactly 10000 (largest remainder), or
// false when the sum is zero or too large to compute with.
func shares(parts []uint64) ([numModes]schema.Centi, bool) {
	var out [numModes]schema.Centi
	var sum uint64
	for _, p := range parts {
		if p > math.MaxUint64/10000-sum {
			return out, false
		}
		sum += p
	}
	if sum == 0 || len(parts) > numModes {
		return out, false
	}
	var rem [numModes]uint64
	var given uint64
	for i, p := range parts {
		out[i] = schema.Centi(p * 10000 / sum)
		rem[i] = p * 10000 % sum
		given += uint64(out[i])
	}
	for ; given < 10000; given++ {
		best := 0
		for i := range parts {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = 0
	}
	return out, true
}
