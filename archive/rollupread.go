package archive

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
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
	vals []parquet.Value
	i64  []int64
	i32  []int32
	dict []string // the strings of a dictionary page's dictionary
	// intern holds one copy of each string read (up to internMax):
	// labels and string keys repeat from row group to row group.
	intern map[string]string
	// shapes holds, per key (as rollupDay joins it), the slots of its
	// stats, which the first pass finds and the next ones make at once.
	shapes map[string]slotShape
}

// readStep is how many integers numsOf decodes at a time.
const readStep = 4096

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
	all := rd.keep == nil
	rows := dst
	if !all {
		rows = rd.allNums[:0]
	}
	rows, err := rd.numsOf(chunks[s.idx], s.c, slices.Grow(rows, nrows))
	if err != nil {
		return dst, err
	}
	if len(rows) != nrows {
		return dst, fmt.Errorf("%w: column %s has %d rows, want %d", ErrCorrupt, s.c.name, len(rows), nrows)
	}
	if all {
		return rows, nil
	}
	rd.allNums = rows
	for _, k := range rd.keep {
		dst = append(dst, rows[k])
	}
	return dst, nil
}

// numsOf appends the values of a numeric column chunk to rows as
// readNums does: decimals scaled, nulls NaN.
func (rd *rollupReader) numsOf(cc parquet.ColumnChunk, c column, rows []float64) ([]float64, error) {
	pages := cc.Pages()
	defer pages.Close()
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		n := int(page.NumValues())
		fast := page.NumNulls() == 0
		if fast {
			switch r := page.Values().(type) {
			case parquet.Int64Reader:
				// A step at a time: a page holds up to a row group's rows.
				for got := 0; got < n && err == nil; {
					k := min(n-got, readStep)
					rd.i64, err = readInt64s(r, rd.i64[:0], k)
					for _, x := range rd.i64 {
						rows = append(rows, float64(x)/c.scale)
					}
					if len(rd.i64) < k {
						break
					}
					got += k
				}
			case parquet.Int32Reader:
				for got := 0; got < n && err == nil; {
					k := min(n-got, readStep)
					rd.i32, err = readValues(r.ReadInt32s, rd.i32[:0], k)
					for _, x := range rd.i32 {
						rows = append(rows, float64(x)/c.scale)
					}
					if len(rd.i32) < k {
						break
					}
					got += k
				}
			case parquet.DoubleReader:
				rows, err = readValues(r.ReadDoubles, rows, n)
			default:
				fast = false
			}
		}
		if !fast {
			rd.vals, err = readPage(page, rd.vals, func(v parquet.Value) { rows = append(rows, numValue(v, c.scale)) })
		}
		parquet.Release(page)
		if err != nil {
			return rows, err
		}
	}
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
	all := rd.keep == nil
	rows := dst
	if !all {
		clear(rd.allStrs)
		rows = rd.allStrs[:0]
	}
	rows, err := rd.strsOf(chunks[s.idx], s.c, slices.Grow(rows, nrows))
	if err != nil {
		return dst, err
	}
	if len(rows) != nrows {
		return dst, fmt.Errorf("%w: column %s has %d rows, want %d", ErrCorrupt, s.c.name, len(rows), nrows)
	}
	if all {
		return rows, nil
	}
	rd.allStrs = rows
	for _, k := range rd.keep {
		dst = append(dst, rows[k])
	}
	return dst, nil
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
	var err error
	if c.list {
		var sb strings.Builder
		started := false
		rd.vals, err = readChunk(cc, rd.vals, func(v parquet.Value) {
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
		return rows, err
	}
	// A dictionary page's values come as indexes into its dictionary:
	// each entry is made a string once per column chunk.
	var dict parquet.Dictionary
	prev := ""
	rd.vals, err = readPages(cc, rd.vals, func(page parquet.Page) bool {
		d := page.Dictionary()
		if d == nil || c.maxDef > 1 {
			return false
		}
		data := page.Data()
		if data.Kind() != encoding.Int32 {
			return false
		}
		if d != dict {
			dict = d
			clear(rd.dict)
			rd.dict = slices.Grow(rd.dict[:0], d.Len())[:d.Len()]
			for i := range rd.dict {
				rd.dict[i] = rd.str(d.Index(int32(i)).ByteArray())
			}
		}
		strs := rd.dict
		idx := data.Int32()
		defs := page.DefinitionLevels()
		if defs == nil {
			for _, k := range idx {
				if uint32(k) >= uint32(len(strs)) {
					panic(fmt.Sprintf("dictionary index %d of %d entries", k, len(strs)))
				}
				rows = append(rows, strs[k])
			}
			return true
		}
		j := 0
		for _, l := range defs {
			if int(l) != c.maxDef {
				rows = append(rows, "")
				continue
			}
			if j >= len(idx) || uint32(idx[j]) >= uint32(len(strs)) {
				panic("dictionary indexes do not match the definition levels")
			}
			rows = append(rows, strs[idx[j]])
			j++
		}
		return true
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
		prev = rd.str(b)
		rows = append(rows, prev)
	})
	clear(rd.dict)
	return rows, err
}
