package archive

import (
	"almanac/schema"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
)

// table is how the archive stores the rows of one table declared in
// package schema. It is implemented by *tableOf[T] for each row type.
type table interface {
	name() string
	declared() schema.Table
	schema() *parquet.Schema
	count(b *schema.Batch) int
	// move appends the rows of src to dst.
	move(dst, src *schema.Batch)
	// days returns the UTC days of the rows of b, in order of first appearance.
	days(b *schema.Batch) []time.Time
	// writeDay writes the rows of b that fall on day to w as a Parquet
	// file, in time order.
	writeDay(w io.Writer, b *schema.Batch, day time.Time) (int, error)
	// stream starts writing the rows of this table, batch after batch, as
	// one part per day, each written to what open returns for the day.
	stream(open func(day time.Time) (io.Writer, error)) tableStream
	// reset empties the rows of this table in b, keeping their memory.
	reset(b *schema.Batch)
	// merge reads every row of the files, sorts them in compaction order
	// and writes them to w as one Parquet file.
	merge(w io.Writer, files []sizedReaderAt) (int, error)
	// encode and decode are the table's part of the journal codec.
	encode(dst []byte, b *schema.Batch, bt int64) []byte
	decode(d *dec, b *schema.Batch, bt int64) error
}

// sizedReaderAt is an open data file.
type sizedReaderAt struct {
	io.ReaderAt
	size int64
	name string
}

// tableOf is the table of rows of type T, derived from its declaration.
type tableOf[T any] struct {
	decl    *schema.TableOf[T]
	schema_ *parquet.Schema
	keys    []keyField // the identity columns, in sort order
	plan    []fieldOp  // the journal codec
	strs    []uintptr  // the offsets of the string fields, which merge interns
	opt     []optField // the optional fields parquet-go may lose NULLs of
	// leaves write the columns of a merge's row groups one at a time (see
	// colChunk); nil for a table with a column they do not handle.
	leaves []leafWriter
	// partOpts and dayOpts are the writer options of parts and day files:
	// the common ones and the sorting columns (time for a part, the keys
	// then time for a day file).
	partOpts, dayOpts []parquet.WriterOption
}

// keyField is an identity column of a row type, compared in place.
type keyField struct {
	off  uintptr
	kind reflect.Kind // String, Int32 or Int64
}

func newTable[T any](d *schema.TableOf[T]) *tableOf[T] {
	rt := reflect.TypeFor[T]()
	t := &tableOf[T]{decl: d, schema_: parquet.SchemaOf(new(T)), plan: fieldPlan(rt, true),
		opt: optFields(rt, true)}
	var sorting []parquet.SortingColumn
	for _, name := range d.Keys() {
		c, _ := d.Column(name)
		f := rt.Field(c.Index)
		switch f.Type.Kind() {
		case reflect.String, reflect.Int32, reflect.Int64:
		default:
			panic(fmt.Sprintf("archive: table %s: key %s of type %v", d.Name(), name, f.Type))
		}
		t.keys = append(t.keys, keyField{off: f.Offset, kind: f.Type.Kind()})
		sorting = append(sorting, parquet.Ascending(name))
	}
	t.leaves = leafWriters(rt, t.schema_)
	for i := range rt.NumField() {
		if f := rt.Field(i); f.Type.Kind() == reflect.String {
			t.strs = append(t.strs, f.Offset)
		}
	}
	sorting = append(sorting, parquet.Ascending(timeColumn))
	t.partOpts = append(slices.Clip(partCodec),
		parquet.SortingWriterConfig(parquet.SortingColumns(parquet.Ascending(timeColumn))))
	t.dayOpts = append(slices.Clip(dayCodec), parquet.SortingWriterConfig(parquet.SortingColumns(sorting...)))
	return t
}

func (t *tableOf[T]) name() string              { return t.decl.Name() }
func (t *tableOf[T]) declared() schema.Table    { return t.decl }
func (t *tableOf[T]) schema() *parquet.Schema   { return t.schema_ }
func (t *tableOf[T]) count(b *schema.Batch) int { return len(*t.decl.Rows(b)) }
func (t *tableOf[T]) time(r *T) int64           { return *(*int64)(unsafe.Pointer(r)) }
func (t *tableOf[T]) move(dst, src *schema.Batch) {
	d := t.decl.Rows(dst)
	*d = append(*d, *t.decl.Rows(src)...)
}

func (t *tableOf[T]) reset(b *schema.Batch) {
	r := t.decl.Rows(b)
	clear(*r) // drop the strings they point to
	*r = (*r)[:0]
}

// tableStream writes the rows of one table, batch after batch, as one
// Parquet part per day, in row groups of at most partRowGroup rows, so
// that a flush holds a row group of each table in memory rather than the
// whole segment. The rows must come in time order: add returns
// errOutOfOrder otherwise (a clock stepped back within a segment), and
// the caller writes that table from the whole segment, sorted, instead.
type tableStream interface {
	add(b *schema.Batch) error
	// close writes the footers and returns the rows written; the files
	// open returned are then complete.
	close() (rows int, err error)
}

// partRowGroup is the most rows of a row group of a part: a row group of
// 1,000 processes every 8 seconds, of a few cores every hours. It bounds
// what a flush holds in memory and gives time filters row groups to skip.
var partRowGroup = 8192

// errOutOfOrder is what tableStream.add returns for a row older than the
// one before it.
var errOutOfOrder = errors.New("rows out of time order")

type dayStream[T any] struct {
	pw      *parquet.GenericWriter[T]
	last    int64 // time of the last row written
	pending int   // rows written since the last row group
	rows    int
}

type streamOf[T any] struct {
	t    *tableOf[T]
	open func(day time.Time) (io.Writer, error)
	days map[time.Time]*dayStream[T]
	cur  time.Time // day of the last row, and its stream
	ds   *dayStream[T]
}

func (t *tableOf[T]) stream(open func(day time.Time) (io.Writer, error)) tableStream {
	return &streamOf[T]{t: t, open: open, days: map[time.Time]*dayStream[T]{}}
}

func (s *streamOf[T]) add(b *schema.Batch) error {
	rows := *s.t.decl.Rows(b)
	for len(rows) > 0 {
		// The run of rows of one day (all of them, but for a batch that
		// straddles midnight).
		day := dayOfMicros(s.t.time(&rows[0]))
		n := 1
		for n < len(rows) && dayOfMicros(s.t.time(&rows[n])).Equal(day) {
			n++
		}
		if s.ds == nil || !day.Equal(s.cur) {
			ds, ok := s.days[day]
			if !ok {
				w, err := s.open(day)
				if err != nil {
					return err
				}
				ds = &dayStream[T]{pw: parquet.NewGenericWriter[T](w, s.t.partOpts...), last: math.MinInt64}
				s.days[day] = ds
			}
			s.cur, s.ds = day, ds
		}
		if err := s.ds.write(s.t, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (ds *dayStream[T]) write(t *tableOf[T], rows []T) error {
	for i := range rows {
		tm := t.time(&rows[i])
		if tm < ds.last {
			return errOutOfOrder
		}
		ds.last = tm
	}
	for len(rows) > 0 {
		k := min(len(rows), partRowGroup-ds.pending)
		if _, err := writeRowsSafe(ds.pw, rows[:k], t.opt); err != nil {
			return fmt.Errorf("write rows: %w", err)
		}
		ds.pending += k
		ds.rows += k
		rows = rows[k:]
		if ds.pending == partRowGroup {
			if err := ds.pw.Flush(); err != nil {
				return fmt.Errorf("write row group: %w", err)
			}
			ds.pending = 0
		}
	}
	return nil
}

func (s *streamOf[T]) close() (int, error) {
	n := 0
	for _, ds := range s.days {
		if err := ds.pw.Close(); err != nil {
			return 0, fmt.Errorf("write footer: %w", err)
		}
		n += ds.rows
	}
	return n, nil
}

func (t *tableOf[T]) days(b *schema.Batch) []time.Time {
	var out []time.Time
	rows := *t.decl.Rows(b)
	for i := range rows {
		d := dayOfMicros(t.time(&rows[i]))
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// writerOptions are the options of every Parquet file of the archive.
// Row tags choose the encodings (dictionary strings, delta integers);
// large pages give the delta and zstd coders long runs to work on.
// The footer names almanac's version (created_by and almanac.version) and
// the schema's (almanac.schema_version), for readers that must tell files
// of different versions apart.
func writerOptions(codec *keptZstd, pageBuffer int) []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.Compression(codec),
		parquet.PageBufferSize(pageBuffer),
		parquet.CreatedBy("almanac", Version, ""),
		parquet.KeyValueMetadata("almanac.version", Version),
		parquet.KeyValueMetadata(SchemaVersionKey, strconv.Itoa(schema.Version)),
	}
}

// SchemaVersionKey is the footer key/value entry holding the
// schema.Version a file was written with; files written before it have
// none (version 1).
const SchemaVersionKey = "almanac.schema_version"

// Version is almanac's version as written into file footers. The almanac
// command sets it to its own; it defaults to the main module's version
// from the build info, else "(devel)".
var Version = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}()

// zstdCodec is the codec of parts, shared by every writer so that its
// encoders are (see keptZstd). The default level: SpeedBetterCompression
// makes day files 6% smaller but adds about 50 MB to the peak memory of a
// compaction, which runs inside the sampler; SpeedFastest makes parts 7%
// larger (4.80 MB for 2 hours of 300 processes at 10 s, were 4.48).
var zstdCodec = &keptZstd{level: zstd.SpeedDefault}

// mergeZstd is the codec of the files merges and rollups write: day and
// hour files, and rollups. The fastest level: an encoder of it holds a
// match table of 256 KiB where the default level's holds 1.25 MiB, and
// these files are hardly larger (the day files of BenchmarkCompactMemory's
// host-day 11,907,058 bytes, were 11,883,998 at the default level; its
// rollups 2,339,245, were 2,340,989), for a compaction's peak 1.3 to 1.8
// MiB lower at the same CPU. Its idle encoders are dropped when a
// compaction ends (see CompactWith): the sampler compacts once an hour.
var mergeZstd = &keptZstd{level: zstd.SpeedFastest}

var (
	// A part's pages wait in memory until their row group is written, in
	// chunks of 4 KiB rather than parquet-go's 32 KiB: a column of a few
	// rows holds 4 KiB, not 32, while a flush writes it (the pages, and
	// so the files, are the same).
	partCodec = append(writerOptions(zstdCodec, 32<<10), parquet.ColumnPageBuffers(smallChunks))
	// A day file's row group (mergeChunk rows) holds the compressed pages
	// of each of its columns until it ends, as a part's does: in 32 KiB
	// chunks, a column whose pages of a row group take a few hundred
	// bytes held 32 KiB (640 KiB for the 20 columns of the cgroup table).
	dayCodec = append(writerOptions(mergeZstd, 256<<10), parquet.ColumnPageBuffers(smallChunks))
	// smallChunks holds pages waiting for their row group's end in chunks
	// of 4 KiB (parquet-go's default: 32 KiB).
	smallChunks = parquet.NewChunkBufferPool(4 << 10)
)

func (t *tableOf[T]) writeDay(w io.Writer, b *schema.Batch, day time.Time) (int, error) {
	rows := *t.decl.Rows(b)
	sel := make([]T, 0, len(rows))
	for i := range rows {
		if dayOfMicros(t.time(&rows[i])).Equal(day) {
			sel = append(sel, rows[i])
		}
	}
	// Batches come in time order unless the clock went back: a stable
	// sort by time keeps each sample's rows in the collector's order.
	byTime := func(a, b *T) int { return cmp.Compare(t.time(a), t.time(b)) }
	if !inOrder(sel, byTime) {
		sortRows(sel, byTime)
	}
	return len(sel), t.writeRows(w, sel, t.partOpts)
}

func (t *tableOf[T]) writeRows(w io.Writer, rows []T, opts []parquet.WriterOption) error {
	pw := parquet.NewGenericWriter[T](w, opts...)
	if _, err := writeRowsSafe(pw, rows, t.opt); err != nil {
		return fmt.Errorf("write rows: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("write footer: %w", err)
	}
	return nil
}

// mergeChunk is how many rows merge sorts at a time; each chunk becomes
// one row group. It bounds the memory of a compaction (a day of a busy
// process table has millions of rows) while keeping runs long enough for
// the encodings.
var mergeChunk = 1 << 15

// inputError is a failure to read input file i of a merge.
type inputError struct {
	i   int
	err error
}

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// merge reads every row of the files in order and writes them to w as
// one Parquet file, in row groups of up to mergeChunk rows sorted in
// compaction order. It holds each chunk and writes each row group column
// by column (see colChunk), reading its inputs column by column when
// their schema is the table's (see mergeColumnar), or, when the table has
// no leaves, as rows. Every mergeMode writes the same file.
func (t *tableOf[T]) merge(w io.Writer, files []sizedReaderAt) (int, error) {
	if t.leaves == nil {
		return t.mergeWith(w, files, mergeByRows)
	}
	return t.mergeWith(w, files, mergeByColumns)
}

func (t *tableOf[T]) mergeWith(w io.Writer, files []sizedReaderAt, mode mergeMode) (int, error) {
	pw := parquet.NewGenericWriter[T](w, t.dayOpts...)
	// The reader allocates its row buffers per file, in proportion to
	// len(buf): 256 rows cost a quarter of what 1,024 did, in garbage, for
	// the same time.
	buf := make([]T, 256)
	var n int
	var err error
	switch mode {
	case mergeByRows:
		n, err = t.mergeRows(pw, files, buf)
	case mergeByColumns:
		var ok bool
		if n, ok, err = t.mergeColumnar(pw, files); err == nil && !ok {
			n, err = t.mergeColumns(pw, files, buf)
		}
	default:
		n, err = t.mergeColumns(pw, files, buf)
	}
	if err != nil {
		return 0, err
	}
	if err := pw.Close(); err != nil {
		return 0, fmt.Errorf("write footer: %w", err)
	}
	return n, nil
}

// mergeColumns is merge for a table with leaves whose inputs are read row
// by row (one has an older schema, see mergeColumnar): it holds each chunk
// in a colChunk and writes it column by column.
func (t *tableOf[T]) mergeColumns(pw *parquet.GenericWriter[T], files []sizedReaderAt, buf []T) (int, error) {
	cc, err := newColChunk(t.leaves, t.keys)
	if err != nil {
		return 0, err
	}
	n := 0
	emit := func() error {
		if err := cc.write(pw); err != nil {
			return fmt.Errorf("write rows: %w", err)
		}
		if err := pw.Flush(); err != nil {
			return fmt.Errorf("write row group: %w", err)
		}
		n += cc.n
		cc.reset()
		return nil
	}
	for i, f := range files {
		err := readEach(f, buf, func(rows []T) error {
			for len(rows) > 0 {
				k := min(len(rows), mergeChunk-cc.n)
				cc.add(unsafe.Pointer(&rows[0]), unsafe.Sizeof(rows[0]), k)
				rows = rows[k:]
				if cc.n == mergeChunk {
					if err := emit(); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return 0, &inputError{i: i, err: err}
		}
	}
	if cc.n > 0 {
		if err := emit(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// mergeRows is merge for a table without leaves: it holds each chunk as
// rows and writes them row by row.
func (t *tableOf[T]) mergeRows(pw *parquet.GenericWriter[T], files []sizedReaderAt, buf []T) (int, error) {
	chunk := make([]T, 0, mergeChunk)
	n := 0
	emit := func() error {
		t.sort(chunk)
		if _, err := writeRowsSafe(pw, chunk, t.opt); err != nil {
			return fmt.Errorf("write rows: %w", err)
		}
		if err := pw.Flush(); err != nil {
			return fmt.Errorf("write row group: %w", err)
		}
		n += len(chunk)
		clear(chunk)
		chunk = chunk[:0]
		return nil
	}
	// The reader gives each row strings of its own: a chunk of the
	// process table (32,768 rows of three names) held a copy of each.
	in := make(map[string]string)
	for i, f := range files {
		err := readEach(f, buf, func(rows []T) error {
			internRows(in, t.strs, rows)
			for len(rows) > 0 {
				k := min(len(rows), mergeChunk-len(chunk))
				chunk = append(chunk, rows[:k]...)
				rows = rows[k:]
				if len(chunk) == mergeChunk {
					if err := emit(); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return 0, &inputError{i: i, err: err}
		}
	}
	if len(chunk) > 0 {
		if err := emit(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// internMax bounds the distinct strings internRows holds.
const internMax = 4096

// internRows replaces the strings at offsets offs of each row by the one
// copy of each value that in holds, so that the rows a merge holds share
// them (labels repeat from row to row).
func internRows[T any](in map[string]string, offs []uintptr, rows []T) {
	for i := range rows {
		p := unsafe.Pointer(&rows[i])
		for _, off := range offs {
			sp := (*string)(unsafe.Add(p, off))
			if v, ok := in[*sp]; ok {
				*sp = v
			} else if len(in) < internMax {
				in[*sp] = *sp
			}
		}
	}
}

// readEach calls fn with the rows of a data file, len(buf) at a time. A
// damaged file (including one that makes the Parquet reader panic) gives
// an error wrapping ErrCorrupt.
func readEach[T any](f sizedReaderAt, buf []T, fn func([]T) error) (err error) {
	var fnErr error
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w: %v", f.name, ErrCorrupt, r)
		}
		if fnErr != nil {
			err = fnErr
		}
	}()
	pf, err := parquet.OpenFile(f.ReaderAt, f.size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("%s: %w: %w", f.name, ErrCorrupt, err)
	}
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	// The reader's cost per Read grows with len(buf), not with the rows
	// it returns: a buffer larger than a small part wastes megabytes.
	buf = buf[:max(1, min(int64(len(buf)), pf.NumRows()))]
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if fnErr = fn(buf[:n]); fnErr != nil {
				return fnErr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w: %w", f.name, ErrCorrupt, err)
		}
	}
}

// tableList holds every table the archive stores: those of package
// schema, in schema.Tables order, then any Registered. tables holds the
// same by name. TestEveryTableStored checks that every declared table is
// listed.
var (
	tableList = []table{
		newTable(schema.Host), newTable(schema.CPU), newTable(schema.System),
		newTable(schema.Pressure), newTable(schema.Memory), newTable(schema.Disk),
		newTable(schema.Filesystem), newTable(schema.Network), newTable(schema.Temperature),
		newTable(schema.ProcCount), newTable(schema.ProcUser), newTable(schema.Process),
		newTable(schema.Alert),
		newTable(schema.Self),
		newTable(schema.Custom), newTable(schema.GPU),
		newTable(schema.Cgroup), newTable(schema.OOMKill), newTable(schema.ProcGroup),
	}
	tables = func() map[string]table {
		m := make(map[string]table, len(tableList))
		for _, t := range tableList {
			m[t.name()] = t
		}
		return m
	}()
)

// Register makes the archive store a table declared outside
// schema.Tables, as it stores those: Parquet files, journal records and
// rollups all follow from the declaration. Tests use it for throwaway
// tables. It is not safe to call while a Store is in use, and panics when
// a table of the same name exists. The function it returns takes the
// table out again.
func Register[T any](d *schema.TableOf[T]) (unregister func()) {
	if _, ok := tables[d.Name()]; ok {
		panic(fmt.Sprintf("archive: Register: table %q exists", d.Name()))
	}
	t := newTable(d)
	tableList = append(tableList, t)
	tables[d.Name()] = t
	if HasRollups(d.Name()) {
		rollupSpecs[d.Name()] = newRollupSpec(t)
	}
	return func() {
		tableList = slices.DeleteFunc(tableList, func(x table) bool { return x == t })
		delete(tables, d.Name())
		delete(rollupSpecs, d.Name())
	}
}

// tableNames returns the names of the tables the archive stores, in order.
func tableNames() []string {
	out := make([]string, len(tableList))
	for i, t := range tableList {
		out[i] = t.name()
	}
	return out
}

// compare orders two rows by their keys, then by time: the order of
// every file of the table, which its footer declares (sorting_columns).
// Strings compare bytewise, as Parquet readers do.
func (t *tableOf[T]) compare(a, b *T) int {
	pa, pb := unsafe.Pointer(a), unsafe.Pointer(b)
	for _, k := range t.keys {
		var c int
		switch k.kind {
		case reflect.String:
			c = strings.Compare(*(*string)(unsafe.Add(pa, k.off)), *(*string)(unsafe.Add(pb, k.off)))
		case reflect.Int32:
			c = cmp.Compare(*(*int32)(unsafe.Add(pa, k.off)), *(*int32)(unsafe.Add(pb, k.off)))
		default:
			c = cmp.Compare(*(*int64)(unsafe.Add(pa, k.off)), *(*int64)(unsafe.Add(pb, k.off)))
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(t.time(a), t.time(b))
}

// sort puts rows in compaction order (compare).
func (t *tableOf[T]) sort(rows []T) {
	if !inOrder(rows, t.compare) {
		sortRows(rows, t.compare)
	}
}

// inOrder reports whether rows are in the order of c, comparing them in
// place (rows are a few hundred bytes: copying two for every comparison
// would cost more than the comparison).
func inOrder[T any](rows []T, c func(a, b *T) int) bool {
	for i := 1; i < len(rows); i++ {
		if c(&rows[i-1], &rows[i]) > 0 {
			return false
		}
	}
	return true
}

// sortRows sorts rows stably by c. It sorts an index and then moves each
// row once, in place, rather than copying rows on every comparison; rows
// that c finds equal keep their order.
func sortRows[T any](rows []T, c func(a, b *T) int) {
	idx := make([]int32, len(rows))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(i, j int32) int { return c(&rows[i], &rows[j]) })
	// Apply the permutation in place, one cycle at a time: row i takes
	// row idx[i]. idx[i] = i marks a row in place.
	for i := range idx {
		if idx[i] == int32(i) {
			continue
		}
		tmp := rows[i]
		j := i
		for {
			k := int(idx[j])
			idx[j] = int32(j)
			if k == i {
				rows[j] = tmp
				break
			}
			rows[j] = rows[k]
			j = k
		}
	}
}
