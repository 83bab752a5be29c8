package archive

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// A merge sorts a chunk of rows and writes it as one row group. Written
// row by row (GenericWriter.Write), the writer holds every column's values
// of the row group until it ends: a second copy of the chunk (about 9 MiB
// for the process and cgroup tables). Written column by column, each
// column's last page is written out before the next column starts, so
// the writer holds one column's values. The file is the same (see
// writeColumns).

// leafWriter turns one field of a row type into the values of its Parquet
// column, as GenericWriter would write it.
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

// appendValues appends the values of the leaf in rows n rows from the
// one at p, stride bytes apart. A loop per kind, not a switch per value:
// a merge writes tens of millions of values. The writer's column buffers
// read a value's definition level, never its column index, so only the
// values of nullable columns carry levels.
func (l *leafWriter) appendValues(dst []parquet.Value, p unsafe.Pointer, stride uintptr, n int) []parquet.Value {
	p = unsafe.Add(p, l.off)
	switch {
	case l.ptr && l.kind == reflect.Int64:
		for range n {
			if q := *(*unsafe.Pointer)(p); q == nil {
				dst = append(dst, parquet.NullValue())
			} else {
				dst = append(dst, parquet.Int64Value(*(*int64)(q)).Level(0, 1, l.col))
			}
			p = unsafe.Add(p, stride)
		}
		return dst
	case l.opt && l.kind == reflect.String:
		for range n {
			if s := *(*string)(p); s == "" {
				dst = append(dst, parquet.NullValue())
			} else {
				dst = append(dst, parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s))).Level(0, 1, l.col))
			}
			p = unsafe.Add(p, stride)
		}
		return dst
	case l.ptr || l.opt:
		for range n {
			q := p
			p = unsafe.Add(p, stride)
			if l.ptr {
				q = *(*unsafe.Pointer)(q)
				if q == nil {
					dst = append(dst, parquet.NullValue())
					continue
				}
			} else if l.null(q) {
				dst = append(dst, parquet.NullValue())
				continue
			}
			dst = append(dst, l.valueAt(q).Level(0, 1, l.col))
		}
		return dst
	}
	switch l.kind {
	case reflect.Int64:
		for range n {
			dst = append(dst, parquet.Int64Value(*(*int64)(p)))
			p = unsafe.Add(p, stride)
		}
	case reflect.Int32:
		for range n {
			dst = append(dst, parquet.Int32Value(*(*int32)(p)))
			p = unsafe.Add(p, stride)
		}
	case reflect.String:
		for range n {
			s := *(*string)(p)
			// The writer copies the bytes (into its dictionary or page).
			dst = append(dst, parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s))))
			p = unsafe.Add(p, stride)
		}
	default:
		for range n {
			dst = append(dst, l.valueAt(p))
			p = unsafe.Add(p, stride)
		}
	}
	return dst
}

// valueAt returns the value of the field at p (not a pointer to it).
func (l *leafWriter) valueAt(p unsafe.Pointer) parquet.Value {
	switch l.kind {
	case reflect.Int64:
		return parquet.Int64Value(*(*int64)(p))
	case reflect.Int32:
		return parquet.Int32Value(*(*int32)(p))
	case reflect.String:
		s := *(*string)(p)
		return parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s)))
	case reflect.Bool:
		return parquet.BooleanValue(*(*bool)(p))
	case reflect.Float64:
		return parquet.DoubleValue(*(*float64)(p))
	}
	return parquet.FloatValue(*(*float32)(p))
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

// writeSteps returns the ends of the runs of rows GenericWriter.Write
// hands its column buffers when writeRowsSafe writes rows: writeRowsSafe
// splits rows into calls (see there), and each call is written 64 rows at
// a time. A column's pages end where its buffer has reached the page size
// at the end of a step, so a column written in the same steps gets the
// same pages.
func writeSteps[T any](rows []T, opt []optField, steps []int) []int {
	steps = steps[:0]
	cut := func(start, end int) {
		for i := start; i < end; i += 64 {
			steps = append(steps, min(i+64, end))
		}
	}
	start := 0
	if len(opt) > 0 {
		for r := 1; r < len(rows); r++ {
			if y := (r - start) % 64; y == 0 || y > 32 {
				continue
			}
			cur, prev := unsafe.Pointer(&rows[r]), unsafe.Pointer(&rows[r-1])
			for _, f := range opt {
				if !f.null(cur) && f.null(prev) {
					cut(start, r)
					start = r
					break
				}
			}
		}
	}
	cut(start, len(rows))
	return steps
}

// columnWriter writes row groups of a table column by column.
type columnWriter[T any] struct {
	leaves []leafWriter
	opt    []optField
	steps  []int
	vals   []parquet.Value
}

// writeColumns writes rows to pw as writeRowsSafe would, but one column
// after the other: each column's values in the steps writeRowsSafe's
// calls would give it (writeSteps), then its last page. The caller ends
// the row group (pw.Flush), which finds every column's pages written.
func (cw *columnWriter[T]) writeColumns(pw *parquet.GenericWriter[T], rows []T) error {
	cols := pw.ColumnWriters()
	if len(cols) != len(cw.leaves) {
		return fmt.Errorf("archive: %d columns, %d leaf writers", len(cols), len(cw.leaves))
	}
	if len(rows) == 0 {
		return nil
	}
	cw.steps = writeSteps(rows, cw.opt, cw.steps)
	if cw.vals == nil {
		cw.vals = make([]parquet.Value, 0, 64)
	}
	stride := unsafe.Sizeof(rows[0])
	for i := range cw.leaves {
		l := &cw.leaves[i]
		c := cols[l.col]
		start := 0
		for _, end := range cw.steps {
			vals := l.appendValues(cw.vals[:0], unsafe.Pointer(&rows[start]), stride, end-start)
			if _, err := c.WriteRowValues(vals); err != nil {
				return err
			}
			start = end
		}
		if err := c.Flush(); err != nil {
			return err
		}
	}
	clear(cw.vals[:cap(cw.vals)]) // drop the pointers into rows
	return nil
}
