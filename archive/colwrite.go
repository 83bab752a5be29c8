package archive

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// A merge sorts a chunk of rows and writes it as one row group. Written
// row by row (GenericWriter.Write), the writer holds every column's values
// of the row group until it ends: a second copy of the chunk (6 MiB for
// the process table, 9 MiB for the cgroup table). Written column by
// column, each column's last page is written out before the next column
// starts, so the writer holds one column's values. The file is the same
// (see colChunk.write).

// leafWriter is a field of a row type that is a column of its Parquet
// schema: where it is and how GenericWriter writes it.
type leafWriter struct {
	col  int          // the column's index in the schema (its leaf order)
	off  uintptr      // the field's offset in the row
	kind reflect.Kind // Int64, Int32, String, Bool, Float64 or Float32
	ptr  bool         // a pointer: NULL when nil
	opt  bool         // optional, not a pointer: NULL when its bytes are zero (see optField)
	size uintptr      // the field's size (opt)
}

// leafWriters returns the writers of the columns of rt in schema s, one per
// leaf, or nil when a column is not a top-level field of a kind they
// handle (a list, a struct): such tables are written row by row.
func leafWriters(rt reflect.Type, s *parquet.Schema) []leafWriter {
	byName := map[string]reflect.StructField{}
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := cutTag(f.Tag.Get("parquet"))
		if name == "" {
			name = f.Name
		}
		byName[name] = f
	}
	var out []leafWriter
	for i, path := range s.Columns() {
		if len(path) != 1 {
			return nil
		}
		f, ok := byName[path[0]]
		if !ok {
			return nil
		}
		leaf, _ := s.Lookup(path...)
		lw := leafWriter{col: i, off: f.Offset, size: f.Type.Size()}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			lw.ptr = true
			ft = ft.Elem()
		} else if hasTagOption(f.Tag.Get("parquet"), "optional") {
			lw.opt = true
		}
		if leaf.Node.Optional() != (lw.ptr || lw.opt) || leaf.Node.Repeated() {
			return nil
		}
		lw.kind = ft.Kind()
		want := map[reflect.Kind]parquet.Kind{reflect.Int64: parquet.Int64, reflect.Int32: parquet.Int32,
			reflect.String: parquet.ByteArray, reflect.Bool: parquet.Boolean, reflect.Float64: parquet.Double,
			reflect.Float32: parquet.Float}
		if k, ok := want[lw.kind]; !ok || k != leaf.Node.Type().Kind() {
			return nil
		}
		if lw.opt && (lw.kind == reflect.Float64 || lw.kind == reflect.Float32) {
			return nil // optFields refuses these too
		}
		out = append(out, lw)
	}
	return out
}

func cutTag(tag string) (name, rest string, ok bool) {
	for i := range len(tag) {
		if tag[i] == ',' {
			return tag[:i], tag[i+1:], true
		}
	}
	return tag, "", false
}

// null reports whether the non-pointer optional field at p is NULL as
// GenericWriter writes it: an empty string, or all bytes zero.
func (l *leafWriter) null(p unsafe.Pointer) bool {
	if l.kind == reflect.String {
		return len(*(*string)(p)) == 0
	}
	for _, b := range unsafe.Slice((*byte)(p), l.size) {
		if b != 0 {
			return false
		}
	}
	return true
}

// colChunk holds the rows of a merge's chunk column by column: 8 or 4
// bytes a value, 4 for a string (an index into the chunk's distinct
// strings) and a byte for a NULL mark, instead of the row type, whose
// strings take 16 bytes and whose nullable figures are pointers to values
// of their own (a chunk of the cgroup table took 9 MiB as rows, 5 MiB
// this way). It sorts an index of its rows, never the rows.
type colChunk struct {
	leaves []leafWriter
	data   []colData // per leaf
	n      int       // rows
	strs   []string  // the distinct strings, by index
	ids    map[string]uint32
	keys   []int // the leaves of the table's keys, in order, then time's
	opt    []int // the leaves NULL when zero (optField), which writeSteps watches
	idx    []int32
	steps  []int
	vals   []parquet.Value
	spare  colData   // buffers of a column mergeColumnar has written
	f64    []float64 // a page's values read in bulk (see loadPage)
	f32    []float32
	// dict is the dictionary of the string pages loadPage reads, and
	// dictIDs the index in strs of each of its entries.
	dict    parquet.Dictionary
	dictIDs []uint32
}

// colData is the values of one leaf of a chunk, in one of w64 (int64,
// float64), w32 (int32, float32, bool) or str, and whether each is NULL.
type colData struct {
	w64  []int64
	w32  []int32
	str  []uint32
	null []bool
}

// newColChunk returns an empty chunk of the leaves of a table whose key
// fields are at offsets keys (time's is 0).
func newColChunk(leaves []leafWriter, keys []keyField) (*colChunk, error) {
	c := &colChunk{leaves: leaves, data: make([]colData, len(leaves)), ids: map[string]uint32{}}
	for _, off := range append(keyOffsets(keys), 0) {
		i := slices.IndexFunc(leaves, func(l leafWriter) bool { return l.off == off && !l.ptr && !l.opt })
		if i < 0 {
			return nil, fmt.Errorf("archive: no column at key offset %d", off)
		}
		c.keys = append(c.keys, i)
	}
	for i, l := range leaves {
		if l.opt {
			c.opt = append(c.opt, i)
		}
	}
	return c, nil
}

func keyOffsets(keys []keyField) []uintptr {
	out := make([]uintptr, len(keys))
	for i, k := range keys {
		out[i] = k.off
	}
	return out
}

// add appends rows (each stride bytes long, the first at p) to c.
func (c *colChunk) add(p unsafe.Pointer, stride uintptr, n int) {
	for li := range c.leaves {
		l := &c.leaves[li]
		d := &c.data[li]
		for r := range n {
			// Never a pointer past the last row (checkptr).
			v := unsafe.Add(p, uintptr(r)*stride+l.off)
			null := false
			switch {
			case l.ptr:
				v = *(*unsafe.Pointer)(v)
				null = v == nil
			case l.opt:
				null = l.null(v)
			}
			if l.ptr || l.opt {
				d.null = append(d.null, null)
			}
			switch l.kind {
			case reflect.Int64, reflect.Float64:
				var x int64
				if !null {
					x = *(*int64)(v)
				}
				d.w64 = append(d.w64, x)
			case reflect.Int32, reflect.Float32:
				var x int32
				if !null {
					x = *(*int32)(v)
				}
				d.w32 = append(d.w32, x)
			case reflect.Bool:
				var x int32
				if !null && *(*bool)(v) {
					x = 1
				}
				d.w32 = append(d.w32, x)
			default:
				var s string
				if !null {
					s = *(*string)(v)
				}
				id, ok := c.ids[s]
				if !ok {
					id = uint32(len(c.strs))
					c.strs = append(c.strs, s)
					c.ids[s] = id
				}
				d.str = append(d.str, id)
			}
		}
	}
	c.n += n
}

// compare orders rows i and j by the table's keys, then time.
func (c *colChunk) compare(i, j int32) int {
	for _, li := range c.keys {
		d := &c.data[li]
		var r int
		switch c.leaves[li].kind {
		case reflect.String:
			r = strings.Compare(c.strs[d.str[i]], c.strs[d.str[j]])
		case reflect.Int32:
			r = cmp.Compare(d.w32[i], d.w32[j])
		default:
			r = cmp.Compare(d.w64[i], d.w64[j])
		}
		if r != 0 {
			return r
		}
	}
	return 0
}

// sort sets c.idx to the rows in compaction order, a stable sort, as
// tableOf.sort orders rows.
func (c *colChunk) sort() {
	c.idx = c.idx[:0]
	for i := range c.n {
		c.idx = append(c.idx, int32(i))
	}
	for i := 1; i < c.n; i++ {
		if c.compare(int32(i-1), int32(i)) > 0 {
			slices.SortStableFunc(c.idx, c.compare)
			return
		}
	}
}

// reset empties c, keeping its memory.
func (c *colChunk) reset() {
	for i := range c.data {
		d := &c.data[i]
		d.w64, d.w32, d.str, d.null = d.w64[:0], d.w32[:0], d.str[:0], d.null[:0]
	}
	clear(c.strs)
	c.strs = c.strs[:0]
	clear(c.ids)
	c.dict = nil
	c.n = 0
}

// writeSteps sets c.steps to the ends of the runs of rows (in sorted
// order) GenericWriter.Write would hand its column buffers if
// writeRowsSafe wrote them: writeRowsSafe splits rows into calls (see
// there), and each call is written 64 rows at a time. A column's pages
// end where its buffer has reached the page size at the end of a step,
// so a column written in the same steps gets the same pages.
func (c *colChunk) writeSteps() {
	c.steps = c.steps[:0]
	cut := func(start, end int) {
		for i := start; i < end; i += 64 {
			c.steps = append(c.steps, min(i+64, end))
		}
	}
	start := 0
	if len(c.opt) > 0 {
		for r := 1; r < c.n; r++ {
			if y := (r - start) % 64; y == 0 || y > 32 {
				continue
			}
			cur, prev := c.idx[r], c.idx[r-1]
			for _, li := range c.opt {
				if d := &c.data[li]; !d.null[cur] && d.null[prev] {
					cut(start, r)
					start = r
					break
				}
			}
		}
	}
	cut(start, c.n)
}

// write writes the chunk, sorted, to pw one column after the other: each
// column's values in the steps of writeSteps, then its last page. The
// caller ends the row group (pw.Flush), which finds every column's pages
// written. The writer's column buffers read a value's definition level,
// never its column index, so only the values of nullable columns carry
// levels.
func (c *colChunk) write(pw interface {
	ColumnWriters() []*parquet.ColumnWriter
}) error {
	return c.writeColumns(pw, nil, nil)
}

// writeColumns is write, calling load(li), when not nil, before writing
// leaf li, and done(li) after.
func (c *colChunk) writeColumns(pw interface {
	ColumnWriters() []*parquet.ColumnWriter
}, load func(li int) error, done func(li int)) error {
	if c.n == 0 {
		return nil
	}
	c.sort()
	c.writeSteps()
	cols := pw.ColumnWriters()
	if len(cols) != len(c.leaves) {
		return fmt.Errorf("archive: %d columns, %d leaf writers", len(cols), len(c.leaves))
	}
	if c.vals == nil {
		c.vals = make([]parquet.Value, 0, 64)
	}
	for li := range c.leaves {
		if load != nil {
			if err := load(li); err != nil {
				return err
			}
		}
		l := &c.leaves[li]
		cw := cols[l.col]
		start := 0
		for _, end := range c.steps {
			vals := c.appendValues(c.vals[:0], li, c.idx[start:end])
			if _, err := cw.WriteRowValues(vals); err != nil {
				return err
			}
			start = end
		}
		if err := cw.Flush(); err != nil {
			return err
		}
		if done != nil {
			done(li)
		}
	}
	clear(c.vals[:cap(c.vals)]) // drop the pointers into strs
	return nil
}

// appendValues appends the values of leaf li of rows to dst.
func (c *colChunk) appendValues(dst []parquet.Value, li int, rows []int32) []parquet.Value {
	l := &c.leaves[li]
	d := &c.data[li]
	nullable := l.ptr || l.opt
	for _, r := range rows {
		if nullable && d.null[r] {
			dst = append(dst, parquet.NullValue())
			continue
		}
		var v parquet.Value
		switch l.kind {
		case reflect.Int64:
			v = parquet.Int64Value(d.w64[r])
		case reflect.Int32:
			v = parquet.Int32Value(d.w32[r])
		case reflect.String:
			s := c.strs[d.str[r]]
			// The writer copies the bytes (into its dictionary or page).
			v = parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s)))
		case reflect.Float64:
			v = parquet.DoubleValue(math.Float64frombits(uint64(d.w64[r])))
		case reflect.Float32:
			v = parquet.FloatValue(math.Float32frombits(uint32(d.w32[r])))
		default:
			v = parquet.BooleanValue(d.w32[r] != 0)
		}
		if nullable {
			v = v.Level(0, 1, l.col)
		}
		dst = append(dst, v)
	}
	return dst
}

// A merge read its inputs row by row (GenericReader) and held every
// column of its chunk until the chunk was sorted and written: 4 to 5 MiB
// for the process and cgroup tables, with the reader's own row buffers
// besides. When every input has the table's schema, mergeColumnar reads
// them column by column instead (parquet-go's column chunks and pages):
// it holds what the sort and the pages need (the keys and time, and the
// NULL marks of the opt leaves, see writeSteps) for the whole chunk, and
// each column's values only while it is written. The values, and so the file, are the
// same: a value is made NULL or not as GenericReader and colChunk.add
// make it (see addValue).

// mergeMode is how tableOf.mergeWith reads its inputs and holds a chunk.
type mergeMode int

const (
	// mergeByColumns reads the inputs column by column (mergeColumnar),
	// or row by row when one has another schema, and holds the chunk by
	// columns.
	mergeByColumns mergeMode = iota
	// mergeByRowReader reads the inputs row by row and holds the chunk by
	// columns (mergeColumns).
	mergeByRowReader
	// mergeByRows reads the inputs row by row and holds the chunk as rows
	// (mergeRows).
	mergeByRows
)

// colSeg is a run of rows of one row group of an input of a merge: rows
// first to first+n-1 of row group rg of input file.
type colSeg struct {
	file, rg int
	first, n int64
}

// colInputs opens the inputs of a columnar merge as their rows are needed
// and lets them go once the chunk that reads their last row is written.
type colInputs struct {
	files []sizedReaderAt
	open  map[int]*parquet.File
}

// get returns the open Parquet file of input i.
func (in *colInputs) get(i int) (*parquet.File, error) {
	if pf, ok := in.open[i]; ok {
		return pf, nil
	}
	f := in.files[i]
	pf, err := parquet.OpenFile(f.ReaderAt, f.size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, err
	}
	in.open[i] = pf
	return pf, nil
}

// release lets go of the inputs before file.
func (in *colInputs) release(file int) {
	for i := range in.open {
		if i < file {
			delete(in.open, i)
		}
	}
}

// drop lets go of input i.
func (in *colInputs) drop(i int) { delete(in.open, i) }

// inputFailed returns the error of a failure to read input i: ErrCorrupt,
// naming the file (see readEach).
func inputFailed(files []sizedReaderAt, i int, err error) error {
	return &inputError{i: i, err: fmt.Errorf("%s: %w: %w", files[i].name, ErrCorrupt, err)}
}

// columnarRowGroups returns the rows of each row group of each file, or
// ok false when a file's schema is not s (a file of an older version):
// those are read row by row, which converts them.
func columnarRowGroups(files []sizedReaderAt, s *parquet.Schema) (groups [][]int64, ok bool, err error) {
	groups = make([][]int64, len(files))
	for i, f := range files {
		var pf *parquet.File
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = inputFailed(files, i, fmt.Errorf("%v", r))
				}
			}()
			pf, err = parquet.OpenFile(f.ReaderAt, f.size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
			if err != nil {
				err = inputFailed(files, i, err)
			}
		}()
		if err != nil {
			return nil, false, err
		}
		if !parquet.EqualNodes(pf.Schema(), s) {
			return nil, false, nil
		}
		for _, rg := range pf.RowGroups() {
			groups[i] = append(groups[i], rg.NumRows())
		}
	}
	return groups, true, nil
}

// mergeColumnar is mergeColumns reading the inputs column by column. ok
// is false, and nothing written, when an input's schema is not the
// table's.
func (t *tableOf[T]) mergeColumnar(pw *parquet.GenericWriter[T], files []sizedReaderAt) (n int, ok bool, err error) {
	groups, ok, err := columnarRowGroups(files, t.schema_)
	if err != nil || !ok {
		return 0, ok, err
	}
	cc, err := newColChunk(t.leaves, t.keys)
	if err != nil {
		return 0, true, err
	}
	in := &colInputs{files: files, open: map[int]*parquet.File{}}
	var segs []colSeg
	emit := func() error {
		if err := cc.writeFrom(pw, in, segs); err != nil {
			var ie *inputError
			if errors.As(err, &ie) {
				return err
			}
			return fmt.Errorf("write rows: %w", err)
		}
		if err := pw.Flush(); err != nil {
			return fmt.Errorf("write row group: %w", err)
		}
		n += cc.n
		cc.reset()
		segs = segs[:0]
		return nil
	}
	for i, rgs := range groups {
		for g, rows := range rgs {
			for first := int64(0); first < rows; {
				k := min(rows-first, int64(mergeChunk-cc.n))
				segs = append(segs, colSeg{file: i, rg: g, first: first, n: k})
				cc.n += int(k)
				first += k
				if cc.n == mergeChunk {
					if err := emit(); err != nil {
						return 0, true, err
					}
					in.release(i)
				}
			}
		}
	}
	if cc.n > 0 {
		if err := emit(); err != nil {
			return 0, true, err
		}
	}
	return n, true, nil
}

// writeFrom writes the chunk of the rows segs of the inputs (c.n of them,
// c's columns empty) as write does: it reads the keys and time, and the
// NULL marks of the opt leaves (which writeSteps needs), sorts, then reads
// each other column, and the opt leaves again, just before writing it.
func (c *colChunk) writeFrom(pw interface {
	ColumnWriters() []*parquet.ColumnWriter
}, in *colInputs, segs []colSeg) error {
	held := make([]bool, len(c.leaves))
	for _, li := range c.keys {
		held[li] = true
	}
	if c.manyInputs(segs, held) {
		// Read each input once, every column of its rows, and let it go.
		for i := 0; i < len(segs); {
			j := i + 1
			for j < len(segs) && segs[j].file == segs[i].file {
				j++
			}
			for li := range c.leaves {
				if err := c.load(li, in, segs[i:j]); err != nil {
					return err
				}
			}
			in.drop(segs[i].file)
			i = j
		}
		return c.writeColumns(pw, nil, nil)
	}
	opt := make([]bool, len(c.leaves))
	for _, li := range c.opt {
		opt[li] = true
	}
	// take reads leaf li into the spare buffers; an opt leaf keeps its
	// NULL marks in a buffer of its own.
	take := func(li int) error {
		d := &c.data[li]
		d.w64, d.w32, d.str = c.spare.w64[:0], c.spare.w32[:0], c.spare.str[:0]
		c.spare.w64, c.spare.w32, c.spare.str = nil, nil, nil
		if opt[li] {
			d.null = d.null[:0]
		} else {
			d.null, c.spare.null = c.spare.null[:0], nil
		}
		return c.load(li, in, segs)
	}
	// give hands the buffers of leaf li back, but for an opt leaf's NULL
	// marks.
	give := func(li int) {
		d := &c.data[li]
		c.spare.w64, c.spare.w32, c.spare.str = d.w64[:0], d.w32[:0], d.str[:0]
		d.w64, d.w32, d.str = nil, nil, nil
		if !opt[li] {
			c.spare.null, d.null = d.null[:0], nil
		}
	}
	for _, li := range c.keys {
		if err := c.load(li, in, segs); err != nil {
			return err
		}
	}
	// The NULL marks of the opt leaves, for writeSteps; their values are
	// read again when they are written.
	for _, li := range c.opt {
		if err := take(li); err != nil {
			return err
		}
		give(li)
	}
	load := func(li int) error {
		if held[li] {
			return nil
		}
		return take(li)
	}
	done := func(li int) {
		if !held[li] {
			give(li)
		}
	}
	return c.writeColumns(pw, load, done)
}

// inputFooterBytes is about what an open input holds per column: its
// footer decoded (parquet.OpenFile allocates 18 KB for a part of the cpu
// table, 32 KB for one of the cgroup table, 53 KB for one of the process
// table). A variable for tests.
var inputFooterBytes = 2 << 10

// manyInputs reports whether the rows segs come from so many inputs that
// keeping them open while the columns not held are read one by one costs
// more than holding those columns: a chunk of a table of a few rows a
// sample spans every part of the day (288), whose footers took about
// 6 MiB.
func (c *colChunk) manyInputs(segs []colSeg, held []bool) bool {
	files := 0
	for i, s := range segs {
		if i == 0 || s.file != segs[i-1].file {
			files++
		}
	}
	cols := 0
	for li, l := range c.leaves {
		if held[li] {
			continue
		}
		switch l.kind {
		case reflect.Int64, reflect.Float64:
			cols += 8
		default:
			cols += 4
		}
		if l.ptr || l.opt {
			cols++
		}
	}
	return files*len(c.leaves)*inputFooterBytes > cols*c.n
}

// load appends the values of leaf li of the rows segs to c.data[li].
func (c *colChunk) load(li int, in *colInputs, segs []colSeg) error {
	if c.vals == nil {
		c.vals = make([]parquet.Value, 0, 64)
	}
	c.reserve(li)
	buf := c.vals[:cap(c.vals)]
	defer func() { c.dict = nil }() // its page's buffers
	for _, s := range segs {
		if err := c.loadSeg(li, in, s, buf); err != nil {
			return inputFailed(in.files, s.file, err)
		}
	}
	clear(buf)
	return nil
}

// reserve makes room for the chunk's rows (c.n) in the buffers of leaf
// li that addValue appends to, at once: grown by append, the buffers of
// each merge's first chunk were made four or five times over (a fifth of
// what a host-day's compaction allocated for its merges).
func (c *colChunk) reserve(li int) {
	l := &c.leaves[li]
	d := &c.data[li]
	if l.ptr || l.opt {
		d.null = reserveRows(d.null, c.n)
	}
	switch l.kind {
	case reflect.Int64, reflect.Float64:
		d.w64 = reserveRows(d.w64, c.n)
	case reflect.Int32, reflect.Float32, reflect.Bool:
		d.w32 = reserveRows(d.w32, c.n)
	default:
		d.str = reserveRows(d.str, c.n)
	}
}

// reserveRows returns s with a capacity of n or more.
func reserveRows[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s
	}
	return slices.Grow(s, n-len(s))
}

// loadSeg appends the values of leaf li of the rows of s.
func (c *colChunk) loadSeg(li int, in *colInputs, s colSeg, buf []parquet.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	pf, err := in.get(s.file)
	if err != nil {
		return err
	}
	rgs := pf.RowGroups()
	if s.rg >= len(rgs) {
		return fmt.Errorf("row group %d of %d", s.rg, len(rgs))
	}
	pages := rgs[s.rg].ColumnChunks()[c.leaves[li].col].Pages()
	defer pages.Close()
	row, end := int64(0), s.first+s.n
	for row < end {
		page, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if np := page.NumRows(); row+np <= s.first {
			row += np // before the run
			parquet.Release(page)
			continue
		} else if ok, err := c.loadPage(li, page, s.first-row, end-row); ok || err != nil {
			parquet.Release(page)
			if err != nil {
				return err
			}
			row += np
			continue
		}
		vr := page.Values()
		for row < end {
			k, err := vr.ReadValues(buf)
			for _, v := range buf[:k] {
				if row >= s.first && row < end {
					c.addValue(li, v)
				}
				row++
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				parquet.Release(page)
				return err
			}
		}
		parquet.Release(page)
	}
	if row < end {
		return fmt.Errorf("column %d has %d rows, want %d", c.leaves[li].col, row, end)
	}
	return nil
}

// loadPage appends the values of rows lo to hi-1 of page (clamped to
// the page) to leaf li, as addValue would one by one, when it can read
// them in bulk: a page of a required numeric column, through its typed
// reader (most of a merge's values). It reports whether it did.
func (c *colChunk) loadPage(li int, page parquet.Page, lo, hi int64) (bool, error) {
	l := &c.leaves[li]
	if l.kind == reflect.String {
		return c.loadDictPage(li, page, lo, hi)
	}
	if l.ptr || l.opt || page.NumNulls() != 0 || l.kind == reflect.Bool {
		return false, nil
	}
	d := &c.data[li]
	np := page.NumRows()
	lo, hi = max(lo, 0), min(hi, np)
	n := int(np)
	var err error
	var got int
	switch r := page.Values().(type) {
	case parquet.Int64Reader:
		if l.kind != reflect.Int64 {
			return false, nil
		}
		d.w64, got, err = readRows(r.ReadInt64s, d.w64, n, lo, hi)
	case parquet.Int32Reader:
		if l.kind != reflect.Int32 {
			return false, nil
		}
		d.w32, got, err = readRows(r.ReadInt32s, d.w32, n, lo, hi)
	case parquet.DoubleReader:
		if l.kind != reflect.Float64 {
			return false, nil
		}
		c.f64, err = readValues(r.ReadDoubles, c.f64[:0], n)
		got = len(c.f64)
		if got == n {
			for _, x := range c.f64[lo:hi] {
				d.w64 = append(d.w64, int64(math.Float64bits(x)))
			}
		}
	case parquet.FloatReader:
		if l.kind != reflect.Float32 {
			return false, nil
		}
		c.f32, err = readValues(r.ReadFloats, c.f32[:0], n)
		got = len(c.f32)
		if got == n {
			for _, x := range c.f32[lo:hi] {
				d.w32 = append(d.w32, int32(math.Float32bits(x)))
			}
		}
	default:
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if got != n {
		return true, fmt.Errorf("page of %d rows has %d values", n, got)
	}
	return true, nil
}

// readRows reads the n values of a page through read onto dst and, when
// it got them all, keeps those of rows lo to hi-1; got is how many it read.
func readRows[T any](read func([]T) (int, error), dst []T, n int, lo, hi int64) (out []T, got int, err error) {
	start := len(dst)
	dst, err = readValues(read, dst, n)
	got = len(dst) - start
	if got == n {
		dst = append(dst[:start], dst[start+int(lo):start+int(hi)]...)
	}
	return dst, got, err
}

// loadDictPage is loadPage for a string leaf: a dictionary-encoded page
// is read as the indexes of its values into its dictionary, whose entries
// are each looked up in the chunk's strings once, rather than each value.
// A NULL, and an empty string of an opt leaf, are NULL, as addValue makes
// them.
func (c *colChunk) loadDictPage(li int, page parquet.Page, lo, hi int64) (bool, error) {
	l := &c.leaves[li]
	dict := page.Dictionary()
	if dict == nil {
		return false, nil
	}
	data := page.Data()
	if data.Kind() != encoding.Int32 {
		return false, nil
	}
	nullable := l.ptr || l.opt
	np := page.NumRows()
	defs := page.DefinitionLevels()
	if nullable != (defs != nil) || defs != nil && int64(len(defs)) != np {
		return false, nil
	}
	if dict != c.dict {
		c.dict = dict
		c.dictIDs = c.dictIDs[:0]
		for i := range dict.Len() {
			c.dictIDs = append(c.dictIDs, c.strID(dict.Index(int32(i)).ByteArray()))
		}
	}
	idx := data.Int32()
	lo, hi = max(lo, 0), min(hi, np)
	d := &c.data[li]
	j := 0 // the index of row r's value among the page's values
	for r := range hi {
		null := defs != nil && defs[r] != 1
		var id uint32
		if !null {
			if j >= len(idx) || uint32(idx[j]) >= uint32(len(c.dictIDs)) {
				return true, fmt.Errorf("dictionary indexes do not match the page's %d rows", np)
			}
			id = c.dictIDs[idx[j]]
			j++
			null = l.opt && len(c.strs[id]) == 0
		}
		if r < lo {
			continue
		}
		if null {
			id = c.strID(nil)
		}
		if nullable {
			d.null = append(d.null, null)
		}
		d.str = append(d.str, id)
	}
	return true, nil
}

// strID returns the index of b in the chunk's strings, adding it.
func (c *colChunk) strID(b []byte) uint32 {
	id, ok := c.ids[string(b)]
	if !ok {
		s := string(b)
		id = uint32(len(c.strs))
		c.strs = append(c.strs, s)
		c.ids[s] = id
	}
	return id
}

// addValue appends v, a value of leaf li read from an input, as add
// appends the field GenericReader makes of it: a NULL of a pointer is
// NULL, and of an opt leaf so is its zero value (GenericReader gives the
// field its zero value, which add takes for NULL).
func (c *colChunk) addValue(li int, v parquet.Value) {
	l := &c.leaves[li]
	d := &c.data[li]
	null := v.IsNull()
	if l.opt && !null {
		switch l.kind {
		case reflect.String:
			null = len(v.ByteArray()) == 0
		case reflect.Bool:
			null = !v.Boolean()
		case reflect.Int32:
			null = v.Int32() == 0
		case reflect.Int64:
			null = v.Int64() == 0
		}
	}
	if l.ptr || l.opt {
		d.null = append(d.null, null)
	}
	switch l.kind {
	case reflect.Int64:
		var x int64
		if !null {
			x = v.Int64()
		}
		d.w64 = append(d.w64, x)
	case reflect.Float64:
		var x int64
		if !null {
			x = int64(math.Float64bits(v.Double()))
		}
		d.w64 = append(d.w64, x)
	case reflect.Int32:
		var x int32
		if !null {
			x = v.Int32()
		}
		d.w32 = append(d.w32, x)
	case reflect.Float32:
		var x int32
		if !null {
			x = int32(math.Float32bits(v.Float()))
		}
		d.w32 = append(d.w32, x)
	case reflect.Bool:
		var x int32
		if !null && v.Boolean() {
			x = 1
		}
		d.w32 = append(d.w32, x)
	default:
		var b []byte
		if !null {
			b = v.ByteArray()
		}
		d.str = append(d.str, c.strID(b))
	}
}
