package render

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"almanac/archive"
)

// A closed day that no long range starts in adds the same to each long
// range it lies in, whatever the render time: what its per-hour process
// rollup says, summed per process (longDay). The sums are kept in the
// process table's day memo, so a later render adds a year of processes
// from there instead of reading a rollup a day. Every render sums such a
// day alike, with a memo or without, so both add up alike.

// longDay is what one closed day's per-hour process rollup adds to the
// long ranges: one entry per process, in the order the rollup first has
// them.
type longDay struct {
	procs []longDayProc
	// ioLeft is whether a process left out (see prune) had disk I/O: the
	// pages show I/O when any process of the range has it.
	ioLeft bool
}

// longDayProc is one process over one day: the sums of its rollup rows
// (as longProcs.add and peakIO sum them), the row it was last seen in, and
// its hourly points.
type longDayProc struct {
	id                procID
	first, last       int64
	comm, user, state string
	rssLast           float64
	// unit and container of the newest row that had one (group: some row
	// had), which the process then takes (see longProcs.rollup).
	unit, container         string
	group                   bool
	cpuSum, rssMax          float64
	ioRead, ioWrite, ioPeak float64
	hasIO                   bool
	pts                     []procPoint
}

// dayOf sums f, the per-hour rollup of the closed day from d0 (µs), per
// process, and leaves out those that cannot be in a table (prune).
func (l *longProcs) dayOf(f *archive.Frame, d0 int64) *longDay {
	d := &longDay{}
	at := map[procID]int{}
	l.rollupRows(f, func(x *rollupRow) {
		i, ok := at[x.id]
		if !ok {
			i = len(d.procs)
			at[x.id] = i
			d.procs = append(d.procs, longDayProc{id: x.id, first: x.first})
		}
		e := &d.procs[i]
		e.first = min(e.first, x.first)
		e.cpuSum += x.cpuSum
		e.rssMax = max(e.rssMax, x.rssMax)
		if x.io {
			e.ioRead += x.read
			e.ioWrite += x.write
			e.ioPeak = max(e.ioPeak, x.rate)
			e.hasIO = true
		}
		e.pts = append(e.pts, x.pt)
		if x.last >= e.last {
			e.last, e.comm, e.user, e.state, e.rssLast = x.last, x.comm, x.user, x.state, x.rssAvg
			if x.unit != "" || x.container != "" {
				e.unit, e.container, e.group = x.unit, x.container, true
			}
		}
	})
	l.prune(d, d0)
	return d
}

// prune leaves out of d, a closed day from d0 (µs), the processes that
// can be in no table of a long range: those that started and ended within
// the day (born in it, and not in the hour of its last sample) and are
// below the day's topN-th process by CPU time, by peak memory and by disk
// I/O. Every range the day lies in holds the day's topN first processes
// with at least their day's sums, and such a process has no other days to
// add, so topN processes rank before it in each. A host that runs
// thousands of short-lived processes a day keeps a few dozen of them.
func (l *longProcs) prune(d *longDay, d0 int64) {
	ts := l.g.sampleT.in(d0, d0+24*time.Hour.Microseconds())
	if len(ts) == 0 || len(d.procs) <= topN {
		return
	}
	lastHour := ts[len(ts)-1] - ts[len(ts)-1]%hourUS
	ioSum := func(e *longDayProc) float64 { return e.ioRead + e.ioWrite }
	nth := func(key func(e *longDayProc) float64) float64 {
		vs := make([]float64, len(d.procs))
		for i := range d.procs {
			vs[i] = key(&d.procs[i])
		}
		slices.Sort(vs)
		return vs[len(vs)-topN]
	}
	cpu := nth(func(e *longDayProc) float64 { return e.cpuSum })
	rss := nth(func(e *longDayProc) float64 { return e.rssMax })
	io := nth(ioSum)
	kept := d.procs[:0]
	for _, e := range d.procs {
		within := e.id.Start >= d0 && len(e.pts) > 0 && e.pts[len(e.pts)-1].t < lastHour
		// The I/O table ranks only processes with some: with fewer than
		// topN of them that day, the others have none to rank by.
		if within && e.cpuSum < cpu && e.rssMax < rss && (ioSum(&e) == 0 || ioSum(&e) < io) {
			d.ioLeft = d.ioLeft || e.hasIO
			continue
		}
		kept = append(kept, e)
	}
	clear(d.procs[len(kept):])
	d.procs = kept
}

// addDay adds d, a closed day from day0 (µs) that no long range starts
// in, to the ranges it lies in.
func (l *longProcs) addDay(d *longDay, day0 int64) {
	for r := 1; r < len(ranges); r++ {
		if d.ioLeft && day0 >= l.from[r] {
			l.ioLeft[r] = true
		}
	}
	for i := range d.procs {
		e := &d.procs[i]
		p := l.get(e.id)
		if p.first == 0 || e.first < p.first {
			p.first = e.first
		}
		for r := 1; r < len(ranges); r++ {
			if day0 >= l.from[r] {
				a := &p.acc[r]
				a.cpuSum += e.cpuSum
				a.rssMax = max(a.rssMax, e.rssMax)
				a.ioPeak = max(a.ioPeak, e.ioPeak)
				if e.hasIO {
					a.ioRead += e.ioRead
					a.ioWrite += e.ioWrite
					a.hasIO = true
				}
			}
		}
		p.pts = append(p.pts, e.pts...)
		if e.last >= p.last {
			p.last, p.comm, p.user, p.state, p.rssLast = e.last, e.comm, e.user, e.state, e.rssLast
			if e.group {
				p.unit, p.container = e.unit, e.container
			}
		}
	}
}

// wholeDay reports whether no long range starts inside the day [d0, d1)
// (µs): it then lies wholly in each long range or wholly before it.
func (l *longProcs) wholeDay(d0, d1 int64) bool {
	for r := 1; r < len(ranges); r++ {
		if d0 < l.from[r] && l.from[r] < d1 {
			return false
		}
	}
	return true
}

// longDayOf returns what the closed day d adds to the long ranges, from
// the memo when it has the day, else from its per-hour rollup (cols of
// it), then kept; nil when the rollup has no rows (compacted again since
// it was listed: the day's raw rows then).
func (g *gatherer) longDayOf(l *longProcs, memo *tableMemo, d archive.DayFiles, cols []string) (*longDay, error) {
	d0, d1 := d.Day.UnixMicro(), d.End().UnixMicro()
	key := ""
	if memo != nil {
		key = g.longDayKey(d, cols)
	}
	if key != "" {
		if rec, ok := memo.get(key); ok {
			if ld, ok := decodeLongDay(rec, d0, d1, l.strs); ok {
				memo.kept++
				return ld, nil
			}
			memo.forget(key)
		}
	}
	f, err := g.scanFiles(archive.PerHour, d, d0, d1, cols...)
	if err != nil || f.Len() == 0 {
		return nil, err
	}
	ld := l.dayOf(f, d0)
	if key != "" {
		var b memoBuf
		encodeLongDay(&b, ld, d0)
		memo.put(key, b.b)
		memo.read++
	}
	return ld, nil
}

// longDayKey returns the memo key of what the closed day d adds to the
// long ranges from cols of its per-hour rollup: the rollup's stamp, and
// what the first and last seen of each row depend on (the host's sample
// times in the day, and its interval); "" when it has none.
func (g *gatherer) longDayKey(d archive.DayFiles, cols []string) string {
	stamp, err := g.src.Stamp(archive.PerHour, d)
	if err != nil || stamp == "" {
		return ""
	}
	d0, d1 := d.Day.UnixMicro(), d.End().UnixMicro()
	h := sha256.New()
	h.Write(g.memo.c.dayBase)
	fmt.Fprintf(h, "long processes %d\n%q\n%s\ninterval %d\n", d0, cols, stamp, g.d.tl.Interval)
	var b [8]byte
	for _, t := range g.sampleT.in(d0, d1) {
		binary.LittleEndian.PutUint64(b[:], uint64(t))
		h.Write(b[:])
	}
	return dayKeyPrefix + string(h.Sum(nil))
}

// encodeLongDay encodes d, a day from day0 (µs).
func encodeLongDay(b *memoBuf, d *longDay, day0 int64) {
	b.bool(d.ioLeft)
	b.uint(uint64(len(d.procs)))
	for i := range d.procs {
		e := &d.procs[i]
		b.int(int64(e.id.PID))
		b.int(e.id.Start)
		b.int(e.first - day0)
		b.int(e.last - day0)
		b.strs([]string{e.comm, e.user, e.state, e.unit, e.container})
		b.bool(e.group)
		b.bool(e.hasIO)
		for _, v := range []float64{e.rssLast, e.cpuSum, e.rssMax, e.ioRead, e.ioWrite, e.ioPeak} {
			b.float(v)
		}
		b.uint(uint64(len(e.pts)))
		for _, pt := range e.pts {
			b.int(pt.t - day0)
			for _, v := range []float32{pt.cpu, pt.rss, pt.io} {
				b.b = binary.LittleEndian.AppendUint32(b.b, math.Float32bits(v))
			}
			b.int(int64(pt.n))
		}
	}
}

// decodeLongDay decodes what encodeLongDay wrote for the day [d0, d1)
// (µs); false when rec is damaged. Its strings are taken from strs when
// it has them, and added to it (a year of days names the same processes
// again and again); strs may be nil.
func decodeLongDay(rec []byte, d0, d1 int64, strs map[string]string) (*longDay, bool) {
	r := memoReader{b: rec}
	in := func(t int64) bool { return t >= d0 && t < d1 }
	str := func() string {
		b := r.bytes()
		if s, ok := strs[string(b)]; ok {
			return s
		}
		s := string(b)
		if strs != nil {
			strs[s] = s
		}
		return s
	}
	d := &longDay{ioLeft: r.bool()}
	d.procs = make([]longDayProc, r.count(40))
	var pts []procPoint // the points of every process, one allocation
	for i := range d.procs {
		e := &d.procs[i]
		e.id = procID{PID: int32(r.int()), Start: r.int()}
		e.first, e.last = d0+r.int(), d0+r.int()
		if r.count(1) != 5 || !in(e.first) || !in(e.last) {
			return nil, false
		}
		e.comm, e.user, e.state, e.unit, e.container = str(), str(), str(), str(), str()
		e.group, e.hasIO = r.bool(), r.bool()
		e.rssLast, e.cpuSum, e.rssMax = r.float(), r.float(), r.float()
		e.ioRead, e.ioWrite, e.ioPeak = r.float(), r.float(), r.float()
		n := r.count(14)
		if pts == nil {
			pts = make([]procPoint, 0, len(r.b)/14)
		}
		at := len(pts)
		pts = pts[:at+n]
		e.pts = pts[at : at+n : at+n]
		for j := range e.pts {
			pt := &e.pts[j]
			pt.t = d0 + r.int()
			if len(r.b) < 12 || !in(pt.t) {
				return nil, false
			}
			pt.cpu = math.Float32frombits(binary.LittleEndian.Uint32(r.b))
			pt.rss = math.Float32frombits(binary.LittleEndian.Uint32(r.b[4:]))
			pt.io = math.Float32frombits(binary.LittleEndian.Uint32(r.b[8:]))
			r.b = r.b[12:]
			pt.n = int32(r.int())
		}
		if r.err != nil {
			return nil, false
		}
	}
	return d, r.err == nil && len(r.b) == 0
}
