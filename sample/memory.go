//go:build linux

package sample

import (
	"almanac/schema"
	"fmt"
	"io"
	"time"
)

// memInfo holds the fields of /proc/meminfo the memory and host tables use,
// in bytes. A field the kernel does not print reads as 0.
type memInfo struct {
	total, free, available, buffers, cached  uint64
	shared, slab, dirty, swapTotal, swapFree uint64
}

// memoryCollector fills the memory table from /proc/meminfo (sizes) and
// /proc/vmstat (swap and paging counters, OOM kills).
type memoryCollector struct {
	meminfo, vmstat kernelFile
	have            bool
	prev            vmStat
}

// Collect implements collector.
func (c *memoryCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	cur, err := readVMStat(&c.vmstat, src.ProcPath)
	if err != nil {
		c.have = false
		return fmt.Errorf("read %s: %w", src.procFile("vmstat"), err)
	}
	prev, had := c.prev, c.have
	c.prev, c.have = cur, true
	if !had || t.First {
		return nil
	}
	data, err := c.meminfo.read(src.ProcPath, "meminfo")
	if err != nil {
		return fmt.Errorf("read %s: %w", src.procFile("meminfo"), err)
	}
	mi, err := parseMeminfoBytes(data)
	if err != nil {
		return fmt.Errorf("parse %s: %w", src.procFile("meminfo"), err)
	}
	row, ok := memoryRow(mi, prev, cur, t.Interval)
	if !ok {
		return nil
	}
	row.Time = t.Time
	b.Memory = append(b.Memory, row)
	return nil
}

// memoryRow returns the memory row for the interval d: the sizes of mi, and
// the paging rates and OOM kills from two readings of /proc/vmstat. It
// returns false when a counter went backwards or d is not positive.
func memoryRow(mi memInfo, prev, cur vmStat, d time.Duration) (schema.MemoryRow, bool) {
	swapIn, ok1 := perSecond(prev.pswpin, cur.pswpin, d)
	swapOut, ok2 := perSecond(prev.pswpout, cur.pswpout, d)
	faults, ok3 := perSecond(prev.pgfault, cur.pgfault, d)
	major, ok4 := perSecond(prev.pgmajfault, cur.pgmajfault, d)
	ooms, ok5 := delta(prev.oomKill, cur.oomKill)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return schema.MemoryRow{}, false
	}
	return schema.MemoryRow{
		TotalBytes:      satInt64(mi.total),
		FreeBytes:       satInt64(mi.free),
		AvailableBytes:  satInt64(mi.available),
		BuffersBytes:    satInt64(mi.buffers),
		CachedBytes:     satInt64(mi.cached),
		SharedBytes:     satInt64(mi.shared),
		SlabBytes:       satInt64(mi.slab),
		DirtyBytes:      satInt64(mi.dirty),
		SwapTotalBytes:  satInt64(mi.swapTotal),
		SwapFreeBytes:   satInt64(mi.swapFree),
		SwapInPerS:      schema.ToCenti(swapIn),
		SwapOutPerS:     schema.ToCenti(swapOut),
		PageFaultsPerS:  schema.ToCenti(faults),
		MajorFaultsPerS: schema.ToCenti(major),
		OOMKills:        satInt64(ooms),
	}, true
}

// parseMeminfo parses /proc/meminfo, one "Name: value [kB]" a line:
//
//	MemTotal:       24684096 kB
//	HugePages_Total:       0
//
// Values in kB are turned into bytes. Names it does not use are skipped.
func parseMeminfo(r io.Reader) (memInfo, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKernelFile))
	if err != nil {
		return memInfo{}, err
	}
	return parseMeminfoBytes(data)
}

// parseMeminfoBytes is parseMeminfo on the bytes of the file.
func parseMeminfoBytes(data []byte) (memInfo, error) {
	var m memInfo
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		name, more := cutField(line)
		var dst *uint64
		switch string(name) {
		case "MemTotal:":
			dst = &m.total
		case "MemFree:":
			dst = &m.free
		case "MemAvailable:":
			dst = &m.available
		case "Buffers:":
			dst = &m.buffers
		case "Cached:":
			dst = &m.cached
		case "Shmem:":
			dst = &m.shared
		case "Slab:":
			dst = &m.slab
		case "Dirty:":
			dst = &m.dirty
		case "SwapTotal:":
			dst = &m.swapTotal
		case "SwapFree:":
			dst = &m.swapFree
		default:
			continue
		}
		val, more := cutField(more)
		unit, _ := cutField(more)
		n, ok := parseUint(val)
		if !ok {
			return memInfo{}, fmt.Errorf("%s bad number %q", name, clip(val))
		}
		switch string(unit) {
		case "":
		case "kB":
			if n > 1<<53 {
				return memInfo{}, fmt.Errorf("%s too large: %d kB", name, n)
			}
			n *= 1024
		default:
			return memInfo{}, fmt.Errorf("%s unknown unit %q", name, clip(unit))
		}
		*dst = n
	}
	return m, nil
}

// satInt64 converts a count to int64, saturating instead of wrapping.
func satInt64(n uint64) int64 {
	if n > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(n)
}
