package archive

import (
	"almanac/schema"
	"cmp"
	"errors"
	"fmt"
	"io"
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

// rollupKeys are the key columns of each table that has rollups: the
// columns its compacted files are sorted by. The host table (facts) has
// none. The process table is keyed by process identity, pid and start
// time (numbers, where the others' keys are strings).
var rollupKeys = map[string][]string{
	schema.TableCPU:         {"cpu"},
	schema.TableSystem:      nil,
	schema.TablePressure:    {"resource"},
	schema.TableMemory:      nil,
	schema.TableDisk:        {"device"},
	schema.TableFilesystem:  {"mountpoint"},
	schema.TableNetwork:     {"interface"},
	schema.TableTemperature: {"sensor"},
	schema.TableProcCount:   nil,
	schema.TableProcUser:    {"user"},
	schema.TableProcess:     {"pid", "start_time"},
}

// rollupOnly limits the rollup of a table to some of its columns: the
// numeric ones summarized and the string ones whose newest value is kept.
// A table not listed summarizes every column.
var rollupOnly = map[string][]string{
	// Per process identity: its CPU, memory and threads, and its newest
	// name, user and state (not its command line, nor its I/O).
	schema.TableProcess: {"user", "comm", "state", "cpu_user_pct", "cpu_system_pct", "rss_bytes", "threads"},
}

// tableResolutions returns the rollups written for table, finest first.
// The process table has only per-hour ones: a host runs hundreds of
// processes, and a per-minute rollup of each would be about as big as the
// raw rows.
func tableResolutions(table string) []Resolution {
	if table == schema.TableProcess {
		return []Resolution{PerHour}
	}
	return resolutions
}

// HasResolution reports whether Compact writes rollups of table at res.
func HasResolution(table string, res Resolution) bool {
	return HasRollups(table) && slices.Contains(tableResolutions(table), res)
}

// HasRollups reports whether Compact writes rollups of table.
func HasRollups(table string) bool {
	_, ok := rollupKeys[table]
	return ok
}

// rollupPath returns the folder of the rollup of partition p at res:
// rollup/<res>/<table>/host=<host>/date=<YYYY-MM-DD>.
func rollupPath(res Resolution, p Partition) string {
	return rollupDir + "/" + res.String() + "/" + p.Dir()
}

// Rollup column kinds.
const (
	rcTime = iota
	rcKey
	rcLast // a string column that is not a key: the bucket's newest value
	rcMin
	rcAvg
	rcMax
	rcSamples
)

// rollupSpec is the rollup layout of one table.
type rollupSpec struct {
	keys, lasts []string
	keyCols     []column        // the key columns (numeric for the process table)
	keyKinds    []parquet.Kind  // their physical kinds
	nums        []column        // the numeric source columns
	kinds       []parquet.Kind  // their physical kinds
	optional    []bool          // whether they are nullable
	avgKinds    []parquet.Kind  // the physical kinds of their means
	avgScales   []float64       // and the decimal scales
	schema      *parquet.Schema // the rollup file's schema
	plan        []rollupLeaf    // per leaf column of schema, in order
	src         []column        // what to read from a day file: keys, lasts, nums
}

// rollupLeaf says what one leaf column of a rollup file holds.
type rollupLeaf struct {
	kind int
	i    int // index in keys, lasts or nums
}

// rollupSpecs holds the layout of every table with rollups.
var rollupSpecs = func() map[string]*rollupSpec {
	out := map[string]*rollupSpec{}
	for name, keys := range rollupKeys {
		out[name] = newRollupSpec(tables[name].schema(), keys, rollupOnly[name])
	}
	return out
}()

// newRollupSpec builds the rollup layout of a table schema: time (the
// bucket start), the key columns, the other string columns (newest value
// of the bucket), per numeric column c the columns c_min and c_max (of c's
// type) and c_avg (see avgNode), and samples (the rows in the bucket).
// When only is not nil, the columns that are neither time nor keys are
// those in only.
func newRollupSpec(schema *parquet.Schema, keys, only []string) *rollupSpec {
	sp := &rollupSpec{keys: keys, keyCols: make([]column, len(keys)), keyKinds: make([]parquet.Kind, len(keys))}
	group := parquet.Group{}
	type leafInfo struct {
		kind, i int
	}
	byName := map[string]leafInfo{}
	for _, path := range schema.Columns() {
		name := path[0]
		leaf, _ := schema.Lookup(path...)
		c := columnOf(name, leaf)
		switch {
		case name == timeColumn:
			group[name] = leaf.Node
			byName[name] = leafInfo{rcTime, 0}
		case c.list:
			continue
		case slices.Contains(keys, name):
			i := slices.Index(keys, name)
			group[name] = leaf.Node
			byName[name] = leafInfo{rcKey, i}
			sp.keyCols[i] = c
			sp.keyKinds[i] = leaf.Node.Type().Kind()
		case only != nil && !slices.Contains(only, name):
			continue
		case c.str:
			group[name] = leaf.Node
			byName[name] = leafInfo{rcLast, len(sp.lasts)}
			sp.lasts = append(sp.lasts, name)
		default:
			// Required columns stay required (readers decode them in
			// bulk); a nullable one gives nullable statistics.
			i := len(sp.nums)
			sp.nums = append(sp.nums, c)
			sp.kinds = append(sp.kinds, leaf.Node.Type().Kind())
			sp.optional = append(sp.optional, leaf.Node.Optional())
			avg, akind, ascale := avgNode(leaf.Node, c.scale)
			sp.avgKinds = append(sp.avgKinds, akind)
			sp.avgScales = append(sp.avgScales, ascale)
			if leaf.Node.Optional() {
				avg = parquet.Optional(avg)
			}
			group[name+"_min"] = leaf.Node
			group[name+"_max"] = leaf.Node
			group[name+"_avg"] = avg
			byName[name+"_min"] = leafInfo{rcMin, i}
			byName[name+"_max"] = leafInfo{rcMax, i}
			byName[name+"_avg"] = leafInfo{rcAvg, i}
		}
	}
	group[SamplesColumn] = parquet.Encoded(parquet.Int(32), &parquet.DeltaBinaryPacked)
	byName[SamplesColumn] = leafInfo{rcSamples, 0}
	sp.schema = parquet.NewSchema("rollup", group)
	for _, path := range sp.schema.Columns() {
		li := byName[path[0]]
		sp.plan = append(sp.plan, rollupLeaf{kind: li.kind, i: li.i})
	}
	sp.src = append(sp.src, sp.keyCols...)
	for _, l := range sp.lasts {
		sp.src = append(sp.src, column{name: l, str: true, scale: 1})
	}
	sp.src = append(sp.src, sp.nums...)
	return sp
}

// bucketStats accumulates the rows of one key of a rollup, per bucket.
type bucketStats struct {
	key    []string
	n      []int32   // rows per bucket
	lastT  []int64   // time of the newest row per bucket
	last   []string  // per bucket and last column (bucket-major)
	lo, hi []float64 // per bucket and numeric column (bucket-major)
	sum    []float64
	cnt    []int32 // non-null values per bucket and numeric column
	nb, nn int
	nlast  int
}

func newBucketStats(key []string, nb, nn, nlast int) *bucketStats {
	b := &bucketStats{key: key, nb: nb, nn: nn, nlast: nlast,
		n: make([]int32, nb), lastT: make([]int64, nb), last: make([]string, nb*nlast),
		lo: make([]float64, nb*nn), hi: make([]float64, nb*nn), sum: make([]float64, nb*nn), cnt: make([]int32, nb*nn)}
	return b
}

// add adds the numbers vals (NaN: null) of one row at bucket i.
func (b *bucketStats) add(i int, t int64, lasts []string, vals func(j int) float64) {
	if b.n[i] == 0 || t >= b.lastT[i] {
		b.lastT[i] = t
		copy(b.last[i*b.nlast:], lasts)
	}
	b.n[i]++
	for j := range b.nn {
		v := vals(j)
		if math.IsNaN(v) {
			continue
		}
		k := i*b.nn + j
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

// coarsen returns the stats of b over buckets f times wider.
func (b *bucketStats) coarsen(f int) *bucketStats {
	out := newBucketStats(b.key, (b.nb+f-1)/f, b.nn, b.nlast)
	for i := range b.nb {
		if b.n[i] == 0 {
			continue
		}
		o := i / f
		if out.n[o] == 0 || b.lastT[i] >= out.lastT[o] {
			out.lastT[o] = b.lastT[i]
			copy(out.last[o*b.nlast:(o+1)*b.nlast], b.last[i*b.nlast:(i+1)*b.nlast])
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

// rollupDay reads a day file of table and returns its stats at res, one
// per key, in key order. It holds one row group of the file at a time. A
// numeric key is kept as the decimal string of its integer value.
func rollupDay(ra io.ReaderAt, size int64, table string, day time.Time, res Resolution) ([]*bucketStats, error) {
	sp := rollupSpecs[table]
	width := time.Duration(res).Microseconds()
	start := day.UnixMicro()
	nb := int(24 * time.Hour.Microseconds() / width)
	byKey := map[string]*bucketStats{}
	var fr = newFrame(sp.src)
	keyCols := make([][]string, len(sp.keys))
	keyNums := make([][]float64, len(sp.keys))
	lastCols := make([][]string, len(sp.lasts))
	numCols := make([][]float64, len(sp.nums))
	key := make([]string, len(sp.keys))
	lasts := make([]string, len(sp.lasts))
	var sb strings.Builder
	r := timeRange{from: start, to: start + 24*time.Hour.Microseconds()}
	err := readGroups(ra, size, r, sp.src, fr, func(fr *Frame) error {
		for i, k := range sp.keyCols {
			if k.str {
				keyCols[i] = fr.Str[k.name]
			} else {
				keyNums[i] = fr.Num[k.name]
			}
		}
		for i, l := range sp.lasts {
			lastCols[i] = fr.Str[l]
		}
		for i, c := range sp.nums {
			numCols[i] = fr.Num[c.name]
		}
		var cur *bucketStats
		for row, t := range fr.Time {
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
			if cur == nil || !slices.Equal(cur.key, key) {
				var ok bool
				if cur, ok = byKey[sb.String()]; !ok {
					cur = newBucketStats(slices.Clone(key), nb, len(sp.nums), len(sp.lasts))
					byKey[sb.String()] = cur
				}
			}
			for i := range lasts {
				lasts[i] = lastCols[i][row]
			}
			b := int((t - start) / width)
			if t < start || b >= nb {
				continue // not of this day: a misplaced row
			}
			cur.add(b, t, lasts, func(j int) float64 { return numCols[j][row] })
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*bucketStats, 0, len(byKey))
	for _, b := range byKey {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *bucketStats) int { return compareKeys(sp, a.key, b.key) })
	return out, nil
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

// writeRollup writes stats (buckets of width res from day) as a rollup
// file of table to w.
func writeRollup(w io.Writer, table string, day time.Time, res Resolution, stats []*bucketStats) (int, error) {
	sp := rollupSpecs[table]
	pw := parquet.NewWriter(w, append([]parquet.WriterOption{sp.schema}, dayCodec...)...)
	width := time.Duration(res).Microseconds()
	start := day.UnixMicro()
	rows := make([]parquet.Row, 0, 1024)
	n := 0
	flush := func() error {
		if _, err := pw.WriteRows(rows); err != nil {
			return fmt.Errorf("write rows: %w", err)
		}
		n += len(rows)
		rows = rows[:0]
		return nil
	}
	for _, b := range stats {
		for i := range b.nb {
			if b.n[i] == 0 {
				continue
			}
			row := make(parquet.Row, len(sp.plan))
			for c, l := range sp.plan {
				var v parquet.Value
				switch l.kind {
				case rcTime:
					v = parquet.Int64Value(start+int64(i)*width).Level(0, 0, c)
				case rcKey:
					if sp.keyCols[l.i].str {
						v = parquet.ByteArrayValue([]byte(b.key[l.i])).Level(0, 0, c)
						break
					}
					x, err := strconv.ParseInt(b.key[l.i], 10, 64)
					if err != nil {
						return 0, fmt.Errorf("column %s: a null key", sp.keys[l.i])
					}
					v = typedValue(sp.keyKinds[l.i], float64(x), 1).Level(0, 0, c)
				case rcLast:
					v = parquet.ByteArrayValue([]byte(b.last[i*b.nlast+l.i])).Level(0, 0, c)
				case rcSamples:
					v = parquet.Int32Value(b.n[i]).Level(0, 0, c)
				default:
					k := i*b.nn + l.i
					def := 0
					if sp.optional[l.i] {
						def = 1
					}
					if b.cnt[k] == 0 {
						if def == 0 {
							// A required column has no nulls to skip.
							return 0, fmt.Errorf("column %s: no value in a bucket", sp.nums[l.i].name)
						}
						v = parquet.NullValue().Level(0, 0, c)
						break
					}
					switch l.kind {
					case rcMin:
						v = typedValue(sp.kinds[l.i], b.lo[k], sp.nums[l.i].scale)
					case rcMax:
						v = typedValue(sp.kinds[l.i], b.hi[k], sp.nums[l.i].scale)
					default:
						v = typedValue(sp.avgKinds[l.i], b.sum[k]/float64(b.cnt[k]), sp.avgScales[l.i])
					}
					v = v.Level(0, def, c)
				}
				row[c] = v
			}
			rows = append(rows, row)
			if len(rows) == cap(rows) {
				if err := flush(); err != nil {
					return 0, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return 0, err
	}
	if err := pw.Close(); err != nil {
		return 0, fmt.Errorf("write footer: %w", err)
	}
	return n, nil
}

// avgNode returns the column of the means of a numeric column of type
// node (decimal scale scale): integers and decimals as the same type
// (means rounded to its precision: delta encoding packs them far tighter
// than doubles), small integers and booleans as DECIMAL(18,2), floats as
// DOUBLE. It also returns the physical kind and scale to write.
func avgNode(node parquet.Node, scale float64) (parquet.Node, parquet.Kind, float64) {
	switch node.Type().Kind() {
	case parquet.Int64:
		return parquet.Required(node), parquet.Int64, scale
	case parquet.Int32, parquet.Boolean:
		return parquet.Encoded(parquet.Decimal(2, 18, parquet.Int64Type), &parquet.DeltaBinaryPacked), parquet.Int64, 100
	}
	return parquet.Encoded(parquet.Leaf(parquet.DoubleType), &parquet.ByteStreamSplit), parquet.Double, 1
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
// removes older rollups of the day. It reads the day file once, and not
// at all when every rollup is there.
func (s *Store) ensureRollups(p Partition, f dataFile, st *CompactStats) error {
	if !HasRollups(p.Table) {
		return nil
	}
	want := dayName(f.seq)
	var missing []Resolution
	for _, res := range tableResolutions(p.Table) {
		names, err := s.readDirNames(rollupPath(res, p))
		if err != nil {
			return err
		}
		if !slices.Contains(names, want) || len(names) > 1 {
			missing = append(missing, res)
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
	fine, err := rollupDay(fh, fi.Size(), p.Table, p.Day, finest)
	if err != nil {
		err = fmt.Errorf("rollup %s: %w", name, err)
		if errors.Is(err, ErrCorrupt) {
			// As merge does with a damaged input: readers would skip it
			// anyway, with an error on every read.
			fh.Close()
			if rerr := s.root.Rename(name, name+".corrupt"); rerr != nil {
				return errors.Join(err, rerr)
			}
			return fmt.Errorf("%w (set aside as %s.corrupt)", err, f.name)
		}
		return err
	}
	for _, res := range missing {
		stats := fine
		if res != finest {
			f := int(time.Duration(res) / time.Duration(finest))
			stats = make([]*bucketStats, len(fine))
			for i, b := range fine {
				stats[i] = b.coarsen(f)
			}
		}
		dir := rollupPath(res, p)
		if err := s.ensureDir(dir); err != nil {
			return err
		}
		names, err := s.readDirNames(dir)
		if err != nil {
			return err
		}
		if !slices.Contains(names, want) {
			var rows int
			size, err := s.writeFile(dir+"/"+want, false, func(w io.Writer) error {
				var err error
				rows, err = writeRollup(w, p.Table, p.Day, res, stats)
				return err
			})
			if err != nil {
				return err
			}
			if err := s.syncDir(dir); err != nil {
				return err
			}
			st.Rollups++
			st.BytesOut += size
			s.log.Debug("rollup written", "file", dir+"/"+want, "rows", rows, "bytes", size)
		}
		// Older rollups of the day (of a day file since re-compacted), and
		// tmp files of an interrupted write.
		for _, n := range names {
			if n != want {
				if err := s.root.Remove(dir + "/" + n); err != nil {
					return err
				}
			}
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

// rollupFiles lists the rollup files of host (the newest of each day
// folder), as keys relative to the archive folder.
func (s *Store) rollupFiles(host string) ([]string, error) {
	var keys []string
	for _, res := range resolutions {
		for _, table := range schema.Tables {
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
				live, _ := liveFiles(names)
				if len(live) > 0 && live[0].kind == kindDay {
					keys = append(keys, dir+"/"+live[0].name)
				}
			}
		}
	}
	return keys, nil
}
