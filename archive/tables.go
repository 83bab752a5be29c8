package archive

import (
	"almanac/schema"
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// table describes how one kind of row is stored. It is implemented by
// *tableOf[T] for each row type of package sample.
type table interface {
	name() string
	schema() *parquet.Schema
	count(b *schema.Batch) int
	// move appends the rows of src to dst.
	move(dst, src *schema.Batch)
	// days returns the UTC days of the rows of b, in order of first appearance.
	days(b *schema.Batch) []time.Time
	// writeDay writes the rows of b that fall on day to w as a Parquet file.
	writeDay(w io.Writer, b *schema.Batch, day time.Time) (int, error)
	// merge reads every row of the files, sorts them in compaction order
	// and writes them to w as one Parquet file.
	merge(w io.Writer, files []sizedReaderAt) (int, error)
}

// sizedReaderAt is an open data file.
type sizedReaderAt struct {
	io.ReaderAt
	size int64
	name string
}

// tableOf is the table of rows of type T.
type tableOf[T any] struct {
	table string
	rows  func(*schema.Batch) *[]T
	time  func(*T) int64
	// key orders rows before time in a compacted file, so that each
	// column holds one series after another and delta-encodes tightly.
	// Nil for tables with one row per sample.
	key     func(a, b *T) int
	schema_ *parquet.Schema
}

func (t *tableOf[T]) name() string              { return t.table }
func (t *tableOf[T]) schema() *parquet.Schema   { return t.schema_ }
func (t *tableOf[T]) count(b *schema.Batch) int { return len(*t.rows(b)) }
func (t *tableOf[T]) move(dst, src *schema.Batch) {
	d := t.rows(dst)
	*d = append(*d, *t.rows(src)...)
}

func (t *tableOf[T]) days(b *schema.Batch) []time.Time {
	var out []time.Time
	rows := *t.rows(b)
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
func writerOptions(codec *zstd.Codec, pageBuffer int) []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.Compression(codec),
		parquet.PageBufferSize(pageBuffer),
		parquet.CreatedBy("almanac", "", ""),
	}
}

// zstdCodec is shared by every writer so that its pool of encoders is. The
// default level: SpeedBetterCompression makes day files 6% smaller but
// adds about 50 MB to the peak memory of a compaction, which runs inside
// the sampler.
var zstdCodec = &zstd.Codec{Level: zstd.SpeedDefault}

var (
	partCodec = writerOptions(zstdCodec, 32<<10)
	dayCodec  = writerOptions(zstdCodec, 256<<10)
)

func (t *tableOf[T]) writeDay(w io.Writer, b *schema.Batch, day time.Time) (int, error) {
	rows := *t.rows(b)
	sel := rows
	for i := range rows {
		if !dayOfMicros(t.time(&rows[i])).Equal(day) {
			sel = nil
			break
		}
	}
	if sel == nil {
		for i := range rows {
			if dayOfMicros(t.time(&rows[i])).Equal(day) {
				sel = append(sel, rows[i])
			}
		}
	}
	return len(sel), writeRows(w, sel, partCodec)
}

func writeRows[T any](w io.Writer, rows []T, opts []parquet.WriterOption) error {
	pw := parquet.NewGenericWriter[T](w, opts...)
	if _, err := pw.Write(rows); err != nil {
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
// compaction order.
func (t *tableOf[T]) merge(w io.Writer, files []sizedReaderAt) (int, error) {
	pw := parquet.NewGenericWriter[T](w, dayCodec...)
	chunk := make([]T, 0, mergeChunk)
	n := 0
	emit := func() error {
		t.sort(chunk)
		if _, err := pw.Write(chunk); err != nil {
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
	buf := make([]T, 1024)
	for i, f := range files {
		err := readEach(f, buf, func(rows []T) error {
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
	if err := pw.Close(); err != nil {
		return 0, fmt.Errorf("write footer: %w", err)
	}
	return n, nil
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

func newTable[T any](name string, rows func(*schema.Batch) *[]T, time func(*T) int64, key func(a, b *T) int) table {
	return &tableOf[T]{table: name, rows: rows, time: time, key: key, schema_: parquet.SchemaOf(new(T))}
}

// tables maps each table name to its description.
var tables = map[string]table{
	schema.TableHost: newTable(schema.TableHost,
		func(b *schema.Batch) *[]schema.HostRow { return &b.Host },
		func(r *schema.HostRow) int64 { return r.Time }, nil),
	schema.TableCPU: newTable(schema.TableCPU,
		func(b *schema.Batch) *[]schema.CPURow { return &b.CPU },
		func(r *schema.CPURow) int64 { return r.Time },
		func(a, b *schema.CPURow) int { return cmpCPU(a.CPU, b.CPU) }),
	schema.TableSystem: newTable(schema.TableSystem,
		func(b *schema.Batch) *[]schema.SystemRow { return &b.System },
		func(r *schema.SystemRow) int64 { return r.Time }, nil),
	schema.TablePressure: newTable(schema.TablePressure,
		func(b *schema.Batch) *[]schema.PressureRow { return &b.Pressure },
		func(r *schema.PressureRow) int64 { return r.Time },
		func(a, b *schema.PressureRow) int { return cmp.Compare(a.Resource, b.Resource) }),
	schema.TableMemory: newTable(schema.TableMemory,
		func(b *schema.Batch) *[]schema.MemoryRow { return &b.Memory },
		func(r *schema.MemoryRow) int64 { return r.Time }, nil),
	schema.TableDisk: newTable(schema.TableDisk,
		func(b *schema.Batch) *[]schema.DiskRow { return &b.Disk },
		func(r *schema.DiskRow) int64 { return r.Time },
		func(a, b *schema.DiskRow) int { return cmp.Compare(a.Device, b.Device) }),
	schema.TableFilesystem: newTable(schema.TableFilesystem,
		func(b *schema.Batch) *[]schema.FilesystemRow { return &b.Filesystem },
		func(r *schema.FilesystemRow) int64 { return r.Time },
		func(a, b *schema.FilesystemRow) int { return cmp.Compare(a.Mountpoint, b.Mountpoint) }),
	schema.TableNetwork: newTable(schema.TableNetwork,
		func(b *schema.Batch) *[]schema.NetworkRow { return &b.Network },
		func(r *schema.NetworkRow) int64 { return r.Time },
		func(a, b *schema.NetworkRow) int { return cmp.Compare(a.Interface, b.Interface) }),
	schema.TableTemperature: newTable(schema.TableTemperature,
		func(b *schema.Batch) *[]schema.TemperatureRow { return &b.Temperature },
		func(r *schema.TemperatureRow) int64 { return r.Time },
		func(a, b *schema.TemperatureRow) int { return cmp.Compare(a.Sensor, b.Sensor) }),
	schema.TableProcCount: newTable(schema.TableProcCount,
		func(b *schema.Batch) *[]schema.ProcCountRow { return &b.ProcCount },
		func(r *schema.ProcCountRow) int64 { return r.Time }, nil),
	schema.TableProcUser: newTable(schema.TableProcUser,
		func(b *schema.Batch) *[]schema.ProcUserRow { return &b.ProcUser },
		func(r *schema.ProcUserRow) int64 { return r.Time },
		func(a, b *schema.ProcUserRow) int { return cmp.Compare(a.User, b.User) }),
	schema.TableProcess: newTable(schema.TableProcess,
		func(b *schema.Batch) *[]schema.ProcessRow { return &b.Process },
		func(r *schema.ProcessRow) int64 { return r.Time },
		func(a, b *schema.ProcessRow) int {
			if c := cmp.Compare(a.PID, b.PID); c != 0 {
				return c
			}
			return cmp.Compare(a.StartTime, b.StartTime)
		}),
}

// cmpCPU orders "all" first, then cores by number.
func cmpCPU(a, b string) int {
	if a == b {
		return 0
	}
	if a == "all" {
		return -1
	}
	if b == "all" {
		return 1
	}
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// sort puts rows in compaction order: by key, then time. The sort is
// stable so rows with equal key and time keep their order.
func (t *tableOf[T]) sort(rows []T) {
	slices.SortStableFunc(rows, func(a, b T) int {
		if t.key != nil {
			if c := t.key(&a, &b); c != 0 {
				return c
			}
		}
		return cmp.Compare(t.time(&a), t.time(&b))
	})
}
