package render

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// The top processes of the 7, 30 and 365 day pages come from the
// archive's per-hour rollup of the process table (one row per process
// identity and hour) for the closed days that have one, and from raw rows,
// summed per hour, for the others (today, yesterday until it is
// compacted). Processes are ranked by CPU time over the range (the mean
// CPU % of each hour times its samples), by peak resident memory and by
// disk I/O (the mean read and write rates of each hour times its
// samples), and the lines of the first ones are drawn per hour. A rollup
// written before it kept I/O, unit and container reads them as NULL: its
// hours count no I/O and leave the process's unit and container to the
// hours that have them.

// procPoint is one hour of one process: its mean CPU %, peak RSS, mean
// disk I/O (read + write, bytes/s; NaN when not known) and the number of
// samples it was in.
type procPoint struct {
	t            int64
	cpu, rss, io float32
	n            int32
}

// procAcc sums one process over one range.
type procAcc struct {
	cpuSum float64 // the sum of its CPU % over the range's samples
	rssMax float64 // its peak RSS
	// Disk I/O: the sums of its read and write rates over the range's
	// samples, and its highest hourly mean rate (read + write); hasIO is
	// false when no hour had them.
	ioRead, ioWrite, ioPeak float64
	hasIO                   bool
}

// longProc accumulates one process identity over the long ranges.
type longProc struct {
	id                procID
	comm, user, state string
	unit, container   string               // the newest known (empty: none, or not known)
	first, last       int64                // the first and last hour or sample it was seen in (µs)
	rssLast           float64              //
	acc               [len(ranges)]procAcc // per range
	pts               []procPoint
	// the hour being summed from raw rows
	hour       int64
	hourLast   int64 // its last sample (µs)
	hourCPU    float64
	hourN      int
	hourRSS    float64
	hourIO     float64 // the sum of its I/O rates
	hourIOn    int     // samples with I/O
	hourActive bool
}

// longProcs sums the processes of a host over the long ranges.
type longProcs struct {
	g    *gatherer
	from []int64 // per range, its start (µs)
	byID map[procID]*longProc
	// The processes, allocated a slab at a time: a range of months holds
	// hundreds of thousands of short-lived ones, which the tables rank
	// going through them in memory order (all), not the map's.
	slabs [][]longProc
	strs  map[string]string // the names of kept days, each made a string once
	// ioLeft is, per range, whether a process a day left out had disk
	// I/O (longDay).
	ioLeft [len(ranges)]bool
}

// slabSize is the number of processes allocated at once.
const slabSize = 1024

// all calls fn with every process.
func (l *longProcs) all(fn func(p *longProc)) {
	for _, s := range l.slabs {
		for i := range s {
			fn(&s[i])
		}
	}
}

func (g *gatherer) newLongProcs() *longProcs {
	l := &longProcs{g: g, byID: map[procID]*longProc{}, strs: map[string]string{}}
	for r := range ranges {
		from, _ := g.rangeWindow(r)
		l.from = append(l.from, from)
	}
	return l
}

func (l *longProcs) get(id procID) *longProc {
	p := l.byID[id]
	if p == nil {
		n := len(l.slabs)
		if n == 0 || len(l.slabs[n-1]) == slabSize {
			l.slabs = append(l.slabs, make([]longProc, 0, slabSize))
			n++
		}
		s := &l.slabs[n-1]
		*s = append(*s, longProc{id: id}) // within its capacity: p stays put
		p = &(*s)[len(*s)-1]
		l.byID[id] = p
	}
	return p
}

// add adds what one hour bucket or sample says: at time t (when it was
// first seen in the bucket, or the sample's time), cpuSum (the sum of the
// CPU % of its samples) and its peak RSS; with io, read and write (the
// sums of its I/O rates over its samples).
func (l *longProcs) add(p *longProc, t int64, cpuSum, rssMax float64, io bool, read, write float64) {
	if p.first == 0 || t < p.first {
		p.first = t
	}
	for r := 1; r < len(ranges); r++ {
		if t >= l.from[r] {
			a := &p.acc[r]
			a.cpuSum += cpuSum
			a.rssMax = max(a.rssMax, rssMax)
			if io {
				a.ioRead += read
				a.ioWrite += write
				a.hasIO = true
			}
		}
	}
}

// peakIO notes an hour's mean I/O rate (read + write, bytes/s), of an
// hour last seen at t, in the ranges that hold t.
func (l *longProcs) peakIO(p *longProc, t int64, rate float64) {
	for r := 1; r < len(ranges); r++ {
		if t >= l.from[r] {
			p.acc[r].ioPeak = max(p.acc[r].ioPeak, rate)
		}
	}
}

// seenIn returns when a process that started at start and was in n
// samples of the hour bucket [t, t+1h) was first and last seen, at the
// latest and the earliest they can be: the first of the host's samples
// from max(t, start) on, and the n-th. Without the host's sample times,
// samples are taken to be one interval apart. Both are in the bucket and
// never before start.
func (l *longProcs) seenIn(t, start int64, n int) (first, last int64) {
	end := t + time.Hour.Microseconds()
	from := max(t, start)
	if ts := l.g.sampleT.in(from, end); len(ts) > 0 {
		return ts[0], ts[min(max(n, 1)-1, len(ts)-1)]
	}
	iv := l.g.d.tl.Interval
	if iv <= 0 {
		iv = defaultInterval
	}
	return from, min(from+int64(max(n, 1)-1)*iv, end-1)
}

// The columns of the process table's rollup that the long ranges read,
// named as package schema names its aggregates.
var (
	procUserAvg = procRollupName("cpu_user_pct", schema.AggAvg)
	procSysAvg  = procRollupName("cpu_system_pct", schema.AggAvg)
	procRSSMax  = procRollupName("rss_bytes", schema.AggMax)
	procRSSAvg  = procRollupName("rss_bytes", schema.AggAvg)
	procReadAvg = procRollupName("read_bytes_per_s", schema.AggAvg)
	procWritAvg = procRollupName("write_bytes_per_s", schema.AggAvg)
)

// procRollupName is the rollup column of aggregate a of the process
// table's column name; it panics on a column the schema lacks (a typo
// here, caught by every test that renders).
func procRollupName(name string, a schema.Agg) string {
	c, ok := schema.Process.Column(name)
	if !ok || !c.Has(a) {
		panic("render: the process rollup has no " + name + a.Suffix())
	}
	return c.RollupName(a)
}

// rollupRow is one row of a per-hour rollup of the process table as the
// long ranges take it: one process in one hour. The bytes a process read
// in an hour are its mean rate times its samples (times the interval,
// when shown), as its CPU time is.
type rollupRow struct {
	id                procID
	first, last       int64   // when it was first and last seen in the hour (seenIn)
	cpuSum            float64 // its mean CPU % times its samples
	rssMax, rssAvg    float64
	io                bool    // the row has disk I/O
	read, write       float64 // the mean rates times the samples (0 without I/O)
	rate              float64 // the mean read + write rate (NaN without I/O)
	pt                procPoint
	comm, user, state string
	unit, container   string
}

// rollupRows calls fn with each row of f, a per-hour rollup of the
// process table, in f's order; fn must not keep the row.
func (l *longProcs) rollupRows(f *archive.Frame, fn func(x *rollupRow)) {
	pid, start := col(f, "pid"), col(f, "start_time")
	usr, sys := col(f, procUserAvg), col(f, procSysAvg)
	rssMax, rssAvg, n := col(f, procRSSMax), col(f, procRSSAvg), col(f, archive.SamplesColumn)
	rd, wr := col(f, procReadAvg), col(f, procWritAvg)
	comm, user, state := strCol(f, "comm"), strCol(f, "user"), strCol(f, "state")
	unit, ctr := strCol(f, "unit"), strCol(f, "container")
	var x rollupRow
	for i, t := range f.Time {
		x.id = procID{PID: int32(pid[i]), Start: int64(start[i])}
		cpu, ns := nz(usr[i])+nz(sys[i]), nz(n[i])
		x.first, x.last = l.seenIn(t, int64(start[i]), int(ns))
		x.io = !math.IsNaN(rd[i]) || !math.IsNaN(wr[i])
		x.rate = math.NaN()
		if x.io {
			x.rate = nz(rd[i]) + nz(wr[i])
		}
		x.cpuSum, x.rssMax, x.rssAvg = cpu*ns, nz(rssMax[i]), nz(rssAvg[i])
		x.read, x.write = nz(rd[i])*ns, nz(wr[i])*ns
		x.pt = procPoint{t: t, cpu: float32(cpu), rss: float32(x.rssMax), io: float32(x.rate), n: int32(ns)}
		x.comm, x.user, x.state, x.unit, x.container = comm[i], user[i], state[i], unit[i], ctr[i]
		fn(&x)
	}
}

// rollup adds the rows of a per-hour rollup of the process table one by
// one: a day that a range starts in (see longDay for the others).
func (l *longProcs) rollup(f *archive.Frame) {
	l.rollupRows(f, func(x *rollupRow) {
		p := l.get(x.id)
		if x.io {
			l.peakIO(p, x.first, x.rate)
		}
		l.add(p, x.first, x.cpuSum, x.rssMax, x.io, x.read, x.write)
		p.pts = append(p.pts, x.pt)
		if x.last >= p.last {
			p.last, p.comm, p.user, p.state, p.rssLast = x.last, x.comm, x.user, x.state, x.rssAvg
			// An old rollup without them leaves the newer hours' values.
			if x.unit != "" || x.container != "" {
				p.unit, p.container = x.unit, x.container
			}
		}
	})
}

// raw adds the raw rows pr[lo:hi] (in time order), summed per hour for
// the lines.
func (l *longProcs) raw(pr procRows, lo, hi int) {
	hour := time.Hour.Microseconds()
	for i := lo; i < hi; i++ {
		t := pr.T[i]
		p := l.get(procID{PID: int32(pr.PID[i]), Start: int64(pr.Start[i])})
		cpu, rss := nz(pr.CPUUser[i])+nz(pr.CPUSys[i]), nz(pr.RSS[i])
		io, rd, wr := pr.io(i)
		l.add(p, t, cpu, rss, io, rd, wr)
		h := t - t%hour
		if p.hourActive && h != p.hour {
			l.flushHour(p)
		}
		if !p.hourActive {
			p.hour, p.hourActive, p.hourCPU, p.hourN, p.hourRSS, p.hourIO, p.hourIOn = h, true, 0, 0, 0, 0, 0
		}
		p.hourLast = t
		p.hourCPU += cpu
		p.hourN++
		p.hourRSS = max(p.hourRSS, rss)
		if io {
			p.hourIO += rd + wr
			p.hourIOn++
		}
		if t >= p.last {
			p.last, p.comm, p.user, p.state, p.rssLast = t, pr.Comm[i], pr.User[i], pr.Stat[i], rss
			if g, ok := pr.Groups[p.id]; ok {
				p.unit, p.container = g.unit, g.container
			}
		}
	}
}

// flushHour ends the hour of p being summed from raw rows.
func (l *longProcs) flushHour(p *longProc) {
	if !p.hourActive {
		return
	}
	rate := math.NaN()
	if p.hourIOn > 0 {
		// The hour's mean over its samples, as a rollup's is.
		rate = p.hourIO / float64(p.hourIOn)
		l.peakIO(p, p.hourLast, rate)
	}
	p.pts = append(p.pts, procPoint{t: p.hour, cpu: float32(p.hourCPU / float64(p.hourN)), rss: float32(p.hourRSS), io: float32(rate), n: int32(p.hourN)})
	p.hourActive = false
}

// top returns the n first processes of range r by CPU time, by peak RSS
// and by disk I/O; samples is the number of samples of the host in the
// range (the mean CPU counts the samples where a process was absent as
// zero). io reports whether any process of the range has I/O. A range of
// months holds hundreds of thousands of short-lived processes: they are
// ranked as they are, and only the first made rows.
func (l *longProcs) top(r, n, samples int) (byCPU, byMem, byIO []procStat, io bool) {
	in := make([]*longProc, 0, len(l.byID))
	withIO := 0
	io = l.ioLeft[r]
	l.all(func(p *longProc) {
		if p.last < l.from[r] {
			return
		}
		a := &p.acc[r]
		io = io || a.hasIO
		if a.ioRead+a.ioWrite > 0 {
			withIO++
		}
		in = append(in, p)
	})
	stats := func(ps []*longProc) []procStat {
		out := make([]procStat, len(ps))
		for i, p := range ps {
			a := &p.acc[r]
			out[i] = procStat{ID: p.id, Comm: p.comm, User: p.user, State: p.state, Unit: p.unit, Container: p.container,
				RSSMax: a.rssMax, RSSLast: p.rssLast, First: max(p.first, l.from[r]), Last: p.last, cpuSum: a.cpuSum,
				ioRead: a.ioRead, ioWrite: a.ioWrite, ioPeak: a.ioPeak, hasIO: a.hasIO}
			if samples > 0 {
				out[i].CPUAvg = a.cpuSum / float64(samples)
			}
		}
		return out
	}
	by := func(key func(a *procAcc) float64) func(a, b **longProc) int {
		return func(a, b **longProc) int {
			if c := cmp.Compare(key(&(*b).acc[r]), key(&(*a).acc[r])); c != 0 {
				return c
			}
			return cmpProcID((*a).id, (*b).id)
		}
	}
	ioSum := func(a *procAcc) float64 { return a.ioRead + a.ioWrite }
	byCPU = stats(firstN(in, n, by(func(a *procAcc) float64 { return a.cpuSum })))
	byMem = stats(firstN(in, n, by(func(a *procAcc) float64 { return a.rssMax })))
	ios := make([]*longProc, 0, withIO)
	for _, p := range in {
		if ioSum(&p.acc[r]) > 0 {
			ios = append(ios, p)
		}
	}
	return byCPU, byMem, stats(firstN(ios, n, by(ioSum))), io
}

// rankProcs returns the n first of all by CPU time and by peak RSS, ties
// by identity.
func rankProcs(all []procStat, n int) (byCPU, byMem []procStat) {
	byCPU = firstBy(all, n, func(a, b *procStat) int { return cmp.Compare(b.cpuSum, a.cpuSum) })
	byMem = firstBy(all, n, func(a, b *procStat) int { return cmp.Compare(b.RSSMax, a.RSSMax) })
	return byCPU, byMem
}

// firstBy returns the n first of all in the order of by, ties by
// identity, without sorting all: a process table has hundreds of rows and
// its pages show fifteen.
func firstBy(all []procStat, n int, by func(a, b *procStat) int) []procStat {
	return firstN(all, n, func(a, b *procStat) int {
		if c := by(a, b); c != 0 {
			return c
		}
		return cmpProcID(a.ID, b.ID)
	})
}

// firstN returns the n first of all in the order of order, which must
// tell any two apart, without sorting all.
func firstN[T any](all []T, n int, order func(a, b *T) int) []T {
	top := make([]*T, 0, n+1)
	for i := range all {
		s := &all[i]
		if len(top) == n && (n == 0 || order(s, top[n-1]) >= 0) {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, s, order)
		top = slices.Insert(top, at, s)
		if len(top) > n {
			top = top[:n]
		}
	}
	out := make([]T, len(top))
	for i, s := range top {
		out[i] = *s
	}
	return out
}

// What the hourly lines of the long ranges draw.
const (
	lineCPU = iota // mean CPU %
	lineRSS        // peak RSS
	lineIO         // mean disk I/O, read + write
)

// series returns the hourly lines of ids in range r of what (lineCPU,
// lineRSS or lineIO); NaN where a process was absent.
func (l *longProcs) series(r int, ids []procID, what int) grid {
	var ts []int64
	for _, id := range ids {
		for _, pt := range l.byID[id].pts {
			if pt.t >= l.from[r] {
				ts = append(ts, pt.t)
			}
		}
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	g := grid{T: ts, Cols: make([][]float64, len(ids))}
	for j, id := range ids {
		c := nanRow(len(ts))
		for _, pt := range l.byID[id].pts {
			if pt.t < l.from[r] {
				continue
			}
			i, _ := slices.BinarySearch(ts, pt.t)
			switch what {
			case lineCPU:
				c[i] = float64(pt.cpu)
			case lineRSS:
				c[i] = float64(pt.rss)
			default:
				c[i] = float64(pt.io)
			}
		}
		g.Cols[j] = c
	}
	return g
}

// longProcesses reads the process table of the long ranges: the per-hour
// rollup of the closed days that have one, and the raw rows of the other
// days (segs holds the raw rows from rawFrom on, summed in segments, read
// for the 24-hour page too). Days without a rollup before rawFrom are read
// raw one by one.
func (g *gatherer) longProcesses(segs []procSeg, rawFrom int64, rolled map[int64]bool, days []archive.DayFiles, memo *tableMemo) (*longProcs, error) {
	l := g.newLongProcs()
	cols := []string{"pid", "start_time", "comm", "user", "state", "unit", "container", procUserAvg, procSysAvg,
		procRSSMax, procRSSAvg, procReadAvg, procWritAvg, archive.SamplesColumn}
	for _, d := range days {
		d0, d1 := d.Day.UnixMicro(), d.End().UnixMicro()
		lo, hi := max(d0, g.from), min(d1, g.now+1)
		if hi <= lo {
			continue
		}
		if rolled[d0] && lo == d0 && hi == d1 && l.wholeDay(d0, d1) {
			ld, err := g.longDayOf(l, memo, d, cols)
			if err != nil {
				return nil, err
			}
			if ld != nil {
				l.addDay(ld, d0)
				continue
			}
			// Compacted again since it was listed: its raw rows then.
		} else if rolled[d0] {
			f, err := g.scanFiles(archive.PerHour, d, lo, hi, cols...)
			if err != nil {
				return nil, err
			}
			if f.Len() > 0 {
				l.rollup(f)
				continue
			}
			// Compacted again since it was listed: its raw rows then.
		}
		if lo >= rawFrom {
			for i := range segs {
				if s := &segs[i]; s.lo >= lo && s.hi <= hi {
					l.seg(s)
				}
			}
			continue
		}
		f, err := g.scanFiles(archive.Raw, d, lo, hi, procAllColumns...)
		if err != nil {
			return nil, err
		}
		day := procRowsOf(f)
		l.raw(day, 0, len(day.T))
	}
	l.all(l.flushHour)
	return l, nil
}

// procColumns are the columns of the process table render reads;
// procIOColumns its disk I/O and procGroupColumns the unit and container
// it is grouped under, which it reads too (procAllColumns).
var (
	procColumns      = []string{"pid", "start_time", "user", "comm", "state", "cpu_user_pct", "cpu_system_pct", "rss_bytes"}
	procIOColumns    = []string{"read_bytes_per_s", "write_bytes_per_s"}
	procGroupColumns = []string{"unit", "container"}
	procAllColumns   = slices.Concat(procColumns, procIOColumns, procGroupColumns)
)

// procRowsOf returns the process rows of f, with their I/O, and the unit
// and container of each process when f has them (taking those columns out
// of f).
func procRowsOf(f *archive.Frame) procRows {
	pr := procRows{
		T: f.Time, PID: col(f, "pid"), Start: col(f, "start_time"),
		CPUUser: col(f, "cpu_user_pct"), CPUSys: col(f, "cpu_system_pct"), RSS: col(f, "rss_bytes"),
		Comm: strCol(f, "comm"), User: strCol(f, "user"), Stat: strCol(f, "state"),
	}
	if _, ok := f.Num[procIOColumns[0]]; ok {
		pr.IORead, pr.IOWrite = col(f, procIOColumns[0]), col(f, procIOColumns[1])
	}
	if _, ok := f.Str[procGroupColumns[0]]; ok {
		unit, ctr := strCol(f, procGroupColumns[0]), strCol(f, procGroupColumns[1])
		pr.Groups = map[procID]procGroups{}
		// Rows are in time order: the newest of each process wins.
		for i := range f.Time {
			pr.Groups[procID{PID: int32(pr.PID[i]), Start: int64(pr.Start[i])}] = procGroups{unit[i], ctr[i]}
		}
		for _, c := range procGroupColumns {
			delete(f.Str, c)
		}
	}
	return pr
}

// procBuckets cuts the processes page of a range into buckets, so that
// the site script can sum a process's CPU time inside a zoomed window
// from a row's CPU seconds per bucket (ProcRow.CPUBuckets).
type procBuckets struct {
	From  int64 // ms, the start of the first bucket
	Width int64 // ms
	N     int
}

// bucketWidths are the bucket widths of the processes pages, by range:
// under 200 buckets each, and no finer than the per-hour rollup.
var bucketWidths = []time.Duration{10 * time.Minute, time.Hour, 4 * time.Hour, 48 * time.Hour}

// newProcBuckets returns the buckets of range r over [from, to) (µs).
func newProcBuckets(r int, from, to int64) procBuckets {
	w := bucketWidths[min(r, len(bucketWidths)-1)].Milliseconds()
	a := from / 1000
	a -= a % w
	return procBuckets{From: a, Width: w, N: int((to/1000 - a + w - 1) / w)}
}

// index returns the bucket of t (µs), or -1.
func (b procBuckets) index(t int64) int {
	i := (t/1000 - b.From) / b.Width
	if t/1000 < b.From || i >= int64(b.N) {
		return -1
	}
	return int(i)
}

// text writes CPU seconds per bucket as the site script reads them:
// the index of the first bucket with some, a colon, then whole seconds
// separated by commas, empty for none ("" when there are none at all).
func (b procBuckets) text(secs []float64) string {
	first, last := -1, 0
	for i, v := range secs {
		if v >= 0.5 {
			if first < 0 {
				first = i
			}
			last = i + 1
		}
	}
	if first < 0 {
		return ""
	}
	out := strconv.AppendInt(nil, int64(first), 10)
	out = append(out, ':')
	for i, v := range secs[first:last] {
		if i > 0 {
			out = append(out, ',')
		}
		if v >= 0.5 {
			out = strconv.AppendFloat(out, math.Round(v), 'f', -1, 64)
		}
	}
	return string(out)
}

// buckets returns the CPU seconds per bucket of process id from its
// hourly points (interval: the sampling interval, seconds).
func (l *longProcs) buckets(id procID, b procBuckets, interval float64) []float64 {
	p := l.byID[id]
	if p == nil {
		return nil
	}
	s := make([]float64, b.N)
	for _, pt := range p.pts {
		if k := b.index(pt.t); k >= 0 {
			s[k] += float64(pt.cpu) / 100 * float64(pt.n) * interval
		}
	}
	return s
}
