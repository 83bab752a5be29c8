package render

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/archive"
	"almanac/sample"
)

// scanner is the read side of the archive that render uses; *archive.Store
// implements it.
type scanner interface {
	Hosts() ([]string, error)
	Scan(table, host string, from, to time.Time, cols ...string) (*archive.Frame, error)
}

// rangeDef is one time range of a host page: the Munin day, week, month
// and year.
type rangeDef struct {
	Name  string // "24h"
	Label string // "24 hours"
	File  string // the page's file name in the host folder
	Dur   time.Duration
}

var ranges = []rangeDef{
	{"24h", "24 hours", "index.html", 24 * time.Hour},
	{"7d", "7 days", "7d.html", 7 * 24 * time.Hour},
	{"30d", "30 days", "30d.html", 30 * 24 * time.Hour},
	{"365d", "365 days", "365d.html", 365 * 24 * time.Hour},
}

// longest is the longest range: what a host's tables are scanned for.
const longest = 365 * 24 * time.Hour

// heatBuckets is the number of time columns of a heatmap.
const heatBuckets = 120

// Section is a titled group of charts on a host page, with an optional
// table of filesystems.
type Section struct {
	Title  string
	Charts []Chart
	FS     []FSRow
}

// FSRow is one filesystem in the table of the Filesystems section.
type FSRow struct {
	Mount, Device, Type string
	Size, Used, Avail   string
	UsedPct             string
	Full                string // time until full at the current trend, or ""
	ReadOnly            bool
}

// hostData is everything gathered for one host.
type hostData struct {
	Name    string
	Dir     string // the host's folder in the site, from hostDir
	tl      timeline
	ranges  [][]Section // per range, in the order of ranges
	sum     hostSummary
	procs   procPage
	facts   factsPage
	avail   availPage
	skipped []string
}

// hostSummary is a host's row of the fleet overview.
type hostSummary struct {
	Status           string
	Avail            [3]string // 24h, 7d, 30d
	AvailClass       [3]string
	AvailSort        [3]float64
	CPU, Mem         string
	CPUSort, MemSort float64
	FullestFS        string
	FullestSort      float64
	Spark            []sparkLine
	Kernel           string
	Uptime           string
	UptimeSort       float64
	LastSeen         int64
}

// gatherer reads a host's tables and builds its page models.
type gatherer struct {
	src  scanner
	host string
	now  int64 // µs
	from int64 // now - longest
	tz   *time.Location
	d    *hostData
}

// scan reads cols of table over the longest range. A corrupt file is noted
// in skipped and the rest is used; no data gives an empty frame.
func (g *gatherer) scan(table string, cols ...string) (*archive.Frame, error) {
	return g.scanWindow(table, g.from, g.now+1, cols...)
}

// scanWindow is scan over [from, to) (µs).
func (g *gatherer) scanWindow(table string, from, to int64, cols ...string) (*archive.Frame, error) {
	f, err := g.src.Scan(table, g.host, time.UnixMicro(from), time.UnixMicro(to), cols...)
	if err != nil {
		switch {
		case errors.Is(err, archive.ErrNoData):
			return &archive.Frame{}, nil
		case errors.Is(err, archive.ErrCorrupt):
			g.d.skipped = append(g.d.skipped, corruptFiles(err)...)
		default:
			return nil, fmt.Errorf("scan %s of %s: %w", table, g.host, err)
		}
	}
	if f == nil {
		f = &archive.Frame{}
	}
	return f, nil
}

// corruptFiles lists the corrupt-file errors in err, one message each
// (each names its file): a joined error is split into its parts.
func corruptFiles(err error) []string {
	if !errors.Is(err, archive.ErrCorrupt) {
		return nil
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			if slices.Contains(j.Unwrap(), archive.ErrCorrupt) {
				break // "%w: %w" of ErrCorrupt and its cause: one file
			}
			var out []string
			for _, part := range j.Unwrap() {
				out = append(out, corruptFiles(part)...)
			}
			return out
		}
	}
	return []string{err.Error()}
}

// col returns the numeric column name of f, or NaNs when it is missing.
func col(f *archive.Frame, name string) []float64 {
	if c, ok := f.Num[name]; ok && len(c) == f.Len() {
		return c
	}
	c := make([]float64, f.Len())
	for i := range c {
		c[i] = math.NaN()
	}
	return c
}

// strCol returns the string column name of f, or empty strings.
func strCol(f *archive.Frame, name string) []string {
	if c, ok := f.Str[name]; ok && len(c) == f.Len() {
		return c
	}
	return make([]string, f.Len())
}

// cols builds a grid over the rows of f from the given columns.
func cols(f *archive.Frame, cs ...[]float64) grid {
	return grid{T: f.Time, Cols: cs}
}

// gather reads every table of host and builds its pages' models.
func gather(src scanner, host, dir string, now time.Time, tz *time.Location) (*hostData, error) {
	g := &gatherer{src: src, host: host, now: now.UnixMicro(), tz: tz, d: &hostData{Name: host, Dir: dir}}
	g.from = g.now - longest.Microseconds()
	g.d.ranges = make([][]Section, len(ranges))
	steps := []func() error{g.system, g.cpu, g.pressure, g.memory, g.disk, g.filesystem,
		g.network, g.temperature, g.processes, g.hostFacts}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	g.availability()
	return g.d, nil
}

// add appends a section to the page of range r, dropping it when it has
// no chart and no table.
func (g *gatherer) add(r int, s Section) {
	if len(s.Charts) == 0 && len(s.FS) == 0 {
		return
	}
	g.d.ranges[r] = append(g.d.ranges[r], s)
}

// rangeWindow returns the window (µs) of range r.
func (g *gatherer) rangeWindow(r int) (int64, int64) {
	return g.now - ranges[r].Dur.Microseconds(), g.now + 1
}

// line builds a line chart of grid gr for range r.
func (g *gatherer) line(r int, id, title, unit string, gr grid, names []string, o lineOpts) Chart {
	from, to := g.rangeWindow(r)
	o.From, o.To = from, to
	o.Reboots = g.d.tl.Reboots
	ds := downsample(gr, from, to, maxPoints, g.gapFor(gr))
	return lineChart(id, title, unit, ds, names, o)
}

// gapFor returns the gap threshold for the times of gr.
func (g *gatherer) gapFor(gr grid) int64 {
	if g.d.tl.Interval > 0 {
		return gapThreshold(g.d.tl.Interval)
	}
	return gapThreshold(medianInterval(uniqueTimes(gr.T)))
}

// hasData reports whether any column of gr has a value in range r.
func (g *gatherer) hasData(r int, gr grid) bool {
	from, to := g.rangeWindow(r)
	lo, hi := window(gr.T, from, to)
	for _, c := range gr.Cols {
		for _, v := range c[lo:hi] {
			if !math.IsNaN(v) {
				return true
			}
		}
	}
	return false
}

func (g *gatherer) system() error {
	f, err := g.scan(sample.TableSystem, "boot_time", "load1", "load5", "load15",
		"procs_running", "procs_blocked", "ctxt_per_s", "intr_per_s", "forks_per_s")
	if err != nil {
		return err
	}
	boots := make([]int64, f.Len())
	for i, b := range col(f, "boot_time") {
		if !math.IsNaN(b) {
			boots[i] = int64(b)
		} else if i > 0 {
			boots[i] = boots[i-1]
		}
	}
	g.d.tl = buildTimeline(f.Time, boots, g.now)
	if n := f.Len(); n > 0 {
		g.d.sum.LastSeen = f.Time[n-1]
		if g.d.tl.Status == StatusUp {
			up := time.Duration(g.now-boots[n-1]) * time.Microsecond
			g.d.sum.Uptime = fmtDuration(up)
			g.d.sum.UptimeSort = up.Seconds()
		}
	}
	load := cols(f, col(f, "load1"), col(f, "load5"), col(f, "load15"))
	procs := cols(f, col(f, "procs_running"), col(f, "procs_blocked"))
	kern := cols(f, col(f, "ctxt_per_s"), col(f, "intr_per_s"), col(f, "forks_per_s"))
	for r := range ranges {
		if !g.hasData(r, load) {
			continue
		}
		g.add(r, Section{Title: "Load and processes", Charts: []Chart{
			g.line(r, "load", "Load average", unitCount, load, []string{"load 1 min", "load 5 min", "load 15 min"}, lineOpts{}),
			g.line(r, "procs", "Processes running and blocked", unitCount, procs, []string{"running", "blocked"}, lineOpts{}),
		}})
		g.add(r, Section{Title: "Kernel activity", Charts: []Chart{
			g.line(r, "kernel", "Context switches, interrupts and forks", unitPerS, kern,
				[]string{"context switches", "interrupts", "forks"}, lineOpts{}),
		}})
	}
	return nil
}

var cpuModes = []string{"user", "nice", "system", "iowait", "irq", "softirq", "steal", "guest"}

func (g *gatherer) cpu() error {
	cs := []string{"cpu", "idle_pct"}
	for _, m := range cpuModes {
		cs = append(cs, m+"_pct")
	}
	f, err := g.scan(sample.TableCPU, cs...)
	if err != nil {
		return err
	}
	name := strCol(f, "cpu")
	idle := col(f, "idle_pct")
	// The whole machine.
	var all grid
	all.Cols = make([][]float64, len(cpuModes))
	var busyAll []float64
	modes := make([][]float64, len(cpuModes))
	for j, m := range cpuModes {
		modes[j] = col(f, m+"_pct")
	}
	for i, c := range name {
		if c != "all" {
			continue
		}
		all.T = append(all.T, f.Time[i])
		for j := range modes {
			all.Cols[j] = append(all.Cols[j], modes[j][i])
		}
		busyAll = append(busyAll, 100-idle[i])
	}
	if n := len(busyAll); n > 0 && g.fresh(all.T[n-1]) {
		g.d.sum.CPU = fmtPct(busyAll[n-1])
		g.d.sum.CPUSort = busyAll[n-1]
	} else {
		g.d.sum.CPUSort = -1
	}
	g.d.sum.Spark = sparkline(grid{T: all.T, Cols: [][]float64{busyAll}}, g.now-24*time.Hour.Microseconds(), g.now+1, 96, g.gapFor(all))
	// Per core: busy share.
	var cores []string
	for _, c := range distinct(name) {
		if c != "all" {
			cores = append(cores, c)
		}
	}
	slices.SortFunc(cores, func(a, b string) int {
		ai, errA := strconv.Atoi(a)
		bi, errB := strconv.Atoi(b)
		if errA == nil && errB == nil {
			return cmp.Compare(ai, bi)
		}
		return strings.Compare(a, b)
	})
	busy := make([]float64, len(idle))
	for i, v := range idle {
		busy[i] = 100 - v
	}
	perCore := pivot(f.Time, name, cores, busy)
	labels := make([]string, len(cores))
	for i, c := range cores {
		labels[i] = "cpu" + c
	}
	for r := range ranges {
		if !g.hasData(r, all) {
			continue
		}
		s := Section{Title: "CPU", Charts: []Chart{
			g.line(r, "cpu", "CPU by mode", unitPct, all, cpuModes, lineOpts{Stack: true, Max: 100}),
		}}
		if len(cores) > 0 {
			from, to := g.rangeWindow(r)
			times, cells := bucketMax(perCore, from, to, heatBuckets)
			s.Charts = append(s.Charts, heatmapChart("cpu-cores", "Busy % per core (peak per column)", unitPct, times, labels, cells, 100))
		}
		g.add(r, s)
	}
	return nil
}

// fresh reports whether a sample at t describes the host now.
func (g *gatherer) fresh(t int64) bool {
	return g.now-t <= downAfter.Microseconds()
}

func (g *gatherer) pressure() error {
	f, err := g.scan(sample.TablePressure, "resource", "some_stall_pct", "full_stall_pct")
	if err != nil {
		return err
	}
	res := distinct(strCol(f, "resource"))
	gr := pivot(f.Time, strCol(f, "resource"), res, col(f, "some_stall_pct"), col(f, "full_stall_pct"))
	var names []string
	for _, r := range res {
		names = append(names, r+" some", r+" full")
	}
	for r := range ranges {
		if !g.hasData(r, gr) {
			continue
		}
		g.add(r, Section{Title: "Pressure", Charts: []Chart{
			g.line(r, "pressure", "Pressure stall (share of time stalled)", unitPct, gr, names, lineOpts{}),
		}})
	}
	return nil
}

func (g *gatherer) memory() error {
	f, err := g.scan(sample.TableMemory, "total_bytes", "free_bytes", "available_bytes", "buffers_bytes",
		"cached_bytes", "swap_total_bytes", "swap_free_bytes", "swap_in_per_s", "swap_out_per_s",
		"page_faults_per_s", "major_faults_per_s", "oom_kills")
	if err != nil {
		return err
	}
	n := f.Len()
	total, free, availB := col(f, "total_bytes"), col(f, "free_bytes"), col(f, "available_bytes")
	buffers, cached := col(f, "buffers_bytes"), col(f, "cached_bytes")
	used := make([]float64, n)
	for i := range used {
		used[i] = max(0, total[i]-free[i]-buffers[i]-cached[i])
	}
	swapUsed := make([]float64, n)
	st, sf := col(f, "swap_total_bytes"), col(f, "swap_free_bytes")
	for i := range swapUsed {
		swapUsed[i] = max(0, st[i]-sf[i])
	}
	if n > 0 && total[n-1] > 0 && g.fresh(f.Time[n-1]) {
		p := 100 * (1 - availB[n-1]/total[n-1])
		g.d.sum.Mem, g.d.sum.MemSort = fmtPct(p), p
	} else {
		g.d.sum.MemSort = -1
	}
	mem := cols(f, used, buffers, cached, free)
	swap := cols(f, swapUsed)
	swapIO := cols(f, col(f, "swap_in_per_s"), col(f, "swap_out_per_s"))
	faults := cols(f, col(f, "page_faults_per_s"), col(f, "major_faults_per_s"))
	oom := cols(f, col(f, "oom_kills"))
	for r := range ranges {
		if !g.hasData(r, mem) {
			continue
		}
		g.add(r, Section{Title: "Memory", Charts: []Chart{
			g.line(r, "memory", "Memory", unitBytes, mem, []string{"used", "buffers", "cache", "free"}, lineOpts{Stack: true}),
			g.line(r, "swap", "Swap used", unitBytes, swap, []string{"swap used"}, lineOpts{Area: true}),
			g.line(r, "swap-io", "Swap in and out (pages)", unitPerS, swapIO, []string{"swap in", "swap out"}, lineOpts{}),
			g.line(r, "faults", "Page faults", unitPerS, faults, []string{"page faults", "major faults"}, lineOpts{}),
			g.line(r, "oom", "OOM kills", unitCount, oom, []string{"OOM kills"}, lineOpts{}),
		}})
	}
	return nil
}

func (g *gatherer) disk() error {
	f, err := g.scan(sample.TableDisk, "device", "read_bytes_per_s", "write_bytes_per_s",
		"reads_per_s", "writes_per_s", "busy_pct", "await_ms")
	if err != nil {
		return err
	}
	dev := strCol(f, "device")
	devs := distinct(dev)
	tput := pivot(f.Time, dev, devs, col(f, "read_bytes_per_s"), col(f, "write_bytes_per_s"))
	iops := pivot(f.Time, dev, devs, col(f, "reads_per_s"), col(f, "writes_per_s"))
	busy := pivot(f.Time, dev, devs, col(f, "busy_pct"))
	await := pivot(f.Time, dev, devs, col(f, "await_ms"))
	var rw []string
	for _, d := range devs {
		rw = append(rw, d+" read", d+" write")
	}
	for r := range ranges {
		if !g.hasData(r, tput) {
			continue
		}
		g.add(r, Section{Title: "Disks", Charts: []Chart{
			g.line(r, "disk-bytes", "Disk throughput", unitBytesPS, tput, rw, lineOpts{}),
			g.line(r, "disk-iops", "Disk operations", unitPerS, iops, rw, lineOpts{}),
			g.line(r, "disk-busy", "Disk busy", unitPct, busy, devs, lineOpts{Max: 100}),
			g.line(r, "disk-await", "Disk wait per operation", unitMs, await, devs, lineOpts{}),
		}})
	}
	return nil
}

func (g *gatherer) filesystem() error {
	f, err := g.scan(sample.TableFilesystem, "mountpoint", "device", "fstype", "size_bytes",
		"used_bytes", "avail_bytes", "inodes_total", "inodes_used", "read_only")
	if err != nil {
		return err
	}
	n := f.Len()
	mount := strCol(f, "mountpoint")
	mounts := distinct(mount)
	usedB, availB := col(f, "used_bytes"), col(f, "avail_bytes")
	it, iu := col(f, "inodes_total"), col(f, "inodes_used")
	usedPct := make([]float64, n)
	inodePct := make([]float64, n)
	for i := range usedPct {
		usedPct[i] = pct(usedB[i], usedB[i]+availB[i])
		inodePct[i] = pct(iu[i], it[i])
	}
	space := pivot(f.Time, mount, mounts, usedPct)
	inodes := pivot(f.Time, mount, mounts, inodePct)
	bytesUsed := pivot(f.Time, mount, mounts, usedB)
	// The last row of each mount.
	last := make(map[string]int)
	for i, m := range mount {
		last[m] = i
	}
	dev, typ, size, ro := strCol(f, "device"), strCol(f, "fstype"), col(f, "size_bytes"), col(f, "read_only")
	fullest := -1.0
	for _, m := range mounts {
		i := last[m]
		if g.fresh(f.Time[i]) && usedPct[i] > fullest {
			fullest = usedPct[i]
			g.d.sum.FullestFS = fmtPct(usedPct[i]) + " " + m
		}
	}
	g.d.sum.FullestSort = fullest
	for r := range ranges {
		if !g.hasData(r, space) {
			continue
		}
		from, to := g.rangeWindow(r)
		trendFrom := max(from, g.now-7*24*time.Hour.Microseconds())
		var rowsFS []FSRow
		for j, m := range mounts {
			i := last[m]
			if f.Time[i] < from {
				continue
			}
			row := FSRow{
				Mount: m, Device: dev[i], Type: typ[i],
				Size: fmtBytes(size[i]), Used: fmtBytes(usedB[i]), Avail: fmtBytes(availB[i]),
				UsedPct: fmtPct(usedPct[i]), ReadOnly: ro[i] == 1,
			}
			lo, hi := window(bytesUsed.T, trendFrom, to)
			if d, ok := timeUntilFull(bytesUsed.T[lo:hi], bytesUsed.Cols[j][lo:hi], availB[i]); ok && !row.ReadOnly {
				row.Full = fmtDuration(d)
			}
			rowsFS = append(rowsFS, row)
		}
		g.add(r, Section{Title: "Filesystems", FS: rowsFS, Charts: []Chart{
			g.line(r, "fs-space", "Space used", unitPct, space, mounts, lineOpts{Max: 100}),
			g.line(r, "fs-inodes", "Inodes used", unitPct, inodes, mounts, lineOpts{Max: 100}),
		}})
	}
	return nil
}

// pct returns 100*a/b, or NaN when b is not positive.
func pct(a, b float64) float64 {
	if !(b > 0) {
		return math.NaN()
	}
	return 100 * a / b
}

func (g *gatherer) network() error {
	f, err := g.scan(sample.TableNetwork, "interface", "rx_bytes_per_s", "tx_bytes_per_s",
		"rx_packets_per_s", "tx_packets_per_s", "rx_errors_per_s", "tx_errors_per_s",
		"rx_drops_per_s", "tx_drops_per_s")
	if err != nil {
		return err
	}
	ifc := strCol(f, "interface")
	ifs := distinct(ifc)
	var names []string
	for _, i := range ifs {
		names = append(names, i+" received", i+" sent")
	}
	pair := func(a, b string) grid { return pivot(f.Time, ifc, ifs, col(f, a), col(f, b)) }
	bytes := pair("rx_bytes_per_s", "tx_bytes_per_s")
	packets := pair("rx_packets_per_s", "tx_packets_per_s")
	errs := pair("rx_errors_per_s", "tx_errors_per_s")
	drops := pair("rx_drops_per_s", "tx_drops_per_s")
	for r := range ranges {
		if !g.hasData(r, bytes) {
			continue
		}
		g.add(r, Section{Title: "Network", Charts: []Chart{
			g.line(r, "net-bytes", "Network traffic", unitBytesPS, bytes, names, lineOpts{}),
			g.line(r, "net-packets", "Packets", unitPerS, packets, names, lineOpts{}),
			g.line(r, "net-errors", "Errors", unitPerS, errs, names, lineOpts{}),
			g.line(r, "net-drops", "Drops", unitPerS, drops, names, lineOpts{}),
		}})
	}
	return nil
}

func (g *gatherer) temperature() error {
	f, err := g.scan(sample.TableTemperature, "sensor", "label", "celsius")
	if err != nil {
		return err
	}
	sensor, label := strCol(f, "sensor"), strCol(f, "label")
	sensors := distinct(sensor)
	labels := make(map[string]string)
	for i, s := range sensor {
		labels[s] = label[i]
	}
	names := make([]string, len(sensors))
	for i, s := range sensors {
		names[i] = s
		if l := labels[s]; l != "" && l != s {
			names[i] = l + " (" + s + ")"
		}
	}
	gr := pivot(f.Time, sensor, sensors, col(f, "celsius"))
	for r := range ranges {
		if !g.hasData(r, gr) {
			continue
		}
		g.add(r, Section{Title: "Temperatures", Charts: []Chart{
			g.line(r, "temperature", "Temperatures", unitCelsius, gr, names, lineOpts{}),
		}})
	}
	return nil
}
