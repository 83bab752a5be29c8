package archive

// Run with: go test ./archive -run '^$' -bench 'QueueMemory|AppendWhileTableFails' -benchmem

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"almanac/schema"
	"almanac/synth"
)

// BenchmarkQueueMemory measures what the memory queue of a Writer whose
// journal cannot be written holds for an hour of samples at 10 s
// (DefaultQueueLen batches): the encoded frames of the batches, and the
// heap they take once queued.
func BenchmarkQueueMemory(b *testing.B) {
	for _, procs := range []int{0, 300} {
		b.Run(fmt.Sprintf("system+%dproc", procs), func(b *testing.B) {
			g := synth.New(benchHost(procs))
			start := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
			bs := make([]*schema.Batch, DefaultQueueLen)
			for i := range bs {
				bs[i] = g.Batch(start.Add(time.Duration(i) * 10 * time.Second))
			}
			var heap uint64
			var frames int
			for b.Loop() {
				w := &Writer{opts: WriterOptions{QueueLen: DefaultQueueLen}, journalErr: errFull}
				var ms0, ms1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms0)
				for i, bt := range bs {
					buf := encodeBatch(make([]byte, frameHeader), int64(i), bt)
					w.enqueue(buf, bt.Time)
				}
				runtime.GC()
				runtime.ReadMemStats(&ms1)
				heap = ms1.HeapAlloc - ms0.HeapAlloc
				frames = w.queueBytes
				runtime.KeepAlive(w)
			}
			b.ReportMetric(float64(frames)/(1<<20), "frame_MiB/hour")
			b.ReportMetric(float64(heap)/(1<<20), "heap_MiB/hour")
		})
	}
}

var errFull = fmt.Errorf("no space left on device")

// BenchmarkAppendWhileTableFails measures Append (with the flush every
// minute of sample time it triggers) while one table's folder cannot be
// written, beside the same with none failing, over faults of an hour and
// of eight hours of samples at 10 s: the journal is rotated, so the cost
// per sample stays flat however long the fault lasts.
func BenchmarkAppendWhileTableFails(b *testing.B) {
	for _, bc := range []struct {
		name    string
		failing bool
		n       int // samples before the archive starts over
	}{
		{"ok/1h", false, 360},
		{"ok/8h", false, 2880},
		{"failing/1h", true, 360},
		{"failing/8h", true, 2880},
	} {
		b.Run(bc.name, func(b *testing.B) {
			failing, n := bc.failing, bc.n
			g := synth.New(benchHost(0))
			start := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
			bs := make([]*schema.Batch, n)
			for i := range bs {
				bs[i] = g.Batch(start.Add(time.Duration(i) * 10 * time.Second))
			}
			dir := b.TempDir()
			s, err := Open(dir, testLog(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if failing {
				blockFolder(b, dir, "cpu", "bench", Day(start))
			}
			w, err := s.Writer("bench", WriterOptions{NoSync: true, FlushEvery: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			clock := time.Now()
			w.now = func() time.Time { return clock }
			i := 0
			for b.Loop() {
				if i == n {
					b.StopTimer()
					w.Close()
					s.Close()
					dir = b.TempDir()
					if s, err = Open(dir, testLog(b)); err != nil {
						b.Fatal(err)
					}
					if failing {
						blockFolder(b, dir, "cpu", "bench", Day(start))
					}
					if w, err = s.Writer("bench", WriterOptions{NoSync: true, FlushEvery: time.Minute}); err != nil {
						b.Fatal(err)
					}
					w.now = func() time.Time { return clock }
					i = 0
					b.StartTimer()
				}
				if err := w.Append(bs[i]); err != nil {
					b.Fatal(err)
				}
				clock = clock.Add(10 * time.Second)
				i++
			}
			w.Close()
		})
	}
}
