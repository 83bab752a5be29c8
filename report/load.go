package report

// loadSection is sar -q: the run queue, blocked tasks and load averages.
var loadSection = seriesSection(&series{
	name: "load", table: "system",
	nums:    []string{"procs_running", "procs_blocked", "load1", "load5", "load15"},
	columns: []string{"runq-sz", "blocked", "ldavg-1", "ldavg-5", "ldavg-15"},
	dec:     []int{2, 2, 2, 2, 2},
	derive:  same,
})
