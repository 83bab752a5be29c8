//go:build linux

package sample

import (
	"almanac/schema"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/procfs"
)

// Options configure a Sampler.
type Options struct {
	// Cmdline records each process's full command line. Off by default:
	// command lines can hold secrets.
	Cmdline bool
	// AllDisks keeps ram, loop and other virtual block devices, which are
	// skipped by default.
	AllDisks bool
	// HostEvery is how often the host facts are read again to see whether
	// they changed (default 5 minutes). They are written when they change,
	// at the first sample of a run and at the first sample of each UTC day.
	HostEvery time.Duration
	// Written, when set, returns the bytes the sampler's archive writer
	// has written so far (archive.Writer.Written): the self table records
	// its growth over each interval. Nil records 0.
	Written func() int64
	// TextfileDir is a directory of *.prom files (the Prometheus text
	// format) read into the custom table each sample; "" for none.
	// TextfileMaxSeries and TextfileMaxTotal limit the series of one file
	// and of all files (0: the defaults).
	TextfileDir                         string
	TextfileMaxSeries, TextfileMaxTotal int
	// NoGPU turns off the gpu collector (/sys/class/drm, and NVML in a
	// binary built with the nvml tag).
	NoGPU bool
	// Log receives debug lines about expected absences (no PSI, a vanished
	// process). Nil discards them.
	Log *slog.Logger
}

// Tick describes one reading and how it relates to the previous one.
type Tick struct {
	Now      time.Time     // when this reading was taken
	Time     int64         // Now in microseconds: the time column of every row
	Interval time.Duration // since the previous reading; 0 on the first
	// First is true when there is no previous reading to compute rates
	// from: the first reading of a run, or the first after a reboot.
	// Collectors then only remember the reading and append no rows.
	First    bool
	BootTime time.Time   // from /proc/stat btime
	Stat     procfs.Stat // /proc/stat, read once for every collector
}

// bootJitter is how far btime may move without a reboot: the kernel derives
// it from the wall clock, which NTP adjusts.
const bootJitter = 5 * time.Second

// A collector reads one group of kernel files. It keeps its previous
// reading and, unless t.First, appends the rows for the interval to b.
// A kernel that lacks what it reads (no PSI, no thermal zones) is not an
// error: it appends nothing and logs one debug line.
type collector interface {
	Collect(src Source, t Tick, b *schema.Batch) error
}

type namedCollector struct {
	name string
	c    collector
}

// Sampler takes readings of a host and turns each pair of consecutive
// readings into a Batch. It is not safe for concurrent use.
type Sampler struct {
	src        Source
	opts       Options
	log        *slog.Logger
	collectors []namedCollector
	stat       kernelStatFile
	self       *selfCollector // the sampler's own cost, after every other collector

	prevTime time.Time
	prevBoot time.Time
	boot     time.Time // the boot time without jitter (see Sample)

	facts     schema.HostRow // the last facts read
	factsRead time.Time
	factsDay  time.Time // UTC day the facts were last written
	factsOut  bool      // facts changed since last written
}

// New returns a Sampler reading from src.
func New(src Source, opts Options) *Sampler {
	if opts.HostEvery <= 0 {
		opts.HostEvery = 5 * time.Minute
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sampler{src: src, opts: opts, log: log}
	proc := newProcessCollector(opts.Cmdline, log.With("collector", "process"))
	s.collectors = []namedCollector{
		{"cpu", &cpuCollector{}},
		{"system", &systemCollector{}},
		{"pressure", &pressureCollector{log: log.With("collector", "pressure")}},
		{"memory", &memoryCollector{}},
		{"disk", &diskCollector{all: opts.AllDisks}},
		{"filesystem", &filesystemCollector{log: log.With("collector", "filesystem")}},
		{"network", &networkCollector{}},
		{"temperature", &temperatureCollector{log: log.With("collector", "temperature")}},
		{"process", proc},
		// After the process collector, whose reading they use.
		{"cgroup", newCgroupCollector(proc, log.With("collector", "cgroup"))},
		{"proc_group", &procGroupCollector{}},
	}
	s.self = newSelfCollector(opts.Written)
	if !opts.NoGPU {
		s.collectors = append(s.collectors, namedCollector{"gpu", newGPUCollector(log.With("collector", "gpu"))})
	}
	if opts.TextfileDir != "" {
		s.collectors = append(s.collectors, namedCollector{"textfile", newTextfileCollector(opts.TextfileDir,
			opts.TextfileMaxSeries, opts.TextfileMaxTotal, log.With("collector", "textfile"))})
	}
	return s
}

// Sample takes a reading at now. It returns the rows for the interval
// since the previous reading, or a nil Batch on the first reading and on
// the first after a reboot. A collector that fails leaves its tables out of
// the batch; its error is returned, joined with the others, alongside the
// batch.
func (s *Sampler) Sample(now time.Time) (*schema.Batch, error) {
	start := time.Now() // the wall time of the reading, for the self table
	stat, err := s.stat.read(s.src.ProcPath)
	if err != nil {
		return nil, fmt.Errorf("sample: read %s: %w", s.src.procFile("stat"), err)
	}
	// The kernel derives btime from the clock, so it moves by a second or
	// so between readings: the sampler keeps the boot time it saw first
	// until it moves by more than bootJitter, a reboot. Every row gets
	// that one, so a change of boot_time in the archive is a reboot.
	if raw := time.Unix(int64(stat.BootTime), 0).UTC(); s.boot.IsZero() || raw.Sub(s.boot).Abs() > bootJitter {
		s.boot = raw
	}
	boot := s.boot
	t := Tick{Now: now, Time: schema.Micros(now), BootTime: boot, Stat: stat}
	t.First = s.prevTime.IsZero() || !now.After(s.prevTime) ||
		boot.Sub(s.prevBoot).Abs() > bootJitter
	if !t.First {
		t.Interval = now.Sub(s.prevTime)
	}
	s.prevTime, s.prevBoot = now, boot

	var b *schema.Batch
	out := &schema.Batch{} // a first reading: collectors only remember it
	if !t.First {
		b = &schema.Batch{Time: now}
		out = b
	}
	var errs []error
	for _, c := range s.collectors {
		if err := c.c.Collect(s.src, t, out); err != nil {
			errs = append(errs, fmt.Errorf("sample: %s: %w", c.name, err))
		}
	}
	if err := s.hostFacts(t, b); err != nil {
		errs = append(errs, err)
	}
	if err := s.self.collect(t, time.Since(start), out); err != nil {
		errs = append(errs, fmt.Errorf("sample: self: %w", err))
	}
	return b, errors.Join(errs...)
}

// hostFacts reads the host facts when they are due and adds a host row to
// b when they changed, at the first batch of a run and of each UTC day.
func (s *Sampler) hostFacts(t Tick, b *schema.Batch) error {
	if s.factsRead.IsZero() || t.Now.Sub(s.factsRead) >= s.opts.HostEvery ||
		t.BootTime.Sub(time.UnixMicro(s.facts.BootTime)).Abs() > bootJitter {
		f, err := readHostFacts(s.src, t)
		if err != nil {
			return fmt.Errorf("sample: host: %w", err)
		}
		if !s.factsRead.IsZero() && !sameFacts(f, s.facts) {
			s.factsOut = true
		}
		s.facts, s.factsRead = f, t.Now
	}
	if b == nil {
		return nil
	}
	if !sameMounts(b.Filesystem, s.facts.Mounts) {
		s.facts.Mounts = mountList(b.Filesystem)
		s.factsOut = true
	}
	day := t.Now.UTC().Truncate(24 * time.Hour)
	if s.factsOut || !day.Equal(s.factsDay) {
		row := s.facts
		row.Time = t.Time
		b.Host = append(b.Host, row)
		s.factsOut, s.factsDay = false, day
	}
	return nil
}

// mountList is the host facts' list of filesystems.
func mountList(rows []schema.FilesystemRow) []schema.Mount {
	out := make([]schema.Mount, 0, len(rows))
	for _, r := range rows {
		out = append(out, schema.Mount{Mountpoint: r.Mountpoint, FSType: r.FSType, Device: r.Device})
	}
	return out
}

// sameMounts reports whether list is mountList(rows), without building it:
// it is asked every sample, and the answer is almost always yes.
func sameMounts(rows []schema.FilesystemRow, list []schema.Mount) bool {
	if len(rows) != len(list) {
		return false
	}
	for i, r := range rows {
		if m := list[i]; m.Mountpoint != r.Mountpoint || m.FSType != r.FSType || m.Device != r.Device {
			return false
		}
	}
	return true
}

// sameFacts reports whether two readings of the host facts agree, ignoring
// the time and the filesystem list.
func sameFacts(a, b schema.HostRow) bool {
	a.Time, b.Time = 0, 0
	a.Mounts, b.Mounts = nil, nil
	return a.Hostname == b.Hostname && a.OS == b.OS && a.Kernel == b.Kernel &&
		a.Arch == b.Arch && a.BootTime == b.BootTime && a.CPUModel == b.CPUModel &&
		a.CPUCores == b.CPUCores && a.MemoryBytes == b.MemoryBytes && a.SwapBytes == b.SwapBytes
}
