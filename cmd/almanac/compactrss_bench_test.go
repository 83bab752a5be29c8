//go:build linux

package main

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/testfs"
	"almanac/synth"
)

// BenchmarkSampleCompactRSS starts almanac sample (the real binary) on an
// archive that holds files of its host it compacts at once: a closed day
// of 300 processes at 10 s in the 288 parts a table of a 5-minute flush,
// as it compacts once a day (day-300procs), and the hour before this one
// of 1,000 processes at 1 s in 12 parts a table, as it consolidates every
// hour (hour-1000procs; a closed day's, just after midnight UTC). It reads
// the sampler's status every 20 ms until the compaction is done and
// reports the peaks over the runs: VmHWM, and those of RssAnon (its own
// memory) and RssFile (its binary mapped in), in MB (kB / 1000), and its
// CPU time a run. Goal: 30 MB. The day is written once into
// $TMPDIR/almanac-sample-compact-bench-v1, the hour for each benchmark
// run; each is copied for each run.
//
//	go test ./cmd/almanac -run '^$' -bench SampleCompactRSS -benchtime 1x -count 3 -timeout 20m
func BenchmarkSampleCompactRSS(b *testing.B) {
	bin := buildAlmanac(b)
	b.Run("day-300procs", func(b *testing.B) { benchSampleCompact(b, bin, compactBenchDay(b)) })
	b.Run("hour-1000procs", func(b *testing.B) {
		hour := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
		dir := b.TempDir()
		writeBenchParts(b, dir, 1000, hour, 3600, time.Second)
		benchSampleCompact(b, bin, dir)
	})
}

// benchSampleCompact runs almanac sample on copies of the archive in dir,
// each until its first compaction is done (BenchmarkSampleCompactRSS).
func benchSampleCompact(b *testing.B, bin, archiveDir string) {
	b.ResetTimer()
	peak := map[string]float64{}
	var cpu float64
	for range b.N {
		b.StopTimer()
		dir := testfs.CopyTree(b, archiveDir)
		b.StartTimer()
		logFile, err := os.Create(filepath.Join(b.TempDir(), "sample.log"))
		if err != nil {
			b.Fatal(err)
		}
		log := func() []byte {
			data, _ := os.ReadFile(logFile.Name())
			return data
		}
		cmd := exec.Command(bin, "sample", "--archive", dir, "--host", "bench", "--interval", "10s",
			"--keep", "0", "--log-level", "debug")
		cmd.Stderr = logFile
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		logFile.Close() // the sampler has its own
		statusFile := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
		var status []byte
		deadline := time.Now().Add(5 * time.Minute)
		for !bytes.Contains(log(), []byte(`msg="compaction done"`)) {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				b.Fatalf("no compaction done in 5 minutes; log:\n%s", log())
			}
			var err error
			if status, err = os.ReadFile(statusFile); err != nil {
				b.Fatal(err)
			}
			for _, key := range []string{"RssAnon", "RssFile"} {
				peak[key] = max(peak[key], statusMB(status, key))
			}
			time.Sleep(20 * time.Millisecond)
		}
		status, err = os.ReadFile(statusFile)
		if err != nil {
			b.Fatal(err)
		}
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("almanac sample: %v; log:\n%s", err, log())
		}
		peak["VmHWM"] = max(peak["VmHWM"], statusMB(status, "VmHWM"))
		cpu += (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	b.ReportMetric(peak["VmHWM"], "VmHWM-MB")
	for _, key := range []string{"RssAnon", "RssFile"} {
		b.ReportMetric(peak[key], key+"-peak-MB")
	}
	b.ReportMetric(cpu/float64(b.N), "cpu-s")
}

// compactBenchDay returns the folder of an archive with a day of host
// "bench" (300 processes at 10 s, flushed every 5 minutes), writing it on
// first use.
func compactBenchDay(b *testing.B) string {
	b.Helper()
	return testfs.Kept(b, "almanac-sample-compact-bench-v1", func(dir string) {
		writeBenchParts(b, dir, 300, time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC), 8640, 10*time.Second)
	})
}

// writeBenchParts writes n samples of host "bench" with procs processes,
// every interval from start, into the archive in dir, flushed every 5
// minutes as the sampler flushes.
func writeBenchParts(b *testing.B, dir string, procs int, start time.Time, n int, interval time.Duration) {
	b.Helper()
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	w, err := st.Writer("bench", archive.WriterOptions{NoSync: true, FlushEvery: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	g := synth.New(synth.Host{Name: "bench", Seed: 1, Processes: procs})
	for i := range n {
		if err := w.Append(g.Batch(start.Add(time.Duration(i) * interval))); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
