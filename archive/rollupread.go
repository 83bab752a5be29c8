package archive

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// rollupReader reads the day file of the rollups ensureRollups writes,
// pass after pass (see rollupDay). It opens the file once, and keeps the
// buffers of a row group's columns from one column, row group and pass to
// the next: made anew for each (the process table's day file of a host
// with 300 processes is 80 row groups of 32,768 rows), they were more than
// half of what a compaction allocated, and of the collections it took.
type rollupReader struct {
	ra   io.ReaderAt
	size int64
	pf   *parquet.File

	times  []int64 // the times of the row group
	kept   int     // how many of its rows are in the day
	keep   []int   // which, when not all (else nil)
	keepTo []int   // keep's buffer
	keyStr [][]string
	keyNum [][]float64
	// Per kept row: its key's stats (nil: skipped), its bucket, and
	// whether its labels are its bucket's newest so far.
	rowKeys []*bucketStats
	rowBkt  []int32
	newest  []bool
	// A label or numeric column of the kept rows, and of every row when
	// some are not kept.
	strs    []string
	nums    []float64
	allStrs []string
	allNums []float64
	// Decoding buffers.
	numBufs
	dict []string // the strings of a dictionary page's dictionary
	// intern holds one copy of each string read (up to internMax):
	// labels and string keys repeat from row group to row group.
	intern map[string]string
	// shapes holds, per key (as rollupDay joins it), the slots of its
	// stats, which the first pass finds and the next ones make at once.
	shapes map[string]slotShape
}

// rollupSrc is a column of a rollup's source and its index in the day
// file (-1: the file lacks it, read as nulls).
type rollupSrc struct {
	c   column
	idx int
}

// slotShape is the buckets a key's stats hold: nb slots from base.
type slotShape struct{ base, nb int }

// newRollupReader returns a reader of the day file ra of size bytes.
func newRollupReader(ra io.ReaderAt, size int64) *rollupReader {
	return &rollupReader{ra: ra, size: size, intern: map[string]string{}}
}

// open returns the day file, opening it the first time.
func (rd *rollupReader) open() (*parquet.File, error) {
	if rd.pf != nil {
		return rd.pf, nil
	}
	pf, err := parquet.OpenFile(rd.ra, rd.size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	rd.pf = pf
	return pf, nil
}

// rowsOf reads the times of row group rg (column timeIndex) and finds its
// rows in r, as rowsOfGroup does: rd.kept of them, rd.keep (nil when
// all). A row group whose statistics say none is not read.
func (rd *rollupReader) rowsOf(rg parquet.RowGroup, timeIndex int, r timeRange) error {
	rd.kept, rd.keep = 0, nil
	tc := rg.ColumnChunks()[timeIndex]
	if b, ok := tc.(bounded); ok {
		if lo, hi, ok := b.Bounds(); ok && (hi.Int64() < r.from || lo.Int64() >= r.to) {
			return nil
		}
	}
	var err error
	if rd.times, err = readTimes(tc, rd.times[:0]); err != nil {
		return err
	}
	if n := rg.NumRows(); int64(len(rd.times)) != n {
		return fmt.Errorf("%w: time column has %d values for %d rows", ErrCorrupt, len(rd.times), n)
	}
	all := true
	for _, t := range rd.times {
		if t < r.from || t >= r.to {
			all = false
			break
		}
	}
	if all {
		rd.kept = len(rd.times)
		return nil
	}
	keep := rd.keepTo[:0]
	for i, t := range rd.times {
		if r.from <= t && t < r.to {
			keep = append(keep, i)
		}
	}
	rd.keepTo, rd.keep, rd.kept = keep, keep, len(keep)
	return nil
}

// row returns the row number of the i-th kept row.
func (rd *rollupReader) row(i int) int {
	if rd.keep == nil {
		return i
	}
	return rd.keep[i]
}

// keyCols returns the key columns rollupDay read, per key either its
// strings or its numbers (the other nil).
func (rd *rollupReader) keyCols(src []rollupSrc) (strs [][]string, nums [][]float64) {
	strs, nums = make([][]string, len(src)), make([][]float64, len(src))
	for i, s := range src {
		if s.c.str {
			strs[i] = rd.keyStr[i]
		} else {
			nums[i] = rd.keyNum[i]
		}
	}
	return strs, nums
}

// readNums returns the numbers of the kept rows (see rowsOf) of column s of a
// row group of nrows rows, in dst (reused): the values readColumn appends
// to a frame.
func (rd *rollupReader) readNums(chunks []parquet.ColumnChunk, s rollupSrc, nrows int, dst []float64) ([]float64, error) {
	dst = dst[:0]
	if s.idx < 0 {
		for range rd.kept {
			dst = append(dst, math.NaN())
		}
		return dst, nil
	}
	if s.c.list {
		return dst, fmt.Errorf("column %s: numeric lists are not supported", s.c.name)
	}
	return keptRows(rd.keep, nrows, s.c.name, dst, &rd.allNums, func(rows []float64) ([]float64, error) {
		return rd.numBufs.nums(chunks[s.idx], s.c, rows)
	})
}

// keptRows returns in dst the rows keep (nil: all) of a column chunk of
// nrows rows named name, which read appends to the slice it is given:
// into dst when all are kept, else into *all (reused) first.
func keptRows[T any](keep []int, nrows int, name string, dst []T, all *[]T, read func([]T) ([]T, error)) ([]T, error) {
	rows := dst
	if keep != nil {
		clear(*all)
		rows = (*all)[:0]
	}
	rows, err := read(slices.Grow(rows, nrows))
	if err != nil {
		return dst, err
	}
	if len(rows) != nrows {
		return dst, fmt.Errorf("%w: column %s has %d rows, want %d", ErrCorrupt, name, len(rows), nrows)
	}
	if keep == nil {
		return rows, nil
	}
	*all = rows
	for _, k := range keep {
		dst = append(dst, rows[k])
	}
	return dst, nil
}

// readStrs returns the strings of the kept rows (see rowsOf) of column s of a
// row group of nrows rows, in dst (reused): the values readColumn appends
// to a frame ("" for a null; a list's items joined by newlines).
func (rd *rollupReader) readStrs(chunks []parquet.ColumnChunk, s rollupSrc, nrows int, dst []string) ([]string, error) {
	clear(dst)
	dst = dst[:0]
	if s.idx < 0 {
		for range rd.kept {
			dst = append(dst, "")
		}
		return dst, nil
	}
	return keptRows(rd.keep, nrows, s.c.name, dst, &rd.allStrs, func(rows []string) ([]string, error) {
		return rd.strsOf(chunks[s.idx], s.c, rows)
	})
}

// str returns the string of b, one copy of each value while intern has
// room.
func (rd *rollupReader) str(b []byte) string {
	if s, ok := rd.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(rd.intern) < internMax {
		rd.intern[s] = s
	}
	return s
}

// strsOf appends the values of a string column chunk to rows.
func (rd *rollupReader) strsOf(cc parquet.ColumnChunk, c column, rows []string) ([]string, error) {
	dp := dictPage{strs: rd.dict}
	var err error
	rd.vals, rows, err = readStrs(cc, c, rd.vals, &dp, rd.str, rows)
	rd.dict = dp.strs
	clear(rd.dict)
	return rows, err
}
