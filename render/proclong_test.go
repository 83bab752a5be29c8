package render

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// longDayFixture is a day of two processes from day0, one with I/O and a
// unit, one without; an hour of the second has no I/O (NaN).
func longDayFixture(day0 int64) *longDay {
	h := time.Hour.Microseconds()
	return &longDay{procs: []longDayProc{
		{id: procID{PID: 101, Start: day0 - 5e6}, first: day0 + 3e6, last: day0 + 2*h - 1, comm: "nginx", user: "www-data",
			state: "S", rssLast: 8e6, unit: "nginx.service", group: true, cpuSum: 123.5, rssMax: 9e6,
			ioRead: 1e5, ioWrite: 2e5, ioPeak: 3000, hasIO: true,
			pts: []procPoint{{t: day0, cpu: 1.5, rss: 9e6, io: 3000, n: 360}, {t: day0 + h, cpu: 0.25, rss: 8e6, io: 10, n: 360}}},
		{id: procID{PID: -1, Start: 0}, first: day0 + 22*h, last: day0 + 24*h - 1, comm: "a\x00b<script>", state: "Z",
			pts: []procPoint{{t: day0 + 23*h, cpu: 0, rss: 0, io: float32(math.NaN()), n: 1}}},
	}}
}

// sameLongDay reports whether a and b hold the same, NaN equal to NaN.
func sameLongDay(a, b *longDay) bool {
	var x, y memoBuf
	encodeLongDay(&x, a, 0)
	encodeLongDay(&y, b, 0)
	return bytes.Equal(x.b, y.b)
}

func TestLongDayCodec(t *testing.T) {
	day0 := fixedNow.Truncate(24 * time.Hour).UnixMicro()
	d1 := day0 + 24*time.Hour.Microseconds()
	want := longDayFixture(day0)
	var b memoBuf
	encodeLongDay(&b, want, day0)
	got, ok := decodeLongDay(b.b, day0, d1, map[string]string{})
	if !ok || !sameLongDay(got, want) {
		t.Fatalf("decoded %+v (%v), want %+v", got, ok, want)
	}
	if !math.IsNaN(float64(got.procs[1].pts[0].io)) {
		t.Errorf("an hour without I/O decoded as %v, want NaN", got.procs[1].pts[0].io)
	}
	late := longDayFixture(day0)
	late.procs[0].pts[1].t = d1 // an hour past the day
	var lb memoBuf
	encodeLongDay(&lb, late, day0)
	tests := []struct {
		name string
		rec  []byte
		from int64
	}{
		{"empty", nil, day0},
		{"cut short", b.b[:len(b.b)-1], day0},
		{"a byte more", append(bytes.Clone(b.b), 0), day0},
		{"a time past the day", lb.b, day0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, ok := decodeLongDay(tt.rec, tt.from, tt.from+24*time.Hour.Microseconds(), nil); ok {
				t.Errorf("decoded %+v, want it refused", d)
			}
		})
	}
	for n := range len(b.b) {
		if _, ok := decodeLongDay(b.b[:n], day0, d1, nil); ok {
			t.Errorf("the first %d of %d bytes decoded", n, len(b.b))
		}
	}
}

// FuzzLongDay decodes any bytes without a panic, and what decodes encodes
// to what decodes alike (a varint may be written longer than it needs).
func FuzzLongDay(f *testing.F) {
	day0 := fixedNow.Truncate(24 * time.Hour).UnixMicro()
	var b memoBuf
	encodeLongDay(&b, longDayFixture(day0), day0)
	f.Add(b.b)
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, rec []byte) {
		d, ok := decodeLongDay(rec, day0, day0+24*time.Hour.Microseconds(), map[string]string{})
		if !ok {
			return
		}
		var again memoBuf
		encodeLongDay(&again, d, day0)
		d2, ok := decodeLongDay(again.b, day0, day0+24*time.Hour.Microseconds(), nil)
		if !ok || !sameLongDay(d, d2) {
			t.Errorf("%x decoded, encoded as %x, which decodes as %+v (%v), not %+v", rec, again.b, d2, ok, d)
		}
	})
}

// TestLongDayPrune ranks the processes of days with and without the
// short-lived ones prune leaves out: every table of every long range is
// the same, ties and processes without I/O included.
func TestLongDayPrune(t *testing.T) {
	h := time.Hour.Microseconds()
	day := 24 * h
	base := fixedNow.Truncate(24*time.Hour).UnixMicro() - 3*day
	var ts []int64
	for t := base; t < base+3*day; t += 10 * time.Minute.Microseconds() {
		ts = append(ts, t)
	}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		days := make([]*longDay, 3)
		for k := range days {
			d0 := base + int64(k)*day
			d := &longDay{}
			add := func(id procID, from, to int, cpu, rss, io float64) {
				e := longDayProc{id: id, first: d0 + int64(from)*h, last: d0 + int64(to)*h + h - 1, comm: "p", cpuSum: cpu, rssMax: rss}
				if io >= 0 {
					e.hasIO, e.ioRead, e.ioWrite, e.ioPeak = true, io/2, io/2, io
				}
				for x := from; x <= to; x++ {
					e.pts = append(e.pts, procPoint{t: d0 + int64(x)*h, cpu: float32(cpu), rss: float32(rss), n: 6})
				}
				d.procs = append(d.procs, e)
			}
			// Long-lived processes, in every day; with I/O in every other
			// seed only.
			for i := range 10 {
				io := -1.0
				if seed%2 == 0 {
					io = float64(rng.IntN(3))
				}
				add(procID{PID: int32(i + 1), Start: base - day}, 0, 23, float64(rng.IntN(8)), float64(rng.IntN(8)), io)
			}
			// Processes from 22:00 the day before to 02:00: in each day
			// below the day's first ones, over both among them.
			for i := range 5 {
				id := procID{PID: int32(500 + k*10 + i), Start: d0 - 2*h}
				if k > 0 {
					add(id, 0, 2, 6, 6, -1)
				}
				add(procID{PID: int32(500 + (k+1)*10 + i), Start: d0 + 22*h}, 22, 23, 6, 6, -1)
			}
			// Short-lived ones, many with equal sums (ties, ranked by
			// identity), some alive at the day's end (their last hour is
			// its last), some with I/O, of it none (in some seeds, all
			// of them: the pages show I/O though no table ranks any).
			ioMax := 3
			if seed%5 == 1 {
				ioMax = 1
			}
			for i := range 300 {
				from := rng.IntN(24)
				to := min(23, from+rng.IntN(3))
				io := -1.0
				if rng.IntN(4) == 0 {
					io = float64(rng.IntN(ioMax))
				}
				cpu, rss := float64(rng.IntN(8)), float64(rng.IntN(8))
				if io >= 0 && ioMax == 1 {
					cpu, rss, from, to = 0, 0, min(from, 21), min(to, 22) // left out
				}
				add(procID{PID: int32(1000 + k*1000 + i), Start: d0 + int64(from)*h}, from, to, cpu, rss, io)
			}
			days[k] = d
		}
		rank := func(prune bool) [][]procStat {
			l := &longProcs{g: &gatherer{sampleT: newSampleTimes(ts, nil)}, byID: map[procID]*longProc{}, strs: map[string]string{}}
			l.from = []int64{base + 2*day, base + day, base, base - day} // the day before the last, then more
			for k, d := range days {
				c := &longDay{procs: slices.Clone(d.procs)}
				if prune {
					l.prune(c, base+int64(k)*day)
				}
				l.addDay(c, base+int64(k)*day)
			}
			var out [][]procStat
			for r := 1; r < len(ranges); r++ {
				cpu, mem, io, has := l.top(r, topN, 1000)
				out = append(out, cpu, mem, io, []procStat{{Comm: fmt.Sprint(has)}})
			}
			return out
		}
		if got, want := rank(true), rank(false); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: ranked with short-lived processes left out:\n%v\nwant\n%v", seed, got, want)
		}
	}
	// And it leaves some out.
	d := &longDay{}
	for i := range 100 {
		d.procs = append(d.procs, longDayProc{id: procID{PID: int32(i), Start: base + h}, cpuSum: float64(i), rssMax: float64(i),
			pts: []procPoint{{t: base + 2*h}}})
	}
	l := &longProcs{g: &gatherer{sampleT: newSampleTimes(ts, nil)}}
	l.prune(d, base)
	if len(d.procs) != topN {
		t.Errorf("100 short-lived processes ranked alike by CPU and memory: %d kept, want %d", len(d.procs), topN)
	}
}
