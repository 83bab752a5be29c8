package render

import (
	"bytes"
	"math"
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
