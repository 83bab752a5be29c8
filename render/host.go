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

	"almanac/alert"
	"almanac/archive"
	"almanac/schema"
)

// scanner is the read side of the archive that render uses; *archive.Store
// implements it.
type scanner interface {
	Hosts() ([]string, error)
	Partitions(table, host string) ([]archive.Partition, error)
	Scan(table, host string, from, to time.Time, cols ...string) (*archive.Frame, error)
	DaysCached(table, host string, from time.Time, l *archive.Listings) ([]archive.DayFiles, error)
	ScanFiles(res archive.Resolution, d archive.DayFiles, from, to time.Time, cols ...string) (*archive.Frame, error)
	Stamp(res archive.Resolution, d archive.DayFiles) (string, error)
	FileSpans(d archive.DayFiles, l *archive.Listings) ([]archive.FileSpan, error)
	ScanSpans(d archive.DayFiles, spans []archive.FileSpan, from, to time.Time, cols ...string) (*archive.Frame, error)
}

// rangeDef is one time range of a host page: the Munin day, week, month
// and year.
type rangeDef struct {
	Name  string // "24h"
	Label string // "24 hours"
	File  string // the page's file name in the host folder
	Dur   time.Duration
}

var ranges = [...]rangeDef{
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
	// The numbers of the row, to sort by (bytes; percent; seconds, -1 when
	// not filling up).
	SizeSort, UsedSort, AvailSort, PctSort, FullSort float64
}

// hostData is everything gathered for one host.
type hostData struct {
	Name    string
	Dir     string // the host's folder in the site, from hostDir
	tl      timeline
	ranges  [][]Section // per range, in the order of ranges
	sum     hostSummary
	procs   []procPage // per range, in the order of ranges
	facts   factsPage
	avail   availPage
	skipped []string

	incidents []IncidentRow // from the alert table, newest first (incidents.go)
	alerts    AlertSummary  // the overview's open incidents (incidents_site.go)
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
	FullestWarn      bool   // the fullest filesystem is 90 % full or more
	FullIn           string // the fullest filesystem's time until full at its trend, or ""
	// The last 7 days: mean and peak busy CPU %, used memory % and 1-minute
	// load, as "mean / peak" text and the mean to sort by (-1: no data).
	CPU7, Mem7, Load7             string
	CPU7Sort, Mem7Sort, Load7Sort float64
	Spark                         []sparkLine
	Kernel                        string
	Uptime                        string
	UptimeSort                    float64
	LastSeen                      int64
	Seen                          Time // the newest sample
	// What almanac sample cost over the last day: "CPU % · MB/d" and the
	// CPU % to sort by (see self.go).
	Cost     string
	CostSort float64
	Fleet    fleetSeries // the fleet page's data (fleetchart.go)
}

// gatherer reads a host's tables and builds its page models.
type gatherer struct {
	src  scanner
	host string
	now  int64 // µs
	from int64 // now - longest
	tz   *time.Location
	// per range: whether series keep every sample, else the bucket width
	raw     []bool
	width   []int64
	samples []int        // per range: the host's samples in it (its system table)
	sampleT *sampleTimes // the times of the host's samples (its system table)
	// the days of each table from from, listed once, with the day folders'
	// listings kept from the render before (with a render cache:
	// archive.Listings); nil: none listed yet
	lists *dayLists
	ooms  []int64 // the times of the samples (or rollup buckets) that counted OOM kills

	victims []oomVictim // the oom_kill table, to name the OOM marks (services.go)
	// the last 7 days' CPU busy %, memory used % and load, for the overview
	weekCPU, weekMem, weekLoad weekStat
	d                          *hostData
	rules                      []alert.Rule // the host rules in force, to draw their incidents' bands
	bands                      []Band
	memo                       *hostMemo                       // the render cache's day memo of the host, or nil
	spans                      map[tableDay][]archive.FileSpan // fileSpans, per table and day
	names                      map[string]string               // the strings of the memo's records replayed (memoReader)
}

// tableDay names a day (µs) of a table.
type tableDay struct {
	table string
	day   int64
}

// fileSpans returns the files of the day d with the times of their rows
// (archive's FileSpans, which reads the footer of each file the render
// before did not: the kept listings hold the others' spans), once a
// render: the process table's segments and its hours, and a table's
// hours, key what they keep by them, and read the files that may hold a
// span's rows (ScanSpans).
func (g *gatherer) fileSpans(d archive.DayFiles) ([]archive.FileSpan, error) {
	k := tableDay{d.Table, d.Day.UnixMicro()}
	if fs, ok := g.spans[k]; ok {
		return fs, nil
	}
	fs, err := g.src.FileSpans(d, g.lists.l) // d came from g.lists
	if err != nil {
		return nil, err
	}
	if g.spans == nil {
		g.spans = map[tableDay][]archive.FileSpan{}
	}
	g.spans[k] = fs
	return fs, nil
}

// scan reads cols of table over the longest range. A corrupt file is noted
// in skipped and the rest is used; no data gives an empty frame.
func (g *gatherer) scan(table string, cols ...string) (*archive.Frame, error) {
	return g.scanWindow(table, g.from, g.now+1, cols...)
}

// scanWindow is scan over [from, to) (µs).
func (g *gatherer) scanWindow(table string, from, to int64, cols ...string) (*archive.Frame, error) {
	f, err := g.src.Scan(table, g.host, time.UnixMicro(from), time.UnixMicro(to), cols...)
	return g.frameOf(f, err, table)
}

// frameOf turns what a scan of what returned into a frame: no data is an
// empty frame, corrupt files are noted as skipped and the rest is kept,
// any other error ends the host.
func (g *gatherer) frameOf(f *archive.Frame, err error, what string) (*archive.Frame, error) {
	if err != nil {
		switch {
		case isNoData(err):
			return &archive.Frame{}, nil
		case errors.Is(err, archive.ErrCorrupt):
			g.d.skipped = append(g.d.skipped, corruptFiles(err)...)
		default:
			return nil, fmt.Errorf("scan %s of %s: %w", what, g.host, err)
		}
	}
	if f == nil {
		f = &archive.Frame{}
	}
	return f, nil
}

// isNoData reports whether err says the archive has nothing for the table.
func isNoData(err error) bool { return errors.Is(err, archive.ErrNoData) }

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

// gather reads every table of host and builds its pages' models; the
// incidents of rules are drawn as bands on the charts.
func gather(src scanner, host, dir string, now time.Time, tz *time.Location, rules ...alert.Rule) (*hostData, error) {
	return gatherKept(src, host, dir, now, tz, nil, rules...)
}

// gatherKept is gather with the host's day memo (nil: none): closed days
// it holds are added from it instead of read (daymemo.go).
func gatherKept(src scanner, host, dir string, now time.Time, tz *time.Location, memo *hostMemo, rules ...alert.Rule) (*hostData, error) {
	g := &gatherer{src: src, host: host, now: now.UnixMicro(), tz: tz, d: &hostData{Name: host, Dir: dir}, rules: rules, memo: memo}
	g.from = g.now - longest.Microseconds()
	g.d.ranges = make([][]Section, len(ranges))
	steps := []func() error{g.incidents, g.system, g.cpu, g.pressure, g.memory, g.disk, g.filesystem,
		g.network, g.temperature, g.gpu, g.custom, g.services, g.processes, g.groups, g.hostFacts, g.self}
	if memo != nil {
		g.lists = memo.days(src, host, now) // listed already, if the render cache keyed the host
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if memo != nil {
		memo.saveListings(g.lists.l)
	}
	g.availability()
	g.markOOMs()
	g.d.sum.Fleet = fleetOf(g.d, g.now-ranges[0].Dur.Microseconds(), g.now+1)
	s := &g.d.sum
	s.CPU7, s.CPU7Sort = g.weekCPU.text(fmtPct)
	s.Mem7, s.Mem7Sort = g.weekMem.text(fmtPct)
	s.Load7, s.Load7Sort = g.weekLoad.text(func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) })
	return g.d, nil
}

// markOOMs marks the OOM kills (known once the memory table is read) on
// every line chart of the host's pages, next to the reboots.
func (g *gatherer) markOOMs() {
	if len(g.ooms) == 0 {
		return
	}
	mark := func(c *Chart) {
		if c.Kind != "line" || len(c.Option.MultiSeries) == 0 {
			return
		}
		marks := timeMarks(lineOpts{From: c.from, To: c.to, Reboots: g.d.tl.Reboots, OOMs: g.ooms})
		nameOOMs(marks, g.ooms, g.victims)
		if len(marks) > 0 {
			c.Option.MultiSeries[0].MarkLines = markLine(marks)
		}
	}
	for r := range g.d.ranges {
		for i := range g.d.ranges[r] {
			for j := range g.d.ranges[r][i].Charts {
				mark(&g.d.ranges[r][i].Charts[j])
			}
		}
	}
	for r := range g.d.procs {
		for j := range g.d.procs[r].Charts {
			mark(&g.d.procs[r].Charts[j])
		}
	}
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

// line builds a line chart for range r from the columns keys of set.
func (g *gatherer) line(r int, id, title, unit string, set *seriesSet, keys, names []string, o lineOpts) Chart {
	o.From, o.To = g.rangeWindow(r)
	o.Reboots, o.Outages, o.Bands = g.d.tl.Reboots, g.d.tl.Outages, g.bands
	o.Gap = g.gap()
	o.DataFrom, o.DataTo = g.dataExtent(r)
	return lineChart(id, title, unit, set.grid(r, keys), names, o)
}

func (g *gatherer) system() error {
	// The timeline needs every sample: time and boot time, raw, read a
	// day at a time (closed days from the day memo) and joined once (a
	// year is millions of samples).
	days, err := g.days(schema.TableSystem)
	if err != nil {
		return err
	}
	times, err := g.sampleTimes(days)
	if err != nil {
		return err
	}
	g.d.tl = buildTimeline(times, g.now)
	g.sampleT = times
	g.setModes(times)
	if len(times.days) > 0 {
		last, boot := times.last()
		g.d.sum.LastSeen = last
		g.d.sum.Seen = mkTime(last, g.tz)
		if g.d.tl.Status == StatusUp {
			up := time.Duration(g.now-boot) * time.Microsecond
			g.d.sum.Uptime = fmtDuration(up)
			g.d.sum.UptimeSort = up.Seconds()
		}
	}
	load, procs, kern := g.newSet(3), g.newSet(2), g.newSet(3)
	err = g.eachKept(days, schema.TableSystem, []string{"load1", "load5", "load15",
		"procs_running", "procs_blocked", "ctxt_per_s", "intr_per_s", "forks_per_s"},
		[]dayAcc{load, procs, kern, &weekDays{w: &g.weekLoad}}, func(c chunk) {
			l1 := c.num("load1")
			load.addChunk(c.f.Time, c.res, nil, l1, c.num("load5"), c.num("load15"))
			for i, t := range c.f.Time {
				if t >= g.weekFrom() {
					g.weekLoad.add(l1.V[i], l1.Hi[i], g.rowWeight(c.res))
				}
			}
			procs.addChunk(c.f.Time, c.res, nil, c.num("procs_running"), c.num("procs_blocked"))
			kern.addChunk(c.f.Time, c.res, nil, c.num("ctxt_per_s"), c.num("intr_per_s"), c.num("forks_per_s"))
		})
	if err != nil {
		return err
	}
	one := []string{""}
	for r := range ranges {
		if !load.has(r) {
			continue
		}
		g.add(r, Section{Title: "Load and processes", Charts: []Chart{
			g.line(r, "load", "Load average", unitCount, load, one, []string{"load 1 min", "load 5 min", "load 15 min"}, lineOpts{}),
			g.line(r, "procs", "Processes running and blocked", unitCount, procs, one, []string{"running", "blocked"}, lineOpts{Integer: true}),
		}})
		g.add(r, Section{Title: "Kernel activity", Charts: []Chart{
			g.line(r, "kernel", "Context switches, interrupts and forks", unitPerS, kern, one,
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
	// The modes' means, stacked, and the peak of busy (100 - idle) over
	// them: a one-sample spike a mean hides.
	all := g.newStack(len(cpuModes) + 1)
	all.peaks = 1
	cores := g.newHeat()
	coreNames := map[string]bool{}
	sparkFrom, _ := g.rangeWindow(sparkRange)
	var spark grid
	spark.Cols = [][]float64{nil}
	var lastT int64
	lastBusy := math.NaN()
	accs := []dayAcc{all, cores, &weekDays{w: &g.weekCPU}, &newest{t: &lastT, v: &lastBusy},
		&appended{ints: []*[]int64{&spark.T}, floats: []*[]float64{&spark.Cols[0]}, bound: bound(sparkRange)},
		&newestOf[bool]{m: &coreNames, put: (*memoBuf).bool, get: (*memoReader).bool}}
	err := g.eachWith(schema.TableCPU, cs, accs, func(c chunk) {
		f := c.f
		name := c.str("cpu")
		idle := c.num("idle_pct")
		modes := make([]vals, len(cpuModes))
		for j, m := range cpuModes {
			modes[j] = c.num(m + "_pct")
		}
		var ts []int64
		sel := make([]vals, len(cpuModes)+1)
		var coreT []int64
		var coreKey []string
		var coreBusy []float64
		for i, n := range name {
			if n != "all" {
				coreT = append(coreT, f.Time[i])
				coreKey = append(coreKey, n)
				coreBusy = append(coreBusy, 100-idle.Lo[i]) // the bucket's peak
				coreNames[n] = true
				continue
			}
			ts = append(ts, f.Time[i])
			for j, m := range modes {
				sel[j].V = append(sel[j].V, m.V[i])
				if c.res > 0 {
					sel[j].Lo = append(sel[j].Lo, m.Lo[i])
					sel[j].Hi = append(sel[j].Hi, m.Hi[i])
				}
			}
			busy := &sel[len(modes)]
			busy.V = append(busy.V, 100-idle.V[i])
			if c.res > 0 {
				busy.Lo = append(busy.Lo, 100-idle.Hi[i])
				busy.Hi = append(busy.Hi, 100-idle.Lo[i])
			}
			if f.Time[i] >= g.weekFrom() {
				g.weekCPU.add(100-idle.V[i], 100-idle.Lo[i], g.rowWeight(c.res))
			}
			if f.Time[i] >= sparkFrom {
				spark.T = append(spark.T, f.Time[i])
				spark.Cols[0] = append(spark.Cols[0], 100-idle.V[i])
			}
			lastT, lastBusy = f.Time[i], 100-idle.V[i]
		}
		if c.res == 0 {
			for j := range sel {
				sel[j].Lo, sel[j].Hi = sel[j].V, sel[j].V
			}
		}
		all.addChunk(ts, c.res, nil, sel...)
		if len(coreT) > 0 {
			cores.add(coreT, coreKey, coreBusy)
		}
	})
	if err != nil {
		return err
	}
	if lastT > 0 && g.fresh(lastT) && !math.IsNaN(lastBusy) {
		g.d.sum.CPU, g.d.sum.CPUSort = fmtPct(lastBusy), lastBusy
	} else {
		g.d.sum.CPUSort = -1
	}
	g.d.sum.Spark = sparkline(spark, sparkFrom, g.now+1, 96, g.gap())
	var keys []string
	for c := range coreNames {
		keys = append(keys, c)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ai, errA := strconv.Atoi(a)
		bi, errB := strconv.Atoi(b)
		if errA == nil && errB == nil {
			return cmp.Compare(ai, bi)
		}
		return strings.Compare(a, b)
	})
	labels := make([]string, len(keys))
	for i, c := range keys {
		labels[i] = "cpu" + c
	}
	for r := range ranges {
		if !all.has(r) {
			continue
		}
		s := Section{Title: "CPU", Charts: []Chart{
			g.line(r, "cpu", "CPU by mode", unitPct, all, []string{""}, append(slices.Clone(cpuModes), "busy (peak)"),
				lineOpts{Stack: true, Peaks: 1, Max: 100}),
		}}
		if len(keys) > 0 {
			s.Charts = append(s.Charts, heatmapChart("cpu-cores", "Busy % per core (peak per column)", unitPct,
				cores.times[r], labels, cores.rows(r, keys), 100))
		}
		g.add(r, s)
	}
	return nil
}

// dataExtent returns the first and last sample of the host in range r
// (µs), or zeros.
func (g *gatherer) dataExtent(r int) (first, last int64) {
	from, to := g.rangeWindow(r)
	return g.sampleT.extent(from, to)
}

// weekFrom returns the start (µs) of the last 7 days, the overview's week.
func (g *gatherer) weekFrom() int64 {
	from, _ := g.rangeWindow(weekRange)
	return from
}

// weekRange is the range whose window is the overview's week (the 7-day
// means, the filesystems' trend); sparkRange the one the overview's
// sparkline draws.
const (
	weekRange  = 1
	sparkRange = 0
)

// rowWeight returns the time (µs) a row stands for: a rollup bucket's
// width, or a sample's interval.
func (g *gatherer) rowWeight(res int64) float64 {
	if res > 0 {
		return float64(res)
	}
	if g.d.tl.Interval > 0 {
		return float64(g.d.tl.Interval)
	}
	return defaultInterval
}

// weekStat is the time-weighted mean and the peak of a series.
type weekStat struct {
	sum, weight, peak float64
	seen              bool
}

// add adds a row: its value (a bucket's mean), its highest value and the
// time it stands for. NaN values are left out.
func (w *weekStat) add(v, peak, weight float64) {
	if math.IsNaN(v) {
		return
	}
	w.sum += v * weight
	w.weight += weight
	if math.IsNaN(peak) {
		peak = v
	}
	if !w.seen || peak > w.peak {
		w.peak = peak
	}
	w.seen = true
}

// text returns "mean / peak" formatted with f, and the mean to sort by
// (-1 and "" when there is no data).
func (w weekStat) text(f func(float64) string) (string, float64) {
	if !w.seen || w.weight <= 0 {
		return "", -1
	}
	m := w.sum / w.weight
	return f(m) + " / " + f(w.peak), m
}

// fresh reports whether a sample at t describes the host now.
func (g *gatherer) fresh(t int64) bool {
	return g.now-t <= downAfter.Microseconds()
}

func (g *gatherer) pressure() error {
	set := g.newSet(2)
	err := g.eachWith(schema.TablePressure, []string{"resource", "some_stall_pct", "full_stall_pct"}, []dayAcc{set}, func(c chunk) {
		set.addChunk(c.f.Time, c.res, c.str("resource"), c.num("some_stall_pct"), c.num("full_stall_pct"))
	})
	if err != nil {
		return err
	}
	keys := set.keys()
	for r := range ranges {
		if !set.has(r) {
			continue
		}
		g.add(r, Section{Title: "Pressure", Charts: []Chart{
			g.line(r, "pressure", "Pressure stall (share of time stalled)", unitPct, set, keys, valueKeys(keys, "some", "full"), lineOpts{}),
		}})
	}
	return nil
}

func (g *gatherer) memory() error {
	mem, swap, swapIO, faults, oom := g.newStack(4), g.newSet(1), g.newSet(2), g.newSet(2), g.newSet(1)
	var lastT, lastSwap int64 // lastSwap: the newest sample with swap configured
	lastPct := math.NaN()
	err := g.eachWith(schema.TableMemory, []string{"total_bytes", "free_bytes", "available_bytes", "buffers_bytes",
		"cached_bytes", "swap_total_bytes", "swap_free_bytes", "swap_in_per_s", "swap_out_per_s",
		"page_faults_per_s", "major_faults_per_s", "oom_kills"},
		[]dayAcc{mem, swap, swapIO, faults, oom, &weekDays{w: &g.weekMem}, &newest{t: &lastT, v: &lastPct},
			&latestTime{t: &lastSwap}, &appended{ints: []*[]int64{&g.ooms}}}, func(c chunk) {
			f := c.f
			n := f.Len()
			total, free, availB := c.num("total_bytes"), c.num("free_bytes"), c.num("available_bytes")
			buffers, cached := c.num("buffers_bytes"), c.num("cached_bytes")
			// Used memory is derived: from rollups, its mean is exact and its
			// extremes come from those of free memory, the rest at their mean.
			used := derived(n, c.res, func(i int, freeB float64) float64 {
				return max(0, total.V[i]-freeB-buffers.V[i]-cached.V[i])
			}, free)
			st, sf := c.num("swap_total_bytes"), c.num("swap_free_bytes")
			for i := n - 1; i >= 0; i-- {
				if st.V[i] > 0 {
					lastSwap = max(lastSwap, f.Time[i])
					break
				}
			}
			swapUsed := derived(n, c.res, func(i int, sfree float64) float64 {
				return max(0, st.V[i]-sfree)
			}, sf)
			if total.V[n-1] > 0 {
				lastT, lastPct = f.Time[n-1], 100*(1-availB.V[n-1]/total.V[n-1])
			}
			for i := range n {
				if f.Time[i] >= g.weekFrom() && total.V[i] > 0 {
					g.weekMem.add(100*(1-availB.V[i]/total.V[i]), 100*(1-availB.Lo[i]/total.V[i]), g.rowWeight(c.res))
				}
			}
			mem.addChunk(f.Time, c.res, nil, used, buffers, cached, free)
			swap.addChunk(f.Time, c.res, nil, swapUsed)
			swapIO.addChunk(f.Time, c.res, nil, c.num("swap_in_per_s"), c.num("swap_out_per_s"))
			faults.addChunk(f.Time, c.res, nil, c.num("page_faults_per_s"), c.num("major_faults_per_s"))
			ooms := c.num("oom_kills")
			oom.addChunk(f.Time, c.res, nil, ooms)
			for i, v := range ooms.V {
				if v > 0 {
					g.ooms = append(g.ooms, f.Time[i])
				}
			}
		})
	if err != nil {
		return err
	}
	if lastT > 0 && g.fresh(lastT) && !math.IsNaN(lastPct) {
		g.d.sum.Mem, g.d.sum.MemSort = fmtPct(lastPct), lastPct
	} else {
		g.d.sum.MemSort = -1
	}
	one := []string{""}
	for r := range ranges {
		if !mem.has(r) {
			continue
		}
		charts := []Chart{g.line(r, "memory", "Memory", unitBytes, mem, one, []string{"used", "buffers", "cache", "free"}, lineOpts{Stack: true})}
		// A host without swap in the range: no swap charts (an axis of
		// 0 to 1 B says nothing).
		if from, _ := g.rangeWindow(r); lastSwap >= from {
			charts = append(charts,
				g.line(r, "swap", "Swap used", unitBytes, swap, one, []string{"swap used"}, lineOpts{Area: true}),
				g.line(r, "swap-io", "Swap in and out (pages)", unitPerS, swapIO, one, []string{"swap in", "swap out"}, lineOpts{}))
		}
		charts = append(charts,
			g.line(r, "faults", "Page faults", unitPerS, faults, one, []string{"page faults", "major faults"}, lineOpts{}),
			g.line(r, "oom", "OOM kills", unitCount, oom, one, []string{"OOM kills"}, lineOpts{Integer: true}))
		g.add(r, Section{Title: "Memory", Charts: charts})
	}
	return nil
}

func (g *gatherer) disk() error {
	tput, iops, busy, await := g.newSet(2), g.newSet(2), g.newSet(1), g.newSet(1)
	err := g.eachWith(schema.TableDisk, []string{"device", "read_bytes_per_s", "write_bytes_per_s",
		"reads_per_s", "writes_per_s", "busy_pct", "await_ms"}, []dayAcc{tput, iops, busy, await}, func(c chunk) {
		dev := c.str("device")
		tput.addChunk(c.f.Time, c.res, dev, c.num("read_bytes_per_s"), c.num("write_bytes_per_s"))
		iops.addChunk(c.f.Time, c.res, dev, c.num("reads_per_s"), c.num("writes_per_s"))
		busy.addChunk(c.f.Time, c.res, dev, c.num("busy_pct"))
		await.addChunk(c.f.Time, c.res, dev, c.num("await_ms"))
	})
	if err != nil {
		return err
	}
	devs := tput.keys()
	rw := valueKeys(devs, "read", "write")
	for r := range ranges {
		if !tput.has(r) {
			continue
		}
		g.add(r, Section{Title: "Disks", Charts: []Chart{
			g.line(r, "disk-bytes", "Disk throughput", unitBytesPS, tput, devs, rw, lineOpts{}),
			g.line(r, "disk-iops", "Disk operations", unitPerS, iops, devs, rw, lineOpts{}),
			g.line(r, "disk-busy", "Disk busy", unitPct, busy, devs, devs, lineOpts{Max: 100}),
			g.line(r, "disk-await", "Disk wait per operation", unitMs, await, devs, devs, lineOpts{}),
		}})
	}
	return nil
}

// fsLast is the newest row of a filesystem.
type fsLast struct {
	t                 int64
	span              int64 // a rollup row: the bucket [t, t+span) (0: a sample)
	dev, typ          string
	size, used, avail float64
	ro                bool
}

func (g *gatherer) filesystem() error {
	space, inodes := g.newSet(1), g.newSet(1)
	last := map[string]fsLast{}
	trendFrom := g.weekFrom() // the trend of the last 7 days
	var trend struct {
		T     []int64
		Mount []string
		Used  []float64
	}
	lastFS := &newestOf[fsLast]{m: &last, put: putFSLast, get: getFSLast}
	rows := &appended{ints: []*[]int64{&trend.T}, floats: []*[]float64{&trend.Used}, strs: []*[]string{&trend.Mount},
		bound: bound(weekRange)}
	err := g.eachWith(schema.TableFilesystem, []string{"mountpoint",
		"used_bytes", "avail_bytes", "inodes_total", "inodes_used"}, []dayAcc{space, inodes, lastFS, rows}, func(c chunk) {
		f := c.f
		n := f.Len()
		mount := c.str("mountpoint")
		usedB, availB := c.num("used_bytes"), c.num("avail_bytes")
		it, iu := c.num("inodes_total"), c.num("inodes_used")
		// The size (used + available) and the inode total barely move: the
		// extremes of a bucket's share are those of its used part.
		usedPct := derived(n, c.res, func(i int, u float64) float64 {
			return pct(u, usedB.V[i]+availB.V[i])
		}, usedB)
		inodePct := derived(n, c.res, func(i int, u float64) float64 { return pct(u, it.V[i]) }, iu)
		for i := range n {
			last[mount[i]] = fsLast{t: f.Time[i], span: c.res, used: usedB.V[i], avail: availB.V[i], size: math.NaN()}
			if f.Time[i] >= trendFrom {
				trend.T = append(trend.T, f.Time[i])
				trend.Mount = append(trend.Mount, mount[i])
				trend.Used = append(trend.Used, usedB.V[i])
			}
		}
		space.addChunk(f.Time, c.res, mount, usedPct)
		inodes.addChunk(f.Time, c.res, mount, inodePct)
	})
	if err != nil {
		return err
	}
	// The descriptive columns, from the newest sample of each mount only.
	// (A mount last seen in a rollup: its newest sample in that bucket.)
	var newest, end int64
	for _, l := range last {
		newest = max(newest, l.t)
		end = max(end, l.t+max(l.span, 1))
	}
	if newest > 0 {
		f, err := g.scanWindow(schema.TableFilesystem, newest-g.gap(), end,
			"mountpoint", "device", "fstype", "size_bytes", "read_only")
		if err != nil {
			return err
		}
		mount, dev, typ, size, ro := strCol(f, "mountpoint"), strCol(f, "device"), strCol(f, "fstype"), col(f, "size_bytes"), col(f, "read_only")
		for i, m := range mount {
			if l, ok := last[m]; ok && l.t <= f.Time[i] && f.Time[i] < l.t+max(l.span, 1) {
				l.dev, l.typ, l.size, l.ro = dev[i], typ[i], size[i], ro[i] == 1
				last[m] = l
			}
		}
	}
	mounts := space.keys()
	fullest := -1.0
	var fullestMount string
	for _, m := range mounts {
		l, ok := last[m]
		if !ok || !g.fresh(l.t) {
			continue
		}
		if p := pct(l.used, l.used+l.avail); p > fullest {
			fullest = p
			g.d.sum.FullestFS = fmtPct(p) + " " + m
			g.d.sum.FullestWarn = p >= 90
			fullestMount = m
		}
	}
	g.d.sum.FullestSort = fullest
	used := pivot(trend.T, trend.Mount, mounts, trend.Used)
	for r := range ranges {
		if !space.has(r) {
			continue
		}
		from, to := g.rangeWindow(r)
		tf := max(from, trendFrom)
		var rowsFS []FSRow
		for j, m := range mounts {
			l, ok := last[m]
			if !ok || l.t < from {
				continue
			}
			row := FSRow{
				Mount: m, Device: l.dev, Type: l.typ,
				Size: fmtBytes(l.size), Used: fmtBytes(l.used), Avail: fmtBytes(l.avail),
				UsedPct: fmtPct(pct(l.used, l.used+l.avail)), ReadOnly: l.ro,
				SizeSort: nz(l.size), UsedSort: nz(l.used), AvailSort: nz(l.avail), PctSort: nz(pct(l.used, l.used+l.avail)), FullSort: -1,
			}
			lo, hi := window(used.T, tf, to)
			if d, ok := timeUntilFull(used.T[lo:hi], used.Cols[j][lo:hi], l.avail); ok && !row.ReadOnly {
				row.Full, row.FullSort = fmtDuration(d), d.Seconds()
				if r == 1 && m == fullestMount {
					g.d.sum.FullIn = row.Full // at the trend of the last 7 days
				}
			}
			rowsFS = append(rowsFS, row)
		}
		g.add(r, Section{Title: "Filesystems", FS: rowsFS, Charts: []Chart{
			g.line(r, "fs-space", "Space used", unitPct, space, mounts, mounts, lineOpts{Max: 100}),
			g.line(r, "fs-inodes", "Inodes used", unitPct, inodes, mounts, mounts, lineOpts{Max: 100}),
		}})
	}
	return nil
}

// putFSLast encodes the newest row of a mount as the filesystem reader
// sets it (the descriptive columns come later).
func putFSLast(b *memoBuf, l fsLast) {
	b.int(l.t)
	b.int(l.span)
	b.float(l.used)
	b.float(l.avail)
}

// getFSLast decodes what putFSLast encoded.
func getFSLast(r *memoReader) fsLast {
	return fsLast{t: r.int(), span: r.int(), used: r.float(), avail: r.float(), size: math.NaN()}
}

// pct returns 100*a/b, or NaN when b is not positive.
func pct(a, b float64) float64 {
	if !(b > 0) {
		return math.NaN()
	}
	return 100 * a / b
}

func (g *gatherer) network() error {
	bytes, packets, errs, drops := g.newSet(2), g.newSet(2), g.newSet(2), g.newSet(2)
	err := g.eachWith(schema.TableNetwork, []string{"interface", "rx_bytes_per_s", "tx_bytes_per_s",
		"rx_packets_per_s", "tx_packets_per_s", "rx_errors_per_s", "tx_errors_per_s",
		"rx_drops_per_s", "tx_drops_per_s"}, []dayAcc{bytes, packets, errs, drops}, func(c chunk) {
		ifc := c.str("interface")
		bytes.addChunk(c.f.Time, c.res, ifc, bits(c.num("rx_bytes_per_s")), bits(c.num("tx_bytes_per_s")))
		packets.addChunk(c.f.Time, c.res, ifc, c.num("rx_packets_per_s"), c.num("tx_packets_per_s"))
		errs.addChunk(c.f.Time, c.res, ifc, c.num("rx_errors_per_s"), c.num("tx_errors_per_s"))
		drops.addChunk(c.f.Time, c.res, ifc, c.num("rx_drops_per_s"), c.num("tx_drops_per_s"))
	})
	if err != nil {
		return err
	}
	ifs := bytes.keys()
	names := valueKeys(ifs, "received", "sent")
	for r := range ranges {
		if !bytes.has(r) {
			continue
		}
		g.add(r, Section{Title: "Network", Charts: []Chart{
			g.line(r, "net-bytes", "Network traffic (bits)", unitBitsPS, bytes, ifs, names, lineOpts{}),
			g.line(r, "net-packets", "Packets", unitPerS, packets, ifs, names, lineOpts{}),
			g.line(r, "net-errors", "Errors", unitPerS, errs, ifs, names, lineOpts{}),
			g.line(r, "net-drops", "Drops", unitPerS, drops, ifs, names, lineOpts{}),
		}})
	}
	return nil
}

// bits returns the byte rates of v as bit rates.
func bits(v vals) vals {
	times8 := func(c []float64) []float64 {
		out := make([]float64, len(c))
		for i, x := range c {
			out[i] = 8 * x
		}
		return out
	}
	out := vals{V: times8(v.V)}
	if len(v.V) > 0 && len(v.Lo) > 0 && &v.Lo[0] == &v.V[0] && &v.Hi[0] == &v.V[0] {
		out.Lo, out.Hi = out.V, out.V // raw samples: one slice
		return out
	}
	out.Lo, out.Hi = times8(v.Lo), times8(v.Hi)
	return out
}

func (g *gatherer) temperature() error {
	set := g.newSet(1)
	labels := map[string]string{}
	acc := []dayAcc{set, &newestOf[string]{m: &labels, put: (*memoBuf).str, get: (*memoReader).str}}
	err := g.eachWith(schema.TableTemperature, []string{"sensor", "label", "celsius"}, acc, func(c chunk) {
		sensor, label := c.str("sensor"), c.str("label")
		for i, s := range sensor {
			labels[s] = label[i]
		}
		set.addChunk(c.f.Time, c.res, sensor, c.num("celsius"))
	})
	if err != nil {
		return err
	}
	sensors := set.keys()
	names := make([]string, len(sensors))
	for i, s := range sensors {
		names[i] = s
		if l := labels[s]; l != "" && l != s {
			names[i] = l + " (" + s + ")"
		}
	}
	for r := range ranges {
		if !set.has(r) {
			continue
		}
		g.add(r, Section{Title: "Temperatures", Charts: []Chart{
			g.line(r, "temperature", "Temperatures", unitCelsius, set, sensors, names, lineOpts{}),
		}})
	}
	return nil
}
