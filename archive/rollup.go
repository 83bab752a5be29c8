package archive

import (
	"almanac/schema"
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Resolution is the width of the time buckets of a rollup.
type Resolution time.Duration

// The resolutions of the rollups Compact writes.
const (
	PerMinute = Resolution(time.Minute)
	PerHour   = Resolution(time.Hour)
)

// resolutions lists the rollups written for each closed day.
var resolutions = []Resolution{PerMinute, PerHour}

// String returns the name of r's folder: "1m" or "1h".
func (r Resolution) String() string {
	switch r {
	case PerMinute:
		return "1m"
	case PerHour:
		return "1h"
	}
	return time.Duration(r).String()
}

func checkResolution(r Resolution) error {
	if !slices.Contains(resolutions, r) {
		return fmt.Errorf("archive: rollup resolution %v: want 1m or 1h", time.Duration(r))
	}
	return nil
}

// rollupDir holds the rollups, outside the table folders so that a glob
// over a table never sees them.
const rollupDir = "rollup"

// SamplesColumn is the column of a rollup that counts the samples of its
// bucket.
const SamplesColumn = "samples"

// tableResolutions returns the rollups written for table, finest first,
// as its declaration in package schema lists them.
func tableResolutions(table string) []Resolution {
	t, ok := tables[table]
	if !ok {
		return nil
	}
	var out []Resolution
	for _, d := range t.declared().Rollups() {
		out = append(out, Resolution(d))
	}
	return out
}

// HasResolution reports whether Compact writes rollups of table at res.
func HasResolution(table string, res Resolution) bool {
	return slices.Contains(tableResolutions(table), res)
}

// HasRollups reports whether Compact writes rollups of table.
func HasRollups(table string) bool { return len(tableResolutions(table)) > 0 }

// rollupName returns the name of the rollups made from the day file f:
// f's name with the schema version, so that a rollup written by an
// almanac with another schema is never taken as current (readers use the
// day's raw rows until the next Compact rewrites it).
func rollupName(f dataFile) string {
	return strings.TrimSuffix(f.name, ".parquet") + rollupSuffix
}

// newestRollup returns the newest rollup file among the names of a rollup
// folder that this schema version wrote.
func newestRollup(names []string) (string, bool) {
	var best dataFile
	for _, n := range names {
		base, ok := strings.CutSuffix(n, rollupSuffix)
		if !ok {
			continue
		}
		if f, ok := parseFileName(base + ".parquet"); ok && f.kind == kindDay && (best.name == "" || f.seq > best.seq) {
			best = f
		}
	}
	if best.name == "" {
		return "", false
	}
	return rollupName(best), true
}

// parseRollupName parses the name of a rollup file of any schema version:
// day-<seq>.s<version>.parquet, or day-<seq>.parquet (schema 1).
func parseRollupName(name string) (dataFile, bool) {
	base, ok := strings.CutSuffix(name, ".parquet")
	if !ok {
		return dataFile{}, false
	}
	if i := strings.LastIndex(base, ".s"); i >= 0 {
		if v, err := strconv.Atoi(base[i+2:]); err != nil || v < 2 || strconv.Itoa(v) != base[i+2:] {
			return dataFile{}, false
		}
		base = base[:i]
	}
	f, ok := parseFileName(base + ".parquet")
	if !ok || f.kind != kindDay {
		return dataFile{}, false
	}
	f.name = name
	return f, true
}

// rollupSuffix ends the name of every current rollup file.
var rollupSuffix = ".s" + strconv.Itoa(schema.Version) + ".parquet"

// rollupPath returns the folder of the rollup of partition p at res:
// rollup/<res>/<table>/host=<host>/date=<YYYY-MM-DD>.
func rollupPath(res Resolution, p Partition) string {
	return rollupDir + "/" + res.String() + "/" + p.Dir()
}

// Rollup column kinds.
const (
	rcTime = iota
	rcKey
	rcLast // a label: the bucket's newest value
	rcMin
	rcAvg
	rcMax
	rcSum
	rcSamples
)

// rollupSpec is the rollup layout of one table, derived from its
// declaration: how each column rolls up follows from its kind.
type rollupSpec struct {
	keys      []string
	keyCols   []column       // the key columns (numeric for the process table)
	keyKinds  []parquet.Kind // their physical kinds
	lasts     []column       // the labels
	lastKinds []parquet.Kind
	lastOpt   []bool
	labels    []int           // per label, its index among the string labels, or ^index among the others
	nums      []column        // the summarized columns
	kinds     []parquet.Kind  // their physical kinds
	optional  []bool          // whether they are nullable
	avgKinds  []parquet.Kind  // the physical kinds of their means
	avgScales []float64       // and the decimal scales
	sumKinds  []parquet.Kind  // the physical kinds of their sums
	schema    *parquet.Schema // the rollup file's schema
	plan      []rollupLeaf    // per leaf column of schema, in order
	src       []column        // what to read from a day file: keys, lasts, nums
}

// rollupLeaf says what one leaf column of a rollup file holds.
type rollupLeaf struct {
	kind int
	i    int // index in keys, lasts or nums
}

// rollupSpecs holds the layout of every table with rollups.
var rollupSpecs = func() map[string]*rollupSpec {
	out := map[string]*rollupSpec{}
	for _, t := range tableList {
		if HasRollups(t.name()) {
			out[t.name()] = newRollupSpec(t)
		}
	}
	return out
}()

// aggLeaf maps an aggregate of package schema to a rollup column kind.
var aggLeaf = map[schema.Agg]int{schema.AggMin: rcMin, schema.AggAvg: rcAvg,
	schema.AggMax: rcMax, schema.AggSum: rcSum}

// newRollupSpec builds the rollup layout of a table: time (the bucket
// start), the keys, and each of the table's RollupColumns as its kind
// says (schema.Kind.Aggs): labels under their own name (the bucket's
// newest value); c_min and c_max of c's type; c_avg (see avgNode); c_sum
// (see sumNode); and samples (the rows in the bucket). Required columns
// stay required (readers decode them in bulk); a nullable one gives
// nullable aggregates.
func newRollupSpec(t table) *rollupSpec {
	d, ps := t.declared(), t.schema()
	leaf := func(name string) parquet.LeafColumn {
		l, ok := ps.Lookup(name)
		if !ok {
			panic("archive: rollup of " + d.Name() + ": no column " + name)
		}
		return l
	}
	sp := &rollupSpec{keys: d.Keys()}
	group := parquet.Group{}
	byName := map[string]rollupLeaf{}
	group[timeColumn] = leaf(timeColumn).Node
	byName[timeColumn] = rollupLeaf{rcTime, 0}
	for i, k := range sp.keys {
		l := leaf(k)
		group[k] = l.Node
		byName[k] = rollupLeaf{rcKey, i}
		sp.keyCols = append(sp.keyCols, columnOf(k, l))
		sp.keyKinds = append(sp.keyKinds, l.Node.Type().Kind())
	}
	for _, c := range d.RollupColumns() {
		l := leaf(c.Name)
		col := columnOf(c.Name, l)
		if c.Has(schema.AggNewest) {
			byName[c.Name] = rollupLeaf{rcLast, len(sp.lasts)}
			group[c.Name] = l.Node
			sp.lasts = append(sp.lasts, col)
			sp.lastKinds = append(sp.lastKinds, l.Node.Type().Kind())
			sp.lastOpt = append(sp.lastOpt, l.Node.Optional())
			ns, nx := 0, 0
			for _, x := range sp.labels {
				if x >= 0 {
					ns++
				} else {
					nx++
				}
			}
			if col.str {
				sp.labels = append(sp.labels, ns)
			} else {
				sp.labels = append(sp.labels, ^nx)
			}
			continue
		}
		i := len(sp.nums)
		sp.nums = append(sp.nums, col)
		sp.kinds = append(sp.kinds, l.Node.Type().Kind())
		sp.optional = append(sp.optional, l.Node.Optional())
		avg, akind, ascale := avgNode(l.Node, col.scale)
		sum, skind := sumNode(l.Node)
		sp.avgKinds = append(sp.avgKinds, akind)
		sp.avgScales = append(sp.avgScales, ascale)
		sp.sumKinds = append(sp.sumKinds, skind)
		for _, a := range c.Kind.Aggs() {
			node := l.Node
			switch a {
			case schema.AggAvg:
				node = avg
			case schema.AggSum:
				node = sum
			}
			if l.Node.Optional() {
				node = parquet.Optional(node)
			}
			group[c.RollupName(a)] = node
			byName[c.RollupName(a)] = rollupLeaf{aggLeaf[a], i}
		}
	}
	group[SamplesColumn] = parquet.Encoded(parquet.Int(32), &parquet.DeltaBinaryPacked)
	byName[SamplesColumn] = rollupLeaf{rcSamples, 0}
	sp.schema = parquet.NewSchema("rollup", group)
	for _, path := range sp.schema.Columns() {
		sp.plan = append(sp.plan, byName[path[0]])
	}
	sp.src = append(sp.src, sp.keyCols...)
	sp.src = append(sp.src, sp.lasts...)
	sp.src = append(sp.src, sp.nums...)
	return sp
}

// bucketStats accumulates the rows of one key of a rollup, per bucket. It
// holds the buckets from the first to the last that has a row, not the
// whole day: most processes live minutes, and a day's stats of every
// process that ran were most of a compaction's memory.
type bucketStats struct {
	key    []string
	base   int       // the bucket of slot 0
	n      []int32   // rows per slot
	lastT  []int64   // time of the newest row per slot
	last   []string  // per slot and string label (slot-major)
	lastN  []float64 // per slot and other label
	lo, hi []float64 // per slot and numeric column (slot-major)
	sum    []float64
	cnt    []int32 // non-null values per slot and numeric column
	nb     int     // slots
	nn     int     // numeric columns
	local  []int   // per numeric column of the table, its index among the nn, or -1
	labels []int   // per label, its index in last (a string) or in lastN (^index)
	ns, nx int     // string labels, other labels
}

func newBucketStats(key []string, nn int, labels []int) *bucketStats {
	b := &bucketStats{key: key, nn: nn, labels: labels}
	for _, l := range labels {
		if l >= 0 {
			b.ns++
		} else {
			b.nx++
		}
	}
	return b
}

// lastStr returns string label j at slot i.
func (b *bucketStats) lastStr(i, j int) string {
	if l := b.labels[j]; l >= 0 {
		return b.last[i*b.ns+l]
	}
	return ""
}

// lastNum returns the label j that is not a string at slot i.
func (b *bucketStats) lastNum(i, j int) float64 {
	if l := b.labels[j]; l < 0 {
		return b.lastN[i*b.nx+^l]
	}
	return 0
}

// slot returns the slot of bucket i, adding slots to reach it.
func (b *bucketStats) slot(i int) int {
	switch {
	case b.nb == 0:
		b.base = i
		b.grow(0, 1)
	case i < b.base:
		b.grow(b.base-i, 0)
		b.base = i
	case i >= b.base+b.nb:
		b.grow(0, i-b.base-b.nb+1)
	}
	return i - b.base
}

// grow adds front slots before the first and back slots after the last.
func (b *bucketStats) grow(front, back int) {
	b.n = growSlots(b.n, 1, front, back)
	b.lastT = growSlots(b.lastT, 1, front, back)
	b.last = growSlots(b.last, b.ns, front, back)
	b.lastN = growSlots(b.lastN, b.nx, front, back)
	b.lo = growSlots(b.lo, b.nn, front, back)
	b.hi = growSlots(b.hi, b.nn, front, back)
	b.sum = growSlots(b.sum, b.nn, front, back)
	b.cnt = growSlots(b.cnt, b.nn, front, back)
	b.nb += front + back
}

// growSlots adds front and back slots of stride values (zero) to s.
func growSlots[T any](s []T, stride, front, back int) []T {
	if front == 0 {
		return append(s, make([]T, back*stride)...)
	}
	out := make([]T, (front+back)*stride+len(s))
	copy(out[front*stride:], s)
	return out
}

// coarsen returns the stats of b over buckets f times wider.
func (b *bucketStats) coarsen(f int) *bucketStats {
	out := newBucketStats(b.key, b.nn, b.labels)
	out.local = b.local
	for i := range b.nb {
		if b.n[i] == 0 {
			continue
		}
		o := out.slot((b.base + i) / f)
		if out.n[o] == 0 || b.lastT[i] >= out.lastT[o] {
			out.lastT[o] = b.lastT[i]
			copy(out.last[o*b.ns:(o+1)*b.ns], b.last[i*b.ns:(i+1)*b.ns])
			copy(out.lastN[o*b.nx:(o+1)*b.nx], b.lastN[i*b.nx:(i+1)*b.nx])
		}
		out.n[o] += b.n[i]
		for j := range b.nn {
			k, ok := i*b.nn+j, o*b.nn+j
			if b.cnt[k] == 0 {
				continue
			}
			if out.cnt[ok] == 0 || b.lo[k] < out.lo[ok] {
				out.lo[ok] = b.lo[k]
			}
			if out.cnt[ok] == 0 || b.hi[k] > out.hi[ok] {
				out.hi[ok] = b.hi[k]
			}
			out.sum[ok] += b.sum[k]
			out.cnt[ok] += b.cnt[k]
		}
	}
	return out
}

// rollupDay reads the day file of table that rd holds and returns its
// stats at res, one per key, in key order, of the numeric columns of pass
// and, if it says so, of the labels. It reads a row group at a time, and
// of it one column at a time: the times and keys first, which give each
// row its key and bucket, then each label and numeric column in turn,
// which it summarizes into the rows' buckets. Holding every column of a
// row group at once (32,768 rows, strings 16 bytes a row, numbers 8) was
// most of the memory of the cgroup and process tables' rollups. A numeric
// key is kept as the decimal string of its integer value.
func rollupDay(rd *rollupReader, table string, day time.Time, res Resolution, pass rollupPass) (stats []*bucketStats, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	sp := rollupSpecs[table]
	width := time.Duration(res).Microseconds()
	start := day.UnixMicro()
	nb := int(24 * time.Hour.Microseconds() / width)
	pf, err := rd.open()
	if err != nil {
		return nil, err
	}
	fs := pf.Schema()
	tleaf, ok := fs.Lookup(timeColumn)
	if !ok {
		return nil, fmt.Errorf("%w: no time column", ErrCorrupt)
	}
	// Column indexes and decimal scales come from the file's own schema
	// (-1: a column the file lacks, read as nulls).
	fileCol := func(c column) rollupSrc {
		leaf, ok := lookupColumn(fs, c.name)
		if !ok {
			return rollupSrc{c, -1}
		}
		fc := columnOf(c.name, leaf)
		c.scale, c.list, c.maxDef = fc.scale, fc.list, fc.maxDef
		return rollupSrc{c, leaf.ColumnIndex}
	}
	keySrc := make([]rollupSrc, len(sp.keyCols))
	for i, c := range sp.keyCols {
		keySrc[i] = fileCol(c)
	}
	var labels []int
	var lastSrc []rollupSrc
	if pass.labels {
		labels = sp.labels
		for _, c := range sp.lasts {
			lastSrc = append(lastSrc, fileCol(c))
		}
	}
	numSrc := make([]rollupSrc, len(pass.nums))
	local := make([]int, len(sp.nums))
	for i := range local {
		local[i] = -1
	}
	for i, j := range pass.nums {
		local[j] = i
		numSrc[i] = fileCol(sp.nums[j])
	}
	byKey := map[string]*bucketStats{}
	rd.keyStr = slices.Grow(rd.keyStr[:0], len(sp.keys))[:len(sp.keys)]
	rd.keyNum = slices.Grow(rd.keyNum[:0], len(sp.keys))[:len(sp.keys)]
	key := make([]string, len(sp.keys))
	var sb strings.Builder
	r := timeRange{from: start, to: start + 24*time.Hour.Microseconds()}
	for _, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		nrows := int(rg.NumRows())
		if err := rd.rowsOf(rg, tleaf.ColumnIndex, r); err != nil {
			return nil, err
		}
		if rd.kept == 0 {
			continue
		}
		// The keys and buckets of the rows.
		for i, s := range keySrc {
			if s.c.str {
				if rd.keyStr[i], err = rd.readStrs(chunks, s, nrows, rd.keyStr[i]); err != nil {
					return nil, err
				}
				rd.keyNum[i] = rd.keyNum[i][:0]
			} else {
				if rd.keyNum[i], err = rd.readNums(chunks, s, nrows, rd.keyNum[i]); err != nil {
					return nil, err
				}
				clear(rd.keyStr[i])
				rd.keyStr[i] = rd.keyStr[i][:0]
			}
		}
		keyCols, keyNums := rd.keyCols(keySrc)
		rowKeys, rowBkt, newest := rd.rowKeys[:0], rd.rowBkt[:0], rd.newest[:0]
		var cur *bucketStats
		for row := range rd.kept {
			t := rd.times[rd.row(row)]
			// A day file holds runs of one key: the key of the row
			// before, compared in place, costs no string.
			if cur == nil || row == 0 || !sameKey(keyNums, keyCols, row) {
				sb.Reset()
				for i := range key {
					if keyNums[i] != nil {
						key[i] = numKey(keyNums[i][row])
					} else {
						key[i] = keyCols[i][row]
					}
					sb.WriteString(key[i])
					sb.WriteByte(0)
				}
			}
			if cur == nil || !slices.Equal(cur.key, key) {
				var ok bool
				if cur, ok = byKey[sb.String()]; !ok {
					cur = newBucketStats(slices.Clone(key), len(pass.nums), labels)
					cur.local = local
					if sh, ok := rd.shapes[sb.String()]; ok {
						// Known from the pass before: every slot at once.
						cur.base = sh.base
						cur.grow(0, sh.nb)
					}
					byKey[sb.String()] = cur
				}
			}
			b := int((t - start) / width)
			if t < start || b >= nb {
				// Not of this day: a misplaced row.
				rowKeys, rowBkt, newest = append(rowKeys, nil), append(rowBkt, 0), append(newest, false)
				continue
			}
			i := cur.slot(b)
			win := cur.n[i] == 0 || t >= cur.lastT[i]
			if win {
				cur.lastT[i] = t
			}
			cur.n[i]++
			rowKeys, rowBkt, newest = append(rowKeys, cur), append(rowBkt, int32(b)), append(newest, win)
		}
		rd.rowKeys, rd.rowBkt, rd.newest = rowKeys, rowBkt, newest
		// The labels of the rows whose bucket they are the newest of, in
		// row order: the last one wins, as it did row by row.
		for li, s := range lastSrc {
			var strs []string
			var nums []float64
			if s.c.str {
				rd.strs, err = rd.readStrs(chunks, s, nrows, rd.strs)
				strs = rd.strs
			} else {
				rd.nums, err = rd.readNums(chunks, s, nrows, rd.nums)
				nums = rd.nums
			}
			if err != nil {
				return nil, err
			}
			l := labels[li]
			for row, b := range rowKeys {
				if b == nil || !newest[row] {
					continue
				}
				i := int(rowBkt[row]) - b.base
				if l >= 0 {
					b.last[i*b.ns+l] = strs[row]
				} else {
					b.lastN[i*b.nx+^l] = nums[row]
				}
			}
		}
		// The numeric columns, one at a time.
		for j, s := range numSrc {
			if rd.nums, err = rd.readNums(chunks, s, nrows, rd.nums); err != nil {
				return nil, err
			}
			nums := rd.nums
			for row, b := range rowKeys {
				if b == nil {
					continue
				}
				v := nums[row]
				if math.IsNaN(v) {
					continue
				}
				k := (int(rowBkt[row])-b.base)*b.nn + j
				if b.cnt[k] == 0 || v < b.lo[k] {
					b.lo[k] = v
				}
				if b.cnt[k] == 0 || v > b.hi[k] {
					b.hi[k] = v
				}
				b.sum[k] += v
				b.cnt[k]++
			}
		}
	}
	// Drop what the buffers point to: the stats, and the strings of the
	// last row group's labels and keys.
	clear(rd.rowKeys[:cap(rd.rowKeys)])
	clear(rd.strs[:cap(rd.strs)])
	for i := range rd.keyStr {
		clear(rd.keyStr[i][:cap(rd.keyStr[i])])
	}
	if rd.shapes == nil {
		rd.shapes = make(map[string]slotShape, len(byKey))
		for k, b := range byKey {
			rd.shapes[k] = slotShape{base: b.base, nb: b.nb}
		}
	}
	out := make([]*bucketStats, 0, len(byKey))
	for _, b := range byKey {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *bucketStats) int { return compareKeys(sp, a.key, b.key) })
	return out, nil
}

// sameKey reports whether row has the key of the row before it, in the
// columns of rollupDay: numeric (nums[i] set) or strings.
func sameKey(nums [][]float64, strs [][]string, row int) bool {
	for i := range nums {
		if nums[i] != nil {
			a, b := nums[i][row-1], nums[i][row]
			if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
				return false
			}
		} else if strs[i][row-1] != strs[i][row] {
			return false
		}
	}
	return true
}

// numKey returns the key string of a numeric key value (an integer: a pid
// or a time in µs, exact in a float64); "" for a null.
func numKey(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatInt(int64(v), 10)
}

// compareKeys orders two keys of sp: numeric keys by value, so that the
// rollup of the process table is sorted like its day file.
func compareKeys(sp *rollupSpec, a, b []string) int {
	for i := range a {
		if sp.keyCols[i].str {
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
			continue
		}
		x, _ := strconv.ParseInt(a[i], 10, 64)
		y, _ := strconv.ParseInt(b[i], 10, 64)
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// writeRollupLeaves writes the columns of pass (stats made for it by
// rollupDay) to pw, and returns the rows written.
//
// It writes column by column rather than row by row. The writer holds
// the values of a column's current page until it writes the page; row by
// row, that was every column's values at once (the per-minute rollup of
// the cgroup table, 23,000 rows of 70 columns, held 25 MiB of them), and
// column by column it is one column's. The file is the same: a column's
// pages depend only on its own values and on the 64-row steps in which
// the writer takes rows (writeRowValues), which this keeps; and as the
// columns are written in order, the passes that write them in turn
// (rollupPasses) make the same file as one.
func writeRollupLeaves(pw *parquet.Writer, sp *rollupSpec, pass rollupPass, day time.Time, res Resolution, stats []*bucketStats) (int, error) {
	cols := pw.ColumnWriters()
	width := time.Duration(res).Microseconds()
	start := day.UnixMicro()
	vals := make([]parquet.Value, 0, rollupStep)
	n := 0
	for c := pass.from; c < pass.to; c++ {
		l := sp.plan[c]
		n = 0
		for _, b := range stats {
			for i := range b.nb {
				if b.n[i] == 0 {
					continue
				}
				v, err := rollupValue(sp, l, b, i, start, width)
				if err != nil {
					return 0, err
				}
				vals = append(vals, v.Level(0, v.DefinitionLevel(), c))
				n++
				if len(vals) == rollupStep {
					if _, err := cols[c].WriteRowValues(vals); err != nil {
						return 0, fmt.Errorf("write rows: %w", err)
					}
					vals = vals[:0]
				}
			}
		}
		if len(vals) > 0 {
			if _, err := cols[c].WriteRowValues(vals); err != nil {
				return 0, fmt.Errorf("write rows: %w", err)
			}
			vals = vals[:0]
		}
		// The column's last page, as the row group's end would write it.
		if err := cols[c].Flush(); err != nil {
			return 0, fmt.Errorf("write rows: %w", err)
		}
	}
	return n, nil
}

// ensureRollups reads and summarizes the numeric columns of a table in
// passes, each of as many as hold rollupPassBytes of stats, bucketBytes
// per bucket (of every key) and column: the first pass guesses the
// buckets (rollupPassKeys keys, unless rollupPassNums says how many
// columns to take), the next ones know them. All of them at once, the
// per-minute stats of the cgroup table (15 columns of 1,440 minutes of a
// few dozen cgroups) took 11 MiB. Each pass reads the keys and times of
// the day file again: a table whose stats are small takes two passes, or
// one; the cgroup table's per-minute rollup, one a column (a few
// hundredths of a second each for a day of 16 cgroups); the process
// table's per-hour rollup takes one (its 2.6 million rows of a day of 300
// processes take a third of a second a pass), of 3 MiB.
var (
	rollupPassNums  = 0
	rollupPassKeys  = 32
	rollupPassBytes = 1 << 20
)

// bucketBytes is what bucketStats holds per bucket and numeric column:
// lo, hi, sum and cnt.
const bucketBytes = 3*8 + 4

// rollupPass is a run of the leaf columns of a rollup, plan[from:to], and
// what they need: the numeric columns nums (indexes in rollupSpec.nums)
// and, with labels, the labels.
type rollupPass struct {
	from, to int
	nums     []int
	labels   bool
}

// nextRollupPass returns the pass of the leaf columns of sp from from on,
// in order, that needs at most most numeric columns.
func nextRollupPass(sp *rollupSpec, from, most int) rollupPass {
	cur := rollupPass{from: from, to: len(sp.plan)}
	for c := from; c < len(sp.plan); c++ {
		switch l := sp.plan[c]; l.kind {
		case rcLast:
			cur.labels = true
		case rcMin, rcAvg, rcMax, rcSum:
			if !slices.Contains(cur.nums, l.i) {
				if len(cur.nums) == most {
					cur.to = c
					return cur
				}
				cur.nums = append(cur.nums, l.i)
			}
		}
	}
	return cur
}

// rollupStep is how many rows the Parquet writer takes at a time when
// given many (WriteRows): its pages end on these steps, so writing a
// column in the same steps gives the same pages.
const rollupStep = 64

// rollupValue returns the value of leaf l of the row of slot i of b (its
// definition level set, its column not).
func rollupValue(sp *rollupSpec, l rollupLeaf, b *bucketStats, i int, start, width int64) (parquet.Value, error) {
	switch l.kind {
	case rcTime:
		return parquet.Int64Value(start + int64(b.base+i)*width), nil
	case rcKey:
		if sp.keyCols[l.i].str {
			return parquet.ByteArrayValue([]byte(b.key[l.i])), nil
		}
		x, err := strconv.ParseInt(b.key[l.i], 10, 64)
		if err != nil {
			return parquet.Value{}, fmt.Errorf("column %s: a null key", sp.keys[l.i])
		}
		return typedValue(sp.keyKinds[l.i], float64(x), 1), nil
	case rcLast:
		v := lastValue(sp, l.i, b.lastStr(i, l.i), b.lastNum(i, l.i))
		if sp.lastOpt[l.i] && !v.IsNull() {
			v = v.Level(0, 1, 0)
		}
		return v, nil
	case rcSamples:
		return parquet.Int32Value(b.n[i]), nil
	}
	k := i*b.nn + b.local[l.i]
	def := 0
	if sp.optional[l.i] {
		def = 1
	}
	if b.cnt[k] == 0 {
		if def == 0 {
			// A required column has no nulls to skip.
			return parquet.Value{}, fmt.Errorf("column %s: no value in a bucket", sp.nums[l.i].name)
		}
		return parquet.NullValue(), nil
	}
	var v parquet.Value
	switch l.kind {
	case rcMin:
		v = typedValue(sp.kinds[l.i], b.lo[k], sp.nums[l.i].scale)
	case rcMax:
		v = typedValue(sp.kinds[l.i], b.hi[k], sp.nums[l.i].scale)
	case rcSum:
		v = typedValue(sp.sumKinds[l.i], b.sum[k], sp.nums[l.i].scale)
	default:
		v = typedValue(sp.avgKinds[l.i], b.sum[k]/float64(b.cnt[k]), sp.avgScales[l.i])
	}
	return v.Level(0, def, 0), nil
}

// avgNode returns the column of the means of a numeric column of type
// node (decimal scale scale): a decimal as the same decimal (a mean exact
// to the column's precision; delta encoding packs it far tighter than a
// double), an integer, a boolean or a float as a DOUBLE, never rounded to
// an integer. It also returns the physical kind and scale to write.
func avgNode(node parquet.Node, scale float64) (parquet.Node, parquet.Kind, float64) {
	if scale != 1 && node.Type().Kind() == parquet.Int64 {
		return parquet.Required(node), parquet.Int64, scale
	}
	return parquet.Encoded(parquet.Leaf(parquet.DoubleType), &parquet.ByteStreamSplit), parquet.Double, 1
}

// sumNode returns the column of the sums of a count column of type node:
// 32-bit integers sum into 64 bits, others keep their type.
func sumNode(node parquet.Node) (parquet.Node, parquet.Kind) {
	if node.Type().Kind() == parquet.Int32 {
		return parquet.Encoded(parquet.Int(64), &parquet.DeltaBinaryPacked), parquet.Int64
	}
	return parquet.Required(node), node.Type().Kind()
}

// lastValue returns the newest value of label i of sp: str for a string,
// x for another type; NULL for an empty string in a nullable column.
func lastValue(sp *rollupSpec, i int, str string, x float64) parquet.Value {
	if sp.lasts[i].str {
		if str == "" && sp.lastOpt[i] {
			return parquet.NullValue()
		}
		return parquet.ByteArrayValue([]byte(str))
	}
	if math.IsNaN(x) {
		return parquet.NullValue()
	}
	return typedValue(sp.lastKinds[i], x, sp.lasts[i].scale)
}

// typedValue turns x (a value as Scan returns it: decimals scaled) back
// into a value of the column's physical kind.
func typedValue(kind parquet.Kind, x, scale float64) parquet.Value {
	switch kind {
	case parquet.Boolean:
		return parquet.BooleanValue(x != 0)
	case parquet.Int32:
		return parquet.Int32Value(int32(math.Round(x * scale)))
	case parquet.Int64:
		return parquet.Int64Value(int64(math.Round(x * scale)))
	case parquet.Float:
		return parquet.FloatValue(float32(x))
	}
	return parquet.DoubleValue(x)
}

// ensureRollups writes the rollups of partition p, whose only live file
// is the day file f, at every resolution where they are missing, and
// removes older rollups of the day and the tmp files of an interrupted
// write. It reads the day file once, and not at all when every rollup is
// there. Quarantined rollups (see SetAside) stay.
func (s *Store) ensureRollups(p Partition, f dataFile, st *CompactStats) error {
	if !HasRollups(p.Table) {
		return nil
	}
	want := rollupName(f)
	var missing []Resolution
	for _, res := range tableResolutions(p.Table) {
		dir := rollupPath(res, p)
		names, err := s.readDirNames(dir)
		if err != nil {
			return err
		}
		if names, err = s.tidy(dir, names, "day-"); err != nil {
			return err
		}
		if !slices.Contains(names, want) {
			missing = append(missing, res)
		}
		if err := s.removeStaleRollups(dir, names, want); err != nil {
			return err
		}
	}
	if len(missing) == 0 {
		return nil
	}
	name := p.Dir() + "/" + f.name
	fh, err := s.root.Open(name)
	if err != nil {
		return err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return err
	}
	finest := tableResolutions(p.Table)[0]
	sp := rollupSpecs[p.Table]
	// Each missing rollup is written column by column, a pass of a few
	// numeric columns at a time (see rollupPasses), into a tmp file per
	// resolution: the coarser stats come from the finest, as before.
	outs := make([]*rollupOut, len(missing))
	defer func() {
		for _, o := range outs {
			if o != nil && o.tmp != nil {
				s.abortTmp(o.tmp)
			}
		}
	}()
	for i, res := range missing {
		dir := rollupPath(res, p)
		if err := s.ensureDir(dir); err != nil {
			return err
		}
		tmp, err := s.createTmp(dir + "/" + want)
		if err != nil {
			return err
		}
		outs[i] = &rollupOut{res: res, tmp: tmp,
			pw: parquet.NewWriter(tmp.w, append([]parquet.WriterOption{sp.schema}, rollupCodec...)...)}
	}
	// The first pass guesses the buckets: rollupPassKeys keys, each in
	// every bucket of the day. A per-hour rollup (the process table's)
	// takes every column at once.
	most := rollupPassNums
	if most == 0 {
		perDay := int(24 * time.Hour / time.Duration(finest))
		most = max(1, rollupPassBytes/(rollupPassKeys*perDay*bucketBytes))
	}
	rd := newRollupReader(fh, fi.Size())
	// The encoders the merge before left idle wait for the first pass's
	// columns: not while the day file is read (a megabyte, while the
	// process table's per-hour stats grow).
	mergeZstd.drop()
	for from := 0; from < len(sp.plan); {
		pass := nextRollupPass(sp, from, most)
		from = pass.to
		fine, err := rollupDay(rd, p.Table, p.Day, finest, pass)
		if err != nil {
			err = fmt.Errorf("rollup %s: %w", name, err)
			if errors.Is(err, ErrCorrupt) {
				// As merge does with a damaged input: readers would skip it
				// anyway, with an error on every read.
				fh.Close()
				if rerr := s.root.Rename(name, quarantineName(name)); rerr != nil {
					return errors.Join(err, rerr)
				}
				return fmt.Errorf("%w (set aside as %s)", err, quarantineName(name))
			}
			return err
		}
		// The next passes take as many numeric columns as fit in
		// rollupPassBytes, now that the buckets are known.
		slots := 0
		for _, b := range fine {
			slots += b.nb
		}
		most = max(1, rollupPassBytes/max(1, slots*bucketBytes))
		for _, o := range outs {
			stats := fine
			if o.res != finest {
				f := int(time.Duration(o.res) / time.Duration(finest))
				stats = make([]*bucketStats, len(fine))
				for i, b := range fine {
					stats[i] = b.coarsen(f)
				}
			}
			if o.rows, err = writeRollupLeaves(o.pw, sp, pass, p.Day, o.res, stats); err != nil {
				return fmt.Errorf("write %s: %w", o.tmp.name, err)
			}
		}
	}
	for _, o := range outs {
		if err := o.pw.Close(); err != nil {
			return fmt.Errorf("write %s: write footer: %w", o.tmp.name, err)
		}
		size, err := s.commitTmp(o.tmp, false)
		o.tmp = nil
		if err != nil {
			return err
		}
		dir := rollupPath(o.res, p)
		if err := s.syncDir(dir); err != nil {
			return err
		}
		st.Rollups++
		st.BytesOut += size
		s.log.Debug("rollup written", "file", dir+"/"+want, "rows", o.rows, "bytes", size)
	}
	return nil
}

// rollupCodec is the writer options of rollup files: a part's pages of
// 32 KiB rather than a day file's 256 KiB. A rollup is one row group,
// written column by column, and parquet-go keeps the row index and
// levels of a nullable column (5 bytes a value) as large as its largest
// page until the file is closed: with 256 KiB pages, 6.5 MiB for the
// dozens of nullable columns of the cgroup table's per-minute rollup,
// with 32 KiB a tenth of that. The files are 4 % larger: the rollups of
// BenchmarkCompactMemory's host-day take 2.34 MB, were 2.24 (the cgroup
// table's per-minute rollup 1.10 MB, was 1.03). The compressed pages of
// every column wait for the file's end (its one row group), in chunks of
// 4 KiB (see smallChunks): in parquet-go's 32 KiB, each of the 70 or so
// columns of each of the cgroup table's two rollups held 32 KiB or more,
// 4.4 MiB at once.
var rollupCodec = append(writerOptions(mergeZstd, 32<<10), parquet.ColumnPageBuffers(smallChunks))

// rollupOut is a rollup file being written.
type rollupOut struct {
	res  Resolution
	tmp  *tmpFile
	pw   *parquet.Writer
	rows int
}

// removeStaleRollups removes the rollups among names, the entries of the
// rollup folder dir, that are not want: those of a day file since
// re-compacted, or of another schema version. One already gone is not an
// error.
func (s *Store) removeStaleRollups(dir string, names []string, want string) error {
	for _, n := range names {
		if _, ok := parseRollupName(n); !ok || n == want {
			continue
		}
		if err := s.remove(dir + "/" + n); err != nil {
			return err
		}
	}
	return nil
}

// currentRollup returns the rollup file of p at res when it is current: the
// partition holds one live file, a day file, and the rollup was made from
// it. A day not compacted yet, or with parts written after its compaction,
// has no current rollup: readers use its raw rows (see currentRollupName).
func (s *Store) currentRollup(res Resolution, p Partition) (string, bool, error) {
	names, err := s.readDirNames(p.Dir())
	if err != nil {
		return "", false, err
	}
	dir := rollupPath(res, p)
	rnames, err := s.readDirNames(dir)
	if err != nil {
		return "", false, err
	}
	name, ok := currentRollupName(names, rnames)
	if !ok {
		return "", false, nil
	}
	return dir + "/" + name, true, nil
}

// RollupDays returns the days of table for host that have a current rollup
// at res (see ScanRollup), oldest first. Other days must be read with Scan.
func (s *Store) RollupDays(res Resolution, table, host string) ([]time.Time, error) {
	parts, err := s.rollupParts(res, table, host)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, p := range parts {
		_, ok, err := s.currentRollup(res, p)
		if err != nil {
			return nil, fmt.Errorf("archive: rollup days of %s for %q: %w", table, host, err)
		}
		if ok {
			out = append(out, p.Day)
		}
	}
	return out, nil
}

func (s *Store) rollupParts(res Resolution, table, host string) ([]Partition, error) {
	if err := checkResolution(res); err != nil {
		return nil, err
	}
	if err := CheckTable(table); err != nil {
		return nil, err
	}
	if err := CheckHost(host); err != nil {
		return nil, err
	}
	if !HasResolution(table, res) {
		return nil, fmt.Errorf("archive: table %s has no %v rollups", table, res)
	}
	parts, err := s.days(table, host)
	if err != nil {
		return nil, fmt.Errorf("archive: rollups of %s for %q: %w", table, host, err)
	}
	return parts, nil
}

// ScanRollup reads the columns cols of the rollup of table for host at
// res, for the buckets with from <= time < to, in time order, like Scan.
// It reads the days that have a current rollup (RollupDays) and skips the
// others, whose raw rows Scan reads.
//
// A rollup row is one bucket of one key: time is the bucket's start, the
// key columns (cpu, device, mountpoint, interface, sensor, resource, user;
// pid and start_time for the process table) name the series, and for each
// numeric column c of the table, c_min, c_avg and c_max are the smallest,
// mean and largest value of the bucket's samples (NaN when all were null);
// samples counts them. String columns that are not keys hold the bucket's
// newest value. A bucket without samples has no row. The process table
// has per-hour rollups only (HasResolution), of some of its columns.
func (s *Store) ScanRollup(res Resolution, table, host string, from, to time.Time, cols ...string) (*Frame, error) {
	parts, err := s.rollupParts(res, table, host)
	if err != nil {
		return nil, err
	}
	want, err := scanColumns(rollupSpecs[table].schema, cols)
	if err != nil {
		return nil, fmt.Errorf("archive: scan rollup %s: %w", table, err)
	}
	fr := newFrame(want)
	r := rangeOf(from, to)
	var errs []error
	for _, p := range parts {
		if !p.Day.Before(to) || !p.End().After(from) {
			continue
		}
		name, ok, err := s.currentRollup(res, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		if err := s.scanFile(name, r, want, fr); err != nil {
			errs = append(errs, err)
		}
	}
	fr.sortByTime()
	if len(errs) > 0 {
		return fr, fmt.Errorf("archive: scan rollup %s of %q: %w", table, host, errors.Join(errs...))
	}
	return fr, nil
}

// rollupFiles lists the current rollup files of host (the newest of each
// day folder written with this schema version), as keys relative to the
// archive folder.
func (s *Store) rollupFiles(host string) ([]string, error) {
	var keys []string
	for _, res := range resolutions {
		for _, table := range tableNames() {
			if !HasResolution(table, res) {
				continue
			}
			days, err := s.readDirNames(rollupDir + "/" + res.String() + "/" + table + "/host=" + host)
			if err != nil {
				return nil, err
			}
			for _, d := range days {
				dir := rollupDir + "/" + res.String() + "/" + table + "/host=" + host + "/" + d
				names, err := s.readDirNames(dir)
				if err != nil {
					return nil, err
				}
				if name, ok := newestRollup(names); ok {
					keys = append(keys, dir+"/"+name)
				}
			}
		}
	}
	return keys, nil
}
