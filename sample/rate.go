//go:build linux

package sample

import "time"

// delta returns cur-prev for a monotonic kernel counter, and false when the
// counter went backwards (a reset or a wrap): such an interval has no
// meaningful rate, and no row is better than a negative or huge one.
func delta(prev, cur uint64) (uint64, bool) {
	if cur < prev {
		return 0, false
	}
	return cur - prev, true
}

// perSecond returns the rate of a counter over the interval d, and false
// when the counter went backwards or d is not positive.
func perSecond(prev, cur uint64, d time.Duration) (float64, bool) {
	n, ok := delta(prev, cur)
	if !ok || d <= 0 {
		return 0, false
	}
	return float64(n) / d.Seconds(), true
}
