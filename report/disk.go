package report

// diskSection is sar -d: each whole disk's transfers, throughput, queue,
// wait and utilization.
var diskSection = seriesSection(&series{
	name: "disk", table: "disk",
	keys: []string{"device"}, labels: []string{"DEV"},
	nums:    []string{"reads_per_s", "writes_per_s", "read_bytes_per_s", "write_bytes_per_s", "queue_size", "await_ms", "busy_pct"},
	columns: []string{"tps", "rkB/s", "wkB/s", "aqu-sz", "await", "%util"},
	dec:     []int{2, 2, 2, 2, 2, 2},
	derive: func(m []float64) []float64 {
		return []float64{m[0] + m[1], m[2] / kB, m[3] / kB, m[4], m[5], m[6]}
	},
}, "disks")
