//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// netStat is one interface's line of /proc/net/dev: cumulative counters.
type netStat struct {
	name                                  string
	rxBytes, rxPackets, rxErrors, rxDrops uint64
	txBytes, txPackets, txErrors, txDrops uint64
}

// parseNetDev parses /proc/net/dev into dst[:0]. After two header lines,
// each line is "name:" followed by 8 receive and 8 transmit counters
// (bytes packets errs drop fifo frame compressed multicast, then bytes
// packets errs drop fifo colls carrier compressed). An interface name
// holds no ':' or white space (the kernel's dev_valid_name). A malformed
// line is skipped and reported in the error; the other lines are still
// returned. names interns interface names; nil allocates a string per line.
func parseNetDev(data []byte, dst []netStat, names interner) ([]netStat, error) {
	dst = dst[:0]
	var bad malformed
	for line := 1; len(data) > 0; line++ {
		var l []byte
		l, data = nextLine(data)
		colon := bytes.IndexByte(l, ':')
		if line <= 2 && colon < 0 || colon >= 0 && bytes.Contains(l[:colon], []byte("|")) {
			continue // a header line
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		n, ok := parseNetDevLine(l, colon, names)
		if !ok {
			bad.add(line, l)
			continue
		}
		dst = append(dst, n)
	}
	return dst, bad.err("net/dev")
}

func parseNetDevLine(l []byte, colon int, names interner) (netStat, bool) {
	var n netStat
	if colon < 0 {
		return n, false
	}
	name := bytes.TrimSpace(l[:colon])
	if len(name) == 0 {
		return n, false
	}
	var v [16]uint64
	i := colon + 1
	for k := range v {
		var f []byte
		f, i = nextField(l, i)
		x, ok := parseUint(f)
		if !ok {
			return n, false
		}
		v[k] = x
	}
	if names != nil {
		n.name = names.get(name)
	} else {
		n.name = string(name)
	}
	n.rxBytes, n.rxPackets, n.rxErrors, n.rxDrops = v[0], v[1], v[2], v[3]
	n.txBytes, n.txPackets, n.txErrors, n.txDrops = v[8], v[9], v[10], v[11]
	return n, true
}

// networkRows appends to out one row per interface of cur that also has a
// reading in prev: bytes, packets, errors and drops per second over d,
// received and sent. An interface whose counters went backwards (the
// driver was reloaded, a 32-bit counter wrapped) gets no row.
func networkRows(prev, cur []netStat, d time.Duration, tm int64, out []schema.NetworkRow) []schema.NetworkRow {
	if d <= 0 {
		return out
	}
	sec := d.Seconds()
	for i, c := range cur {
		p, ok := findPrev(prev, i, c.name)
		if !ok {
			continue
		}
		pv := [8]uint64{p.rxBytes, p.txBytes, p.rxPackets, p.txPackets, p.rxErrors, p.txErrors, p.rxDrops, p.txDrops}
		cv := [8]uint64{c.rxBytes, c.txBytes, c.rxPackets, c.txPackets, c.rxErrors, c.txErrors, c.rxDrops, c.txDrops}
		var r [8]float64
		for k := range pv {
			dv, ok := delta(pv[k], cv[k])
			if !ok {
				goto next
			}
			r[k] = float64(dv) / sec
		}
		out = append(out, schema.NetworkRow{
			Time:          tm,
			Interface:     validName(c.name),
			RxBytesPerS:   int64(r[0] + 0.5),
			TxBytesPerS:   int64(r[1] + 0.5),
			RxPacketsPerS: schema.ToCenti(r[2]),
			TxPacketsPerS: schema.ToCenti(r[3]),
			RxErrorsPerS:  schema.ToCenti(r[4]),
			TxErrorsPerS:  schema.ToCenti(r[5]),
			RxDropsPerS:   schema.ToCenti(r[6]),
			TxDropsPerS:   schema.ToCenti(r[7]),
		})
	next:
	}
	return out
}

func (n netStat) key() string { return n.name }

// netDir is the interface table of the host: /proc/1/net/dev, the
// network namespace of the host's init (in a container given the host's
// /proc, /proc/net is the container's own), else /proc/net/dev.
func netDir(src Source) string {
	host := src.procFile("1", "net")
	if fd, err := openRetry(filepath.Join(host, "dev")); err == nil {
		unix.Close(fd)
		return host
	}
	return src.procFile("net")
}

// networkCollector reads /proc/1/net/dev (else /proc/net/dev, see
// netDir) and appends one NetworkRow per interface, loopback included
// (as sar -n DEV shows it). An interface that appears has a row from its
// second reading on.
type networkCollector struct {
	file   kernelFile
	dir    string // the net folder read: <proc>/1/net, else <proc>/net
	dirFor string // the proc tree dir was chosen for
	names  interner
	prev   []netStat
	cur    []netStat
}

// Collect implements collector.
func (c *networkCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	if c.dir == "" || c.dirFor != src.ProcPath {
		c.dir, c.dirFor = netDir(src), src.ProcPath
	}
	data, err := c.file.read(c.dir, "dev")
	if err != nil {
		if os.IsNotExist(err) {
			return nil // no network namespace support: nothing to report
		}
		return err
	}
	if c.names == nil {
		c.names = interner{}
	}
	var perr error
	c.cur, perr = parseNetDev(data, c.cur, c.names)
	if perr != nil {
		perr = fmt.Errorf("%s: %w", c.file.path, perr)
	}
	if !t.First {
		b.Network = networkRows(c.prev, c.cur, t.Interval, t.Time, b.Network)
	}
	c.prev, c.cur = c.cur, c.prev
	if len(c.names) > 2*len(c.prev)+64 {
		inUse := make(map[string]bool, len(c.prev))
		for _, n := range c.prev {
			inUse[n.name] = true
		}
		c.names.trim(len(c.prev), func(n string) bool { return inUse[n] })
	}
	return perr
}
