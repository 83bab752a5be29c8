//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// psiResources are the files of /proc/pressure, in the order of the rows.
// irq appeared in Linux 6.1 and only exists with CONFIG_IRQ_TIME_ACCOUNTING.
var psiResources = [...]string{"cpu", "memory", "io", "irq"}

// psiLine is one line of a pressure file: the kernel's running averages
// (percent) and the total stall time in microseconds.
type psiLine struct {
	avg10, avg60, avg300 schema.Centi
	total                uint64
}

// psiReading is one pressure file. Full is absent from the cpu file before
// Linux 5.13.
type psiReading struct {
	some, full       psiLine
	hasSome, hasFull bool
}

// pressureCollector fills the pressure table from
// /proc/pressure/{cpu,memory,io,irq} (Documentation/accounting/psi.rst).
// A kernel without PSI (no files, or EOPNOTSUPP when booted with psi=0),
// or without one resource, gives no rows for it and one debug line, and
// the file is not looked for again. A cpu
// file without a "full" line (before Linux 5.13) gives zero full columns,
// which is what newer kernels report for cpu at the system level.
type pressureCollector struct {
	log *slog.Logger

	procPath, dir string // dir = procPath/pressure
	files         [len(psiResources)]kernelFile
	prev          [len(psiResources)]psiReading
	have          [len(psiResources)]bool // prev holds a reading
	absent        [len(psiResources)]bool // found absent in this tree
	logged        [len(psiResources)]bool // its absence was logged
}

// Collect implements collector.
func (c *pressureCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	if c.dir == "" || c.procPath != src.ProcPath {
		c.procPath, c.dir = src.ProcPath, filepath.Join(src.ProcPath, "pressure")
		c.absent = [len(psiResources)]bool{} // another tree: look again
	}
	var errs []error
	var missing []string // resources found absent, not logged before
	var why error
	for i, res := range psiResources {
		if c.absent[i] {
			// A kernel does not gain PSI while it runs: once absent,
			// the file is not looked for again, so it costs nothing.
			continue
		}
		had := c.have[i]
		c.have[i] = false
		data, err := c.files[i].read(c.dir, res)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EOPNOTSUPP) {
				c.absent[i] = true
				c.files[i].close()
				if !c.logged[i] {
					c.logged[i] = true
					missing, why = append(missing, res), err
				}
				continue
			}
			errs = append(errs, fmt.Errorf("read %s: %w", filepath.Join(c.dir, res), err))
			continue
		}
		cur, err := parsePSIBytes(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("parse %s: %w", filepath.Join(c.dir, res), err))
			continue
		}
		prev := c.prev[i]
		c.prev[i], c.have[i] = cur, true
		if !had || t.First {
			continue
		}
		if row, ok := pressureRow(prev, cur, t.Interval); ok {
			row.Time, row.Resource = t.Time, res
			b.Pressure = append(b.Pressure, row)
		}
	}
	if len(missing) > 0 && c.log != nil {
		c.log.Debug("no pressure stall information", "resources", strings.Join(missing, ","),
			"reason", why, "hint", "needs a kernel with CONFIG_PSI=y not booted with psi=0")
	}
	return errors.Join(errs...)
}

// pressureRow returns the pressure row of one resource for the interval d
// between two readings: the current averages, and the share of the
// interval that was stalled, from the growth of the totals. It returns
// false when a total went backwards or d is not positive.
func pressureRow(prev, cur psiReading, d time.Duration) (schema.PressureRow, bool) {
	if !cur.hasSome || !prev.hasSome || d <= 0 {
		return schema.PressureRow{}, false
	}
	some, ok := stallPct(prev.some.total, cur.some.total, d)
	if !ok {
		return schema.PressureRow{}, false
	}
	row := schema.PressureRow{
		SomeAvg10:    cur.some.avg10,
		SomeAvg60:    cur.some.avg60,
		SomeAvg300:   cur.some.avg300,
		SomeStallPct: some,
	}
	if cur.hasFull && prev.hasFull {
		full, ok := stallPct(prev.full.total, cur.full.total, d)
		if !ok {
			return schema.PressureRow{}, false
		}
		row.FullAvg10, row.FullAvg60, row.FullAvg300 = cur.full.avg10, cur.full.avg60, cur.full.avg300
		row.FullStallPct = full
	}
	return row, true
}

// stallPct returns the growth of a stall total (µs) as a percentage of d,
// at most 100: the kernel's clock and the sampler's do not tick together,
// so a fully stalled interval can show a little more than d.
func stallPct(prev, cur uint64, d time.Duration) (schema.Centi, bool) {
	us, ok := delta(prev, cur)
	if !ok || d < time.Microsecond {
		return 0, false
	}
	pct := float64(us) / float64(d.Microseconds()) * 100
	if pct > 100 {
		pct = 100
	}
	return schema.ToCenti(pct), true
}

// parsePSI parses a pressure file such as /proc/pressure/io:
//
//	some avg10=0.06 avg60=0.21 avg300=0.99 total=8537362
//	full avg10=0.00 avg60=0.13 avg300=0.96 total=8183134
//
// Lines of other kinds, and fields it does not know, are skipped, so that
// a future kernel adding some does not break it.
func parsePSI(r io.Reader) (psiReading, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKernelFile))
	if err != nil {
		return psiReading{}, err
	}
	return parsePSIBytes(data)
}

// parsePSIBytes is parsePSI on the bytes of the file.
func parsePSIBytes(data []byte) (psiReading, error) {
	var p psiReading
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		kind, fields := cutField(line)
		var dst *psiLine
		switch string(kind) {
		case "some":
			dst, p.hasSome = &p.some, true
		case "full":
			dst, p.hasFull = &p.full, true
		default:
			continue
		}
		var seen uint8 // one bit per known field
		for {
			var f []byte
			f, fields = cutField(fields)
			if len(f) == 0 {
				break
			}
			key, val, ok := bytes.Cut(f, []byte{'='})
			if !ok {
				return psiReading{}, fmt.Errorf("%s line: field without '=': %q", kind, clip(f))
			}
			var good bool
			switch string(key) {
			case "avg10":
				dst.avg10, good = bytesToCenti(val)
				seen |= 1
			case "avg60":
				dst.avg60, good = bytesToCenti(val)
				seen |= 2
			case "avg300":
				dst.avg300, good = bytesToCenti(val)
				seen |= 4
			case "total":
				dst.total, good = parseUint(val)
				seen |= 8
			default:
				continue
			}
			if !good {
				return psiReading{}, fmt.Errorf("%s line: bad number %q", kind, clip(f))
			}
		}
		if seen != 15 {
			return psiReading{}, fmt.Errorf("%s line: want avg10, avg60, avg300 and total: %q", kind, clip(line))
		}
	}
	if !p.hasSome {
		return psiReading{}, errors.New("no \"some\" line")
	}
	return p, nil
}
