//go:build linux

package sample

import (
	"almanac/schema"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// selfCollector records what the sampler itself costs (the self table):
// its CPU time from getrusage(2), its resident size from /proc/self/statm
// of the proc filesystem this process runs under (not --proc: a fixture
// tree or a host's proc mounted elsewhere would not be this process), the
// bytes its archive writer wrote (Options.Written) and the wall time of the
// reading. All of it is already at hand, so the row costs a getrusage and
// one small read.
type selfCollector struct {
	written func() int64
	statm   kernelFile
	page    int64

	primed      bool
	prevCPU     time.Duration
	prevWritten int64
}

// selfStatm is the file the resident size is read from.
const selfStatm = "/proc/self/statm"

func newSelfCollector(written func() int64) *selfCollector {
	return &selfCollector{written: written, page: int64(os.Getpagesize())}
}

// collect remembers the readings on a first tick and, from the next one
// on, appends the self row of the interval to b; took is the wall time of
// this reading so far.
func (c *selfCollector) collect(t Tick, took time.Duration, b *schema.Batch) error {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return fmt.Errorf("getrusage: %w", err)
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	var written int64
	if c.written != nil {
		written = c.written()
	}
	prevCPU, prevWritten, primed := c.prevCPU, c.prevWritten, c.primed
	c.prevCPU, c.prevWritten, c.primed = cpu, written, true
	if t.First || !primed || t.Interval <= 0 {
		return nil
	}
	rss, err := c.rss()
	if err != nil {
		return err
	}
	b.Self = append(b.Self, schema.SelfRow{
		Time:         t.Time,
		CPUPct:       schema.ToCenti(max(0, float64(cpu-prevCPU)) / float64(t.Interval) * 100),
		RSSBytes:     rss,
		WrittenBytes: max(0, written-prevWritten),
		SampleMs:     schema.ToCenti(float64(took) / float64(time.Millisecond)),
	})
	return nil
}

// rss reads this process's resident size: the second field of
// /proc/self/statm, in pages.
func (c *selfCollector) rss() (int64, error) {
	data, err := c.statm.read("/proc/self", "statm")
	if err != nil {
		return 0, err
	}
	pages, ok := parseStatmResident(data)
	if !ok {
		return 0, fmt.Errorf("parse %s: %q: want size and resident pages", selfStatm, data)
	}
	return int64(pages) * c.page, nil
}

// parseStatmResident returns the resident pages of a statm line
// ("size resident shared text lib data dt").
func parseStatmResident(data []byte) (uint64, bool) {
	_, rest := cutField(data)
	f, _ := cutField(rest)
	if len(f) == 0 {
		return 0, false
	}
	return parseUint(f)
}
