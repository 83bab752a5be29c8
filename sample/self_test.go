//go:build linux

package sample

import (
	"almanac/schema"
	"testing"
	"time"
)

func TestParseStatmResident(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want uint64
		ok   bool
	}{
		{"kernel line", "5427 2873 1391 604 0 1153 0\n", 2873, true},
		{"no newline", "1 2", 2, true},
		{"one field", "5427\n", 0, false},
		{"empty", "", 0, false},
		{"not a number", "5427 x2 1\n", 0, false},
		{"negative", "5427 -2 1\n", 0, false},
		{"huge", "1 999999999999999999999999 1", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseStatmResident([]byte(tt.in))
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseStatmResident(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseStatmResident(f *testing.F) {
	for _, s := range []string{"5427 2873 1391 604 0 1153 0\n", "", "1", " \t\n", "1 18446744073709551615"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		parseStatmResident(b) // must not panic
	})
}

// TestSelfLive takes two readings of this test process and checks the
// self row: the CPU it burned between them, a plausible resident size,
// the bytes the writer reported and the wall time passed in.
func TestSelfLive(t *testing.T) {
	var written int64 = 1000
	c := newSelfCollector(func() int64 { return written })
	t0 := time.Now()
	var b schema.Batch
	if err := c.collect(Tick{Now: t0, Time: t0.UnixMicro(), First: true}, time.Millisecond, &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Self) != 0 {
		t.Fatalf("first reading appended %v, want nothing", b.Self)
	}
	// Burn some CPU: the interval is then mostly this loop's.
	spin := time.Now()
	x := 0
	for time.Since(spin) < 50*time.Millisecond {
		x++
	}
	written += 4321
	now := time.Now()
	tick := Tick{Now: now, Time: now.UnixMicro(), Interval: now.Sub(t0)}
	if err := c.collect(tick, 1234*time.Microsecond, &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Self) != 1 {
		t.Fatalf("self rows = %d, want 1", len(b.Self))
	}
	r := b.Self[0]
	if r.Time != tick.Time {
		t.Errorf("time = %d, want %d", r.Time, tick.Time)
	}
	if got := r.CPUPct.Float(); got < 20 || got > 400 {
		t.Errorf("cpu_pct = %v after spinning for most of the interval, want 20..400 (x=%d)", got, x)
	}
	if r.RSSBytes < 1<<20 || r.RSSBytes > 4<<30 {
		t.Errorf("rss_bytes = %d, want a test binary's size", r.RSSBytes)
	}
	if r.WrittenBytes != 4321 {
		t.Errorf("written_bytes = %d, want 4321", r.WrittenBytes)
	}
	if got, want := r.SampleMs, schema.Centi(123); got != want {
		t.Errorf("sample_ms = %v, want %v", got, want)
	}
}

// TestSamplerSelf checks that a Sampler's batches carry one self row from
// the second reading on, on a fixture tree.
func TestSamplerSelf(t *testing.T) {
	s := New(openSource(t, "testdata/proc", "testdata/sys", "testdata/rootfs"), Options{Written: func() int64 { return 7 }})
	now := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	if b, _ := s.Sample(now); b != nil {
		t.Fatalf("first reading gave a batch")
	}
	b, _ := s.Sample(now.Add(10 * time.Second))
	if b == nil || len(b.Self) != 1 {
		t.Fatalf("second reading: batch %v, want one self row", b)
	}
	if b.Self[0].Time != b.Time.UnixMicro() || b.Self[0].WrittenBytes != 0 || b.Self[0].SampleMs <= 0 {
		t.Errorf("self row %+v: want the batch's time, nothing written, a reading time", b.Self[0])
	}
}

// BenchmarkSelfCollect measures the self row alone: a getrusage and a read
// of /proc/self/statm, its part of BenchmarkSystemSample.
//
//	go test ./sample -run '^$' -bench SelfCollect -benchmem
func BenchmarkSelfCollect(b *testing.B) {
	c := newSelfCollector(func() int64 { return 0 })
	now := time.Now()
	var batch schema.Batch
	c.collect(Tick{Now: now, First: true}, 0, &batch)
	b.ReportAllocs()
	for i := range b.N {
		batch.Self = batch.Self[:0]
		t := now.Add(time.Duration(i+1) * 10 * time.Second)
		if err := c.collect(Tick{Now: t, Time: t.UnixMicro(), Interval: 10 * time.Second}, time.Millisecond, &batch); err != nil {
			b.Fatal(err)
		}
	}
}
