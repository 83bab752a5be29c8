package archive

import (
	"almanac/schema"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fillDistinct sets every field of the struct v points to a distinct
// non-zero value, so that a field the codec forgets cannot round-trip.
func fillDistinct(v reflect.Value, n *int64) {
	for i := range v.NumField() {
		f := v.Field(i)
		*n++
		switch f.Kind() {
		case reflect.Int32, reflect.Int64:
			f.SetInt(*n)
		case reflect.String:
			f.SetString("s" + string(rune('a'+*n%26)))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Float64:
			f.SetFloat(float64(*n) + 0.5)
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			if p.Elem().Kind() == reflect.String {
				p.Elem().SetString("p" + string(rune('a'+*n%26)))
			} else {
				p.Elem().SetInt(*n)
			}
			f.Set(p)
		case reflect.Slice:
			s := reflect.MakeSlice(f.Type(), 2, 2)
			for j := range 2 {
				fillDistinct(s.Index(j), n)
			}
			f.Set(s)
		default:
			panic("fillDistinct: unhandled kind " + f.Kind().String())
		}
	}
}

// TestCodecEveryField round-trips a batch in which every field of every
// row type holds its own non-zero value, so that a field the codec derived
// from the row types mishandles cannot round-trip.
func TestCodecEveryField(t *testing.T) {
	b := &schema.Batch{Time: t0}
	bv := reflect.ValueOf(b).Elem()
	var n int64
	for i := range bv.NumField() {
		f := bv.Field(i)
		if f.Kind() != reflect.Slice {
			continue
		}
		row := reflect.New(f.Type().Elem()).Elem()
		fillDistinct(row, &n)
		f.Set(reflect.Append(f, row))
	}
	_, got, err := decodeBatch(encodeBatch(nil, 1, b))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("a field does not survive the journal codec (-want +got):\n%s", diff)
	}
}
