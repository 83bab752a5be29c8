//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"almanac/alert"
	"almanac/archive"
	"almanac/notify"
	"almanac/sample"
	"almanac/schema"
)

// sampleSummary is the line of almanac sample in the command list.
const sampleSummary = "read /proc and /sys and append to today's Parquet files"

// sampleOptions are the checked flags of almanac sample.
type sampleOptions struct {
	archive  string
	interval time.Duration
	once     bool
	proc     string
	sys      string
	rootfs   string
	host     string
	cmdline  bool
	allDisks bool
	keep     time.Duration
	flush    time.Duration
	queue    time.Duration
	noSync   bool
	rules    string
	silences string
	// consolidate is the span of today's parts merged into one file.
	consolidate time.Duration
}

// noMemProfile turns the runtime's heap profile off once (tests run
// samplers side by side in one process).
var noMemProfile sync.Once

func runSample(ctx context.Context, e *env, args []string) error {
	// Nothing reads a heap profile of the sampler: the records the runtime
	// keeps of sampled allocations (a bucket per call stack, never freed;
	// 1.4 MiB in the flush benchmark) would only take room under its
	// memory limit. The runtime wants this set before most allocations.
	noMemProfile.Do(func() { runtime.MemProfileRate = 0 })
	fs := newFlagSet(e, "sample", "[flags]",
		"Read /proc and /sys every --interval and append the samples to today's files under --archive.\n"+
			"Runs until SIGINT or SIGTERM, then flushes and exits 0; SIGHUP flushes and carries on. The\n"+
			"first reading only primes the rates: rows start with the second. Closed days are compacted\n"+
			"and days past --keep deleted. While the journal cannot be written (a full disk) samples wait\n"+
			"in memory, up to --queue of them, and are written once it can.",
		"almanac sample --archive /var/lib/almanac --interval 10s")
	var o sampleOptions
	keep := days(90 * 24 * time.Hour)
	var lf logFlags
	var cf customFlags
	fs.StringVar(&o.archive, "archive", "/var/lib/almanac", "directory of the Parquet archive")
	fs.DurationVar(&o.interval, "interval", 10*time.Second, "time between two samples")
	fs.BoolVar(&o.once, "once", false, "take one sample (two readings, one --interval apart) and exit")
	fs.StringVar(&o.proc, "proc", "/proc", "where the host's proc filesystem is mounted")
	fs.StringVar(&o.sys, "sys", "/sys", "where the host's sys filesystem is mounted")
	fs.StringVar(&o.rootfs, "rootfs", "/", "where the host's root filesystem is mounted (for mount points and /etc)")
	fs.StringVar(&o.host, "host", "", "host name to file the samples under (default: the kernel's hostname)")
	fs.BoolVar(&o.cmdline, "cmdline", false, "record full command lines (off: they can hold secrets)")
	fs.BoolVar(&o.allDisks, "all-disks", false, "keep ram and loop block devices")
	fs.Var(&keep, "keep", "delete day partitions older than this (0 keeps everything)")
	fs.DurationVar(&o.flush, "flush", 5*time.Minute, "how often the journal becomes closed Parquet parts")
	fs.DurationVar(&o.consolidate, "consolidate", archive.DefaultConsolidate, "merge today's parts into one file per this span once it ends (0: only closed days are compacted)")
	fs.DurationVar(&o.queue, "queue", time.Hour, "how long a journal that cannot be written (a full disk) is bridged in memory")
	fs.BoolVar(&o.noSync, "no-sync", false, "do not fsync each sample (a power cut may lose more than one)")
	fs.StringVar(&o.rules, "rules", "", "alerting rules file (default: the built-in rules; see almanac rules show)")
	fs.StringVar(&o.silences, "silences", "", "silences file: incidents it matches are recorded but not notified (read again when it changes)")
	cf.register(fs)
	lf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o.keep = time.Duration(keep)
	if err := o.check(fs.Args()); err != nil {
		return err
	}
	sopts := sample.Options{Cmdline: o.cmdline, AllDisks: o.allDisks}
	if err := cf.check(&sopts); err != nil {
		return err
	}
	log, err := lf.logger(e.stderr, "sample")
	if err != nil {
		return err
	}
	if try, short := o.shortConsolidate(); short {
		log.Warn("--consolidate is under two parts' time: a span in which one part begins is not merged (try: a span that always begins two, 0 if none does)",
			"consolidate", o.consolidate, "part_every", o.partEvery(), "try", try)
	}
	sopts.Log = log
	src, err := sample.NewSource(o.proc, o.sys, o.rootfs)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(o.proc, "stat")); err != nil {
		return &usageError{msg: fmt.Sprintf("--proc %s is not a proc filesystem: %v", o.proc, err), hint: "almanac sample --proc /proc"}
	}
	if o.host == "" {
		if o.host, err = kernelHostname(o.proc); err != nil {
			return err
		}
	}
	if err := archive.CheckHost(o.host); err != nil {
		return &usageError{msg: err.Error(), hint: "almanac sample --host web1"}
	}
	store, err := archive.Open(o.archive, log)
	if err != nil {
		return err
	}
	defer store.Close()
	w, err := store.Writer(o.host, archive.WriterOptions{FlushEvery: o.flush, NoSync: o.noSync, QueueLen: o.queueLen()})
	if err != nil {
		return err
	}
	rules := &alert.File{}
	if o.rules != "" {
		if rules, err = loadRules(o.rules); err != nil {
			return err
		}
	}
	alerts, err := newAlerting(store, o.host, rules.Effective(), o.noSync)
	if err != nil {
		return err
	}
	alerts.silences = o.silences
	channels, err := notify.ParseChannels(o.rules, rules.Notify)
	if err != nil {
		return err
	}
	if len(channels) > 0 {
		// The outbox sits beside the journal: one queue a channel.
		n, err := notify.NewNotifier(filepath.Join(o.archive, ".journal", o.host+".outbox"), channels, log.With("host", o.host))
		if err != nil {
			return err
		}
		defer n.Close()
		alerts.n = n
		nctx, stopNotify := context.WithCancel(context.Background())
		notified := make(chan struct{})
		go func() { n.Run(nctx); close(notified) }()
		defer func() {
			stopNotify()
			<-notified
			// What the last samples queued, before the process ends.
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := n.Flush(fctx); err != nil {
				log.Warn("notifications left in the outbox for the next start", "err", err)
			}
		}()
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	sopts.Written = w.Written
	s := &sampler{
		o: o, log: log.With("host", o.host), store: store, w: w,
		sampler: sample.New(src, sopts),
		hup:     make(chan os.Signal, 1),
		alerts:  alerts,
	}
	// Service managers send SIGHUP to reload: there is nothing to reload,
	// so it flushes, where the default would end the process.
	signal.Notify(s.hup, syscall.SIGHUP)
	defer signal.Stop(s.hup)
	runErr := s.loop(ctx)
	s.wg.Wait()
	if err := w.Close(); err != nil {
		return errors.Join(runErr, err)
	}
	if runErr != nil {
		return runErr
	}
	if o.once {
		fmt.Fprintf(e.stdout, "sampled %s: %d rows written under %s\n", o.host, s.rows, o.archive)
	}
	return nil
}

func (o *sampleOptions) check(args []string) error {
	if len(args) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", args[0]), hint: "almanac sample --help"}
	}
	if o.interval < time.Second {
		return &usageError{msg: fmt.Sprintf("--interval %v is below 1s", o.interval), hint: "almanac sample --interval 10s"}
	}
	if o.flush < o.interval {
		return &usageError{msg: fmt.Sprintf("--flush %v is shorter than --interval %v", o.flush, o.interval), hint: "almanac sample --flush 5m"}
	}
	if o.consolidate < 0 || o.consolidate > 0 && (o.consolidate < o.flush || 24*time.Hour%o.consolidate != 0) {
		return &usageError{msg: fmt.Sprintf("--consolidate %v: want 0, or at least --flush %v and a divisor of 24h", o.consolidate, o.flush), hint: "almanac sample --consolidate 1h"}
	}
	if o.queue < o.interval {
		return &usageError{msg: fmt.Sprintf("--queue %v is shorter than --interval %v", o.queue, o.interval), hint: "almanac sample --queue 1h"}
	}
	if o.archive == "" {
		return &usageError{msg: "--archive is empty", hint: "almanac sample --archive /var/lib/almanac"}
	}
	return nil
}

// partEvery returns how often a part begins at --interval and --flush:
// the writer seals a segment with the first sample --flush or more after
// the segment's first, and the next segment begins with the sample after.
func (o *sampleOptions) partEvery() time.Duration {
	return ((o.flush+o.interval-1)/o.interval + 1) * o.interval
}

// shortConsolidate reports whether --consolidate is on and shorter than
// two parts (partEvery): such a span may begin one part only, which
// consolidation leaves as it is. try is the shortest span (a divisor of
// 24h) that always begins two, or 0 (off) when none does.
func (o *sampleOptions) shortConsolidate() (try time.Duration, short bool) {
	want := 2 * o.partEvery()
	if o.consolidate <= 0 || o.consolidate >= want {
		return 0, false
	}
	for d := want.Truncate(time.Second); d <= 24*time.Hour; d += time.Second {
		if d >= want && 24*time.Hour%d == 0 {
			return d, true
		}
	}
	return 0, true
}

// queueLen is the number of samples --queue holds at --interval.
func (o *sampleOptions) queueLen() int {
	return int((o.queue + o.interval - 1) / o.interval)
}

// memoryLimit is the sampler's soft memory limit (GOMEMLIMIT overrides it).
// Its live heap is a few MiB; the garbage a flush or a compaction leaves is
// collected before the heap grows past this, rather than at twice the live
// heap, so the resident size stays small on a host that runs it for years.
const memoryLimit = 20 << 20

// sampler is the running state of almanac sample.
type sampler struct {
	o       sampleOptions
	log     *slog.Logger
	store   *archive.Store
	w       *archive.Writer
	sampler *sample.Sampler

	rows     int
	day      string    // UTC day of the last batch
	started  bool      // the first batch was appended, and memory released after it
	lastSpan time.Time // span of --consolidate of the last batch
	mu       sync.Mutex
	wg       sync.WaitGroup
	busy     bool      // maintenance running
	again    time.Time // maintenance asked for while running: run again at this time
	hup      chan os.Signal

	queueLogged time.Time // when the full journal was last logged
	queueDrops  int       // samples dropped when it was

	alerts *alerting
}

// loop takes readings on interval boundaries until ctx ends (or, with
// --once, after the second reading).
func (s *sampler) loop(ctx context.Context) error {
	s.log.Info("sampler started", "archive", s.o.archive, "interval", s.o.interval.String())
	s.maintain(time.Now())
	if err := s.take(time.Now()); err != nil {
		return err
	}
	timer := time.NewTimer(s.wait(time.Now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			s.log.Info("sampler stopping", "rows", s.rows)
			return nil
		case <-s.hup:
			s.log.Info("SIGHUP: flushing the journal (nothing to reload)")
			if err := s.w.Flush(); err != nil {
				s.log.Warn("flush failed, samples kept in the journal", "err", err)
			}
			s.release()
		case <-timer.C:
			if err := s.take(time.Now()); err != nil {
				return err
			}
			if s.o.once {
				return nil
			}
			timer.Reset(s.wait(time.Now()))
		}
	}
}

// wait returns how long until the next reading. Readings fall on multiples
// of the interval (as sar's do), so that hosts' samples line up; --once
// waits exactly one interval.
func (s *sampler) wait(now time.Time) time.Duration {
	if s.o.once {
		return s.o.interval
	}
	next := now.Truncate(s.o.interval).Add(s.o.interval)
	return next.Sub(now)
}

// take takes one reading and appends its batch. Collector errors are
// logged and the sample kept; only a failing archive stops the sampler.
func (s *sampler) take(now time.Time) error {
	b, err := s.sampler.Sample(now.UTC())
	if err != nil {
		s.log.Warn("sample incomplete", "err", err)
	}
	if b == nil {
		return nil
	}
	s.alerts.eval(b, s.log)
	flushes := s.w.Flushes(b.Time)
	if flushes {
		// This Append flushes: the pages the readings mapped in since the
		// last flush need not add to what the flush maps.
		s.dropExe()
	}
	var qe *archive.QueueError
	switch err := s.append(b, flushes); {
	case errors.As(err, &qe):
		s.alerts.writeFailed(true)
		s.rows += b.Rows()
		s.log.Debug("sample queued", "rows", b.Rows(), "sample_time_us", b.Time.UnixMicro())
		s.logQueue(now, qe)
	case err != nil:
		return err
	default:
		s.alerts.writeFailed(false)
		s.rows += b.Rows()
		s.log.Debug("sample appended", "rows", b.Rows(), "sample_time_us", b.Time.UnixMicro())
		s.queueLogged, s.queueDrops = time.Time{}, 0
	}
	// What the flush left is handed back right after it (and, once, what
	// start-up left, after the first batch).
	if flushes || !s.started {
		s.started = true
		s.release()
	}
	// A new day compacts the closed one; the end of a span of
	// --consolidate merges its parts. Flush first, so that the last
	// samples are in them.
	day, span := now.UTC().Format(time.DateOnly), s.span(now)
	if s.day != "" && day != s.day || s.o.consolidate > 0 && !s.lastSpan.IsZero() && !span.Equal(s.lastSpan) {
		if err := s.w.Flush(); err != nil {
			s.log.Warn("flush failed, samples kept in the journal", "err", err)
		}
		s.release()
		s.maintain(now)
	}
	s.day, s.lastSpan = day, span
	return nil
}

// flushGCPercent is the garbage collector's GOGC while an Append
// flushes. A flush's live heap is a few MiB for a few hundred milliseconds;
// with the default 100 the heap grows to twice that between collections
// and, under memoryLimit, the garbage it leaves stays resident until the
// limit forces it back. A quarter costs more collections of a small heap
// (about 0.1 CPU-s a flush of 1,000 processes at 1 s) for a lower peak.
const flushGCPercent = 25

// compactGCPercent is the garbage collector's GOGC while a maintenance
// run compacts and consolidates. Its live heap is about 10 MiB for
// seconds (the process and cgroup tables of a closed day); with the
// default 100 the heap grows to twice that between collections. A
// quarter, as a flush runs at, gives a peak about 2 MiB lower than half
// (BenchmarkCompactMemory: 34.1-35.1 MiB against 36.1-37.1) for 0.3 to
// 0.5 CPU-s more of about 5: a merge and a rollup allocate a fraction
// of what they did, so the collections a low GOGC adds are cheap.
const compactGCPercent = 25

// lowGC counts the flushes and maintenance runs under way in the process
// (tests run samplers side by side, and a maintenance run goes on beside
// the flushes) by the GOGC each asks: the collector runs at the lowest
// asked, and when the last ends the GOGC before the first is put back.
var lowGC struct {
	sync.Mutex
	asked map[int]int // GOGC → runs under way that asked it
	old   int
}

// lowerGC sets the collector's GOGC to percent, or lower if another run
// under way asked lower, until the function it returns is called.
func lowerGC(percent int) (restore func()) {
	lowGC.Lock()
	defer lowGC.Unlock()
	if lowGC.asked == nil {
		lowGC.asked = map[int]int{}
	}
	if len(lowGC.asked) == 0 {
		lowGC.old = debug.SetGCPercent(percent)
	}
	lowGC.asked[percent]++
	debug.SetGCPercent(lowestGC())
	return func() {
		lowGC.Lock()
		defer lowGC.Unlock()
		if lowGC.asked[percent]--; lowGC.asked[percent] == 0 {
			delete(lowGC.asked, percent)
		}
		if len(lowGC.asked) == 0 {
			debug.SetGCPercent(lowGC.old)
			return
		}
		debug.SetGCPercent(lowestGC())
	}
}

// lowestGC returns the lowest GOGC asked; lowGC is locked.
func lowestGC() int {
	low := -1
	for p := range lowGC.asked {
		if low < 0 || p < low {
			low = p
		}
	}
	return low
}

// append appends b to the journal; when it flushes, with the collector
// set to flushGCPercent.
func (s *sampler) append(b *schema.Batch, flushes bool) error {
	if !flushes {
		return s.w.Append(b)
	}
	defer lowerGC(flushGCPercent)()
	return s.w.Append(b)
}

// release hands memory back to the kernel: the heap's free pages (a flush
// leaves its buffers as garbage, which would otherwise stay resident until
// the next) and the binary's pages that start-up or a flush mapped in (see
// dropExePages).
func (s *sampler) release() {
	debug.FreeOSMemory()
	s.dropExe()
}

// span returns the start of the span of --consolidate now falls in.
func (s *sampler) span(now time.Time) time.Time {
	if s.o.consolidate <= 0 {
		return time.Time{}
	}
	return now.UTC().Truncate(s.o.consolidate)
}

// maintain compacts closed days and prunes expired ones in the background,
// one run at a time. Asked while a run is under way, it runs again after
// it with the newer time, so a day that closes meanwhile is not skipped.
func (s *sampler) maintain(now time.Time) {
	if s.o.once {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy {
		s.again = now
		return
	}
	s.busy = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			s.compactAndPrune(now)
			s.mu.Lock()
			now, s.again = s.again, time.Time{}
			if now.IsZero() {
				s.busy = false
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
		}
	}()
}

// compactAndPrune is one maintenance run: compact the host's closed days,
// delete days past --keep, hand compaction's memory back to the kernel.
func (s *sampler) compactAndPrune(now time.Time) {
	every := s.o.consolidate
	if every <= 0 {
		every = -1 // off
	}
	restore := lowerGC(compactGCPercent)
	st, err := s.store.CompactWith(s.o.host, now, archive.CompactOptions{Consolidate: every, Between: s.dropExe})
	restore()
	if err != nil {
		s.log.Warn("compaction failed", "err", err)
	} else {
		s.log.Debug("compaction done", "stats", fmt.Sprintf("%+v", st))
	}
	if s.o.keep > 0 {
		gone, err := s.store.Prune(now, s.o.keep)
		if err != nil {
			s.log.Warn("prune failed", "err", err)
		} else if len(gone) > 0 {
			s.log.Info("old days deleted", "partitions", len(gone))
		}
	}
	s.release() // compaction's buffers and code: a day's worth, once a day (and an hour's, every --consolidate)
}

// dropExe drops the binary's read-only pages from the page tables (see
// dropExePages); a failure is logged, the sampler carries on.
func (s *sampler) dropExe() {
	if _, err := dropExePages(s.log); err != nil {
		s.log.Debug("binary's pages kept", "err", err)
	}
}
