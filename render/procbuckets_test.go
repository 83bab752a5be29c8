package render

import (
	"math"
	"testing"
	"time"
)

// TestProcBuckets: the buckets of each range's processes page and the
// text of a row's CPU seconds per bucket that the site script reads.
func TestProcBuckets(t *testing.T) {
	hour := time.Hour.Microseconds()
	from := time.Date(2026, 3, 9, 12, 3, 0, 0, time.UTC).UnixMicro()
	tests := []struct {
		name   string
		r      int
		from   int64
		to     int64
		width  time.Duration
		n      int
		start  int64 // ms
		probes map[int64]int
	}{
		{"24 hours", 0, from, from + 24*hour, 10 * time.Minute, 145, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC).UnixMilli(),
			map[int64]int{from: 0, from + 7*time.Minute.Microseconds(): 1, from - hour: -1, from + 25*hour: -1}},
		{"7 days", 1, from, from + 7*24*hour, time.Hour, 169, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC).UnixMilli(),
			map[int64]int{from + hour: 1}},
		{"365 days", 3, from, from + 365*24*hour, 48 * time.Hour, 184, time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC).UnixMilli(),
			map[int64]int{from + 48*hour: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newProcBuckets(tt.r, tt.from, tt.to)
			if b.Width != tt.width.Milliseconds() || b.N != tt.n || b.From != tt.start {
				t.Errorf("buckets %+v, want from %d, width %v, %d of them", b, tt.start, tt.width, tt.n)
			}
			for at, want := range tt.probes {
				if got := b.index(at); got != want {
					t.Errorf("index(%v) = %d, want %d", time.UnixMicro(at).UTC(), got, want)
				}
			}
		})
	}
	var b procBuckets
	for _, tt := range []struct {
		secs []float64
		want string
	}{
		{nil, ""},
		{[]float64{0, 0.4, 0}, ""},
		{[]float64{0, 0, 12.4, 0, 0.6, 0, 0}, "2:12,,1"},
		{[]float64{3599.5, 1}, "0:3600,1"},
		{[]float64{math.NaN(), 2}, "1:2"},
	} {
		if got := b.text(tt.secs); got != tt.want {
			t.Errorf("text(%v) = %q, want %q", tt.secs, got, tt.want)
		}
	}
}
