package report

// cpuSection is sar -u: the share of time all CPUs spent in each mode.
var cpuSection = seriesSection(&series{
	name: "cpu", table: "cpu",
	keys: []string{"cpu"}, labels: []string{"CPU"},
	keep:    func(k []string) bool { return k[0] == "all" },
	nums:    []string{"user_pct", "nice_pct", "system_pct", "iowait_pct", "steal_pct", "idle_pct"},
	columns: []string{"%user", "%nice", "%system", "%iowait", "%steal", "%idle"},
	dec:     []int{2, 2, 2, 2, 2, 2},
	derive:  same,
})

// seriesSection is the section that builds s.
func seriesSection(s *series, aliases ...string) section {
	return section{name: s.name, aliases: aliases, tables: []string{s.table}, build: s.build}
}
