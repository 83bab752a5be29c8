package report

// pressureSection is the pressure stall information of sar -q's PSI
// columns: the kernel's averages of some and all tasks stalled, per
// resource.
var pressureSection = seriesSection(&series{
	name: "pressure", table: "pressure",
	keys: []string{"resource"}, labels: []string{"RES"},
	nums:    []string{"some_avg10", "some_avg60", "some_avg300", "full_avg10", "full_avg60", "full_avg300"},
	columns: []string{"%some10", "%some60", "%some300", "%full10", "%full60", "%full300"},
	dec:     []int{2, 2, 2, 2, 2, 2},
	derive:  same,
}, "psi")
