//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"
)

// diskStat is one line of /proc/diskstats: the cumulative counters of one
// block device. Ticks are milliseconds; sectors are 512 bytes whatever the
// device's own sector size.
type diskStat struct {
	name          string
	reads         uint64 // reads completed
	readSectors   uint64
	readTicks     uint64 // ms spent reading
	writes        uint64 // writes completed
	writeSectors  uint64
	writeTicks    uint64 // ms spent writing
	ioTicks       uint64 // ms the device had I/O in flight
	weightedTicks uint64 // ms spent doing I/O, weighted by the queue length
}

// idle reports whether the device has never done any I/O since boot.
func (d diskStat) idle() bool {
	return d.reads == 0 && d.writes == 0 && d.ioTicks == 0 && d.weightedTicks == 0
}

// parseDiskstats parses /proc/diskstats into dst[:0]. Each line is
// "major minor name" followed by at least 11 counters (kernels since 4.18
// add 4 discard counters, since 5.5 two flush counters; they are ignored).
// See Documentation/admin-guide/iostats.rst. A malformed line is skipped
// and reported in the error; the other lines are still returned. names
// interns device names; nil allocates a string per line.
func parseDiskstats(data []byte, dst []diskStat, names interner) ([]diskStat, error) {
	dst = dst[:0]
	var bad malformed
	for line := 1; len(data) > 0; line++ {
		var l []byte
		l, data = nextLine(data)
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		d, ok := parseDiskstatsLine(l, names)
		if !ok {
			bad.add(line, l)
			continue
		}
		dst = append(dst, d)
	}
	return dst, bad.err("diskstats")
}

func parseDiskstatsLine(l []byte, names interner) (diskStat, bool) {
	var d diskStat
	var f []byte
	i := 0
	// major, minor
	for range 2 {
		if f, i = nextField(l, i); len(f) == 0 {
			return d, false
		}
		if _, ok := parseUint(f); !ok {
			return d, false
		}
	}
	f, i = nextField(l, i)
	if len(f) == 0 {
		return d, false
	}
	if names != nil {
		d.name = names.get(f)
	} else {
		d.name = string(f)
	}
	var v [11]uint64
	for k := range v {
		f, i = nextField(l, i)
		n, ok := parseUint(f)
		if !ok {
			return d, false
		}
		v[k] = n
	}
	d.reads, d.readSectors, d.readTicks = v[0], v[2], v[3]
	d.writes, d.writeSectors, d.writeTicks = v[4], v[6], v[7]
	// v[8] is the number of I/Os in flight: a gauge, not used.
	d.ioTicks, d.weightedTicks = v[9], v[10]
	return d, true
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// diskRows appends to out one row per device of cur that also has a
// reading in prev, computed as iostat -x does over the interval d:
//
//	reads_per_s, writes_per_s  completed operations per second
//	read/write_bytes_per_s     sectors × 512 per second
//	busy_pct                   Δio_ticks / interval, at most 100
//	await_ms                   (Δread_ticks + Δwrite_ticks) / (Δreads + Δwrites), 0 without I/O
//	queue_size                 Δweighted_ticks / interval in ms
//
// A device whose counters went backwards (a reset or a wrap) gets no row;
// unless all, neither does a device that has done no I/O since boot
// (an empty CD drive, an unused zram device). prev and cur are usually in
// the same order, which makes the match by name cheap.
func diskRows(prev, cur []diskStat, d time.Duration, tm int64, all bool, out []schema.DiskRow) []schema.DiskRow {
	if d <= 0 {
		return out
	}
	sec := d.Seconds()
	ms := float64(d) / float64(time.Millisecond)
	for i, c := range cur {
		if !all && c.idle() {
			continue
		}
		p, ok := findPrev(prev, i, c.name)
		if !ok {
			continue
		}
		var dv [8]uint64
		pv := [8]uint64{p.reads, p.readSectors, p.readTicks, p.writes, p.writeSectors, p.writeTicks, p.ioTicks, p.weightedTicks}
		cv := [8]uint64{c.reads, c.readSectors, c.readTicks, c.writes, c.writeSectors, c.writeTicks, c.ioTicks, c.weightedTicks}
		reset := false
		for k := range dv {
			if dv[k], ok = delta(pv[k], cv[k]); !ok {
				reset = true
				break
			}
		}
		if reset {
			continue
		}
		reads, rsect, rticks, writes, wsect, wticks, io, weighted := dv[0], dv[1], dv[2], dv[3], dv[4], dv[5], dv[6], dv[7]
		var await float64
		if ops := reads + writes; ops > 0 {
			await = float64(rticks+wticks) / float64(ops)
		}
		busy := float64(io) / ms * 100
		if busy > 100 {
			busy = 100 // io_ticks and the interval are measured by different clocks
		}
		out = append(out, schema.DiskRow{
			Time:           tm,
			Device:         validName(c.name),
			ReadsPerS:      schema.ToCenti(float64(reads) / sec),
			WritesPerS:     schema.ToCenti(float64(writes) / sec),
			ReadBytesPerS:  int64(float64(rsect*512)/sec + 0.5),
			WriteBytesPerS: int64(float64(wsect*512)/sec + 0.5),
			BusyPct:        schema.ToCenti(busy),
			AwaitMs:        schema.ToCenti(await),
			QueueSize:      schema.ToCenti(float64(weighted) / ms),
		})
	}
	return out
}

func (d diskStat) key() string { return d.name }

// virtualDisk reports whether a device is a ram disk or a loop device,
// which are skipped unless all devices are wanted. zram is kept: it is
// usually swap, and its activity is paging.
func virtualDisk(name string) bool {
	return strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "loop")
}

// partitionName reports whether name looks like a partition of another
// device in devs: "sda1" of "sda", "nvme0n1p2" of "nvme0n1", "mmcblk0p1" of
// "mmcblk0". It is the fallback when /sys/block cannot be read.
func partitionName(name string, devs map[string]bool) bool {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	if i == len(name) || i == 0 {
		return false
	}
	if devs[name[:i]] {
		return true
	}
	return name[i-1] == 'p' && i > 1 && devs[name[:i-1]]
}

// diskCollector reads /proc/diskstats and appends one DiskRow per block
// device, as iostat -x does. Only whole devices are kept: those with a
// folder in /sys/block, which includes device-mapper (dm-*) and software
// RAID (md*) devices but not partitions, whose I/O their disk already
// counts. ram and loop devices are skipped unless all is set, and so is a
// device that has done no I/O since boot (an empty sr0 or fd0). Which
// devices are whole is read from /sys/block again only when a device name
// not seen before appears.
type diskCollector struct {
	all bool

	file     kernelFile
	names    interner
	prev     []diskStat
	cur      []diskStat
	whole    map[string]bool // device name → kept
	sysBlock map[string]bool // names in /sys/block at the last look
}

// Collect implements collector.
func (c *diskCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	data, err := c.file.read(src.ProcPath, "diskstats")
	if err != nil {
		if os.IsNotExist(err) {
			return nil // no block layer (some containers): nothing to report
		}
		return err
	}
	if c.names == nil {
		c.names = interner{}
	}
	var perr error
	c.cur, perr = parseDiskstats(data, c.cur, c.names)
	if perr != nil {
		perr = fmt.Errorf("%s: %w", c.file.path, perr)
	}
	c.classify(src, c.cur)
	kept := c.cur[:0]
	for _, d := range c.cur {
		if c.whole[d.name] {
			kept = append(kept, d)
		}
	}
	c.cur = kept
	if !t.First {
		b.Disk = diskRows(c.prev, c.cur, t.Interval, t.Time, c.all, b.Disk)
	}
	c.prev, c.cur = c.cur, c.prev
	if len(c.names) > 2*len(c.prev)+64 {
		c.names.trim(len(c.prev), func(n string) bool { _, ok := c.whole[n]; return ok })
	}
	return perr
}

// classify decides, for every device name not seen before, whether it is
// kept. It reads /sys/block again only when there is such a name.
func (c *diskCollector) classify(src Source, devs []diskStat) {
	if c.whole == nil {
		c.whole = map[string]bool{}
	}
	fresh := false
	for _, d := range devs {
		if _, ok := c.whole[d.name]; !ok {
			fresh = true
			break
		}
	}
	if !fresh {
		return
	}
	c.sysBlock = readSysBlock(src)
	var all map[string]bool
	if c.sysBlock == nil { // no /sys/block: guess partitions from the names
		all = make(map[string]bool, len(devs))
		for _, d := range devs {
			all[d.name] = true
		}
	}
	// Forget devices that are gone, then classify what is there.
	clear(c.whole)
	for _, d := range devs {
		keep := !virtualDisk(d.name) || c.all
		if c.sysBlock != nil {
			// /sys/block spells a '/' in a device name as '!' (cciss!c0d0).
			keep = keep && c.sysBlock[strings.ReplaceAll(d.name, "/", "!")]
		} else {
			keep = keep && !partitionName(d.name, all)
		}
		c.whole[d.name] = keep
	}
}

// readSysBlock returns the names in /sys/block, or nil when it cannot be
// read.
func readSysBlock(src Source) map[string]bool {
	if src.SysPath == "" {
		return nil
	}
	ents, err := os.ReadDir(src.sysFile("block"))
	if err != nil || len(ents) == 0 {
		return nil
	}
	m := make(map[string]bool, len(ents))
	for _, e := range ents {
		m[e.Name()] = true
	}
	return m
}
