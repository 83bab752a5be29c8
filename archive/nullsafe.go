package archive

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// parquet-go v0.32.0 loses NULLs of optional fields that are not pointers
// (a string tagged optional, NULL when empty). GenericWriter.Write hands
// its rows to the column writer 64 at a time, and the column writer
// (writeRowsFuncOfOptional, column_buffer_write.go) splits each 64 into
// runs of NULLs and of values with a bitmap. When a run of values starts
// at row y of the 64, 1 <= y <= 31, it tests whether the rest of the 64
// are all values with the wrong mask, (1<<y)-1 instead of (1<<(64-y))-1:
// when the y rows from y on are values and the rows from 2y to 63 are
// NULLs, it writes those NULLs as values, empty strings. Row 0 NULL, row
// 1 a value and rows 2 to 63 NULL write 62 empty strings
// (TestParquetGoOptionalRuns).
//
// writeRowsSafe works around it: it starts a new Write call at every row where
// such a run would start at y in [1, 32], so that every run of values that
// parquet-go sees starts at a multiple of 64 or ends at the end of its call.

// optField is a field of a row type whose zero value parquet-go writes as
// NULL: tagged optional, not a pointer.
type optField struct {
	off  uintptr
	str  bool    // a string: NULL when empty, whatever its pointer
	size uintptr // else: NULL when all its bytes are zero
}

func (f optField) null(row unsafe.Pointer) bool {
	p := unsafe.Add(row, f.off)
	if f.str {
		return len(*(*string)(p)) == 0
	}
	for _, b := range unsafe.Slice((*byte)(p), f.size) {
		if b != 0 {
			return false
		}
	}
	return true
}

// optFields returns the optional fields of rt that are not pointers. It
// panics on one inside a list, which the workaround does not cover.
func optFields(rt reflect.Type, top bool) []optField {
	var out []optField
	for i := range rt.NumField() {
		f := rt.Field(i)
		k := f.Type.Kind()
		if k == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			if len(optFields(f.Type.Elem(), false)) > 0 {
				panic(fmt.Sprintf("archive: %v.%s: optional fields that are not pointers, in a list", rt, f.Name))
			}
			continue
		}
		if !hasTagOption(f.Tag.Get("parquet"), "optional") || k == reflect.Pointer || k == reflect.Slice || k == reflect.Map {
			continue
		}
		if !top {
			return []optField{{}}
		}
		switch k {
		case reflect.String:
			out = append(out, optField{off: f.Offset, str: true})
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			out = append(out, optField{off: f.Offset, size: f.Type.Size()})
		default:
			// Floats (-0, NaN) and structs have zeros that are not all
			// zero bytes, or the other way round.
			panic(fmt.Sprintf("archive: %v.%s: optional %v that is not a pointer", rt, f.Name, f.Type))
		}
	}
	return out
}

func hasTagOption(tag, opt string) bool {
	_, rest, _ := strings.Cut(tag, ",")
	for o := range strings.SplitSeq(rest, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// writeRowsSafe writes rows with pw.Write, in as many calls as it takes for
// parquet-go to write every NULL of opt as a NULL (see above).
func writeRowsSafe[T any](pw *parquet.GenericWriter[T], rows []T, opt []optField) (int, error) {
	if len(opt) == 0 {
		return pw.Write(rows)
	}
	n, start := 0, 0
	for r := 1; r < len(rows); r++ {
		if y := (r - start) % 64; y == 0 || y > 32 {
			continue
		}
		cur, prev := unsafe.Pointer(&rows[r]), unsafe.Pointer(&rows[r-1])
		for _, f := range opt {
			if !f.null(cur) && f.null(prev) {
				k, err := pw.Write(rows[start:r])
				n += k
				if err != nil {
					return n, err
				}
				start = r
				break
			}
		}
	}
	k, err := pw.Write(rows[start:])
	return n + k, err
}
