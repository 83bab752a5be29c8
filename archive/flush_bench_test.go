package archive

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"almanac/synth"
)

// BenchmarkFlushMemory appends 5 minutes of samples at 1 s of a host with
// 1,000 processes (300 batches, 300,000 process rows) to a journal, then
// flushes it into parts, and reports the peak resident memory of the
// flush (VmHWM, reset before it) and its CPU time, with the soft memory
// limit almanac sample sets (20 MiB) and without one. The budget is 30 MB
// for the whole sampler; the figure includes the test binary's own share.
//
//	go test ./archive -run '^$' -bench FlushMemory -benchtime 1x
func BenchmarkFlushMemory(b *testing.B) {
	for _, bc := range []struct {
		name  string
		limit int64
	}{{"limit20MiB", 20 << 20}, {"nolimit", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.limit > 0 {
				defer debug.SetMemoryLimit(debug.SetMemoryLimit(bc.limit))
			}
			for range b.N {
				s, err := Open(b.TempDir(), testLog(b))
				if err != nil {
					b.Fatal(err)
				}
				w, err := s.Writer("bench", WriterOptions{NoSync: true, FlushEvery: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				g := synth.New(benchHost(1000))
				start := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
				for i := range 300 {
					if err := w.Append(g.Batch(start.Add(time.Duration(i) * time.Second))); err != nil {
						b.Fatal(err)
					}
				}
				g = nil
				runtime.GC()
				debug.FreeOSMemory()
				os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
				base := peakRSS()
				cpu := cpuTime()
				if err := w.Flush(); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric((cpuTime() - cpu).Seconds(), "flush-cpu-s")
				b.ReportMetric(float64(base)/(1<<20), "before-flush-RSS-MiB")
				b.ReportMetric(float64(peakRSS())/(1<<20), "flush-peak-RSS-MiB")
				w.Close()
				s.Close()
			}
		})
	}
}
