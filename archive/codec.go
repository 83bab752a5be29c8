package archive

import (
	"almanac/schema"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The journal stores each batch in a compact binary form derived from the
// table declarations of package schema (see fieldPlan): a header (codec
// version, seq, batch time), the number of tables with rows, and for each
// its name, its number of columns, its row count and its rows, each field
// in declaration order as a varint, a length-prefixed string or a flag
// byte. Every row's time is a difference from the batch time (usually 0,
// one byte).
//
// A column appended to a table is read as zero (NULL) from records
// written before it, which carry fewer columns; a record with more
// columns or an unknown table is from a newer almanac and is refused.
// Records of codec 1, written before the schema package, are read by
// decodeV1.
const codecVersion = 2

// enc appends values to a byte slice.
type enc struct{ b []byte }

func (e *enc) u(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)  { e.b = binary.AppendVarint(e.b, v) }

// s appends a string. Parquet strings must be UTF-8 (DuckDB refuses a
// whole file over one bad string), so invalid bytes become U+FFFD here,
// whatever the collector let through.
func (e *enc) s(v string) {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	e.b = binary.AppendUvarint(e.b, uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *enc) bo(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// opt encodes a nullable integer: 0 for nil, else 1 and the value.
func (e *enc) opt(v *int64) {
	if v == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.i(*v)
}

var errShort = errors.New("truncated record")

// dec reads values written by enc. The first error sticks; later reads
// return zero values.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *dec) u() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i32() int32 {
	v := d.i()
	if int64(int32(v)) != v {
		d.fail(fmt.Errorf("value %d out of int32 range", v))
		return 0
	}
	return int32(v)
}

func (d *dec) c() schema.Centi { return schema.Centi(d.i()) }

func (d *dec) s() string {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

func (d *dec) bo() bool {
	if len(d.b) == 0 {
		d.fail(errShort)
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	if v > 1 {
		d.fail(fmt.Errorf("bad boolean %d", v))
	}
	return v == 1
}

func (d *dec) opt() *int64 {
	if !d.bo() {
		return nil
	}
	v := d.i()
	if d.err != nil {
		return nil
	}
	return &v
}

// count reads a row count; every row takes at least one byte, so a count
// larger than what is left is corrupt (and never allocates).
func (d *dec) count() int {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return 0
	}
	return int(n)
}

// encodeBatch appends the encoding of b, stamped with seq, to dst.
func encodeBatch(dst []byte, seq int64, b *schema.Batch) []byte {
	e := enc{b: dst}
	e.u(codecVersion)
	e.i(seq)
	bt := b.Time.UnixMicro()
	e.i(bt)
	n := 0
	for _, t := range tableList {
		if t.count(b) > 0 {
			n++
		}
	}
	e.u(uint64(n))
	for _, t := range tableList {
		if t.count(b) > 0 {
			e.b = t.encode(e.b, b, bt)
		}
	}
	return e.b
}

// decodeHeader reads the version, seq and batch time of an encoded batch.
func decodeHeader(d *dec) (seq int64, bt int64, err error) {
	if v := d.u(); d.err == nil && v != codecVersion && v != 1 {
		return 0, 0, fmt.Errorf("record version %d: want 1 or %d (written by a newer almanac?)", v, codecVersion)
	}
	seq = d.i()
	bt = d.i()
	return seq, bt, d.err
}

// decodeBatch decodes a batch encoded by encodeBatch, or by codec 1.
func decodeBatch(p []byte) (seq int64, b *schema.Batch, err error) {
	return decodeBatchInto(p, &schema.Batch{})
}

// decodeBatchInto is decodeBatch into into, whose rows it empties first
// and whose memory it reuses (a batch of codec 1 is decoded anew).
func decodeBatchInto(p []byte, into *schema.Batch) (seq int64, b *schema.Batch, err error) {
	d := &dec{b: p}
	seq, bt, err := decodeHeader(d)
	if err != nil {
		return 0, nil, err
	}
	if version, _ := binary.Uvarint(p); version == 1 { // checked by decodeHeader
		b = decodeV1(d, bt)
	} else {
		b = into
		for _, t := range tableList {
			t.reset(b)
		}
		b.Time = time.UnixMicro(bt).UTC()
		n := d.count()
		for range n {
			name := d.s()
			t, ok := tables[name]
			if d.err == nil && !ok {
				return 0, nil, fmt.Errorf("decode batch: table %q unknown to this almanac (written by a newer one?)", name)
			}
			if d.err != nil {
				break
			}
			if err := t.decode(d, b, bt); err != nil {
				return 0, nil, fmt.Errorf("decode batch: table %s: %w", name, err)
			}
		}
	}
	if d.err != nil {
		return 0, nil, fmt.Errorf("decode batch: %w", d.err)
	}
	if len(d.b) != 0 {
		return 0, nil, fmt.Errorf("decode batch: %d trailing bytes", len(d.b))
	}
	return seq, b, nil
}
