package archive

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// bounded is a column chunk that knows the min and max of its values
// from the file's statistics.
type bounded interface {
	Bounds() (lo, hi parquet.Value, ok bool)
}

// timeColumn is the name of the time column of every table.
const timeColumn = "time"

// Scan reads the columns cols of table for host, for rows with from <= time
// < to. It reads only those columns, and skips the days and row groups
// whose times fall outside the range. It sees the closed Parquet files only:
// rows still in a writer's journal (at most FlushEvery old) are not
// returned. Corrupt files are skipped: the frame holds the rest, and the
// error (errors.Is ErrCorrupt) names each skipped file. A table with no
// partition at all for host returns an empty frame and ErrNoData.
//
// A list column comes back as one string per row, its items joined by
// newlines; so does a member of a list of structs, named list.member (the
// host table's mounts.mountpoint).
func (s *Store) Scan(table, host string, from, to time.Time, cols ...string) (*Frame, error) {
	if err := CheckTable(table); err != nil {
		return nil, err
	}
	if err := CheckHost(host); err != nil {
		return nil, err
	}
	want, err := scanColumns(tables[table].schema(), cols)
	if err != nil {
		return nil, fmt.Errorf("archive: scan %s: %w", table, err)
	}
	fr := newFrame(want)
	parts, err := s.partitions(table, host)
	if err != nil {
		return nil, fmt.Errorf("archive: scan %s of %q: %w", table, host, err)
	}
	if len(parts) == 0 {
		return fr, fmt.Errorf("archive: scan %s of %q: %w", table, host, ErrNoData)
	}
	r := rangeOf(from, to)
	var errs []error
	for _, p := range parts {
		if !p.Day.Before(to) || !p.End().After(from) {
			continue
		}
		errs = append(errs, s.scanPartition(p, r, want, fr)...)
	}
	fr.sortByTime()
	if len(errs) > 0 {
		return fr, fmt.Errorf("archive: scan %s of %q: %w", table, host, errors.Join(errs...))
	}
	return fr, nil
}

// timeRange is [from, to) in microseconds.
type timeRange struct{ from, to int64 }

func rangeOf(from, to time.Time) timeRange {
	return timeRange{from: from.UnixMicro(), to: to.UnixMicro()}
}

// column is an asked-for column and how it is stored.
type column struct {
	name   string
	str    bool    // in Frame.Str, else Frame.Num
	scale  float64 // divisor of a decimal column, else 1
	list   bool
	maxDef int // the definition level of a present value
}

// scanColumns checks cols against the table schema.
func scanColumns(schema *parquet.Schema, cols []string) ([]column, error) {
	var out []column
	for _, name := range cols {
		leaf, ok := lookupColumn(schema, name)
		if !ok {
			return nil, fmt.Errorf("no column %q", name)
		}
		if slices.ContainsFunc(out, func(c column) bool { return c.name == name }) {
			continue
		}
		out = append(out, columnOf(name, leaf))
	}
	return out, nil
}

// lookupColumn finds the leaf column name of schema: a column, the items
// of a list column, or with "list.member" a member of the structs of a
// list (mounts.mountpoint).
func lookupColumn(schema *parquet.Schema, name string) (parquet.LeafColumn, bool) {
	if leaf, ok := schema.Lookup(name); ok {
		return leaf, true
	}
	if list, member, ok := strings.Cut(name, "."); ok {
		return schema.Lookup(list, "list", "element", member)
	}
	return schema.Lookup(name, "list", "element")
}

func columnOf(name string, leaf parquet.LeafColumn) column {
	c := column{name: name, scale: 1, list: leaf.MaxRepetitionLevel > 0, maxDef: leaf.MaxDefinitionLevel}
	typ := leaf.Node.Type()
	c.str = typ.Kind() == parquet.ByteArray || typ.Kind() == parquet.FixedLenByteArray
	if lt := typ.LogicalType(); lt != nil {
		if d, ok := lt.Value.(*format.DecimalType); ok {
			c.scale = math.Pow10(int(d.Scale))
		}
	}
	return c
}

func newFrame(cols []column) *Frame {
	f := &Frame{Num: map[string][]float64{}, Str: map[string][]string{}}
	for _, c := range cols {
		if c.str {
			f.Str[c.name] = []string{}
		} else {
			f.Num[c.name] = []float64{}
		}
	}
	return f
}

// scanPartition appends the rows of the live files of p in r to fr and
// returns the errors of the files it could not read. A file that vanished
// after the listing (a compaction merged it into a day file) makes it read
// the partition again, from a new listing, a few times at most: the rows
// are then those of the file that replaced it.
func (s *Store) scanPartition(p Partition, r timeRange, cols []column, fr *Frame) []error {
	return s.scanListed(p, nil, nil, r, cols, fr)
}

// scanListed is scanPartition starting from names, a listing of p's
// folder made before (nil: list it first). With spans (FileSpans of that
// listing), a listed file whose rows all lie outside r is not opened; a
// listing made anew (a file vanished since) is read without them.
func (s *Store) scanListed(p Partition, names []string, spans []FileSpan, r timeRange, cols []column, fr *Frame) []error {
	dir := p.Dir()
	n := fr.Len()
	for try := 0; ; try++ {
		if try > 0 || names == nil {
			var err error
			if names, err = s.readDirNames(dir); err != nil {
				return []error{err}
			}
		}
		if testHookListed != nil {
			testHookListed(dir)
		}
		live, _ := liveFiles(names)
		if try == 0 && spans != nil {
			live = slices.DeleteFunc(live, func(f dataFile) bool { return outside(spans, dir+"/"+f.name, r) })
		}
		var errs []error
		vanished := false
		// The files are opened from the folder's descriptor when it opens.
		d, derr := s.openDirAt(dir)
		for i, f := range live {
			var gone bool
			var err error
			if derr == nil {
				gone, err = s.scanFileAt(d, dir, f.name, r, cols, fr, len(live)-i)
			} else {
				gone, err = s.scanFileGone(dir+"/"+f.name, r, cols, fr, len(live)-i)
			}
			vanished = vanished || gone
			if err != nil {
				errs = append(errs, err)
			}
		}
		if derr == nil {
			d.Close()
		}
		if !vanished || try == 2 {
			return errs
		}
		fr.truncate(n)
	}
}

// outside reports whether spans know the file name to hold no rows in r.
func outside(spans []FileSpan, name string, r timeRange) bool {
	i := slices.IndexFunc(spans, func(f FileSpan) bool { return f.Name == name })
	return i >= 0 && !spans[i].Overlaps(r.from, r.to)
}

// readerAtCloser is an open file a scan reads.
type readerAtCloser interface {
	io.ReaderAt
	io.Closer
}

// scanFileAt is scanFileGone of the file name of the folder dir, open as
// d: opened from d, or through the root when that fails (which then says
// what is wrong).
func (s *Store) scanFileAt(d dirAt, dir, name string, r timeRange, cols []column, fr *Frame, left int) (gone bool, err error) {
	f, size, err := d.openFile(name)
	if err != nil {
		return s.scanFileGone(dir+"/"+name, r, cols, fr, left)
	}
	defer f.Close()
	n := len(fr.Time)
	if err := readFrame(f, size, r, cols, fr, left); err != nil {
		fr.truncate(n)
		return false, fmt.Errorf("%s: %w", dir+"/"+name, err)
	}
	return false, nil
}

// testHookListed, when set by a test, runs after scanPartition listed a
// folder and before it reads the files.
var testHookListed func(dir string)

// scanFile appends the rows of one file in r to fr. Any failure to read
// the file leaves fr as it was and returns an error; a damaged file's
// error wraps ErrCorrupt. A file that vanished since it was listed is
// no error (its rows are in the file that replaced it).
func (s *Store) scanFile(name string, r timeRange, cols []column, fr *Frame) error {
	_, err := s.scanFileGone(name, r, cols, fr, 1)
	return err
}

// scanFileGone is scanFile, and reports whether the file had vanished.
//
// left is how many files of a listing are read into fr from this one on:
// fr's columns are grown once for about as many rows in each (the parts of
// an hour are alike), rather than by a quarter at each file.
func (s *Store) scanFileGone(name string, r timeRange, cols []column, fr *Frame, left int) (gone bool, err error) {
	f, err := s.root.Open(name)
	if err != nil {
		if s.skip(name, err, true) {
			return errors.Is(err, fs.ErrNotExist), nil
		}
		return false, s.explain(name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	n := len(fr.Time)
	if err := readFrame(f, st.Size(), r, cols, fr, left); err != nil {
		fr.truncate(n)
		return false, fmt.Errorf("%s: %w", name, err)
	}
	return false, nil
}

// truncate cuts every column of f to n rows.
func (f *Frame) truncate(n int) {
	f.Time = f.Time[:min(n, len(f.Time))]
	for k, c := range f.Num {
		f.Num[k] = c[:min(n, len(c))]
	}
	for k, c := range f.Str {
		f.Str[k] = c[:min(n, len(c))]
	}
}

// readFrame reads the rows of a Parquet file in r into fr, making room
// in fr, if it has too little for them, for left files of as many rows
// (see scanFileGone). The Parquet reader may panic on damaged input; that
// becomes ErrCorrupt.
func readFrame(ra io.ReaderAt, size int64, r timeRange, cols []column, fr *Frame, left int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	pf, err := parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	schema := pf.Schema()
	tleaf, ok := schema.Lookup(timeColumn)
	if !ok {
		return fmt.Errorf("%w: no time column", ErrCorrupt)
	}
	// Column indexes and decimal scales come from the file's own schema.
	idx := make([]int, len(cols))
	fcols := slices.Clone(cols)
	for i, c := range cols {
		idx[i] = -1
		if leaf, ok := lookupColumn(schema, c.name); ok {
			idx[i] = leaf.ColumnIndex
			fc := columnOf(c.name, leaf)
			fcols[i].scale, fcols[i].list, fcols[i].maxDef = fc.scale, fc.list, fc.maxDef
		}
	}
	if n := rowsIn(pf, tleaf.ColumnIndex, r); fr.room() < n {
		fr.grow(n * max(left, 1))
	}
	var vals []parquet.Value
	var times []int64
	var keep []int
	for _, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		nrows := int(rg.NumRows())
		// The buffers of one row group serve the next.
		times, keep, err = rowsOfGroup(rg, tleaf.ColumnIndex, r, times, keep)
		if err != nil {
			return err
		}
		if len(keep) == 0 {
			continue
		}
		for i, c := range fcols {
			if idx[i] < 0 {
				fill(fr, c, len(keep))
				continue
			}
			vals, err = readColumn(chunks[idx[i]], c, nrows, keep, vals, fr)
			if err != nil {
				return err
			}
		}
		for _, k := range keep {
			fr.Time = append(fr.Time, times[k])
		}
	}
	return nil
}

// rowsOfGroup reads the times of the row group rg (into times, reused)
// and returns the indexes of its rows with a time in r (into keep,
// reused): none, without reading, when its statistics say so.
func rowsOfGroup(rg parquet.RowGroup, timeIndex int, r timeRange, times []int64, keep []int) ([]int64, []int, error) {
	tc := rg.ColumnChunks()[timeIndex]
	keep = keep[:0]
	if b, ok := tc.(bounded); ok {
		if lo, hi, ok := b.Bounds(); ok && (hi.Int64() < r.from || lo.Int64() >= r.to) {
			return times, keep, nil
		}
	}
	times, err := readTimes(tc, times[:0])
	if err != nil {
		return times, keep, err
	}
	if n := rg.NumRows(); int64(len(times)) != n {
		return times, keep, fmt.Errorf("%w: time column has %d values for %d rows", ErrCorrupt, len(times), n)
	}
	for i, t := range times {
		if r.from <= t && t < r.to {
			keep = append(keep, i)
		}
	}
	return times, keep, nil
}

// rowsIn returns how many rows of pf at most have a time in r: the rows
// of the row groups whose time statistics overlap r (all of a group
// without them).
func rowsIn(pf *parquet.File, timeIndex int, r timeRange) int {
	n := 0
	for _, rg := range pf.RowGroups() {
		if b, ok := rg.ColumnChunks()[timeIndex].(bounded); ok {
			if lo, hi, ok := b.Bounds(); ok && (hi.Int64() < r.from || lo.Int64() >= r.to) {
				continue
			}
		}
		n += int(rg.NumRows())
	}
	return n
}

// grow makes room in every column of f for n more rows, so that a file's
// rows are appended without growing the columns again and again (a day of
// process rows is hundreds of thousands).
func (f *Frame) grow(n int) {
	f.Time = slices.Grow(f.Time, n)
	for k, c := range f.Num {
		f.Num[k] = slices.Grow(c, n)
	}
	for k, c := range f.Str {
		f.Str[k] = slices.Grow(c, n)
	}
}

// room returns how many rows every column of f can take without growing.
func (f *Frame) room() int {
	n := cap(f.Time) - len(f.Time)
	for _, c := range f.Num {
		n = min(n, cap(c)-len(c))
	}
	for _, c := range f.Str {
		n = min(n, cap(c)-len(c))
	}
	return n
}

// fill appends n nulls of column c (a column older files lack).
func fill(fr *Frame, c column, n int) {
	for range n {
		if c.str {
			fr.Str[c.name] = append(fr.Str[c.name], "")
		} else {
			fr.Num[c.name] = append(fr.Num[c.name], math.NaN())
		}
	}
}

// readStrs appends the values of a string column chunk to rows, each
// made a string by str (a list: its items joined by newlines), reading
// its dictionary pages through dp and its values through vals.
func readStrs(cc parquet.ColumnChunk, c column, vals []parquet.Value, dp *dictPage, str func([]byte) string, rows []string) ([]parquet.Value, []string, error) {
	var err error
	if c.list {
		var sb strings.Builder
		started := false
		vals, err = readChunk(cc, vals, func(v parquet.Value) {
			if v.RepetitionLevel() == 0 {
				if started {
					rows = append(rows, sb.String())
				}
				sb.Reset()
				started = true
			} else {
				sb.WriteByte('\n')
			}
			if !v.IsNull() {
				sb.Write(v.ByteArray())
			}
		})
		if started {
			rows = append(rows, sb.String())
		}
		return vals, rows, err
	}
	prev := ""
	vals, err = readPages(cc, vals, func(page parquet.Page) (bool, error) {
		var ok bool
		rows, ok = dp.rows(page, c.maxDef, str, rows)
		return ok, nil
	}, func(v parquet.Value) {
		if v.IsNull() {
			rows = append(rows, "")
			return
		}
		b := v.ByteArray()
		// Compacted files hold runs of one key.
		if string(b) == prev {
			rows = append(rows, prev)
			return
		}
		prev = str(b)
		rows = append(rows, prev)
	})
	return vals, rows, err
}

// dictPage reads the pages of a string column chunk that are
// dictionary-encoded: their values come as indexes into the dictionary,
// whose entries are made strings once for each new dictionary.
type dictPage struct {
	dict parquet.Dictionary // the last page's
	strs []string           // its entries
}

// rows appends the values of page to rows, each entry of its dictionary
// made a string by str, for a column whose values have definition level
// maxDef; false, with rows as they were, when the page is not a
// dictionary page this reads (read it value by value then).
func (dp *dictPage) rows(page parquet.Page, maxDef int, str func([]byte) string, rows []string) ([]string, bool) {
	d := page.Dictionary()
	if d == nil || maxDef > 1 {
		return rows, false
	}
	data := page.Data()
	if data.Kind() != encoding.Int32 {
		return rows, false
	}
	if d != dp.dict {
		dp.dict = d
		clear(dp.strs)
		dp.strs = slices.Grow(dp.strs[:0], d.Len())[:d.Len()]
		for i := range dp.strs {
			dp.strs[i] = str(d.Index(int32(i)).ByteArray())
		}
	}
	strs := dp.strs
	idx := data.Int32()
	defs := page.DefinitionLevels()
	if defs == nil {
		for _, k := range idx {
			if uint32(k) >= uint32(len(strs)) {
				panic(fmt.Sprintf("dictionary index %d of %d entries", k, len(strs)))
			}
			rows = append(rows, strs[k])
		}
		return rows, true
	}
	j := 0
	for _, l := range defs {
		if int(l) != maxDef {
			rows = append(rows, "")
			continue
		}
		if j >= len(idx) || uint32(idx[j]) >= uint32(len(strs)) {
			panic("dictionary indexes do not match the definition levels")
		}
		rows = append(rows, strs[idx[j]])
		j++
	}
	return rows, true
}

// readColumn appends the values of the rows keep (ascending row numbers)
// of one column chunk to fr.
func readColumn(cc parquet.ColumnChunk, c column, nrows int, keep []int, vals []parquet.Value, fr *Frame) ([]parquet.Value, error) {
	var err error
	if c.str {
		// Every row: straight into the frame.
		direct := len(keep) == nrows
		var rows []string
		base := 0
		if direct {
			rows = fr.Str[c.name]
			base = len(rows)
		} else {
			rows = make([]string, 0, nrows)
		}
		// Strings are dictionary-encoded: few distinct values, each
		// allocated once.
		intern := map[string]string{}
		str := func(b []byte) string {
			str, ok := intern[string(b)]
			if !ok {
				str = string(b)
				if len(intern) < 4096 {
					intern[str] = str
				}
			}
			return str
		}
		var dp dictPage
		vals, rows, err = readStrs(cc, c, vals, &dp, str, rows)
		if err != nil {
			return vals, err
		}
		if len(rows)-base != nrows {
			return vals, fmt.Errorf("%w: column %s has %d rows, want %d", ErrCorrupt, c.name, len(rows)-base, nrows)
		}
		if direct {
			fr.Str[c.name] = rows
			return vals, nil
		}
		out := fr.Str[c.name]
		for _, k := range keep {
			out = append(out, rows[k])
		}
		fr.Str[c.name] = out
		return vals, nil
	}
	if c.list {
		return vals, fmt.Errorf("column %s: numeric lists are not supported", c.name)
	}
	out := fr.Num[c.name]
	if len(keep) == nrows {
		// Every row: straight into the frame.
		n := len(out)
		out, vals, err := readNums(cc, c, slices.Grow(out, nrows), vals)
		if err != nil {
			return vals, err
		}
		if len(out)-n != nrows {
			return vals, fmt.Errorf("%w: column %s has %d rows, want %d", ErrCorrupt, c.name, len(out)-n, nrows)
		}
		fr.Num[c.name] = out
		return vals, nil
	}
	rows, vals, err := readNums(cc, c, make([]float64, 0, nrows), vals)
	if err != nil {
		return vals, err
	}
	if len(rows) != nrows {
		return vals, fmt.Errorf("%w: column %s has %d rows, want %d", ErrCorrupt, c.name, len(rows), nrows)
	}
	for _, k := range keep {
		out = append(out, rows[k])
	}
	fr.Num[c.name] = out
	return vals, nil
}

// readTimes appends the values of a time column chunk to times.
func readTimes(cc parquet.ColumnChunk, times []int64) ([]int64, error) {
	pages := cc.Pages()
	defer pages.Close()
	var vals []parquet.Value
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			return times, nil
		}
		if err != nil {
			return times, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if r, ok := page.Values().(parquet.Int64Reader); ok && page.NumNulls() == 0 {
			times, err = readInt64s(r, times, int(page.NumValues()))
		} else {
			vals, err = readPage(page, vals, func(v parquet.Value) { times = append(times, v.Int64()) })
		}
		parquet.Release(page)
		if err != nil {
			return times, err
		}
	}
}

// readInt64s appends the n values of r to dst.
func readInt64s(r parquet.Int64Reader, dst []int64, n int) ([]int64, error) {
	return readValues(r.ReadInt64s, dst, n)
}

// readValues appends up to n values to dst through read (a page's typed
// reader), stopping early at the end of the page.
func readValues[T any](read func([]T) (int, error), dst []T, n int) ([]T, error) {
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	got := 0
	for got < n {
		k, err := read(dst[start+got:])
		got += k
		if err == io.EOF || k == 0 && err == nil {
			break
		}
		if err != nil {
			return dst[:start+got], fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
	return dst[:start+got], nil
}

// readNums appends the values of a numeric column chunk to rows as
// float64, decimals scaled, reading its pages through vals.
func readNums(cc parquet.ColumnChunk, c column, rows []float64, vals []parquet.Value) ([]float64, []parquet.Value, error) {
	b := numBufs{vals: vals}
	rows, err := b.nums(cc, c, rows)
	return rows, b.vals, err
}

// readStep is how many integers numBufs.nums decodes at a time.
const readStep = 4096

// numBufs holds what numeric column chunks are decoded through, for a
// reader to keep from one chunk to the next.
type numBufs struct {
	vals []parquet.Value
	i64  []int64
	i32  []int32
}

// nums appends the values of a numeric column chunk to rows as float64:
// decimals scaled, nulls NaN. Pages without nulls of integer and double
// columns are decoded in bulk through their typed readers, integers
// readStep at a time.
func (b *numBufs) nums(cc parquet.ColumnChunk, c column, rows []float64) ([]float64, error) {
	var err error
	b.vals, err = readPages(cc, b.vals, func(page parquet.Page) (bool, error) {
		if page.NumNulls() != 0 {
			return false, nil
		}
		n := int(page.NumValues())
		var err error
		switch r := page.Values().(type) {
		case parquet.Int64Reader:
			rows, b.i64, err = appendScaled(rows, r.ReadInt64s, b.i64, n, c.scale)
		case parquet.Int32Reader:
			rows, b.i32, err = appendScaled(rows, r.ReadInt32s, b.i32, n, c.scale)
		case parquet.DoubleReader:
			rows, err = readValues(r.ReadDoubles, rows, n)
		default:
			return false, nil
		}
		return true, err
	}, func(v parquet.Value) { rows = append(rows, numValue(v, c.scale)) })
	return rows, err
}

// appendScaled appends to rows up to n integers that read gives, each
// divided by scale, decoding them into buf readStep at a time.
func appendScaled[T int32 | int64](rows []float64, read func([]T) (int, error), buf []T, n int, scale float64) ([]float64, []T, error) {
	for got := 0; got < n; got += readStep {
		k := min(n-got, readStep)
		var err error
		buf, err = readValues(read, buf[:0], k)
		for _, x := range buf {
			rows = append(rows, float64(x)/scale)
		}
		if err != nil || len(buf) < k {
			return rows, buf, err
		}
	}
	return rows, buf, nil
}

// numValue returns v as float64: decimals scaled, booleans 0 or 1, null NaN.
func numValue(v parquet.Value, scale float64) float64 {
	if v.IsNull() {
		return math.NaN()
	}
	var x float64
	switch v.Kind() {
	case parquet.Boolean:
		if v.Boolean() {
			x = 1
		}
	case parquet.Int32:
		x = float64(v.Int32())
	case parquet.Int64:
		x = float64(v.Int64())
	case parquet.Float:
		x = float64(v.Float())
	case parquet.Double:
		x = v.Double()
	default:
		return math.NaN()
	}
	if scale != 1 {
		x /= scale
	}
	return x
}

// readPage calls fn with every value of a page.
func readPage(page parquet.Page, buf []parquet.Value, fn func(parquet.Value)) ([]parquet.Value, error) {
	if cap(buf) < 1024 {
		buf = make([]parquet.Value, 1024)
	}
	buf = buf[:cap(buf)]
	vr := page.Values()
	for {
		n, err := vr.ReadValues(buf)
		for _, v := range buf[:n] {
			fn(v)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
}

// readChunk calls fn with every value of a column chunk, page by page.
func readChunk(cc parquet.ColumnChunk, buf []parquet.Value, fn func(parquet.Value)) ([]parquet.Value, error) {
	return readPages(cc, buf, nil, fn)
}

// readPages reads a column chunk page by page: fast, when not nil, reads
// a page its own way and reports whether it did; the values of the other
// pages go one by one to fn.
func readPages(cc parquet.ColumnChunk, buf []parquet.Value, fast func(parquet.Page) (bool, error), fn func(parquet.Value)) ([]parquet.Value, error) {
	pages := cc.Pages()
	defer pages.Close()
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		done := false
		if fast != nil {
			done, err = fast(page)
		}
		if !done && err == nil {
			buf, err = readPage(page, buf, fn)
		}
		parquet.Release(page)
		if err != nil {
			return buf, err
		}
	}
}

// sortByTime puts the rows of f in time order (a compacted file is in key
// order); rows with equal times keep their order.
func (f *Frame) sortByTime() {
	if slices.IsSorted(f.Time) {
		return
	}
	if perm, ok := packedOrder(f.Time); ok {
		f.permute(perm)
		return
	}
	type key struct {
		t int64
		i int
	}
	keys := make([]key, len(f.Time))
	for i, t := range f.Time {
		keys[i] = key{t, i}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.t != b.t {
			return cmp.Compare(a.t, b.t)
		}
		return cmp.Compare(a.i, b.i)
	})
	perm := make([]int, len(keys))
	for i, k := range keys {
		perm[i] = k.i
	}
	f.permute(perm)
}

// packedOrder returns the stable time order of ts by sorting plain
// integers: each row's time offset in the high bits and its index in the
// low ones. ok is false when they do not fit in 63 bits.
func packedOrder(ts []int64) (perm []int, ok bool) {
	lo, hi := slices.Min(ts), slices.Max(ts)
	ibits := 1
	for 1<<ibits < len(ts) {
		ibits++
	}
	span := uint64(hi - lo)
	if hi < lo || span>>(63-ibits) != 0 {
		return nil, false
	}
	packed := make([]int64, len(ts))
	for i, t := range ts {
		packed[i] = (t-lo)<<ibits | int64(i)
	}
	slices.Sort(packed)
	perm = make([]int, len(ts))
	mask := int64(1)<<ibits - 1
	for i, p := range packed {
		perm[i] = int(p & mask)
	}
	return perm, true
}

// permute puts row perm[i] of f at i, rewriting the columns in place
// through one scratch copy per column type (a frame has many columns).
func (f *Frame) permute(perm []int) {
	n := len(perm)
	ts := make([]int64, n)
	copy(ts, f.Time)
	for i, k := range perm {
		f.Time[i] = ts[k]
	}
	var nums []float64
	for _, col := range f.Num {
		if nums == nil {
			nums = make([]float64, n)
		}
		copy(nums, col)
		for i, k := range perm {
			col[i] = nums[k]
		}
	}
	var strs []string
	for _, col := range f.Str {
		if strs == nil {
			strs = make([]string, n)
		}
		copy(strs, col)
		for i, k := range perm {
			col[i] = strs[k]
		}
	}
}
