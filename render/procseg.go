package render

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// The 24-hour processes page, and the hours of the long ranges that have
// no rollup yet, come from the process table's raw rows from the start of
// the 24-hour window (or of a recent day without a rollup) to now. Those
// rows are summed in segments (procSeg), the spans a day read an hour at a
// time is cut in (spanCuts: clock hours and range starts), each summed per
// process. Every render cuts its span the same way and adds the segments
// up in order, so a closed hour's segment kept in the render cache's day
// memo (as the process table's) adds up at a later render exactly as one
// read again: a timer's render reads the open hour, the hour the 24-hour
// window starts in, and the hours whose files changed.
//
// A kept segment holds each process's sums and CPU per 10-minute slot,
// and the rows of the processes whose lines the 24-hour page may draw:
// those of the tables of the render that kept it (the first 15 by CPU,
// memory and I/O, of which the first 8 are drawn), and its own first ones
// by CPU, memory and I/O. A render that draws a process whose rows a
// segment did not keep reads that segment again. A segment is keyed by the
// files that may hold its rows (archive.Store.FileSpans), so a part of a
// later hour does not change it.

const (
	hourUS = int64(time.Hour / time.Microsecond)
	// slotUS is the width of the 24-hour page's CPU buckets
	// (bucketWidths[0]).
	slotUS = int64(10 * time.Minute / time.Microsecond)
)

// procPart is what one process's rows in a segment add up to.
type procPart struct {
	id                                 procID
	comm, user, state, unit, container string // in its last row
	first, last                        int64  // its first and last row (µs)
	n                                  int    // its rows
	cpuSum, rssMax, rssLast            float64
	ioRead, ioWrite, ioPeak            float64 // the sums of its I/O rates, and the highest read + write
	ioN                                int     // its rows with I/O
	slots                              []cpuSlot
}

// cpuSlot is the sum of a process's CPU % over its rows in one 10-minute
// slot (slot: the slot's start / slotUS).
type cpuSlot struct {
	slot int64
	sum  float64
}

// procLine is one process's rows in a segment, as the 24-hour page's
// lines draw them: per row, its sample (an index into the segment's
// times), CPU %, RSS and disk I/O.
type procLine struct {
	at           []int64
	cpu, rss, io []float64
}

// procSeg is what the process table's raw rows in [lo, hi) (µs) add to
// the processes pages.
type procSeg struct {
	lo, hi int64
	times  []int64    // the distinct sample times, ascending
	parts  []procPart // one per process, by identity
	io     bool       // the rows were read with their I/O columns
	// The rows, when read from the archive (rows[a:b]); else the rows
	// the memo kept of some processes: encoded, and decoded when a page
	// draws them (most are not).
	rows  *segRows
	a, b  int
	blobs map[procID][]byte
	lines map[procID]procLine
	key   string // its day memo key; "" when it is not to be kept
	kept  bool   // added from the memo
}

// segRows are the process table's raw rows as columns, with each row's
// unit and container.
type segRows struct {
	procRows
	unit, container []string
	ioColumns       bool // read with the I/O columns
}

// segRowsOf returns the rows of f.
func segRowsOf(f *archive.Frame) *segRows {
	_, io := f.Num[procIOColumns[0]]
	return &segRows{
		procRows: procRows{
			T: f.Time, PID: col(f, "pid"), Start: col(f, "start_time"),
			CPUUser: col(f, "cpu_user_pct"), CPUSys: col(f, "cpu_system_pct"), RSS: col(f, "rss_bytes"),
			Comm: strCol(f, "comm"), User: strCol(f, "user"), Stat: strCol(f, "state"),
			IORead: col(f, procIOColumns[0]), IOWrite: col(f, procIOColumns[1]),
		},
		unit: strCol(f, procGroupColumns[0]), container: strCol(f, procGroupColumns[1]), ioColumns: io,
	}
}

// fill sums the rows r[a:b] (those in [s.lo, s.hi)) into s.
func (s *procSeg) fill(r *segRows, a, b int) {
	s.rows, s.a, s.b, s.io, s.lines = r, a, b, r.ioColumns, nil
	s.times, s.parts = nil, nil
	idx := map[procID]int{}
	for i := a; i < b; i++ {
		t := r.T[i]
		if i == a || t != r.T[i-1] {
			s.times = append(s.times, t)
		}
		id := procID{PID: int32(r.PID[i]), Start: int64(r.Start[i])}
		k, ok := idx[id]
		if !ok {
			k = len(s.parts)
			idx[id] = k
			s.parts = append(s.parts, procPart{id: id, first: t})
		}
		p := &s.parts[k]
		p.comm, p.user, p.state, p.unit, p.container, p.last = r.Comm[i], r.User[i], r.Stat[i], r.unit[i], r.container[i], t
		p.n++
		cpu, rss := nz(r.CPUUser[i])+nz(r.CPUSys[i]), nz(r.RSS[i])
		p.cpuSum += cpu
		p.rssMax, p.rssLast = max(p.rssMax, rss), rss
		if io, rd, wr := r.io(i); io {
			p.ioRead += rd
			p.ioWrite += wr
			p.ioPeak = max(p.ioPeak, rd+wr)
			p.ioN++
		}
		slot := t / slotUS
		if n := len(p.slots); n == 0 || p.slots[n-1].slot != slot {
			p.slots = append(p.slots, cpuSlot{slot: slot})
		}
		p.slots[len(p.slots)-1].sum += cpu
	}
	slices.SortFunc(s.parts, func(x, y procPart) int { return cmpProcID(x.id, y.id) })
}

// cmpProcID orders processes by pid, then start time.
func cmpProcID(a, b procID) int {
	if c := cmp.Compare(a.PID, b.PID); c != 0 {
		return c
	}
	return cmp.Compare(a.Start, b.Start)
}

// part returns the part of process id, or nil.
func (s *procSeg) part(id procID) *procPart {
	i, ok := slices.BinarySearchFunc(s.parts, id, func(p procPart, id procID) int { return cmpProcID(p.id, id) })
	if !ok {
		return nil
	}
	return &s.parts[i]
}

// missing reports whether s, added from the memo, lacks the rows of a
// process of ids that it has a part of (or they do not decode); it
// decodes those it has.
func (s *procSeg) missing(ids map[procID]bool) bool {
	if s.rows != nil {
		return false
	}
	out := false
	for id := range ids {
		if _, ok := s.lines[id]; ok || s.part(id) == nil {
			continue
		}
		blob, ok := s.blobs[id]
		if !ok {
			out = true
			continue
		}
		l, ok := decodeLine(blob, len(s.times))
		if !ok {
			out = true
			continue
		}
		if s.lines == nil {
			s.lines = map[procID]procLine{}
		}
		s.lines[id] = l
	}
	return out
}

// linesOf returns the rows of the processes of ids that s has.
func (s *procSeg) linesOf(ids map[procID]bool) map[procID]procLine {
	if s.rows == nil {
		out := make(map[procID]procLine, len(ids))
		for id := range ids {
			if l, ok := s.lines[id]; ok {
				out[id] = l
			}
		}
		return out
	}
	out := map[procID]procLine{}
	r := s.rows
	ti := int64(-1)
	for i := s.a; i < s.b; i++ {
		if i == s.a || r.T[i] != r.T[i-1] {
			ti++
		}
		id := procID{PID: int32(r.PID[i]), Start: int64(r.Start[i])}
		if !ids[id] {
			continue
		}
		l := out[id]
		l.at = append(l.at, ti)
		l.cpu = append(l.cpu, nz(r.CPUUser[i])+nz(r.CPUSys[i]))
		l.rss = append(l.rss, r.RSS[i])
		l.io = append(l.io, nz(r.IORead[i])+nz(r.IOWrite[i]))
		out[id] = l
	}
	return out
}

// segStats sums the parts of the segments in [from, to) per process, as
// the 24-hour page shows them.
func segStats(segs []procSeg, from, to int64) []procStat {
	stats := map[procID]*procStat{}
	samples := 0
	for i := range segs {
		s := &segs[i]
		if s.lo < from || s.hi > to {
			continue
		}
		samples += len(s.times)
		for _, p := range s.parts {
			st := stats[p.id]
			if st == nil {
				st = &procStat{ID: p.id, First: p.first}
				stats[p.id] = st
			}
			st.Comm, st.User, st.State, st.Unit, st.Container, st.Last = p.comm, p.user, p.state, p.unit, p.container, p.last
			st.cpuSum += p.cpuSum
			st.RSSMax, st.RSSLast = max(st.RSSMax, p.rssMax), p.rssLast
			if p.ioN > 0 {
				st.ioRead += p.ioRead
				st.ioWrite += p.ioWrite
				st.ioPeak = max(st.ioPeak, p.ioPeak)
				st.hasIO = true
			}
		}
	}
	all := make([]procStat, 0, len(stats))
	for _, st := range stats {
		if samples > 0 {
			st.CPUAvg = st.cpuSum / float64(samples)
		}
		all = append(all, *st)
	}
	return all
}

// segLines returns, for each set of processes, its grid over the segments
// in [from, to): one column per process, a row per sample of the host's
// processes, NaN where the process was absent; lines holds each
// segment's rows of the processes.
func segLines(segs []procSeg, lines []map[procID]procLine, from, to int64, sets ...[]procID) []grid {
	var ts []int64
	for i := range segs {
		if s := &segs[i]; s.lo >= from && s.hi <= to {
			ts = append(ts, s.times...)
		}
	}
	out := make([]grid, len(sets))
	for k, ids := range sets {
		out[k] = grid{T: ts, Cols: make([][]float64, len(ids))}
		for j, id := range ids {
			c := nanRow(len(ts))
			off := 0
			for i := range segs {
				s := &segs[i]
				if s.lo < from || s.hi > to {
					continue
				}
				if l, ok := lines[i][id]; ok {
					vs := l.cpu
					switch k {
					case lineRSS:
						vs = l.rss
					case lineIO:
						vs = l.io
					}
					for n, at := range l.at {
						c[off+int(at)] = vs[n]
					}
				}
				off += len(s.times)
			}
			out[k].Cols[j] = c
		}
	}
	return out
}

// segBuckets returns the CPU seconds per bucket of each process of ids
// (interval: the sampling interval, seconds).
func segBuckets(segs []procSeg, ids map[procID]bool, b procBuckets, interval float64) map[procID][]float64 {
	out := make(map[procID][]float64, len(ids))
	for i := range segs {
		for _, p := range segs[i].parts {
			if !ids[p.id] {
				continue
			}
			for _, sl := range p.slots {
				k := b.index(sl.slot * slotUS)
				if k < 0 {
					continue
				}
				s := out[p.id]
				if s == nil {
					s = make([]float64, b.N)
					out[p.id] = s
				}
				s[k] += sl.sum / 100 * interval
			}
		}
	}
	return out
}

// seg adds a segment of raw rows to the long ranges, summed per hour for
// the lines.
func (l *longProcs) seg(s *procSeg) {
	hour := s.lo - s.lo%hourUS
	for _, part := range s.parts {
		p := l.get(part.id)
		io := part.ioN > 0
		l.add(p, part.first, part.cpuSum, part.rssMax, io, part.ioRead, part.ioWrite)
		if p.hourActive && p.hour != hour {
			l.flushHour(p)
		}
		if !p.hourActive {
			p.hour, p.hourActive, p.hourCPU, p.hourN, p.hourRSS, p.hourIO, p.hourIOn = hour, true, 0, 0, 0, 0, 0
		}
		p.hourLast = part.last
		p.hourCPU += part.cpuSum
		p.hourN += part.n
		p.hourRSS = max(p.hourRSS, part.rssMax)
		if io {
			p.hourIO += part.ioRead + part.ioWrite
			p.hourIOn += part.ioN
		}
		if part.last >= p.last {
			p.last, p.comm, p.user, p.state, p.rssLast = part.last, part.comm, part.user, part.state, part.rssLast
			p.unit, p.container = part.unit, part.container
		}
	}
}

// procSegments returns the process table's rows of [rawFrom, to) as
// segments (spanCuts): those closed from memo when it keeps them, the rest
// read, a run of segments at a time.
func (g *gatherer) procSegments(days []archive.DayFiles, rawFrom, to int64, memo *tableMemo) ([]procSeg, error) {
	cuts := g.spanCuts(rawFrom, to)
	segs := make([]procSeg, len(cuts)-1)
	for i := range segs {
		s := &segs[i]
		s.lo, s.hi = cuts[i], cuts[i+1]
		if memo == nil || !g.keepable(s.lo, s.hi) {
			continue
		}
		if s.key = g.procSegKey(days, s.lo, s.hi); s.key == "" {
			continue
		}
		if rec, ok := memo.get(s.key); ok {
			if decodeSeg(rec, s) {
				s.kept = true
				memo.spansKept++
				continue
			}
			memo.forget(s.key)
		}
	}
	for i := 0; i < len(segs); {
		if segs[i].kept {
			i++
			continue
		}
		j := i
		for j < len(segs) && !segs[j].kept {
			j++
		}
		if err := g.readSegs(segs[i:j], days, memo); err != nil {
			return nil, err
		}
		i = j
	}
	return segs, nil
}

// readSegs reads the rows of segs, consecutive segments of the days
// days, in one scan (segFrame). Segments read while a corrupt file was
// skipped are not kept.
func (g *gatherer) readSegs(segs []procSeg, days []archive.DayFiles, memo *tableMemo) error {
	skipped := len(g.d.skipped)
	lo, hi := segs[0].lo, segs[len(segs)-1].hi
	if h := lo - lo%hourUS; memo != nil && h < lo && h+hourUS < hi && g.keepable(h, h+hourUS) {
		// A run that starts within a closed hour and goes past it (the
		// 24-hour window's start, at a first render) reads the whole
		// hour, to keep it; a run within the hour is segFrame's.
		lo = h
	}
	f, err := g.segFrame(days, lo, hi, memo)
	if err != nil {
		return err
	}
	if memo != nil && len(g.d.skipped) == skipped {
		g.keepStartHours(f, days, lo, hi, memo)
	}
	rows := segRowsOf(f)
	for i := range segs {
		s := &segs[i]
		a, b := window(rows.T, s.lo, s.hi)
		s.fill(rows, a, b)
		s.kept = false
		if len(g.d.skipped) != skipped {
			s.key = ""
		}
		if memo != nil {
			memo.spansRead++
		}
	}
	// The rows stay for the lines (linesOf), which draw numbers: their
	// strings, summed into the parts, go (a day and a half of 300
	// processes at 10 s is 5 string columns of 16 bytes a row, 60 MB).
	rows.Comm, rows.User, rows.Stat, rows.unit, rows.container = nil, nil, nil, nil, nil
	return nil
}

// keepStartHours keeps in memo the rows of f (the process table's rows of
// [lo, hi) of days) of each closed hour a range starts in: read within a
// longer run (a first render), they are what segFrame takes the part of
// the hour a range starts in from at the next renders.
func (g *gatherer) keepStartHours(f *archive.Frame, days []archive.DayFiles, lo, hi int64, memo *tableMemo) {
	for r := range ranges {
		from, _ := g.rangeWindow(r)
		h := from - from%hourUS
		if from == h || h < lo || h+hourUS > hi || !g.keepable(h, h+hourUS) {
			continue
		}
		if src := g.procSrc(days, h, h+hourUS); src != nil {
			a, b := window(f.Time, h, h+hourUS)
			keepFrame(memo, g.rawKey(src, src.t, procAllColumns, h), frameRows(f, a, b))
		}
	}
}

// procSrc returns the process table's raw source (hourSrc) of the day of
// days that holds [lo, hi) (µs), its files listed; nil when no one day
// holds it or its files cannot be listed.
func (g *gatherer) procSrc(days []archive.DayFiles, lo, hi int64) *hourSrc {
	for _, d := range days {
		if d.Day.UnixMicro() <= lo && hi <= d.End().UnixMicro() {
			t, _ := schema.Lookup(schema.TableProcess)
			if src := (&hourSrc{g: g, d: d, t: t, cols: procAllColumns, plan: archive.Raw}); src.keyed() {
				return src
			}
			return nil
		}
	}
	return nil
}

// segFrame returns the process table's rows of [lo, hi), of the days
// days. A part of a closed hour, which a segment cannot keep (the hour
// the 24-hour window starts in, read at every render while the window
// starts in it), comes from the hour's rows kept in memo (rawHour): read,
// it cost the whole of its day's file, whose rows are sorted by process.
// Other rows of one day are read, with a memo, from the files that may
// hold them (the open hour's parts, not the day's hour files).
func (g *gatherer) segFrame(days []archive.DayFiles, lo, hi int64, memo *tableMemo) (*archive.Frame, error) {
	var src *hourSrc
	if memo != nil {
		src = g.procSrc(days, lo, hi)
	}
	if src == nil {
		return g.scanRange(schema.TableProcess, lo, hi, procAllColumns...)
	}
	if h := lo - lo%hourUS; hi <= h+hourUS && (lo > h || hi < h+hourUS) && g.keepable(h, h+hourUS) {
		f, err := g.rawHour(memo, src, h)
		if err != nil {
			return nil, err
		}
		a, b := window(f.Time, lo, hi)
		return frameRows(f, a, b), nil
	}
	return src.read(lo, hi)
}

// procSegKey returns the memo key of the span [lo, hi) of the process
// table: the files of its day that may hold its rows, by name, size and
// modification time; "" when they cannot be told.
func (g *gatherer) procSegKey(days []archive.DayFiles, lo, hi int64) string {
	k := append([]byte(nil), g.memo.c.dayBase...)
	k = append(k, "process span "...)
	k = strconv.AppendInt(k, lo, 10)
	k = append(k, ' ')
	k = strconv.AppendInt(k, hi, 10)
	k = append(k, '\n')
	k = appendQuotedList(k, procAllColumns)
	k = append(k, '\n')
	for _, d := range days {
		d0 := d.Day.UnixMicro()
		if d0 > lo || d.End().UnixMicro() <= lo {
			continue
		}
		fs, err := g.fileSpans(d)
		if err != nil {
			return ""
		}
		k = appendStamps(k, fs, lo, hi)
	}
	sum := sha256.Sum256(k)
	return spanKeyPrefix + string(sum[:])
}

// keepSegs puts the closed segments of segs read from the archive (or read
// again for the rows of a process) into memo, each with the rows of the
// processes of keep and of its own first ones by CPU, memory and I/O;
// those before winFrom, which no later page draws, without rows.
func keepSegs(memo *tableMemo, segs []procSeg, keep map[procID]bool, winFrom int64) {
	if memo == nil {
		return
	}
	for i := range segs {
		s := &segs[i]
		if s.key == "" || s.kept {
			continue
		}
		ids := map[procID]bool{}
		if s.lo >= winFrom {
			maps.Copy(ids, keep)
			for _, by := range []func(p procPart) float64{
				func(p procPart) float64 { return p.cpuSum },
				func(p procPart) float64 { return p.rssMax },
				func(p procPart) float64 { return p.ioRead + p.ioWrite },
			} {
				top := slices.Clone(s.parts)
				slices.SortStableFunc(top, func(x, y procPart) int { return cmp.Compare(by(y), by(x)) })
				for _, p := range top[:min(topLines, len(top))] {
					ids[p.id] = true
				}
			}
		}
		var b memoBuf
		encodeSeg(&b, s, s.linesOf(ids))
		memo.put(s.key, b.b)
	}
}

// encodeSeg encodes s, and lines, the rows of some of its processes.
func encodeSeg(b *memoBuf, s *procSeg, lines map[procID]procLine) {
	b.int(s.lo)
	b.int(s.hi)
	b.bool(s.io)
	b.ints(s.times)
	b.uint(uint64(len(s.parts)))
	for _, p := range s.parts {
		b.int(int64(p.id.PID))
		b.int(p.id.Start)
		b.strs([]string{p.comm, p.user, p.state, p.unit, p.container})
		b.int(p.first)
		b.int(p.last)
		b.uint(uint64(p.n))
		for _, v := range []float64{p.cpuSum, p.rssMax, p.rssLast, p.ioRead, p.ioWrite, p.ioPeak} {
			b.float(v)
		}
		b.uint(uint64(p.ioN))
		b.uint(uint64(len(p.slots)))
		for _, sl := range p.slots {
			b.int(sl.slot)
			b.float(sl.sum)
		}
	}
	ids := slices.SortedFunc(maps.Keys(lines), cmpProcID)
	b.uint(uint64(len(ids)))
	var lb memoBuf
	for _, id := range ids {
		l := lines[id]
		b.int(int64(id.PID))
		b.int(id.Start)
		lb.b = lb.b[:0]
		lb.ints(l.at)
		putValues(&lb, l.cpu)
		putValues(&lb, l.rss)
		putValues(&lb, l.io)
		b.bytes(lb.b)
	}
}

// decodeLine decodes the rows of one process that encodeSeg wrote, in a
// segment of n samples.
func decodeLine(blob []byte, n int) (procLine, bool) {
	r := memoReader{b: blob}
	l := procLine{at: r.ints(), cpu: getValues(&r), rss: getValues(&r), io: getValues(&r)}
	if r.err != nil || len(r.b) > 0 || len(l.cpu) != len(l.at) || len(l.rss) != len(l.at) || len(l.io) != len(l.at) {
		return procLine{}, false
	}
	for _, at := range l.at {
		if at < 0 || at >= int64(n) {
			return procLine{}, false
		}
	}
	return l, true
}

// decodeSeg reads what encodeSeg wrote into s (the processes' rows left
// encoded: missing decodes them); false when rec does not decode or is not
// shaped as a segment of s's span.
func decodeSeg(rec []byte, s *procSeg) bool {
	r := memoReader{b: rec}
	lo, hi, io := r.int(), r.int(), r.bool()
	times := r.ints()
	parts := make([]procPart, r.count(8))
	for i := range parts {
		p := &parts[i]
		p.id = procID{PID: int32(r.int()), Start: r.int()}
		if strs := r.strs(); len(strs) == 5 {
			p.comm, p.user, p.state, p.unit, p.container = strs[0], strs[1], strs[2], strs[3], strs[4]
		} else {
			r.fail("process")
		}
		p.first, p.last, p.n = r.int(), r.int(), int(r.uint())
		p.cpuSum, p.rssMax, p.rssLast, p.ioRead, p.ioWrite, p.ioPeak = r.float(), r.float(), r.float(), r.float(), r.float(), r.float()
		p.ioN = int(r.uint())
		p.slots = make([]cpuSlot, r.count(9))
		for j := range p.slots {
			p.slots[j] = cpuSlot{slot: r.int(), sum: r.float()}
		}
		if i > 0 && cmpProcID(parts[i-1].id, p.id) >= 0 {
			r.fail("process order")
		}
	}
	blobs := map[procID][]byte{}
	for range r.count(3) {
		id := procID{PID: int32(r.int()), Start: r.int()}
		blobs[id] = r.bytes()
	}
	if r.err != nil || len(r.b) > 0 || lo != s.lo || hi != s.hi {
		return false
	}
	s.io, s.times, s.parts, s.blobs, s.lines, s.rows = io, times, parts, blobs, nil, nil
	return true
}

// putValues encodes v compactly: whole numbers (bytes) as deltas, other
// values each as a flag and, when it differs from the value before, its
// bits.
func putValues(b *memoBuf, v []float64) {
	whole := true
	for _, x := range v {
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 || x == 0 && math.Signbit(x) {
			whole = false
			break
		}
	}
	b.bool(whole)
	if whole {
		ints := make([]int64, len(v))
		for i, x := range v {
			ints[i] = int64(x)
		}
		b.ints(ints)
		return
	}
	b.uint(uint64(len(v)))
	prev := uint64(0)
	for _, x := range v {
		bits := math.Float64bits(x)
		if bits == prev {
			b.b = append(b.b, 0)
			continue
		}
		b.b = append(b.b, 1)
		b.b = binary.LittleEndian.AppendUint64(b.b, bits)
		prev = bits
	}
}

// getValues decodes what putValues encoded.
func getValues(r *memoReader) []float64 {
	if r.bool() {
		// Whole values, as ints writes them: deltas, read straight
		// into floats.
		out := make([]float64, r.count(1))
		prev := int64(0)
		for i := range out {
			prev += r.int()
			out[i] = float64(prev)
		}
		return out
	}
	out := make([]float64, r.count(1))
	prev := 0.0
	for i := range out {
		if r.bool() {
			prev = r.float()
		}
		out[i] = prev
	}
	return out
}
