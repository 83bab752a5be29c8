package report

// networkSection is sar -n DEV: each interface's packets, bytes, errors
// and drops per second.
var networkSection = seriesSection(&series{
	name: "network", table: "network",
	keys: []string{"interface"}, labels: []string{"IFACE"},
	nums: []string{"rx_packets_per_s", "tx_packets_per_s", "rx_bytes_per_s", "tx_bytes_per_s",
		"rx_errors_per_s", "tx_errors_per_s", "rx_drops_per_s", "tx_drops_per_s"},
	columns: []string{"rxpck/s", "txpck/s", "rxkB/s", "txkB/s", "rxerr/s", "txerr/s", "rxdrop/s", "txdrop/s"},
	dec:     []int{2, 2, 2, 2, 2, 2, 2, 2},
	derive: func(m []float64) []float64 {
		return []float64{m[0], m[1], m[2] / kB, m[3] / kB, m[4], m[5], m[6], m[7]}
	},
}, "net", "networks")
