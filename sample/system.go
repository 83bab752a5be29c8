//go:build linux

package sample

import (
	"almanac/schema"
	"fmt"
	"time"
)

// systemCounters are the counters of /proc/stat the system table turns into
// rates.
type systemCounters struct {
	ctxt, intr, forks uint64
}

// systemCollector fills the system table from /proc/loadavg and the
// counters of /proc/stat (ctxt, intr, processes, procs_running,
// procs_blocked, btime; read once per sample by the Sampler).
type systemCollector struct {
	loadavg kernelFile
	have    bool
	prev    systemCounters
}

// loadAvg is one reading of /proc/loadavg.
type loadAvg struct {
	load1, load5, load15 schema.Centi
}

// Collect implements collector.
func (c *systemCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	cur := systemCounters{
		ctxt:  t.Stat.ContextSwitches,
		intr:  t.Stat.IRQTotal,
		forks: t.Stat.ProcessCreated,
	}
	prev, had := c.prev, c.have
	c.prev, c.have = cur, true
	if !had || t.First {
		return nil
	}
	data, err := c.loadavg.read(src.ProcPath, "loadavg")
	if err != nil {
		return fmt.Errorf("read %s: %w", src.procFile("loadavg"), err)
	}
	la, err := parseLoadAvgBytes(data)
	if err != nil {
		return fmt.Errorf("parse %s: %w", src.procFile("loadavg"), err)
	}
	row, ok := systemRow(prev, cur, t.Interval)
	if !ok {
		return nil
	}
	row.Time = t.Time
	row.BootTime = schema.Micros(t.BootTime)
	row.Load1, row.Load5, row.Load15 = la.load1, la.load5, la.load15
	row.ProcsRunning = satInt32(t.Stat.ProcessesRunning)
	row.ProcsBlocked = satInt32(t.Stat.ProcessesBlocked)
	b.System = append(b.System, row)
	return nil
}

// systemRow returns the kernel activity rates over the interval d, or false
// when a counter went backwards or d is not positive. It fills IntervalMs
// and the rates; the caller adds the rest.
func systemRow(prev, cur systemCounters, d time.Duration) (schema.SystemRow, bool) {
	ctxt, ok1 := perSecond(prev.ctxt, cur.ctxt, d)
	intr, ok2 := perSecond(prev.intr, cur.intr, d)
	forks, ok3 := perSecond(prev.forks, cur.forks, d)
	if !ok1 || !ok2 || !ok3 {
		return schema.SystemRow{}, false
	}
	return schema.SystemRow{
		IntervalMs: satInt32(uint64(d.Milliseconds())),
		CtxtPerS:   schema.ToCenti(ctxt),
		IntrPerS:   schema.ToCenti(intr),
		ForksPerS:  schema.ToCenti(forks),
	}, true
}

// parseLoadAvgBytes parses the three load averages at the start of
// /proc/loadavg ("0.21 0.37 0.39 1/719 19737"). The kernel prints two
// decimals, which Centi holds exactly.
func parseLoadAvgBytes(data []byte) (loadAvg, error) {
	var v [3]schema.Centi
	rest := data
	for i := range v {
		var f []byte
		f, rest = cutField(rest)
		n, ok := bytesToCenti(f)
		if !ok {
			return loadAvg{}, fmt.Errorf("load average %d: bad number %q", i+1, clip(f))
		}
		v[i] = n
	}
	return loadAvg{v[0], v[1], v[2]}, nil
}

// satInt32 converts a count to int32, saturating instead of wrapping.
func satInt32(n uint64) int32 {
	if n > 1<<31-1 {
		return 1<<31 - 1
	}
	return int32(n)
}

// clip shortens host text quoted in an error message.
func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
