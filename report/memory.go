package report

// kB is sar's kilobyte.
const kB = 1024

// memorySection is sar -r (and its swap columns, sar -S): kbmemused is
// total minus available memory, as free(1) counts used memory.
var memorySection = seriesSection(&series{
	name: "memory", table: "memory",
	nums: []string{"total_bytes", "free_bytes", "available_bytes", "buffers_bytes", "cached_bytes",
		"dirty_bytes", "swap_total_bytes", "swap_free_bytes"},
	columns: []string{"kbmemfree", "kbavail", "kbmemused", "%memused", "kbbuffers", "kbcached", "kbdirty", "kbswpused", "%swpused"},
	dec:     []int{0, 0, 0, 2, 0, 0, 0, 0, 2},
	derive: func(m []float64) []float64 {
		total, free, avail, buffers, cached, dirty, swapTotal, swapFree := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]
		used, swapUsed := total-avail, swapTotal-swapFree
		return []float64{free / kB, avail / kB, used / kB, ratio(used, total), buffers / kB, cached / kB,
			dirty / kB, swapUsed / kB, ratio(swapUsed, swapTotal)}
	},
})
