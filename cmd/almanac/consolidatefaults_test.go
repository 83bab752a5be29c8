//go:build linux

package main

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// writeRecent writes, as a sampler would, a batch of host every interval
// from from to to, flushing every flush: many parts in today's folders.
func writeRecent(t *testing.T, dir, host string, from, to time.Time, interval, flush time.Duration, seed uint64) map[string]int {
	t.Helper()
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: flush})
	if err != nil {
		t.Fatal(err)
	}
	g := synth.New(synth.Host{Name: host, Seed: seed, Processes: 10, Cores: 2})
	rows := map[string]int{}
	for at := from; at.Before(to); at = at.Add(interval) {
		b := g.Batch(at)
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
		for _, tb := range schema.Tables {
			if n := tb.Len(b); n > 0 {
				rows[tb.Name()] += n
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestConsolidateKillNine kills a real almanac archive compact with SIGKILL
// at random moments while it consolidates today's parts into span files
// (--consolidate 1m), at least ten times, each time with a new late part
// so that every run has a span file to merge again. After each kill a
// reader sees exactly the rows it saw before, none twice; a last, normal
// run then leaves one file per ended span and no part of an ended span.
func TestConsolidateKillNine(t *testing.T) {
	bin := buildAlmanac(t)
	dir := t.TempDir()
	const host = "consolhost"
	end := time.Now().UTC().Truncate(time.Minute)
	want := writeRecent(t, dir, host, end.Add(-8*time.Minute), end, 2*time.Second, 20*time.Second, 1)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	if got := countRows(t, dir, host); !mapsEqual(got, want) {
		t.Fatalf("before consolidation readers see %v rows, want %v", got, want)
	}
	compact := func() *exec.Cmd {
		return exec.Command(bin, "archive", "compact", "--archive", dir, "--consolidate", "1m", "--log-level", "warn")
	}
	var kills, runs int
	window := time.Second
	for kills < 10 {
		if runs++; runs > 40 {
			t.Fatalf("only %d of %d consolidations were killed before they ended", kills, runs-1)
		}
		cmd := compact()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(window)))
		timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
		err := cmd.Wait()
		timer.Stop()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled():
			kills++
		case err != nil:
			t.Fatalf("consolidation %d: %v\n%s", runs, err, stderr.String())
		default:
			window = time.Since(start)
		}
		if got := countRows(t, dir, host); !mapsEqual(got, want) {
			t.Fatalf("after consolidation %d (killed after %v: %v) readers see %v rows, want %v", runs, delay, err != nil, got, want)
		}
		// A late batch: its part's seq follows the newest on disk, in the
		// last ended span, which the next run merges again.
		late := writeRecent(t, dir, host, end.Add(-9*time.Minute+time.Duration(runs)*time.Second), end.Add(-9*time.Minute+time.Duration(runs)*time.Second+time.Millisecond), time.Second, time.Hour, uint64(100+runs))
		for k, n := range late {
			want[k] += n
		}
	}
	if out, err := compact().CombinedOutput(); err != nil {
		t.Fatalf("consolidation after %d kills: %v\n%s", kills, err, out)
	}
	if got := countRows(t, dir, host); !mapsEqual(got, want) {
		t.Errorf("after the last consolidation readers see %v rows, want %v", got, want)
	}
	checkConsolidated(t, dir, host, time.Now(), time.Minute)
	t.Logf("%d consolidations, %d killed (a whole one takes about %v); rows %v", runs, kills, window, want)
}

// checkConsolidated checks that no folder of host holds a tmp file, a part
// covered by another file, or two files whose first seqs fall in one
// ended span of every: consolidation left one file per span.
func checkConsolidated(t *testing.T, dir, host string, now time.Time, every time.Duration) {
	t.Helper()
	for _, tb := range schema.Tables {
		days, _ := filepath.Glob(filepath.Join(dir, tb.Name(), "host="+host, "date=*"))
		for _, d := range days {
			if tmp, _ := filepath.Glob(filepath.Join(d, ".*.tmp")); len(tmp) > 0 {
				t.Errorf("tmp files left: %v", tmp)
			}
			files, _ := filepath.Glob(filepath.Join(d, "*.parquet"))
			spans := map[int64]string{}
			for _, f := range files {
				first, ok := firstSeq(filepath.Base(f))
				if !ok {
					t.Errorf("%s: not a data file name", f)
					continue
				}
				span := first / every.Microseconds()
				if (span+1)*every.Microseconds() > now.UnixMicro() {
					continue // the span has not ended
				}
				if other, ok := spans[span]; ok {
					t.Errorf("%s and %s are in one ended span", other, f)
				}
				spans[span] = f
			}
		}
	}
}

// firstSeq returns the first seq of a part or hour file name.
func firstSeq(name string) (int64, bool) {
	base, ok := strings.CutSuffix(name, ".parquet")
	if !ok {
		return 0, false
	}
	if n, ok := strings.CutPrefix(base, "part-"); ok {
		v, err := strconv.ParseInt(n, 10, 64)
		return v, err == nil
	}
	if n, ok := strings.CutPrefix(base, "hour-"); ok {
		lo, _, _ := strings.Cut(n, "-")
		v, err := strconv.ParseInt(lo, 10, 64)
		return v, err == nil
	}
	return 0, false
}
