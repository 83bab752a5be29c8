package render

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// Time is a moment shown on a page: ISO for the datetime attribute (which
// the site script turns into the viewer's local time), Text for readers
// without script (in --tz, else UTC).
type Time struct {
	ISO, Text string
}

// mkTime returns the Time of us (µs) shown in tz (nil: UTC).
func mkTime(us int64, tz *time.Location) Time {
	if us == 0 {
		return Time{}
	}
	t := time.UnixMicro(us).UTC()
	iso := t.Format(time.RFC3339)
	if tz != nil {
		t = t.In(tz)
	}
	return Time{ISO: iso, Text: t.Format("2006-01-02 15:04:05 MST")}
}

// fmtPct formats a percentage.
func fmtPct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " %"
}

// fmtAvail formats an availability percentage with the precision that
// matters for it (99.95 % is not 100 %).
func fmtAvail(v float64) string {
	switch {
	case v >= 100:
		return "100 %"
	case v >= 99:
		s := strconv.FormatFloat(math.Floor(v*100)/100, 'f', 2, 64)
		return s + " %"
	default:
		return strconv.FormatFloat(math.Floor(v*10)/10, 'f', 1, 64) + " %"
	}
}

// fmtBytes formats a size in IEC units.
func fmtBytes(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(v, 'f', 0, 64) + " B"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// fmtDuration formats a duration with its two largest units.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	h, s := s/3600, s%3600
	m, s := s/60, s%60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, s)
	default:
		return fmt.Sprintf("%ds", s)
	}
}

// fmtCPUTime formats CPU time as top's TIME+ shows it, under a minute to
// the hundredth of a second below ten seconds (0.33s, 4.07s) and to the
// tenth below a minute (12.3s), so that a process that used a third of a
// second in the range does not read 0s beside its CPU share; from a
// minute on as fmtDuration, to the second.
func fmtCPUTime(d time.Duration) string {
	if r := d.Round(10 * time.Millisecond); r < 10*time.Second {
		if r <= 0 {
			return "0s"
		}
		return strconv.FormatFloat(r.Seconds(), 'f', 2, 64) + "s"
	}
	if r := d.Round(100 * time.Millisecond); r < time.Minute {
		return strconv.FormatFloat(r.Seconds(), 'f', 1, 64) + "s"
	}
	return fmtDuration(d.Round(time.Second))
}

// fmtInterval formats a sampling interval, rounded to what it was meant
// to be: a median of 999.9 ms is "1s", 1.5 s "1.5s", 9 m 59.9 s "10m 0s";
// below a second, in milliseconds.
func fmtInterval(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < 950*time.Millisecond:
		return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + "ms"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + "s"
	}
	return fmtDuration(d.Round(time.Second))
}

// sparkLine is one unbroken stretch of a sparkline, as the points
// attribute of an SVG polyline in a 0 0 96 20 view box.
type sparkLine struct {
	Points string
}

// sparkline draws the series of gr (one column) in [from, to) as n peak
// points, broken where there is no data. A stretch of one point is drawn
// one unit wide, so that it shows.
func sparkline(gr grid, from, to int64, n int, gap int64) []sparkLine {
	_ = gap
	_, cells := bucketMax(gr, from, to, n)
	if len(cells) == 0 {
		return nil
	}
	var out []sparkLine
	var b strings.Builder
	points, lastX, lastY := 0, 0, 0.0
	flush := func() {
		if points == 1 {
			fmt.Fprintf(&b, " %d,%.1f", lastX+1, lastY)
		}
		if b.Len() > 0 {
			out = append(out, sparkLine{Points: b.String()})
			b.Reset()
		}
		points = 0
	}
	for i, v := range cells[0] {
		if math.IsNaN(v) {
			flush()
			continue
		}
		y := 19 - 18*min(max(v, 0), 100)/100
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d,%.1f", i, y)
		points, lastX, lastY = points+1, i, y
	}
	flush()
	return out
}

// ProcRow is a process in a table of the processes page.
type ProcRow struct {
	PID              int32
	Comm, User       string
	Unit, Container  string // its systemd unit and container ("" for none): the group tables filter by them
	State            string
	CPU              string // mean CPU % over the range's samples
	CPUTime          string // CPU time over the range
	RSSMax, RSSLast  string
	Started          Time
	FirstSeen, Seen  Time
	Zombie           bool
	CPUSort, RSSSort float64
	CPUAvgSort       float64 // mean CPU %, to sort by
	RSSLastSort      float64 // last RSS (bytes), to sort by
	PPID             int32   // zombies: the parent, which has not reaped it
	Parent           string  // zombies: the parent's command ("" when not seen)
	// Disk I/O over the range (HasIO: the page has it): bytes read and
	// written (the rates times the sampling interval) and the peak rate,
	// of a sample on the 24-hour page, of an hour's mean on the others
	// (PeakHour).
	HasIO, PeakHour                   bool
	Read, Written, IOPeak             string
	ReadSort, WrittenSort, IOPeakSort float64
	// For the site script's zoom: when it was first and last seen (ms),
	// and its CPU seconds per bucket of the page (procPage.Buckets).
	FirstMs, LastMs int64
	CPUBuckets      string
}

// procPage is the model of a host's processes page for one range.
type procPage struct {
	Charts   []Chart
	TopCPU   []ProcRow
	TopMem   []ProcRow
	TopRange string // the range the top tables and their lines cover ("24 hours")
	Zombies  []ProcRow
	Groups   []GroupTable // services, containers, users, command names (services.go)
	TopIO    []ProcRow    // by disk I/O, or nil when no process has any
	Buckets  procBuckets  // the buckets of the rows' CPUBuckets
}

// procWindow is the range whose top processes come from raw rows only.
const procWindow = 24 * time.Hour

// procFile returns the file name of the processes page of range r.
func procFile(r int) string {
	if r == 0 {
		return procsFile
	}
	return "processes-" + ranges[r].Name + ".html"
}

// topN is the length of the top tables; topLines how many get a line.
const (
	topN     = 15
	topLines = 8
)

// procStates are the state columns of the proc_count table, and their
// labels.
var (
	procStates      = []string{"running", "sleeping", "disk_sleep", "zombie", "stopped", "tracing_stop", "idle", "dead", "other"}
	procStateLabels = []string{"running (R)", "sleeping (S)", "disk sleep (D)", "zombie (Z)", "stopped (T)", "tracing stop (t)", "idle (I)", "dead (X)", "other"}
)

// processes builds the processes page of every range: counts by state and
// by user and threads over the range (from rollups for closed days, like
// the charts), the top processes and zombies.
func (g *gatherer) processes() error {
	g.d.procs = make([]procPage, len(ranges))
	states, threads := g.newStack(len(procStates)), g.newSet(2)
	err := g.eachWith(schema.TableProcCount, append(slices.Clone(procStates), "total", "threads"), []dayAcc{states, threads}, func(c chunk) {
		vs := make([]vals, len(procStates))
		for i, s := range procStates {
			vs[i] = c.num(s)
		}
		states.addChunk(c.f.Time, c.res, nil, vs...)
		threads.addChunk(c.f.Time, c.res, nil, c.num("total"), c.num("threads"))
	})
	if err != nil {
		return err
	}
	uProcs, uCPU, uRSS := g.newStack(1), g.newStack(1), g.newStack(1)
	err = g.eachWith(schema.TableProcUser, []string{"user", "processes", "cpu_pct", "rss_bytes"}, []dayAcc{uProcs, uCPU, uRSS}, func(c chunk) {
		user := c.str("user")
		uProcs.addChunk(c.f.Time, c.res, user, c.num("processes"))
		uCPU.addChunk(c.f.Time, c.res, user, c.num("cpu_pct"))
		uRSS.addChunk(c.f.Time, c.res, user, c.num("rss_bytes"))
	})
	if err != nil {
		return err
	}
	one, users := []string{""}, uProcs.keys()
	stack, counts := lineOpts{Stack: true, Integer: true}, lineOpts{Integer: true}
	for r := range ranges {
		p := &g.d.procs[r]
		if states.has(r) || threads.has(r) {
			p.Charts = append(p.Charts,
				g.line(r, "proc-states", "Processes by state", unitCount, states, one, procStateLabels, stack),
				g.line(r, "proc-threads", "Processes and threads", unitCount, threads, one, []string{"processes", "threads"}, counts))
		}
		if uProcs.has(r) || uCPU.has(r) || uRSS.has(r) {
			p.Charts = append(p.Charts,
				g.line(r, "user-procs", "Processes by user", unitCount, uProcs, users, users, stack),
				g.line(r, "user-cpu", "CPU by user (% of one core)", unitPct, uCPU, users, users, lineOpts{Stack: true}),
				g.line(r, "user-rss", "Resident memory by user", unitBytes, uRSS, users, users, lineOpts{Stack: true}))
		}
	}
	return g.topProcesses()
}

// topProcesses adds the top process tables, their lines and the zombies of
// the last sample to the processes page of every range: the 24-hour page
// from the raw rows of the last 24 hours, the others from the per-hour
// rollup of closed days and raw rows of the days without one. Raw rows
// are summed in segments, kept in the day memo an hour at a time
// (procseg.go).
func (g *gatherer) topProcesses() error {
	days, err := g.days(schema.TableProcess)
	if err != nil {
		return err
	}
	// The days the long ranges read from the per-hour rollup (the planner
	// reads the process table's closed days from it whenever it is current).
	rolled := map[int64]bool{}
	for _, d := range days {
		if g.rollupFor(d) == archive.PerHour {
			rolled[d.Day.UnixMicro()] = true
		}
	}
	from, to := g.now-procWindow.Microseconds(), g.now+1
	// Raw rows are read once from the 24-hour window or from the start of
	// a recent day without a rollup (yesterday, not compacted yet).
	rawFrom := from
	for _, d := range days {
		if start, end := d.Day.UnixMicro(), d.End().UnixMicro(); end > from-procWindow.Microseconds() && !rolled[start] {
			rawFrom = min(rawFrom, start)
		}
	}
	var memo *tableMemo
	if g.memo != nil {
		memo = g.memo.open(schema.TableProcess)
		defer memo.save()
	}
	segs, err := g.procSegments(days, rawFrom, to, memo)
	if err != nil {
		return err
	}
	long, err := g.longProcesses(segs, rawFrom, rolled, days, memo)
	if err != nil {
		return err
	}
	interval := time.Duration(g.d.tl.Interval) * time.Microsecond
	if interval <= 0 {
		interval = time.Duration(defaultInterval) * time.Microsecond
	}
	tz := g.tz
	isec := interval.Seconds()
	row := func(s procStat, cpuB []float64, b procBuckets, io, peakHour bool) ProcRow {
		cpuTime := time.Duration(s.cpuSum / 100 * float64(interval))
		pr := ProcRow{
			PID: s.ID.PID, Comm: s.Comm, User: s.User, Unit: s.Unit, Container: s.Container, State: s.State,
			CPU: fmtPct(s.CPUAvg), CPUTime: fmtCPUTime(cpuTime), RSSMax: fmtBytes(s.RSSMax), RSSLast: fmtBytes(s.RSSLast),
			Started: mkTime(s.ID.Start, tz), FirstSeen: mkTime(s.First, tz), Seen: mkTime(s.Last, tz),
			Zombie: s.State == "Z", CPUSort: cpuTime.Seconds(), RSSSort: s.RSSMax,
			CPUAvgSort: nz(s.CPUAvg), RSSLastSort: nz(s.RSSLast),
			FirstMs: s.First / 1000, LastMs: s.Last / 1000, CPUBuckets: b.text(cpuB),
		}
		pr.HasIO, pr.PeakHour = s.hasIO || io, peakHour
		if s.hasIO {
			pr.ReadSort, pr.WrittenSort, pr.IOPeakSort = s.ioRead*isec, s.ioWrite*isec, s.ioPeak
			pr.Read, pr.Written, pr.IOPeak = fmtBytes(pr.ReadSort), fmtBytes(pr.WrittenSort), fmtBytes(s.ioPeak)+"/s"
		}
		return pr
	}
	rows := func(ss []procStat, bk func(procID) []float64, b procBuckets, io, peakHour bool) []ProcRow {
		var out []ProcRow
		for _, s := range ss {
			out = append(out, row(s, bk(s.ID), b, io, peakHour))
		}
		return out
	}
	zombies, err := g.zombies(segs)
	if err != nil {
		return err
	}
	ids := func(ss []procStat) ([]procID, []string) {
		var ids []procID
		var names []string
		for _, s := range ss[:min(topLines, len(ss))] {
			ids = append(ids, s.ID)
			names = append(names, s.Comm+" ("+strconv.Itoa(int(s.ID.PID))+")")
		}
		return ids, names
	}
	gap := g.gap()
	shown := map[procID]bool{}   // the processes the 24-hour page draws a line of
	inTable := map[procID]bool{} // the processes of its tables
	for r := range ranges {
		p := &g.d.procs[r]
		p.Zombies, p.TopRange = zombies, ranges[r].Label
		var byCPU, byMem, byIO []procStat
		var cpuGrid, memGrid, ioGrid grid
		var cnames, mnames, ionames []string
		rfrom, _ := g.rangeWindow(r)
		lineGap := gap
		b := newProcBuckets(r, rfrom, to)
		var bk func(procID) []float64
		var io bool // the page shows disk I/O: some process has it
		if r == 0 {
			for i := range segs {
				io = io || segs[i].io
			}
			all := segStats(segs, from, to)
			byCPU, byMem = rankProcs(all, topN)
			byIO = rankIO(all, topN)
			var cid, mid, ioid []procID
			cid, cnames = ids(byCPU)
			mid, mnames = ids(byMem)
			ioid, ionames = ids(byIO)
			for _, set := range [][]procID{cid, mid, ioid} {
				for _, id := range set {
					shown[id] = true
				}
			}
			lines, err := g.segLinesOf(segs, days, shown, from, memo)
			if err != nil {
				return err
			}
			gs := segLines(segs, lines, from, to, cid, mid, ioid)
			cpuGrid, memGrid, ioGrid = gs[lineCPU], gs[lineRSS], gs[lineIO]
			for _, ss := range [][]procStat{byCPU, byMem, byIO} {
				for _, s := range ss {
					inTable[s.ID] = true
				}
			}
			raw := segBuckets(segs, inTable, b, isec)
			bk = func(id procID) []float64 { return raw[id] }
		} else {
			byCPU, byMem, byIO, io = long.top(r, topN, g.samples[r])
			var cid, mid, ioid []procID
			cid, cnames = ids(byCPU)
			mid, mnames = ids(byMem)
			ioid, ionames = ids(byIO)
			cpuGrid, memGrid, ioGrid = long.series(r, cid, lineCPU), long.series(r, mid, lineRSS), long.series(r, ioid, lineIO)
			lineGap = max(gap, gapThreshold(time.Hour.Microseconds())) // hourly points
			bk = func(id procID) []float64 { return long.buckets(id, b, isec) }
		}
		if len(byCPU) == 0 {
			continue
		}
		peakHour := r > 0
		p.TopCPU, p.TopMem, p.TopIO = rows(byCPU, bk, b, io, peakHour), rows(byMem, bk, b, io, peakHour), rows(byIO, bk, b, io, peakHour)
		p.Buckets = b
		o := lineOpts{From: rfrom, To: to, Reboots: g.d.tl.Reboots, Outages: g.d.tl.Outages, Gap: lineGap}
		o.DataFrom, o.DataTo = g.dataExtent(r)
		line := func(id, title, unit string, gr grid, names []string) Chart {
			return lineChart(id, title, unit, downsample(gr, rfrom, to, maxPoints, lineGap), names, o)
		}
		p.Charts = append(p.Charts,
			line("top-cpu", "Top processes by CPU (% of one core)", unitPct, cpuGrid, cnames),
			line("top-rss", "Top processes by resident memory", unitBytes, memGrid, mnames))
		if len(ionames) > 0 {
			p.Charts = append(p.Charts, line("top-io", "Top processes by disk I/O (read + write)", unitBytesPS, ioGrid, ionames))
		}
	}
	// The hours kept keep the rows of the processes of the tables: those
	// most likely to be drawn at the next render.
	keepSegs(memo, segs, inTable, from)
	return nil
}

// segLinesOf returns each segment's rows of the processes of ids, for the
// segments from winFrom on; an hour from the memo that did not keep the
// rows of one of them is read again.
func (g *gatherer) segLinesOf(segs []procSeg, days []archive.DayFiles, ids map[procID]bool, winFrom int64, memo *tableMemo) ([]map[procID]procLine, error) {
	for i := 0; i < len(segs); {
		if segs[i].lo < winFrom || !segs[i].missing(ids) {
			i++
			continue
		}
		j := i
		for j < len(segs) && segs[j].missing(ids) {
			j++
		}
		if err := g.readSegs(segs[i:j], days, memo); err != nil {
			return nil, err
		}
		i = j
	}
	out := make([]map[procID]procLine, len(segs))
	for i := range segs {
		if segs[i].lo >= winFrom {
			out[i] = segs[i].linesOf(ids)
		}
	}
	return out, nil
}

// zombies returns the zombies of the host's last sample of processes, in
// the last segment that has one, with their parents.
func (g *gatherer) zombies(segs []procSeg) ([]ProcRow, error) {
	var last *procSeg
	for i := range segs {
		if len(segs[i].times) > 0 {
			last = &segs[i]
		}
	}
	if last == nil {
		return nil, nil
	}
	t := last.times[len(last.times)-1]
	var zombies []ProcRow
	comm := map[int32]string{}
	for _, p := range last.parts {
		if p.last != t {
			continue
		}
		comm[p.id.PID] = p.comm
		if p.state == "Z" {
			zombies = append(zombies, ProcRow{PID: p.id.PID, Comm: p.comm, User: p.user, State: "Z", Zombie: true,
				Started: mkTime(p.id.Start, g.tz), Unit: p.unit, Container: p.container})
		}
	}
	if err := g.zombieParents(zombies, comm, t); err != nil {
		return nil, err
	}
	return zombies, nil
}

// zombieParents fills in the parent of each zombie of the sample at t,
// read from that sample only (the parent's pid is not read for the
// tables), and the parent's command from comm, the commands of that
// sample by pid.
func (g *gatherer) zombieParents(zombies []ProcRow, comm map[int32]string, t int64) error {
	if len(zombies) == 0 {
		return nil
	}
	f, err := g.scanWindow(schema.TableProcess, t, t+1, "pid", "ppid")
	if err != nil {
		return err
	}
	parent := map[int32]int32{}
	for i, pid := range col(f, "pid") {
		if pp := col(f, "ppid")[i]; !math.IsNaN(pp) {
			parent[int32(pid)] = int32(pp)
		}
	}
	for i := range zombies {
		z := &zombies[i]
		z.PPID = parent[z.PID]
		z.Parent = comm[z.PPID]
	}
	return nil
}

// scanRange is scan over [from, to) instead of the longest range.
func (g *gatherer) scanRange(table string, from, to int64, cols ...string) (*archive.Frame, error) {
	return g.scanWindow(table, from, to, cols...)
}
