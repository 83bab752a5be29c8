//go:build linux

package main

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"almanac/archive"
	"almanac/sample"
)

// vmRSS returns this process's resident set size in bytes, from
// /proc/self/status.
func vmRSS(tb testing.TB) float64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.ParseFloat(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb * 1024
		}
	}
	tb.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// BenchmarkSamplerMemory runs the sampler's loop body (read the live
// /proc, append to the journal, flush every 5 simulated minutes, hand
// memory back, compact the day that closes at midnight) for a simulated
// day at a 10 s interval, as fast as the machine allows, with the memory
// limit almanac sample sets, and reports the resident memory of the
// process after the first hour and its growth over the rest of the day.
// The budget is 30 MB and no growth. The figure includes the test
// binary's own share (testing, the benchmark's buffers).
//
//	go test ./cmd/almanac -run '^$' -bench SamplerMemory -benchtime 1x
func BenchmarkSamplerMemory(b *testing.B) {
	src, err := sample.NewSource("/proc", "/sys", "/")
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(memoryLimit))
	for range b.N {
		dir := b.TempDir()
		store, err := archive.Open(dir, log)
		if err != nil {
			b.Fatal(err)
		}
		o := sampleOptions{archive: dir, interval: 10 * time.Second, flush: 5 * time.Minute, host: "bench", noSync: true}
		w, err := store.Writer(o.host, archive.WriterOptions{FlushEvery: o.flush, NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		s := &sampler{o: o, log: log, store: store, w: w, sampler: sample.New(src, sample.Options{Log: log})}
		t0 := time.Now().UTC().Truncate(24 * time.Hour).Add(time.Hour)
		const hour = 360
		var rss1h float64
		for i := range 24 * hour {
			if err := s.take(t0.Add(time.Duration(i) * 10 * time.Second)); err != nil {
				b.Fatal(err)
			}
			if i == hour-1 {
				rss1h = vmRSS(b)
			}
		}
		s.wg.Wait() // the compaction of the day that closed
		rss24h := vmRSS(b)
		b.ReportMetric(rss1h/1e6, "rss-MB-1h")
		b.ReportMetric((rss24h-rss1h)/1e6, "rss-growth-MB-23h")
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		store.Close()
	}
}

// BenchmarkSampleProcessRSS runs the real almanac sample binary at a 1 s
// interval and reports its resident memory at the end and its peak
// (VmHWM), read from /proc/<pid>/status, the peaks of its two parts
// (RssAnon, its own memory; RssFile, its binary mapped in) and its CPU
// time: for 30 s with a flush every 5 s
// (sixty times the flushes of the default settings) among the machine's
// own processes, and for 5.5 minutes with the default 5-minute flush and
// at least 1,000 processes (sleeping ones started for it), so that one
// flush writes 300 samples of 1,000 processes.
//
//	go test ./cmd/almanac -run '^$' -bench SampleProcessRSS -benchtime 1x -timeout 20m
func BenchmarkSampleProcessRSS(b *testing.B) {
	bin := buildAlmanac(b)
	for _, bc := range []struct {
		name  string
		procs int
		flush string
		run   time.Duration
	}{
		{"flush5s", 0, "5s", 30 * time.Second},
		{"procs1000-flush5m", 1000, "5m", 330 * time.Second},
	} {
		b.Run(bc.name, func(b *testing.B) {
			startSleepers(b, bc.procs)
			for range b.N {
				cmd := exec.Command(bin, "sample", "--archive", b.TempDir(), "--host", "rss",
					"--interval", "1s", "--flush", bc.flush, "--log-level", "warn")
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				// The run being measured, not a wait for a condition: the
				// status is read every 100 ms for the peaks of its parts
				// (VmHWM is the peak of their sum).
				statusFile := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
				peak := map[string]float64{}
				var status []byte
				for end := time.Now().Add(bc.run); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
					var err error
					if status, err = os.ReadFile(statusFile); err != nil {
						b.Fatal(err)
					}
					for _, key := range []string{"RssAnon", "RssFile"} {
						peak[key] = max(peak[key], statusMB(status, key))
					}
				}
				cmd.Process.Signal(os.Interrupt)
				if err := cmd.Wait(); err != nil {
					b.Fatalf("almanac sample: %v", err)
				}
				b.ReportMetric((cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), "cpu-s")
				// RssFile is the binary's code and read-only data mapped
				// in (shared with the page cache; the sampler drops what
				// it mapped after each flush); RssAnon is the process's
				// own memory.
				for _, key := range []string{"VmRSS", "VmHWM", "RssAnon", "RssFile"} {
					b.ReportMetric(statusMB(status, key), key+"-MB")
				}
				for key, mb := range peak {
					b.ReportMetric(mb, key+"-peak-MB")
				}
			}
		})
	}
}

// statusMB returns a field of /proc/<pid>/status in MB (0 if missing).
func statusMB(status []byte, key string) float64 {
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte(key+":")); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(v)), "kB")), 64)
			return kb / 1000
		}
	}
	return 0
}

// startSleepers starts sleeping processes until /proc lists at least want
// processes, and stops them when the benchmark ends.
func startSleepers(b *testing.B, want int) {
	b.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	have := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			have++
		}
	}
	var cmds []*exec.Cmd
	b.Cleanup(func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	})
	for ; have < want; have++ {
		c := exec.Command("sleep", "3600")
		if err := c.Start(); err != nil {
			b.Fatalf("start a sleeping process: %v", err)
		}
		cmds = append(cmds, c)
	}
}
