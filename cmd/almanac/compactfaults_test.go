//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/testfs"
	"almanac/schema"
	"almanac/synth"
)

// These tests inflict real faults on compactions: kill -9 at random
// moments, renders reading beside them, and a full disk.

// writeSynthDays writes, as a sampler would, a batch of host every
// interval from the start of the day days before now's, with procs
// processes, flushing every flush: several parts a day.
func writeSynthDays(t *testing.T, dir, host string, now time.Time, days int, interval, flush time.Duration, procs int) {
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
	g := synth.New(synth.Host{Name: host, Seed: 1, Processes: procs, Cores: 2})
	// Closed days, and the first hour of today's.
	for at := archive.Day(now).AddDate(0, 0, -days); at.Before(archive.Day(now).Add(time.Hour)); at = at.Add(interval) {
		if err := w.Append(g.Batch(at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// addLateParts writes a few late batches (a journal replayed late) into
// the days closed days before now's, at times no other round uses, so
// that the next compaction has to merge them again: every day when every
// is set, else one, round by round. It adds to rows the rows it wrote,
// per table.
func addLateParts(dir, host string, now time.Time, days, round int, every bool, rows map[string]int) error {
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer st.Close()
	w, err := st.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: time.Hour})
	if err != nil {
		return err
	}
	g := synth.New(synth.Host{Name: host, Seed: uint64(100 + round), Processes: 2, Cores: 1})
	for d := days; d > 0; d-- {
		if !every && d != 1+round%days {
			continue
		}
		for h := range 3 {
			at := archive.Day(now).AddDate(0, 0, -d).Add(time.Duration(h*6)*time.Hour + time.Duration(round)*time.Second + 7*time.Second)
			b := g.Batch(at)
			if err := w.Append(b); err != nil {
				w.Close()
				return err
			}
			for _, tb := range schema.Tables {
				if n := tb.Len(b); n > 0 && rows != nil {
					rows[tb.Name()] += n
				}
			}
		}
	}
	return w.Close()
}

// countRows counts the rows of every table of host as a reader sees them
// (Scan), and fails on a row whose key and time another row has too.
func countRows(t *testing.T, dir, host string) map[string]int {
	t.Helper()
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]int{}
	for _, tb := range schema.Tables {
		fr, err := st.Scan(tb.Name(), host, time.Unix(0, 0), time.Now().AddDate(1, 0, 0), tb.Keys()...)
		if errors.Is(err, archive.ErrNoData) {
			continue
		}
		if err != nil {
			t.Fatalf("scan %s: %v", tb.Name(), err)
		}
		seen := make(map[string]bool, fr.Len())
		var sb strings.Builder
		for i, ts := range fr.Time {
			sb.Reset()
			sb.WriteString(strconv.FormatInt(ts, 10))
			for _, k := range tb.Keys() {
				sb.WriteByte(0)
				if s, ok := fr.Str[k]; ok {
					sb.WriteString(s[i])
				} else {
					sb.WriteString(strconv.FormatFloat(fr.Num[k][i], 'g', -1, 64))
				}
			}
			if seen[sb.String()] {
				t.Errorf("table %s: row %q is there twice", tb.Name(), sb.String())
			}
			seen[sb.String()] = true
		}
		out[tb.Name()] = fr.Len()
	}
	return out
}

// checkCompacted checks that every closed day of host is compacted: no tmp
// file anywhere, nothing but data files visible to dataset readers, and a
// current rollup of every day at every resolution.
func checkCompacted(t *testing.T, dir, host string, now time.Time, days int) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".tmp") {
			t.Errorf("tmp file left: %s", p)
		}
		hidden := strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")
		if d.IsDir() && hidden && p != dir {
			return filepath.SkipDir // .journal: no dataset reader looks there
		}
		if !d.IsDir() && !hidden && !strings.HasSuffix(p, ".parquet") {
			t.Errorf("%s is visible to dataset readers and is not a data file", p)
		}
		return nil
	})
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var want []time.Time
	for d := days; d > 0; d-- {
		want = append(want, archive.Day(now).AddDate(0, 0, -d))
	}
	for _, tb := range schema.Tables {
		if parts, _ := st.Partitions(tb.Name(), host); len(parts) == 0 {
			continue // a table the fixture has no rows of (custom, gpu)
		}
		for _, r := range tb.Rollups() {
			res := archive.Resolution(r)
			got, err := st.RollupDays(res, tb.Name(), host)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("RollupDays(%v, %s) = %v, %v; want every closed day %v", res, tb.Name(), got, err, want)
			}
		}
	}
}

// TestCompactKillNine kills a real almanac archive compact with SIGKILL at
// random moments, at least ten times, each time with new late parts in a
// closed day so that every run has a day to merge again and its rollups to
// replace (besides what the killed run left). After
// each kill a reader sees exactly the rows it saw before, none twice; a
// last, normal compaction then finishes the job.
func TestCompactKillNine(t *testing.T) {
	bin := buildAlmanac(t)
	dir := t.TempDir()
	now := time.Now().UTC()
	const host, days = "killhost", 2
	writeSynthDays(t, dir, host, now, days, 5*time.Minute, 4*time.Hour, 10)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	want := countRows(t, dir, host)
	var kills, runs int
	window := 2 * time.Second // how long a compaction takes: the last uninterrupted one's time
	for kills < 10 {
		if runs++; runs > 40 {
			t.Fatalf("only %d of %d compactions were killed before they ended", kills, runs-1)
		}
		cmd := exec.Command(bin, "archive", "compact", "--archive", dir, "--log-level", "warn")
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
			t.Fatalf("compaction %d: %v\n%s", runs, err, stderr.String())
		default:
			window = time.Since(start) // ended before the kill
		}
		if got := countRows(t, dir, host); !mapsEqual(got, want) {
			t.Fatalf("after compaction %d (killed after %v: %v) readers see %v rows, want %v", runs, delay, err != nil, got, want)
		}
		if err := addLateParts(dir, host, now, days, runs, false, want); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(bin, "archive", "compact", "--archive", dir, "--log-level", "warn").CombinedOutput(); err != nil {
		t.Fatalf("compaction after %d kills: %v\n%s", kills, err, out)
	}
	if got := countRows(t, dir, host); !mapsEqual(got, want) {
		t.Errorf("after the last compaction readers see %v rows, want %v", got, want)
	}
	checkCompacted(t, dir, host, now, days)
	t.Logf("%d compactions, %d killed (a whole one takes about %v); rows %v", runs, kills, window, want)
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRenderBesideCompaction renders the site again and again into a
// fresh folder (a real almanac render) while real compactions merge late
// parts into every closed day and replace its rollups: every render must
// succeed and skip nothing.
func TestRenderBesideCompaction(t *testing.T) {
	bin := buildAlmanac(t)
	dir := t.TempDir()
	now := time.Now().UTC()
	const host, days = "renderhost", 2
	writeSynthDays(t, dir, host, now, days, 10*time.Minute, 6*time.Hour, 3)

	done := make(chan error, 1)
	const rounds = 4
	began := time.Now()
	var compacting time.Duration
	go func() {
		for i := range rounds {
			if err := addLateParts(dir, host, now, days, i+1, true, nil); err != nil {
				done <- err
				return
			}
			if out, err := exec.Command(bin, "archive", "compact", "--archive", dir, "--log-level", "warn").CombinedOutput(); err != nil {
				done <- fmt.Errorf("compaction %d: %w\n%s", i+1, err, out)
				return
			}
		}
		compacting = time.Since(began)
		done <- nil
	}()
	renders := 0
	for finished := false; !finished || renders < 3; renders++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("compaction beside renders: %v", err)
			}
			finished = true
		default:
		}
		out := filepath.Join(t.TempDir(), "site")
		cmd := exec.Command(bin, "render", "--archive", dir, "--out", out, "--log-level", "warn")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("render %d beside a compaction: %v\n%s", renders+1, err, stderr.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("render %d beside a compaction warned:\n%s", renders+1, stderr.String())
		}
		if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
			t.Errorf("render %d: %v", renders+1, err)
		}
	}
	t.Logf("%d renders in %v beside %d compactions (with their late parts) in %v", renders, time.Since(began), rounds, compacting)
}

// TestCompactDiskFull compacts an archive on a full tmpfs: the compaction
// fails saying which file and to free space, leaves no tmp file and loses
// no row; once space is back it completes. Rendering to a full --out fails
// clearly and keeps the old site.
func TestCompactDiskFull(t *testing.T) {
	mnt := testfs.MountTmpfs(t, "8m")
	dir := filepath.Join(mnt, "archive")
	now := time.Now().UTC()
	const host, days = "fullhost", 1
	writeSynthDays(t, dir, host, now, days, 5*time.Minute, 2*time.Hour, 3)
	out := filepath.Join(mnt, "site")
	compact := func() (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"archive", "compact", "--archive", dir}, &stdout, &stderr)
		return code, stderr.String()
	}
	renderOut := func() (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"render", "--archive", dir, "--out", out, "--log-level", "error"}, &stdout, &stderr)
		return code, stderr.String()
	}
	if code, stderr := renderOut(); code != 0 {
		t.Fatalf("render with space: exit %d\n%s", code, stderr)
	}
	oldIndex, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	want := countRows(t, dir, host)

	free := testfs.FillDisk(t, mnt)
	code, stderr := compact()
	if code != 1 {
		t.Fatalf("compaction on a full disk: exit %d, want 1\n%s", code, stderr)
	}
	t.Logf("compaction on a full disk:\n%s", stderr)
	for _, s := range []string{"no space left on device", "free space on the filesystem of " + dir} {
		if !strings.Contains(stderr, s) {
			t.Errorf("compaction on a full disk: stderr lacks %q:\n%s", s, stderr)
		}
	}
	if !regexp.MustCompile(`write \w+/host=fullhost/date=[0-9-]+/day-[0-9]+\.parquet: `).MatchString(stderr) {
		t.Errorf("compaction on a full disk: stderr does not name the day file it could not write:\n%s", stderr)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			t.Errorf("tmp file left by the failed compaction: %s", p)
		}
		return err
	})
	if got := countRows(t, dir, host); !mapsEqual(got, want) {
		t.Errorf("after the failed compaction readers see %v rows, want %v", got, want)
	}
	code, stderr = renderOut()
	if code != 1 || !strings.Contains(stderr, "no space left on device") || !strings.Contains(stderr, "free space on the filesystem of "+out) {
		t.Errorf("render to a full disk: exit %d, want 1 and an error saying to free space\n%s", code, stderr)
	}
	if got, err := os.ReadFile(filepath.Join(out, "index.html")); err != nil || !bytes.Equal(got, oldIndex) {
		t.Errorf("render to a full disk did not keep the old site: %v", err)
	}
	if ents, _ := os.ReadDir(mnt); len(ents) != 3 { // archive, site, filler
		t.Errorf("render to a full disk left entries beside --out: %v", ents)
	}

	free()
	if code, stderr := compact(); code != 0 {
		t.Fatalf("compaction with space back: exit %d\n%s", code, stderr)
	}
	if got := countRows(t, dir, host); !mapsEqual(got, want) {
		t.Errorf("after the compaction readers see %v rows, want %v", got, want)
	}
	checkCompacted(t, dir, host, now, days)
}
