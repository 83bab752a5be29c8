package report

// selfSection is what almanac sample itself cost: CPU as a share of one
// core, resident memory, what it wrote to the archive and how long a
// reading took (the self table).
var selfSection = seriesSection(&series{
	name: "self", table: "self",
	nums:    []string{"cpu_pct", "rss_bytes", "written_bytes", "sample_ms"},
	columns: []string{"%CPU", "RSS-MB", "wkB/sample", "sample-ms"},
	dec:     []int{2, 1, 2, 2},
	derive: func(m []float64) []float64 {
		return []float64{m[0], m[1] / MB, m[2] / kB, m[3]}
	},
}, "almanac")
