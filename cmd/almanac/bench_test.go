package main

import (
	"bytes"
	"log/slog"
	"os"
	"strconv"
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

// BenchmarkSamplerMemory runs the sampler's loop body (read the live /proc,
// append to the journal, flush every 5 simulated minutes) for four
// simulated hours at a 10 s interval, as fast as the machine allows, and
// reports the resident memory of the process after the first hour and the
// growth over the next three. The budget is 30 MB and no growth.
//
//	go test ./cmd/almanac -run '^$' -bench SamplerMemory -benchtime 1x
func BenchmarkSamplerMemory(b *testing.B) {
	src, err := sample.NewSource("/proc", "/sys", "/")
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	for range b.N {
		dir := b.TempDir()
		store, err := archive.Open(dir, log)
		if err != nil {
			b.Fatal(err)
		}
		w, err := store.Writer("bench", archive.WriterOptions{FlushEvery: 5 * time.Minute, NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		s := sample.New(src, sample.Options{Log: log})
		t0 := time.Now().UTC().Truncate(24 * time.Hour).Add(time.Hour)
		const hour = 360
		var rss1h float64
		for i := range 4 * hour {
			now := t0.Add(time.Duration(i) * 10 * time.Second)
			batch, _ := s.Sample(now)
			if batch != nil {
				if err := w.Append(batch); err != nil {
					b.Fatal(err)
				}
			}
			if i%30 == 29 {
				if err := w.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			if i == hour-1 {
				rss1h = vmRSS(b)
			}
		}
		rss4h := vmRSS(b)
		b.ReportMetric(rss1h/1e6, "rss-MB-1h")
		b.ReportMetric((rss4h-rss1h)/1e6, "rss-growth-MB-3h")
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		store.Close()
	}
}
