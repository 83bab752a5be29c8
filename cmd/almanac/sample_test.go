//go:build linux

package main

import (
	"bytes"
	"cmp"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/archive"
	"almanac/sample"
)

// TestSamplerClosesDay drives the sampler's loop body across midnight: the
// day that closed is flushed and compacted into one file per table, and
// days older than --keep are deleted, without anyone running almanac
// archive.
func TestSamplerClosesDay(t *testing.T) {
	s := liveSampler(t, slog.New(slog.DiscardHandler), sampleOptions{interval: 10 * time.Second, flush: 5 * time.Minute,
		host: "web1", noSync: true, keep: 23 * time.Hour})
	dir := s.o.archive
	midnight := time.Now().UTC().Truncate(24 * time.Hour)
	// Two days ago, then the last minutes before midnight and the first after.
	var times []time.Time
	for i := range 3 {
		times = append(times, midnight.Add(-48*time.Hour+time.Duration(i)*10*time.Second))
	}
	for i := range 6 {
		times = append(times, midnight.Add(-30*time.Second+time.Duration(i)*10*time.Second))
	}
	for _, at := range times {
		if err := s.take(at); err != nil {
			t.Fatal(err)
		}
	}
	s.wg.Wait()
	if err := s.w.Close(); err != nil {
		t.Fatal(err)
	}
	yesterday := midnight.Add(-time.Hour).Format(time.DateOnly)
	files, _ := filepath.Glob(filepath.Join(dir, "cpu", "host=web1", "date="+yesterday, "*.parquet"))
	if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), "day-") {
		t.Errorf("yesterday's cpu folder holds %v, want one compacted day file", files)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*", "host=web1", "date="+midnight.Add(-47*time.Hour).Format(time.DateOnly)))
	if len(old) != 0 {
		t.Errorf("days older than --keep are still there: %v", old)
	}
	today, _ := filepath.Glob(filepath.Join(dir, "cpu", "host=web1", "date="+midnight.Format(time.DateOnly), "part-*.parquet"))
	if len(today) == 0 {
		t.Error("today's samples were not flushed into parts")
	}
}

// TestSampleOtherRoots runs almanac sample --once against the fixture tree
// mounted elsewhere, as a container does with the host's /proc, /sys and /
// at /host/proc, /host/sys and /host/rootfs: the samples are the tree's,
// filed under the tree's host name.
func TestSampleOtherRoots(t *testing.T) {
	dir := t.TempDir()
	fixture := filepath.Join("..", "..", "sample", "testdata")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"sample", "--once", "--interval", "1s", "--archive", dir,
		"--proc", filepath.Join(fixture, "proc"), "--sys", filepath.Join(fixture, "sys"),
		"--rootfs", filepath.Join(fixture, "rootfs"), "--log-level", "error"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, &stdout, &stderr)
	}
	name, err := os.ReadFile(filepath.Join(fixture, "proc", "sys", "kernel", "hostname"))
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimSpace(string(name))
	if !strings.Contains(stdout.String(), "sampled "+host+":") {
		t.Errorf("stdout %q does not name the tree's host %q", &stdout, host)
	}
	for _, table := range []string{"system", "memory", "process", "host", "self"} { // not cpu: a static tree has no ticks between readings
		files, _ := filepath.Glob(filepath.Join(dir, table, "host="+host, "date=*", "*.parquet"))
		if len(files) == 0 {
			t.Errorf("no %s file for host %s", table, host)
		}
	}
}

// liveSampler is the sampler's loop body over this host's /proc and /sys
// with the options o, writing to a new archive (its folder in s.o.archive);
// log gets the sampler's messages.
func liveSampler(t *testing.T, log *slog.Logger, o sampleOptions) *sampler {
	t.Helper()
	o.archive = t.TempDir()
	store, err := archive.Open(o.archive, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w, err := store.Writer(o.host, archive.WriterOptions{FlushEvery: o.flush, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	src, err := sample.NewSource("/proc", "/sys", "/")
	if err != nil {
		t.Fatal(err)
	}
	return &sampler{o: o, log: log, store: store, w: w, sampler: sample.New(src, sample.Options{Log: slog.New(slog.DiscardHandler)})}
}

// gcAtFlush is a log handler that notes the garbage collector's GOGC when
// the writer logs a flush (in the middle of the Append that flushes), or
// when msg is logged.
type gcAtFlush struct {
	mu    *sync.Mutex
	gogcs *[]int
	msg   string // the message to note GOGC at; "" for "journal flushed"
}

func (h gcAtFlush) Enabled(context.Context, slog.Level) bool { return true }
func (h gcAtFlush) Handle(_ context.Context, r slog.Record) error {
	if msg := cmp.Or(h.msg, "journal flushed"); r.Message == msg {
		v := debug.SetGCPercent(100)
		debug.SetGCPercent(v)
		h.mu.Lock()
		*h.gogcs = append(*h.gogcs, v)
		h.mu.Unlock()
	}
	return nil
}
func (h gcAtFlush) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h gcAtFlush) WithGroup(string) slog.Handler      { return h }

// TestLowerGC checks that runs under way at once set the collector to
// the lowest GOGC asked, whatever order they end in, and that the GOGC
// before the first is put back when the last ends.
func TestLowerGC(t *testing.T) {
	const before = 77
	defer debug.SetGCPercent(debug.SetGCPercent(before))
	gogc := func() int { v := debug.SetGCPercent(100); debug.SetGCPercent(v); return v }
	// Two runs asking different GOGCs (compactGCPercent and
	// flushGCPercent are the same today): the compaction the higher.
	const compactAsks, flushAsks = 50, 25
	for _, order := range []string{"flush ends first", "compaction ends first"} {
		t.Run(order, func(t *testing.T) {
			endCompact := lowerGC(compactAsks)
			if v := gogc(); v != compactAsks {
				t.Fatalf("compaction alone: GOGC %d, want %d", v, compactAsks)
			}
			endFlush := lowerGC(flushAsks)
			if v := gogc(); v != flushAsks {
				t.Fatalf("flush during compaction: GOGC %d, want %d", v, flushAsks)
			}
			if order == "flush ends first" {
				endFlush()
				if v := gogc(); v != compactAsks {
					t.Errorf("compaction after the flush: GOGC %d, want %d", v, compactAsks)
				}
				endCompact()
			} else {
				endCompact()
				if v := gogc(); v != flushAsks {
					t.Errorf("flush after the compaction: GOGC %d, want %d", v, flushAsks)
				}
				endFlush()
			}
			if v := gogc(); v != before {
				t.Errorf("after both: GOGC %d, want %d put back", v, before)
			}
		})
	}
}

// TestCompactGOGC checks that a maintenance run compacts with the
// collector at compactGCPercent and puts the GOGC before back.
func TestCompactGOGC(t *testing.T) {
	const before = 77
	defer debug.SetGCPercent(debug.SetGCPercent(before))
	var mu sync.Mutex
	var gogcs []int
	s := liveSampler(t, slog.New(gcAtFlush{mu: &mu, gogcs: &gogcs, msg: "files merged"}),
		sampleOptions{interval: 10 * time.Second, flush: 30 * time.Second, host: "web1", noSync: true})
	yesterday := time.Now().UTC().Truncate(24 * time.Hour).Add(-23 * time.Hour)
	for i := range 3 {
		if err := s.take(yesterday.Add(time.Duration(i) * 10 * time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.w.Flush(); err != nil {
		t.Fatal(err)
	}
	s.compactAndPrune(yesterday.Add(24 * time.Hour))
	if v := debug.SetGCPercent(before); v != before {
		t.Errorf("after the run: GOGC %d, want %d put back", v, before)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(gogcs) == 0 {
		t.Fatal("nothing compacted")
	}
	for _, v := range gogcs {
		if v != compactGCPercent {
			t.Errorf("GOGC during the compaction: %v, want %d", gogcs, compactGCPercent)
			break
		}
	}
}

// TestFlushGOGC checks that an Append that flushes runs with the
// collector at flushGCPercent and that the GOGC before is put back.
func TestFlushGOGC(t *testing.T) {
	const before = 77
	defer debug.SetGCPercent(debug.SetGCPercent(before))
	var mu sync.Mutex
	var gogcs []int
	s := liveSampler(t, slog.New(gcAtFlush{mu: &mu, gogcs: &gogcs}),
		sampleOptions{interval: 10 * time.Second, flush: 30 * time.Second, host: "web1", noSync: true})
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(time.Hour)
	for i := range 6 {
		if err := s.take(start.Add(time.Duration(i) * 10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if v := debug.SetGCPercent(before); v != before {
			t.Errorf("after reading %d: GOGC %d, want %d put back", i, v, before)
		}
	}
	s.wg.Wait()
	if err := s.w.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(gogcs) == 0 || gogcs[0] != flushGCPercent {
		t.Errorf("GOGC during the flushes: %v, want %d during the first (the one of the loop)", gogcs, flushGCPercent)
	}
}

// TestShortConsolidate checks when almanac sample warns that --consolidate
// may not merge (a span that begins one part only) and the span it offers.
func TestShortConsolidate(t *testing.T) {
	const s, m, h = time.Second, time.Minute, time.Hour
	for _, tc := range []struct {
		what                         string
		interval, flush, consolidate time.Duration
		every                        time.Duration // a part begins every
		short                        bool
		try                          time.Duration
	}{
		{"the defaults", 10 * s, 5 * m, h, 310 * s, false, 0},
		{"TestKillNine's killed runs", s, s, 2 * s, 2 * s, true, 4 * s},
		{"two parts a span", s, s, 4 * s, 2 * s, false, 0},
		{"TestKillNine's last run", s, s, 8 * s, 2 * s, false, 0},
		{"ticks 2 s apart", 2 * s, 2 * s, 4 * s, 4 * s, true, 8 * s},
		{"10 minutes of 5-minute parts", 10 * s, 5 * m, 10 * m, 310 * s, true, 10*m + 40*s},
		{"an hour of hour-long parts", 10 * s, h, h, h + 10*s, true, 2*h + 24*m},
		{"off", 10 * s, 7 * s, 0, 20 * s, false, 0},
		{"parts longer than half a day", m, 13 * h, 24 * h, 13*h + m, true, 0},
	} {
		o := sampleOptions{interval: tc.interval, flush: tc.flush, consolidate: tc.consolidate}
		if got := o.partEvery(); got != tc.every {
			t.Errorf("%s: a part every %v, want %v", tc.what, got, tc.every)
		}
		if try, short := o.shortConsolidate(); short != tc.short || try != tc.try {
			t.Errorf("%s: short %t, try %v; want %t, %v", tc.what, short, try, tc.short, tc.try)
		}
	}
}
