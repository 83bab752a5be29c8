package archive

import (
	"fmt"
	"math"
	"reflect"
	"unsafe"

	"almanac/schema"
)

// opKind is how the journal codec stores one field.
type opKind uint8

const (
	opTime      opKind = iota // int64, as a difference from the batch time
	opInt                     // int64, int32 or Centi, as a varint
	opInt32                   // int32, as a varint checked on decoding
	opString                  // a length-prefixed string, made valid UTF-8
	opBool                    // one byte
	opFloat                   // float64, as its bits
	opOptInt                  // *int64: a flag byte, then the value
	opOptString               // *string: a flag byte, then the string
	opList                    // a slice of structs: count, members, elements
)

// fieldOp is one field of a row type in the journal codec: where it is
// in the row and how it is stored. It is derived from the row type once
// (fieldPlan), so that encoding a row reads its fields in place without
// reflection or allocation.
type fieldOp struct {
	kind opKind
	off  uintptr
	name string
	// For opList: the members of an element, and the slice type.
	sub   []fieldOp
	slice reflect.Type
}

// fieldPlan derives the codec of a row type from its fields, in order.
// The first field of a table's row is its time.
func fieldPlan(rt reflect.Type, table bool) []fieldOp {
	out := make([]fieldOp, rt.NumField())
	for i := range rt.NumField() {
		f := rt.Field(i)
		op := fieldOp{off: f.Offset, name: f.Name}
		switch t := f.Type; {
		case table && i == 0:
			op.kind = opTime
		case t.Kind() == reflect.Int64:
			op.kind = opInt
		case t.Kind() == reflect.Int32:
			op.kind = opInt32
		case t.Kind() == reflect.String:
			op.kind = opString
		case t.Kind() == reflect.Bool:
			op.kind = opBool
		case t.Kind() == reflect.Float64:
			op.kind = opFloat
		case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Int64:
			op.kind = opOptInt
		case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.String:
			op.kind = opOptString
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
			op.kind, op.slice, op.sub = opList, t, fieldPlan(t.Elem(), false)
		default:
			// schema.Declare accepts only the types above.
			panic(fmt.Sprintf("archive: journal codec: field %s of %v: type %v", f.Name, rt, t))
		}
		out[i] = op
	}
	return out
}

// encodeRow appends the fields of the row at p.
func encodeRow(e *enc, plan []fieldOp, p unsafe.Pointer, bt int64) {
	for i := range plan {
		op := &plan[i]
		f := unsafe.Add(p, op.off)
		switch op.kind {
		case opTime:
			e.i(*(*int64)(f) - bt)
		case opInt:
			e.i(*(*int64)(f))
		case opInt32:
			e.i(int64(*(*int32)(f)))
		case opString:
			e.s(*(*string)(f))
		case opBool:
			e.bo(*(*bool)(f))
		case opFloat:
			e.u(math.Float64bits(*(*float64)(f)))
		case opOptInt:
			e.opt(*(**int64)(f))
		case opOptString:
			s := *(**string)(f)
			e.bo(s != nil)
			if s != nil {
				e.s(*s)
			}
		case opList:
			v := reflect.NewAt(op.slice, f).Elem()
			e.u(uint64(len(op.sub)))
			e.u(uint64(v.Len()))
			for j := range v.Len() {
				encodeRow(e, op.sub, v.Index(j).Addr().UnsafePointer(), 0)
			}
		}
	}
}

// decodeRow reads the first ncols fields of the row at p; the others stay
// zero (columns added after the record was written).
func decodeRow(d *dec, plan []fieldOp, ncols int, p unsafe.Pointer, bt int64) {
	for i := range plan[:ncols] {
		op := &plan[i]
		f := unsafe.Add(p, op.off)
		switch op.kind {
		case opTime:
			*(*int64)(f) = bt + d.i()
		case opInt:
			*(*int64)(f) = d.i()
		case opInt32:
			*(*int32)(f) = d.i32()
		case opString:
			*(*string)(f) = d.s()
		case opBool:
			*(*bool)(f) = d.bo()
		case opFloat:
			*(*float64)(f) = math.Float64frombits(d.u())
		case opOptInt:
			*(**int64)(f) = d.opt()
		case opOptString:
			if d.bo() {
				s := d.s()
				*(**string)(f) = &s
			}
		case opList:
			m := d.count()
			if m > len(op.sub) {
				d.fail(fmt.Errorf("field %s: %d members, this almanac knows %d", op.name, m, len(op.sub)))
				return
			}
			n := d.count()
			if n == 0 {
				continue
			}
			v := reflect.MakeSlice(op.slice, n, n)
			for j := range n {
				decodeRow(d, op.sub, m, v.Index(j).Addr().UnsafePointer(), 0)
			}
			reflect.NewAt(op.slice, f).Elem().Set(v)
		}
		if d.err != nil {
			return
		}
	}
}

// encode appends the table's rows of b to dst: columns, count, rows. (It
// takes and returns the slice, not an *enc: a pointer passed through the
// table interface would escape, one allocation per sample.)
func (t *tableOf[T]) encode(dst []byte, b *schema.Batch, bt int64) []byte {
	e := enc{b: dst}
	rows := *t.decl.Rows(b)
	e.s(t.name())
	e.u(uint64(len(t.plan)))
	e.u(uint64(len(rows)))
	for i := range rows {
		encodeRow(&e, t.plan, unsafe.Pointer(&rows[i]), bt)
	}
	return e.b
}

// decode reads rows written by encode into b.
func (t *tableOf[T]) decode(d *dec, b *schema.Batch, bt int64) error {
	ncols := d.count()
	if ncols > len(t.plan) {
		return fmt.Errorf("%d columns, this almanac knows %d (written by a newer one?)", ncols, len(t.plan))
	}
	n := d.count()
	if d.err != nil || n == 0 {
		return nil
	}
	dst := t.decl.Rows(b)
	start := len(*dst)
	*dst = append(*dst, make([]T, n)...)
	rows := (*dst)[start:]
	for i := range rows {
		decodeRow(d, t.plan, ncols, unsafe.Pointer(&rows[i]), bt)
		if d.err != nil {
			*dst = (*dst)[:start]
			return nil
		}
	}
	return nil
}
