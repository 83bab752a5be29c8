package render

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// A host's big tables are read one day partition at a time, and each day
// is reduced for every range at once, so that memory holds a day of rows
// and the reduced series, never a year of rows.
//
// Which day is read raw and which from a rollup (per minute or per hour)
// is the archive's read planner's call (archive.PlanDay): closed days
// that end before the last 24 hours are read from current rollups, per
// minute for the days of the 30-day window, per hour for older ones;
// other days (today, yesterday, a day not compacted yet, a day with a late
// part, and every day that a range drawing raw samples covers) raw.

// chunk is one day of rows of a table: raw samples, or rollup buckets.
type chunk struct {
	f   *archive.Frame
	res int64 // the rollup resolution (µs); 0 for raw samples
	t   schema.Table
}

// vals is one value column of a chunk: per row its value (a bucket's mean)
// and the lowest and highest value behind it. For raw samples all three
// are the same slice.
type vals struct{ V, Lo, Hi []float64 }

// num returns the numeric column name of c (NaNs when missing). From a
// rollup, a count is the bucket's sum (the events in the bucket), and
// another column its extremes and, for the columns in meanColumns, its
// mean; for the others V holds the lows (the reduction of buckets uses
// only Lo and Hi).
func (c chunk) num(name string) vals {
	if c.res == 0 {
		v := col(c.f, name)
		return vals{v, v, v}
	}
	sc, _ := c.t.Column(name)
	if sc.Has(schema.AggSum) {
		v := col(c.f, sc.RollupName(schema.AggSum))
		return vals{v, v, v}
	}
	if stackColumns[c.t.Name()+"."+name] && sc.Has(schema.AggAvg) {
		v := col(c.f, sc.RollupName(schema.AggAvg))
		return vals{v, v, v}
	}
	lo := col(c.f, sc.RollupName(schema.AggMin))
	v := lo
	if meanColumns[name] && sc.Has(schema.AggAvg) {
		v = col(c.f, sc.RollupName(schema.AggAvg))
	}
	return vals{v, lo, col(c.f, sc.RollupName(schema.AggMax))}
}

// meanColumns are the columns whose rollup mean render uses: the inputs
// of derived series (memory used, filesystem use) and of the trends.
var meanColumns = map[string]bool{"total_bytes": true, "free_bytes": true, "available_bytes": true,
	"buffers_bytes": true, "cached_bytes": true, "swap_total_bytes": true, "swap_free_bytes": true,
	"used_bytes": true, "avail_bytes": true, "inodes_total": true, "inodes_used": true,
	"idle_pct": true, "load1": true} // the overview's 7-day means

// stackColumns ("table.column") are the columns drawn as stacked shares
// of a whole (CPU modes, processes by state, by user): they are reduced
// to means (reduceMean), so from a rollup only the mean is read.
var stackColumns = map[string]bool{}

func init() {
	for _, m := range cpuModes {
		stackColumns[schema.TableCPU+"."+m+"_pct"] = true
	}
	for _, s := range procStates {
		stackColumns[schema.TableProcCount+"."+s] = true
	}
	for _, c := range []string{"processes", "cpu_pct", "rss_bytes"} {
		stackColumns[schema.TableProcUser+"."+c] = true
	}
}

// str returns the string column name of c.
func (c chunk) str(name string) []string { return strCol(c.f, name) }

// derived computes a column from the column v of n rows: f(i, x) with x
// the value of v at row i. From rollups (res > 0) the mean uses v's mean
// and the extremes v's extremes (in either order: f may decrease with x),
// the other inputs of f at their mean.
func derived(n int, res int64, f func(i int, x float64) float64, v vals) vals {
	out := vals{V: make([]float64, n)}
	for i := range n {
		out.V[i] = f(i, v.V[i])
	}
	if res == 0 {
		out.Lo, out.Hi = out.V, out.V
		return out
	}
	out.Lo, out.Hi = make([]float64, n), make([]float64, n)
	for i := range n {
		a, b := f(i, v.Lo[i]), f(i, v.Hi[i])
		out.Lo[i], out.Hi[i] = min(a, b, out.V[i]), max(a, b, out.V[i])
	}
	return out
}

// rollupColumns returns the columns of a rollup of t that num and str
// read for cols: keys and labels under their own name, counts as their
// sum, and the others as their extremes (and mean, for meanColumns).
func rollupColumns(t schema.Table, cols []string) []string {
	var out []string
	for _, c := range cols {
		sc, ok := t.Column(c)
		if !ok {
			out = append(out, c) // the archive names it in its error
			continue
		}
		if stackColumns[t.Name()+"."+c] && sc.Has(schema.AggAvg) {
			out = append(out, sc.RollupName(schema.AggAvg))
			continue
		}
		for _, a := range sc.Kind.Aggs() {
			switch {
			case a == schema.AggAvg && !meanColumns[c]:
			case a == schema.AggMax && sc.Has(schema.AggSum):
			default:
				out = append(out, sc.RollupName(a))
			}
		}
	}
	return out
}

// each scans cols of table one day partition at a time over the longest
// range and calls fn with each day's rows (in time order).
func (g *gatherer) each(table string, cols []string, fn func(c chunk)) error {
	days, err := g.days(table)
	if err != nil {
		return err
	}
	return g.eachOf(days, table, cols, fn)
}

// eachWith is each for a reader whose fn adds to accs and nothing else
// (eachKept).
func (g *gatherer) eachWith(table string, cols []string, accs []dayAcc, fn func(c chunk)) error {
	return g.eachCarried(table, cols, accs, nil, fn)
}

// eachOf is each over days, the days of table as g.days listed them.
func (g *gatherer) eachOf(days []archive.DayFiles, table string, cols []string, fn func(c chunk)) error {
	return g.eachKept(days, table, cols, nil, fn)
}

// eachKept is eachOf for a reader whose fn adds to accs and nothing else:
// every day goes through the accumulators' begin and end, and with a day
// memo (g.memo) what a closed day adds is kept there, and added from it
// at later renders instead of reading the day (daymemo.go).
func (g *gatherer) eachKept(days []archive.DayFiles, table string, cols []string, accs []dayAcc, fn func(c chunk)) error {
	return g.eachKeptAs(table, days, table, cols, accs, fn)
}

// eachCarried is eachWith for a reader whose days go on from the days
// before (carried): what a closed day adds is kept in the day memo under
// a key that also holds state(), the state the day starts from, and a
// day that is read an hour at a time, or for only some of the ranges, is
// read and not kept. A nil state is eachWith's.
func (g *gatherer) eachCarried(table string, cols []string, accs []dayAcc, state func() []byte, fn func(c chunk)) error {
	days, err := g.days(table)
	if err != nil {
		return err
	}
	return g.eachKeptFrom(table, days, table, cols, accs, state, fn)
}

// eachKeptAs is eachKept with the memo file name.memo: a second reader of
// a table keeps its days apart from the first's.
func (g *gatherer) eachKeptAs(name string, days []archive.DayFiles, table string, cols []string, accs []dayAcc, fn func(c chunk)) error {
	return g.eachKeptFrom(name, days, table, cols, accs, nil, fn)
}

// eachKeptFrom is eachKeptAs, with state for eachCarried (nil for the
// others).
func (g *gatherer) eachKeptFrom(name string, days []archive.DayFiles, table string, cols []string, accs []dayAcc, state func() []byte, fn func(c chunk)) error {
	t, ok := schema.Lookup(table)
	if !ok {
		return fmt.Errorf("no table %q", table)
	}
	var memo *tableMemo
	if g.memo != nil && len(accs) > 0 {
		memo = g.memo.open(name)
		defer memo.save()
	}
	for _, d := range days {
		lo, hi := max(d.Day.UnixMicro(), g.from), min(d.End().UnixMicro(), g.now+1)
		if hi <= lo {
			continue
		}
		plan := g.rollupFor(d)
		if len(accs) > 0 && g.byHour(d) {
			hours := memo
			if state != nil {
				hours = nil
			}
			err := g.readHours(accs, hours, d, plan, t, cols, lo, hi, fn)
			if err == nil {
				continue
			}
			if !errors.Is(err, errRollupGone) {
				return err
			}
			// Compacted again since it was listed: as a day, which
			// reads its raw rows then.
		}
		var key string
		var cut rangeSet
		if memo != nil {
			var carry []byte
			if state != nil {
				carry = state()
			}
			if key, cut = g.dayKey(d, plan, table, cols, carry); state != nil && cut != 0 {
				key = ""
			}
		}
		if key != "" {
			if rec, ok := memo.get(key); ok {
				if g.replay(accs, rec) {
					memo.kept++
					if cut != 0 {
						// What the day adds to the ranges that start in
						// it, from their earliest start on.
						from := hi
						for r := range ranges {
							if start, _ := g.rangeWindow(r); cut.has(r) {
								from = min(from, start)
							}
						}
						if err := g.readDayInto(accs, memo, d, plan, t, cols, max(lo, from), hi, fn, nil, cut, true); err != nil {
							return err
						}
					}
					continue
				}
				memo.forget(key)
			}
		}
		var b *memoBuf
		if key != "" {
			b = &memoBuf{}
		}
		if err := g.readDayInto(accs, memo, d, plan, t, cols, lo, hi, fn, b, cut, false); err != nil {
			return err
		}
		if b != nil && b.b != nil {
			memo.put(key, b.b)
		}
	}
	return nil
}

// byHour reports whether the day d is read an hour at a time
// (readHours): today, and a day that a range's start falls in.
func (g *gatherer) byHour(d archive.DayFiles) bool {
	d0, d1 := d.Day.UnixMicro(), d.End().UnixMicro()
	if d1 > g.now {
		return true
	}
	for r := range ranges {
		if from, _ := g.rangeWindow(r); d0 < from && from < d1 {
			return true
		}
	}
	return false
}

// readHours reads [lo, hi) of the day d through accs in spans
// (spanCuts), each through begin and end as a day is: raw (plan Raw), or
// from its rollup at plan (a closed day a range starts in). With a day
// memo, what a closed hour adds is kept, keyed by the files that may hold
// its rows (hourSrc): a timer's render then reads the open hour and the
// hour the 24-hour window starts in, not all of today and of yesterday,
// and no rollup of the days the longer ranges start in. Every render cuts
// the same spans, with a memo or without, so both add up alike. It
// returns errRollupGone, having added nothing, when the rollup it is to
// read has no rows (compacted again since it was listed).
func (g *gatherer) readHours(accs []dayAcc, memo *tableMemo, d archive.DayFiles, plan archive.Resolution, t schema.Table, cols []string, lo, hi int64, fn func(c chunk)) error {
	src := &hourSrc{g: g, d: d, t: t, cols: cols, plan: plan}
	cuts := g.spanCuts(lo, hi)
	n := len(cuts) - 1
	keys := make([]string, n)
	if memo != nil {
		for i := range n {
			if a, b := cuts[i], cuts[i+1]; g.keepable(a, b) && src.keyed() {
				keys[i] = g.hourKey(src, t.Name(), cols, a, b)
			}
		}
	}
	// inHour reports whether the spans [i, j) lie in one closed hour and
	// are not one span the memo could keep: the hour a range starts in.
	inHour := func(i, j int) bool {
		h := cuts[i] - cuts[i]%hourUS
		return memo != nil && cuts[j] <= h+hourUS && g.keepable(h, h+hourUS) && (j > i+1 || keys[i] == "") && src.keyed()
	}
	if plan != archive.Raw {
		// A rollup is read whole: at once if the memo lacks a span, so
		// that a rollup gone since the listing is known before anything
		// is added.
		need := memo == nil
		for i := 0; i < n && !need; i++ {
			switch {
			case keys[i] != "":
				need = !memo.has(keys[i])
			case inHour(i, i+1):
				need = !memo.has(g.rawKey(src, t, cols, cuts[i]-cuts[i]%hourUS))
			default:
				need = true
			}
		}
		if need {
			if err := src.load(); err != nil {
				return err
			}
		}
	}
	for i := 0; i < n; {
		if keys[i] != "" {
			if rec, ok := memo.get(keys[i]); ok {
				if g.replay(accs, rec) {
					memo.spansKept++
					i++
					continue
				}
				memo.forget(keys[i])
			}
		}
		// A run of spans the memo does not have, read at once.
		j := i + 1
		for j < n && (keys[j] == "" || !memo.has(keys[j])) {
			j++
		}
		skipped := len(g.d.skipped)
		var f *archive.Frame
		var err error
		one := inHour(i, j)
		if one {
			f, err = g.rawHour(memo, src, cuts[i]-cuts[i]%hourUS)
		} else {
			f, err = src.read(cuts[i], cuts[j])
		}
		if err != nil {
			return err
		}
		bad := len(g.d.skipped) != skipped || src.bad
		if memo != nil && !bad && j > i+1 && !one {
			// The closed hours a range starts in, read within a longer
			// run (a first render): their rows for the next renders.
			for r := range ranges {
				from, _ := g.rangeWindow(r)
				if h := from - from%hourUS; from != h && cuts[i] <= h && h+hourUS <= cuts[j] && g.keepable(h, h+hourUS) && src.keyed() {
					a, b := window(f.Time, h, h+hourUS)
					keepFrame(memo, g.rawKey(src, t, cols, h), frameRows(f, a, b))
				}
			}
		}
		for k := i; k < j; k++ {
			for _, a := range accs {
				a.begin()
			}
			if memo != nil {
				memo.spansRead++
			}
			if a, b := window(f.Time, cuts[k], cuts[k+1]); b > a {
				fn(chunk{f: frameRows(f, a, b), res: src.res(), t: t})
			}
			var b *memoBuf
			if keys[k] != "" && !bad {
				b = &memoBuf{}
			}
			for _, a := range accs {
				a.end(b, 0, false)
			}
			if b != nil && b.b != nil {
				memo.put(keys[k], b.b)
			}
		}
		i = j
	}
	return nil
}

// errRollupGone is readHours' error for a rollup with no rows.
var errRollupGone = errors.New("rollup gone since the listing")

// hourSrc is what readHours reads a day from, and keys its spans by: the
// day's raw files, each span keyed by the files that may hold its rows
// (archive.Store.FileSpans), or its rollup at plan, read whole once and
// keyed by its stamp.
type hourSrc struct {
	g      *gatherer
	d      archive.DayFiles
	t      schema.Table
	cols   []string
	plan   archive.Resolution
	listed bool
	spans  []archive.FileSpan // raw: the day's files; nil when they cannot be listed
	stamp  string             // a rollup's stamp; "" when it has none
	whole  *archive.Frame     // a rollup's rows, once read
	bad    bool               // reading the rollup skipped a damaged file
}

// keyed reports whether the spans of the source can be keyed: its files
// listed, or its rollup's stamp taken.
func (s *hourSrc) keyed() bool {
	if !s.listed {
		s.listed = true
		if s.plan == archive.Raw {
			if spans, err := s.g.fileSpans(s.d); err == nil {
				s.spans = spans
			}
		} else {
			s.stamp, _ = s.g.src.Stamp(s.plan, s.d)
		}
	}
	if s.plan == archive.Raw {
		return s.spans != nil
	}
	return s.stamp != ""
}

// appendStamp appends to k what a key of the span [a, b) (µs) depends on
// in the archive (after keyed).
func (s *hourSrc) appendStamp(k []byte, a, b int64) []byte {
	if s.plan == archive.Raw {
		return appendStamps(k, s.spans, a, b)
	}
	k = append(k, "rollup "...)
	k = strconv.AppendInt(k, int64(s.plan), 10)
	k = append(k, '\n')
	return append(k, s.stamp...)
}

// res is the time a row of the source stands for (µs; 0: a sample).
func (s *hourSrc) res() int64 {
	if s.plan == archive.Raw {
		return 0
	}
	return time.Duration(s.plan).Microseconds()
}

// read returns the rows of [a, b) (µs): raw, from the files that may hold
// them when the day's files are listed (keyed).
func (s *hourSrc) read(a, b int64) (*archive.Frame, error) {
	if s.plan == archive.Raw {
		if s.spans != nil {
			return s.g.scanSpans(s.d, s.spans, a, b, s.cols...)
		}
		return s.g.scanFiles(archive.Raw, s.d, a, b, s.cols...)
	}
	if err := s.load(); err != nil {
		if !errors.Is(err, errRollupGone) {
			return nil, err
		}
		// Gone after spans were added from the memo (one did not
		// decode): this span has no rows this time, and is not kept.
		s.bad, s.whole = true, &archive.Frame{}
	}
	lo, hi := window(s.whole.Time, a, b)
	return frameRows(s.whole, lo, hi), nil
}

// load reads the rollup's rows of the day, once.
func (s *hourSrc) load() error {
	if s.whole != nil {
		return nil
	}
	skipped := len(s.g.d.skipped)
	f, err := s.g.scanFiles(s.plan, s.d, s.d.Day.UnixMicro(), s.d.End().UnixMicro(), rollupColumns(s.t, s.cols)...)
	if err != nil {
		return err
	}
	if f.Len() == 0 {
		return errRollupGone
	}
	s.whole, s.bad = f, len(s.g.d.skipped) != skipped
	return nil
}

// rawHour returns the rows of the closed hour [h, h+1h) of the source,
// from the memo's copy of them when it has one: a run of spans that
// cannot be kept inside a closed hour is the hour a range starts in, read
// at every render while the range starts in it, and a file of a closed
// day holds every hour of it (a day file's rows are sorted by key, then
// time; a rollup is read whole), so reading an hour of it costs reading
// all of it. The copy is keyed by the files that may hold the hour's rows.
func (g *gatherer) rawHour(memo *tableMemo, src *hourSrc, h int64) (*archive.Frame, error) {
	key := g.rawKey(src, src.t, src.cols, h)
	if rec, ok := memo.get(key); ok {
		if f, ok := decodeFrame(rec); ok {
			return f, nil
		}
		memo.forget(key)
	}
	skipped := len(g.d.skipped)
	f, err := src.read(h, h+hourUS)
	if err == nil && len(g.d.skipped) == skipped && !src.bad {
		keepFrame(memo, key, f)
	}
	return f, err
}

// keepFrame puts the rows of f into memo under key.
func keepFrame(memo *tableMemo, key string, f *archive.Frame) {
	var b memoBuf
	encodeFrame(&b, f)
	memo.put(key, b.b)
}

// appendStamps appends to k the stamps of the files of spans that may
// hold rows in [a, b) (µs): what a span's memo key depends on in the
// archive.
func appendStamps(k []byte, spans []archive.FileSpan, a, b int64) []byte {
	for _, f := range spans {
		if f.Overlaps(a, b) {
			k = f.AppendStamp(k)
		}
	}
	return k
}

// rawKey returns the memo key of the rows of cols of table in the hour
// [h, h+1h) of src: the files that may hold them.
func (g *gatherer) rawKey(src *hourSrc, t schema.Table, cols []string, h int64) string {
	var buf [1024]byte
	k := append(buf[:0], g.memo.c.dayBase...)
	k = append(k, "raw hour "...)
	k = strconv.AppendInt(k, h, 10)
	k = append(k, '\n')
	k = append(k, t.Name()...)
	k = append(k, '\n')
	k = appendQuotedList(k, cols)
	k = append(k, '\n')
	k = src.appendStamp(k, h, h+hourUS)
	sum := sha256.Sum256(k)
	return spanKeyPrefix + string(sum[:])
}

// encodeFrame encodes the rows of f.
func encodeFrame(b *memoBuf, f *archive.Frame) {
	b.ints(f.Time)
	num := slices.Sorted(maps.Keys(f.Num))
	b.strs(num)
	for _, c := range num {
		putValues(b, f.Num[c])
	}
	str := slices.Sorted(maps.Keys(f.Str))
	b.strs(str)
	for _, c := range str {
		putDict(b, f.Str[c])
	}
}

// putDict encodes a column of strings as its distinct values, in the
// order they first appear, then each row's index among them: a process's
// name or user repeats in every one of its rows, and decoded this way is
// one string, not one a row.
func putDict(b *memoBuf, col []string) {
	idx := map[string]uint64{}
	var vals []string
	for _, v := range col {
		if _, ok := idx[v]; !ok {
			idx[v] = uint64(len(vals))
			vals = append(vals, v)
		}
	}
	b.strs(vals)
	b.uint(uint64(len(col)))
	for _, v := range col {
		b.uint(idx[v])
	}
}

// getDict decodes what putDict encoded.
func getDict(r *memoReader) []string {
	vals := r.strs()
	out := make([]string, r.count(1))
	for i := range out {
		k := r.uint()
		if k >= uint64(len(vals)) {
			r.fail("string index")
			return nil
		}
		out[i] = vals[k]
	}
	return out
}

// decodeFrame decodes what encodeFrame wrote; false when rec does not
// decode or a column is neither as long as the times nor empty (a column
// no file of the hour has).
func decodeFrame(rec []byte) (*archive.Frame, bool) {
	r := memoReader{b: rec}
	f := &archive.Frame{Time: r.ints(), Num: map[string][]float64{}, Str: map[string][]string{}}
	for _, c := range r.strs() {
		if f.Num[c] = getValues(&r); len(f.Num[c]) != len(f.Time) && len(f.Num[c]) != 0 {
			r.fail("column")
		}
	}
	for _, c := range r.strs() {
		if f.Str[c] = getDict(&r); len(f.Str[c]) != len(f.Time) && len(f.Str[c]) != 0 {
			r.fail("column")
		}
	}
	if r.err != nil || len(r.b) > 0 || !slices.IsSorted(f.Time) {
		return nil, false
	}
	return f, true
}

// spanCuts cuts [lo, hi) (µs) into the spans a day read an hour at a time
// is read in: at every clock hour and range start. Every render cuts the
// same spans, with a memo or without. (Spans of 10 minutes in the hours
// of now and of the range starts were tried: a render then changed its
// memo files at every run and rewrote them, which cost more than the
// minutes it did not read.)
func (g *gatherer) spanCuts(lo, hi int64) []int64 {
	cuts := []int64{lo, hi}
	for h := lo - lo%hourUS + hourUS; h < hi; h += hourUS {
		cuts = append(cuts, h)
	}
	for r := range ranges {
		if from, _ := g.rangeWindow(r); lo < from && from < hi {
			cuts = append(cuts, from)
		}
	}
	slices.Sort(cuts)
	return slices.Compact(cuts)
}

// keepable reports whether the span [a, b) may be kept in the day memo:
// a whole clock hour that has ended.
func (g *gatherer) keepable(a, b int64) bool {
	return b <= g.now && a%hourUS == 0 && b-a == hourUS
}

// hourKey returns the memo key of what the span [a, b) of a day read raw
// adds to the page models from cols of table: the files of spans that may
// hold its rows, and for each range whether the span is in it and how the
// range is drawn.
func (g *gatherer) hourKey(src *hourSrc, table string, cols []string, a, b int64) string {
	// Written with appends, as dayKey's: fmt in the memo keys cost 1.5 %
	// of a timer's render of the benchmark fleet; the text is the same.
	var buf [1024]byte
	k := append(buf[:0], g.memo.c.dayBase...)
	k = append(k, "span "...)
	k = strconv.AppendInt(k, a, 10)
	k = append(k, ' ')
	k = strconv.AppendInt(k, b, 10)
	k = append(k, '\n')
	k = append(k, table...)
	k = append(k, '\n')
	k = appendQuotedList(k, cols)
	k = append(k, "\ninterval "...)
	k = strconv.AppendInt(k, g.d.tl.Interval, 10)
	k = append(k, '\n')
	k = src.appendStamp(k, a, b)
	for r := range ranges {
		if from, _ := g.rangeWindow(r); a >= from {
			k = appendRangeDrawn(k, r, g.raw[r], g.width[r])
		}
	}
	sum := sha256.Sum256(k)
	return spanKeyPrefix + string(sum[:])
}

// appendRangeDrawn appends how the range r is drawn to a key: "range r raw
// raw width width", a line.
func appendRangeDrawn(k []byte, r int, raw bool, width int64) []byte {
	k = append(k, "range "...)
	k = strconv.AppendInt(k, int64(r), 10)
	k = append(k, " raw "...)
	k = strconv.AppendBool(k, raw)
	k = append(k, " width "...)
	k = strconv.AppendInt(k, width, 10)
	return append(k, '\n')
}

// frameRows returns the rows [a, b) of f, sharing its columns (capped, so
// that an append to one does not write into the next rows). An empty
// column (one that no file of a kept hour had: decodeFrame) stays empty.
func frameRows(f *archive.Frame, a, b int) *archive.Frame {
	out := &archive.Frame{Time: f.Time[a:b:b], Num: make(map[string][]float64, len(f.Num)), Str: make(map[string][]string, len(f.Str))}
	for k, c := range f.Num {
		if len(c) > 0 {
			c = c[a:b:b]
		}
		out.Num[k] = c
	}
	for k, c := range f.Str {
		if len(c) > 0 {
			c = c[a:b:b]
		}
		out.Str[k] = c
	}
	return out
}

// readDayInto reads the day d (readDay) through accs: begin, fn with its
// rows, end with b, cut and only. b is left empty when what was read is
// not what to keep: corrupt files skipped, or a rollup gone since the
// listing (the day was then read raw).
func (g *gatherer) readDayInto(accs []dayAcc, memo *tableMemo, d archive.DayFiles, plan archive.Resolution, t schema.Table, cols []string,
	lo, hi int64, fn func(c chunk), b *memoBuf, cut rangeSet, only bool) error {
	for _, a := range accs {
		a.begin()
	}
	if memo != nil {
		memo.read++
	}
	skipped := len(g.d.skipped)
	res, err := g.readDay(d, plan, t, cols, lo, hi, fn)
	if err != nil {
		return err
	}
	if res != plan || len(g.d.skipped) != skipped {
		b = nil
	}
	for _, a := range accs {
		a.end(b, cut, only)
	}
	return nil
}

// readDay reads cols of the day d (clipped to [lo, hi)) from the rollup
// at plan, or raw, and calls fn with its rows, if any; it returns what it
// read the day at: raw when the rollup turned out to be gone.
func (g *gatherer) readDay(d archive.DayFiles, plan archive.Resolution, t schema.Table, cols []string, lo, hi int64, fn func(c chunk)) (archive.Resolution, error) {
	if plan != archive.Raw {
		f, err := g.scanFiles(plan, d, lo, hi, rollupColumns(t, cols)...)
		if err != nil {
			return plan, err
		}
		if f.Len() > 0 {
			fn(chunk{f: f, res: time.Duration(plan).Microseconds(), t: t})
			return plan, nil
		}
		// Nothing: the day was compacted again since it was listed
		// (its rollup is being rewritten). Its raw rows then.
	}
	f, err := g.scanFiles(archive.Raw, d, lo, hi, cols...)
	if err != nil {
		return archive.Raw, err
	}
	if f.Len() > 0 {
		fn(chunk{f: f, t: t})
	}
	return archive.Raw, nil
}

// replay adds what a day added, as rec holds it, to accs; false, with
// nothing added, when rec does not decode.
func (g *gatherer) replay(accs []dayAcc, rec []byte) bool {
	if g.names == nil {
		g.names = map[string]string{}
	}
	r := memoReader{b: rec, names: g.names}
	adds := make([]func(), len(accs))
	for i, a := range accs {
		adds[i] = a.decode(&r)
	}
	if r.err != nil || len(r.b) > 0 {
		return false
	}
	for _, add := range adds {
		add()
	}
	return true
}

// dayKey returns the memo key of what the day d, read at res, adds to the
// page models from cols of table, or "" when that is not to be kept: an
// open day, the day the longest range starts in, or files that cannot be
// stamped. cut is the set of ranges that start in the day: what the day
// adds to them moves with the render time, and is not kept. carry, if
// not nil, is the state the day's reading starts from (eachCarried).
func (g *gatherer) dayKey(d archive.DayFiles, res archive.Resolution, table string, cols []string, carry []byte) (key string, cut rangeSet) {
	d0, d1 := d.Day.UnixMicro(), d.End().UnixMicro()
	if d1 > g.now || d0 < g.from {
		return "", 0
	}
	stamp, err := g.src.Stamp(res, d)
	if err != nil || stamp == "" {
		return "", 0
	}
	// What the key hashes, written with appends (a fmt.Fprintf each, as
	// it was, cost 4 % of a host-year's timer render; the text is the same).
	var buf [512]byte
	b := append(buf[:0], g.memo.c.dayBase...)
	b = append(b, table...)
	b = append(b, '\n')
	b = appendQuotedList(b, cols)
	b = append(b, '\n')
	b = strconv.AppendInt(b, int64(res), 10)
	b = append(b, '\n')
	b = append(b, stamp...)
	b = append(b, "\ninterval "...)
	b = strconv.AppendInt(b, g.d.tl.Interval, 10)
	b = append(b, '\n')
	if carry != nil {
		b = append(b, "carry "...)
		b = strconv.AppendInt(b, int64(len(carry)), 10)
		b = append(b, '\n')
		b = append(b, carry...)
	}
	for r := range ranges {
		switch from, _ := g.rangeWindow(r); {
		case d0 < from && from < d1:
			cut |= 1 << r
			b = append(b, "range "...)
			b = strconv.AppendInt(b, int64(r), 10)
			b = append(b, " cut\n"...)
		case d0 >= from:
			b = appendRangeDrawn(b, r, g.raw[r], g.width[r])
		}
	}
	sum := sha256.Sum256(b)
	return dayKeyPrefix + string(sum[:]), cut
}

// appendQuotedList appends ss as fmt's %q writes a []string: quoted, in
// brackets, separated by spaces.
func appendQuotedList(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendQuote(b, s)
	}
	return append(b, ']')
}

// days lists the days of table of the host that end after the longest
// range's start (g.from: no reader looks before it) with their files
// (archive.Store.DaysCached: each folder listed once; with a render
// cache, a closed day's folder unchanged since the render before is not
// listed again), oldest first; none when the host has no such table. The
// days before the longest range are not looked at, so an archive that
// keeps years costs a render no more than one that keeps a year.
func (g *gatherer) days(table string) ([]archive.DayFiles, error) {
	if g.lists == nil {
		g.lists = newDayLists(g.src, g.host, g.from, nil)
	}
	return g.lists.days(table)
}

// rollupFor returns the rollup to read the day d from, or archive.Raw to
// read its raw rows, as the archive's read planner says.
func (g *gatherer) rollupFor(d archive.DayFiles) archive.Resolution {
	return archive.PlanDay(time.UnixMicro(g.now), d.Day, d.Table, d.Current(), g.rawAfter())
}

// rawAfter returns the start of the longest range that draws every sample
// (the zero time when none does): the planner reads raw the days it
// covers.
func (g *gatherer) rawAfter() time.Time {
	var out time.Time
	for r := range ranges {
		if from, _ := g.rangeWindow(r); g.raw[r] && (out.IsZero() || from < out.UnixMicro()) {
			out = time.UnixMicro(from)
		}
	}
	return out
}

// scanFiles reads [from, to) (µs) of the day d of the host, raw or from
// its rollup at res, from the files its listing found
// (archive.Store.ScanFiles).
func (g *gatherer) scanFiles(res archive.Resolution, d archive.DayFiles, from, to int64, cols ...string) (*archive.Frame, error) {
	f, err := g.src.ScanFiles(res, d, time.UnixMicro(from), time.UnixMicro(to), cols...)
	what := d.Table
	if res != archive.Raw {
		what += " rollup"
	}
	return g.frameOf(f, err, what)
}

// scanSpans is scanFiles of the raw rows of d, opening only the files
// that spans (fileSpans of d) say may hold rows of [from, to) (µs).
func (g *gatherer) scanSpans(d archive.DayFiles, spans []archive.FileSpan, from, to int64, cols ...string) (*archive.Frame, error) {
	f, err := g.src.ScanSpans(d, spans, time.UnixMicro(from), time.UnixMicro(to), cols...)
	return g.frameOf(f, err, d.Table)
}

// chunkPart is one chunk of a series reduced for one range: its columns are
// named by keys.
type chunkPart struct {
	keys        []string
	g           grid
	first, last int64 // the first and last raw sample time in the range
}

// seriesSet builds the reduced series of one chart for every range from
// chunks of rows. Columns are named by a key (a device, a mount, ...) and
// a value index, so chunks may bring keys the others lack.
type seriesSet struct {
	g     *gatherer
	nval  int
	mean  bool          // reduce to means (stacked shares), not extremes
	peaks int           // with mean: the last peaks values are a peak over the shares
	parts [][]chunkPart // per range
	seen  map[string]bool
	// a day being added (dayAcc): the parts per range before it, and
	// the keys of the days before (seen holds the day's)
	mark   []int
	before map[string]bool
}

// newSet returns a set of nval values per key.
func (g *gatherer) newSet(nval int) *seriesSet {
	return &seriesSet{g: g, nval: nval, parts: make([][]chunkPart, len(ranges)), seen: map[string]bool{}}
}

// newStack returns a set of nval values per key drawn stacked: reduced to
// means, so that the stacked total of a point is the mean total.
func (g *gatherer) newStack(nval int) *seriesSet {
	s := g.newSet(nval)
	s.mean = true
	return s
}

// add reduces one chunk of raw samples: times ts (ascending) and, per row,
// its key (nil when the table has one row per sample) and values.
func (s *seriesSet) add(ts []int64, key []string, vs ...[]float64) {
	v := make([]vals, len(vs))
	for i, c := range vs {
		v[i] = vals{c, c, c}
	}
	s.addChunk(ts, 0, key, v...)
}

// addChunk reduces one chunk of rows: raw samples (res 0), or rollup
// buckets of res µs.
func (s *seriesSet) addChunk(ts []int64, res int64, key []string, vs ...vals) {
	var gr grid
	var keys []string
	if key == nil {
		keys = []string{""}
		gr = grid{T: ts}
		for _, v := range vs {
			gr.Cols = append(gr.Cols, v.V)
			if res > 0 {
				gr.Lo, gr.Hi = append(gr.Lo, v.Lo), append(gr.Hi, v.Hi)
			}
		}
	} else {
		keys = distinct(key)
		if res > 0 {
			gr = pivotRollup(ts, key, keys, vs)
		} else {
			cs := make([][]float64, len(vs))
			for i, v := range vs {
				cs[i] = v.V
			}
			gr = pivot(ts, key, keys, cs...)
		}
	}
	gap := s.g.gap()
	if res > 0 {
		// Bucket starts are res apart: only a missing bucket is a gap.
		gap = max(gap, gapThreshold(res))
	}
	for _, k := range keys {
		s.seen[k] = true
	}
	if len(gr.T) == 0 {
		return
	}
	for r := range ranges {
		if res > 0 && s.g.raw[r] {
			continue // never happens: such days are read raw (rollupFor)
		}
		from, to := s.g.rangeWindow(r)
		lo, hi := window(gr.T, from, to)
		if hi <= lo {
			continue
		}
		var red grid
		if s.mean {
			red = reduceMean(gr, from, to, s.g.raw[r], s.g.width[r], gap, s.peaks)
		} else {
			red = reduce(gr, from, to, s.g.raw[r], s.g.width[r], gap)
		}
		s.parts[r] = append(s.parts[r], chunkPart{keys: keys, g: red, first: gr.T[lo], last: gr.T[hi-1]})
	}
}

// keys returns the keys seen, sorted.
func (s *seriesSet) keys() []string {
	out := make([]string, 0, len(s.seen))
	for k := range s.seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// has reports whether range r has at least one value.
func (s *seriesSet) has(r int) bool {
	for _, p := range s.parts[r] {
		for _, c := range p.g.Cols {
			for _, v := range c {
				if !math.IsNaN(v) {
					return true
				}
			}
		}
	}
	return false
}

// grid joins the chunks of range r into one grid with the columns of keys
// (each with nval values, key-major), a null row where chunks are further
// apart than a gap.
func (s *seriesSet) grid(r int, keys []string) grid {
	idx := make(map[string]int, len(keys))
	for i, k := range keys {
		idx[k] = i
	}
	bigGap := s.g.gap()
	if !s.g.raw[r] {
		bigGap = max(bigGap, s.g.width[r])
	}
	// The rows: every part's, and a gap's between two parts.
	gapAt := func(n int) bool {
		return n > 0 && s.parts[r][n].first-s.parts[r][n-1].last > bigGap
	}
	rows := 0
	for n, p := range s.parts[r] {
		rows += len(p.g.T)
		if gapAt(n) {
			rows++
		}
	}
	out := newGrid(len(keys)*s.nval, rows)
	for j := range out.Cols {
		out.Cols[j] = out.Cols[j][:rows]
		for i := range out.Cols[j] {
			out.Cols[j][i] = math.NaN()
		}
	}
	for n, p := range s.parts[r] {
		if gapAt(n) {
			last := s.parts[r][n-1].last
			out.T = append(out.T, last+(p.first-last)/2)
		}
		start := len(out.T)
		out.T = append(out.T, p.g.T...)
		for pk, k := range p.keys {
			i, ok := idx[k]
			if !ok {
				continue
			}
			for v := range s.nval {
				copy(out.Cols[i*s.nval+v][start:], p.g.Cols[pk*s.nval+v])
			}
		}
	}
	return out
}

// nanRow returns n NaNs.
func nanRow(n int) []float64 {
	c := make([]float64, n)
	for i := range c {
		c[i] = math.NaN()
	}
	return c
}

// heat accumulates a heatmap of the peak value per time column and key
// for every range, from chunks of rows. A range's columns are heatBuckets
// wide parts of it, starting at multiples of their width from the epoch
// (as chart buckets do): a day adds the same cells at every render.
type heat struct {
	g     *gatherer
	width []int64                // per range, the columns' width (µs)
	base  []int64                // per range, the first column's start / width
	times [][]int64              // per range, the columns' start times
	cells []map[string][]float64 // per range, per key
	// the days before the one being added (dayAcc)
	before []map[string][]float64
}

func (g *gatherer) newHeat() *heat {
	n := len(ranges)
	h := &heat{g: g, width: make([]int64, n), base: make([]int64, n), times: make([][]int64, n), cells: make([]map[string][]float64, n)}
	for r := range ranges {
		from, to := g.rangeWindow(r)
		w := max(ranges[r].Dur.Microseconds()/heatBuckets, 1)
		h.width[r], h.base[r] = w, from/w
		for b := from / w; b <= (to-1)/w; b++ {
			h.times[r] = append(h.times[r], b*w)
		}
		h.cells[r] = map[string][]float64{}
	}
	return h
}

// add adds one chunk of (time, key, value) rows.
func (h *heat) add(ts []int64, key []string, val []float64) {
	for r := range ranges {
		from, to := h.g.rangeWindow(r)
		lo, hi := window(ts, from, to)
		cells := h.cells[r]
		var row []float64
		last := ""
		for i := lo; i < hi; i++ {
			if row == nil || key[i] != last {
				last = key[i]
				if row = cells[last]; row == nil {
					row = nanRow(len(h.times[r]))
					cells[last] = row
				}
			}
			if v, c := val[i], int(ts[i]/h.width[r]-h.base[r]); !math.IsNaN(v) && (math.IsNaN(row[c]) || v > row[c]) {
				row[c] = v
			}
		}
	}
}

// rows returns the cells of range r in the order of keys.
func (h *heat) rows(r int, keys []string) [][]float64 {
	out := make([][]float64, len(keys))
	for i, k := range keys {
		if c, ok := h.cells[r][k]; ok {
			out[i] = c
		} else {
			out[i] = nanRow(len(h.times[r]))
		}
	}
	return out
}

// begin sets aside the cells of the days before.
func (h *heat) begin() {
	h.before = h.cells
	h.cells = make([]map[string][]float64, len(ranges))
	for r := range h.cells {
		h.cells[r] = map[string][]float64{}
	}
}

// end encodes the day's cells of every range (each key's columns by
// their number from the epoch) and adds them to those before.
func (h *heat) end(b *memoBuf, cut rangeSet, only bool) {
	for r, day := range h.cells {
		if b != nil {
			keys := slices.Sorted(maps.Keys(day))
			if cut.has(r) {
				keys = nil
			}
			b.strs(keys)
			for _, k := range keys {
				var cols []int64
				var vs []float64
				for c, v := range day[k] {
					if !math.IsNaN(v) {
						cols, vs = append(cols, int64(c)+h.base[r]), append(vs, v)
					}
				}
				b.ints(cols)
				b.floats(vs)
			}
		}
		if only && !cut.has(r) {
			continue
		}
		for k, row := range day {
			addHeatRow(h.before[r], k, row)
		}
	}
	h.cells, h.before = h.before, nil
}

// addHeatRow adds a key's row to the cells of a heatmap's range: each column's peak.
func addHeatRow(cells map[string][]float64, k string, row []float64) {
	acc, ok := cells[k]
	if !ok {
		cells[k] = row
		return
	}
	for i, v := range row {
		if !math.IsNaN(v) && (math.IsNaN(acc[i]) || v > acc[i]) {
			acc[i] = v
		}
	}
}

// decode reads what end encoded.
func (h *heat) decode(rd *memoReader) func() {
	type keyCells struct {
		key  string
		cols []int64
		vs   []float64
	}
	days := make([][]keyCells, len(ranges))
	for r := range days {
		for _, k := range rd.strs() {
			kc := keyCells{key: k, cols: rd.ints(), vs: rd.floats()}
			if len(kc.cols) != len(kc.vs) {
				rd.fail("heatmap cells")
			}
			days[r] = append(days[r], kc)
		}
	}
	return func() {
		for r, kcs := range days {
			for _, kc := range kcs {
				row := nanRow(len(h.times[r]))
				for i, c := range kc.cols {
					if c -= h.base[r]; c >= 0 && c < int64(len(row)) {
						row[c] = kc.vs[i]
					}
				}
				addHeatRow(h.cells[r], kc.key, row)
			}
		}
	}
}

// valueKeys lists the columns of a set's grid for keys and per-value
// suffixes: keys x suffixes, key-major, joined by a space.
func valueKeys(keys []string, suffixes ...string) []string {
	var out []string
	for _, k := range keys {
		for _, s := range suffixes {
			if s == "" {
				out = append(out, k)
			} else {
				out = append(out, k+" "+s)
			}
		}
	}
	return out
}

// setModes decides, per range, whether its series keep every sample (at
// most maxPoints samples in the range) or are reduced to buckets, from the
// sample times of the host (its system table).
func (g *gatherer) setModes(ts *sampleTimes) {
	g.raw = make([]bool, len(ranges))
	g.width = make([]int64, len(ranges))
	g.samples = make([]int, len(ranges))
	for r := range ranges {
		from, to := g.rangeWindow(r)
		if ts != nil {
			g.samples[r] = ts.count(from, to)
		}
		g.raw[r] = g.samples[r] <= maxPoints
		g.width[r] = bucketWidth(from, to, maxPoints)
	}
}

// gap returns the gap threshold of the host.
func (g *gatherer) gap() int64 {
	if g.d.tl.Interval > 0 {
		return gapThreshold(g.d.tl.Interval)
	}
	return gapThreshold(defaultInterval)
}
