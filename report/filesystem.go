package report

// MB is sar -F's megabyte.
const MB = 1024 * 1024

// filesystemSection is sar -F: each mounted filesystem's free and used
// space and inodes. %fsused is used over used plus available, as df(1)
// counts it (the blocks reserved for root left out).
var filesystemSection = seriesSection(&series{
	name: "filesystem", table: "filesystem",
	keys: []string{"mountpoint"}, labels: []string{"MOUNTPOINT"},
	nums:    []string{"used_bytes", "avail_bytes", "inodes_total", "inodes_used"},
	columns: []string{"MBfsfree", "MBfsused", "%fsused", "Ifree", "%Iused"},
	dec:     []int{0, 0, 2, 0, 2},
	derive: func(m []float64) []float64 {
		used, avail, inodes, iused := m[0], m[1], m[2], m[3]
		return []float64{avail / MB, used / MB, ratio(used, used+avail), inodes - iused, ratio(iused, inodes)}
	},
}, "filesystems", "fs")
