// Package schema declares every table of almanac's archive, once.
//
// A table is a Go row type whose struct tags say everything about each
// column: its Parquet name and encoding (the parquet tag), what kind of
// value it holds (kind), its unit (unit) and what it means (doc). The
// declaration (Declare) adds the table's name, which rows of a Batch it
// owns and which rollups it has. Everything else is derived from it: the
// Parquet schema and sort order of the files, the journal codec, the
// rollup columns and how each column rolls up, the columns render reads
// from rollups, and the table of columns in the README.
//
// # Adding a column or a table
//
// A column is one field with its four tags, appended at the end of its
// row type (files and journals written before it read it as NULL). A
// table is a row type, a field of Batch, one Declare in tables.go, its
// collector in package sample and its fixture.
//
// # Kinds and rollups
//
// Each closed day of a table with rollups is summarized per minute and
// per hour, per series (the table's identity columns), in one row per
// bucket. How a column is summarized follows from its kind:
//
//	identity           the series: rollups group by it, files sort by it
//	label              the bucket's newest value, under its own name
//	timestamp          c_min and c_max
//	gauge, rate, pct   c_min, c_avg and c_max
//	count              c_sum and c_max (events in the bucket, most in one sample)
//	counter            c_min and c_max (a cumulative counter's first and last)
//
// Means are exact to the column's precision: a DECIMAL column's mean is a
// DECIMAL of the same scale, an integer column's a DOUBLE. Every rollup
// row also has samples, the number of rows in its bucket.
//
// This package imports nothing of almanac and nothing Linux-only.
package schema

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Version is the version of the archive's schema, written into every
// Parquet file's key/value metadata as almanac.schema_version. It goes up
// when a column is added or its meaning changes.
//
//	1  the first archive (no version key in the files)
//	2  host.mounts replaces host.filesystems; filesystem.disk; counts
//	   roll up as sums, integer means as doubles; unknown is NULL;
//	   boot_time without jitter
const Version = 2

// Kind is what a column's values mean, and so how they roll up.
type Kind uint8

// The kinds of column.
const (
	// KindTime is the time of the sample; every table has one, named time.
	KindTime Kind = iota + 1
	// KindIdentity names a series (a CPU, a device, a process): the key
	// of rollups and the sort order of files.
	KindIdentity
	// KindLabel describes a series or a host (a name, a state, a flag).
	KindLabel
	// KindTimestamp is an instant other than the sample's time.
	KindTimestamp
	// KindGauge is a level at the time of the sample.
	KindGauge
	// KindRate is a per-second rate over the interval before the sample.
	KindRate
	// KindPercent is a percentage: a share of the interval, or of a size.
	KindPercent
	// KindCount counts events during the interval before the sample.
	KindCount
	// KindCounter is a cumulative count since some origin (a boot).
	KindCounter
)

var kindNames = map[Kind]string{
	KindTime: "time", KindIdentity: "identity", KindLabel: "label",
	KindTimestamp: "timestamp", KindGauge: "gauge", KindRate: "rate",
	KindPercent: "percent", KindCount: "count", KindCounter: "counter",
}

// String returns the kind's name as written in a kind tag.
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Kinds lists every kind, in declaration order.
func Kinds() []Kind {
	return []Kind{KindTime, KindIdentity, KindLabel, KindTimestamp, KindGauge,
		KindRate, KindPercent, KindCount, KindCounter}
}

func parseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n == s {
			return k, true
		}
	}
	return 0, false
}

// Agg is one aggregate of a rollup column.
type Agg uint8

// The aggregates of rollup columns.
const (
	AggKey    Agg = iota + 1 // the series key, as in the table
	AggNewest                // the bucket's newest value
	AggMin                   // c_min
	AggAvg                   // c_avg: the mean of the non-null values
	AggMax                   // c_max
	AggSum                   // c_sum
)

// Suffix returns what the aggregate appends to a column's name in a
// rollup file: "_min", "_avg", "_max", "_sum", or "" for keys and newest
// values.
func (a Agg) Suffix() string {
	switch a {
	case AggMin:
		return "_min"
	case AggAvg:
		return "_avg"
	case AggMax:
		return "_max"
	case AggSum:
		return "_sum"
	}
	return ""
}

// Aggs returns how a column of kind k rolls up, in the order its rollup
// columns appear. The time column becomes the bucket start, not listed.
func (k Kind) Aggs() []Agg {
	switch k {
	case KindIdentity:
		return []Agg{AggKey}
	case KindLabel:
		return []Agg{AggNewest}
	case KindTimestamp, KindCounter:
		return []Agg{AggMin, AggMax}
	case KindGauge, KindRate, KindPercent:
		return []Agg{AggMin, AggAvg, AggMax}
	case KindCount:
		return []Agg{AggSum, AggMax}
	}
	return nil
}

// Column is one column of a table.
type Column struct {
	Name     string // as in Parquet and SQL: snake_case, with its unit
	Kind     Kind
	Unit     string // "bytes", "%", "1/s", "°C", "ms", … or "" for none
	Doc      string // what it holds, one phrase
	Type     string // the SQL type DuckDB reads it as ("TIMESTAMP WITH TIME ZONE": UTC instants)
	Nullable bool   // NULL where the value is unknown
	// Fields are the members of a list of structs (host.mounts).
	Fields []Column
	// Index is the column's field index in the row type.
	Index int
}

// Has reports whether the rollups of c include aggregate a.
func (c Column) Has(a Agg) bool { return slices.Contains(c.Kind.Aggs(), a) }

// RollupName returns the name of c's aggregate a in a rollup file.
func (c Column) RollupName(a Agg) string { return c.Name + a.Suffix() }

// Table is the declaration of one table, without its row type.
type Table interface {
	// Name is the table's folder in the archive.
	Name() string
	// Doc says what one row is.
	Doc() string
	// Columns lists the columns in file order; the first is time.
	Columns() []Column
	// Column returns the column called name.
	Column(name string) (Column, bool)
	// Keys lists the identity columns: files are sorted by them, then by
	// time, and rollups group by them.
	Keys() []string
	// Rollups lists the bucket widths of the table's rollups, finest
	// first; none for a table without rollups.
	Rollups() []time.Duration
	// RollupColumns lists the columns summarized in rollups besides time
	// and the keys.
	RollupColumns() []Column
	// Len returns the number of rows of the table in b.
	Len(b *Batch) int
	// RowType is the Go type of one row.
	RowType() reflect.Type
	// Slice returns the table's rows in b, a []T of the row type.
	Slice(b *Batch) any
}

// Decl is what Declare needs besides the row type.
type Decl struct {
	Name string
	Doc  string
	// Rollups are the bucket widths of the rollups, finest first.
	Rollups []time.Duration
	// RollupOnly, when set, limits the rollups to these columns (and the
	// keys): the process table keeps CPU, memory, disk I/O, threads, unit and
	// container per process.
	RollupOnly []string
}

// TableOf is the declaration of a table of rows of type T.
type TableOf[T any] struct {
	decl    Decl
	rows    func(*Batch) *[]T
	cols    []Column
	keys    []string
	rollups []Column
}

// Declare declares the table of rows of type T, held in a Batch where rows
// points. It panics on a malformed row type: a declaration is code, and
// TestDeclarations checks them all.
func Declare[T any](d Decl, rows func(*Batch) *[]T) *TableOf[T] {
	t := &TableOf[T]{decl: d, rows: rows}
	cols, err := columnsOf(reflect.TypeFor[T]())
	if err != nil {
		panic(fmt.Sprintf("schema: table %s: %v", d.Name, err))
	}
	t.cols = cols
	for _, c := range cols {
		switch {
		case c.Kind == KindIdentity:
			t.keys = append(t.keys, c.Name)
		case c.Kind == KindTime || c.Fields != nil:
		case d.RollupOnly == nil || slices.Contains(d.RollupOnly, c.Name):
			t.rollups = append(t.rollups, c)
		}
	}
	for _, n := range d.RollupOnly {
		if _, ok := t.Column(n); !ok {
			panic(fmt.Sprintf("schema: table %s: RollupOnly names no column %q", d.Name, n))
		}
	}
	return t
}

// Name implements Table.
func (t *TableOf[T]) Name() string { return t.decl.Name }

// Doc implements Table.
func (t *TableOf[T]) Doc() string { return t.decl.Doc }

// Columns implements Table.
func (t *TableOf[T]) Columns() []Column { return t.cols }

// Column implements Table.
func (t *TableOf[T]) Column(name string) (Column, bool) {
	for _, c := range t.cols {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Keys implements Table.
func (t *TableOf[T]) Keys() []string { return t.keys }

// Rollups implements Table.
func (t *TableOf[T]) Rollups() []time.Duration { return t.decl.Rollups }

// RollupColumns implements Table.
func (t *TableOf[T]) RollupColumns() []Column {
	if len(t.decl.Rollups) == 0 {
		return nil
	}
	return t.rollups
}

// Len implements Table.
func (t *TableOf[T]) Len(b *Batch) int { return len(*t.rows(b)) }

// RowType implements Table.
func (t *TableOf[T]) RowType() reflect.Type { return reflect.TypeFor[T]() }

// Slice implements Table.
func (t *TableOf[T]) Slice(b *Batch) any { return *t.rows(b) }

// Rows returns where b holds the table's rows.
func (t *TableOf[T]) Rows(b *Batch) *[]T { return t.rows(b) }

var centiType = reflect.TypeFor[Centi]()

// columnsOf reads the columns of a row type from its struct tags.
func columnsOf(rt reflect.Type) ([]Column, error) {
	if rt.Kind() != reflect.Struct {
		return nil, fmt.Errorf("row type %v is not a struct", rt)
	}
	var out []Column
	for i := range rt.NumField() {
		f := rt.Field(i)
		ptag := strings.Split(f.Tag.Get("parquet"), ",")
		c := Column{Name: ptag[0], Index: i, Unit: f.Tag.Get("unit"), Doc: f.Tag.Get("doc")}
		if c.Name == "" {
			return nil, fmt.Errorf("field %s: no parquet name", f.Name)
		}
		k, ok := parseKind(f.Tag.Get("kind"))
		if !ok {
			return nil, fmt.Errorf("column %s: kind %q: want one of time, identity, label, timestamp, gauge, rate, percent, count, counter", c.Name, f.Tag.Get("kind"))
		}
		c.Kind = k
		if c.Doc == "" {
			return nil, fmt.Errorf("column %s: no doc tag", c.Name)
		}
		if (i == 0) != (k == KindTime) || (k == KindTime && c.Name != "time") {
			return nil, fmt.Errorf("column %s: the first column, and only it, is time", c.Name)
		}
		c.Nullable = slices.Contains(ptag[1:], "optional")
		typ, err := sqlType(f.Type, ptag[1:], &c)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		c.Type = typ
		out = append(out, c)
	}
	return out, nil
}

// sqlType returns the type DuckDB reads a field of Go type t as.
func sqlType(t reflect.Type, opts []string, c *Column) (string, error) {
	if t.Kind() == reflect.Pointer {
		c.Nullable = true
		t = t.Elem()
	}
	switch {
	case t == centiType:
		return "DECIMAL(18,2)", nil
	case t.Kind() == reflect.Int64 && slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "timestamp") }):
		return "TIMESTAMP WITH TIME ZONE", nil
	case t.Kind() == reflect.Int64:
		return "BIGINT", nil
	case t.Kind() == reflect.Int32:
		return "INTEGER", nil
	case t.Kind() == reflect.String:
		return "VARCHAR", nil
	case t.Kind() == reflect.Bool:
		return "BOOLEAN", nil
	case t.Kind() == reflect.Float64:
		return "DOUBLE", nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		fields, err := memberColumns(t.Elem())
		if err != nil {
			return "", err
		}
		c.Fields = fields
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = memberName(f.Name) + " " + f.Type
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")[]", nil
	}
	return "", fmt.Errorf("unsupported Go type %v", t)
}

// keywordMembers are the member names of list elements that are SQL
// keywords, which DuckDB writes quoted in a type.
var keywordMembers = []string{"name", "value"}

// memberName returns a list element's member name as DuckDB writes it in
// the element's type: quoted when it is a keyword.
func memberName(n string) string {
	if slices.Contains(keywordMembers, n) {
		return `"` + n + `"`
	}
	return n
}

// memberColumns reads the members of a list element struct: like columns,
// but with no time and no kind.
func memberColumns(rt reflect.Type) ([]Column, error) {
	var out []Column
	for i := range rt.NumField() {
		f := rt.Field(i)
		ptag := strings.Split(f.Tag.Get("parquet"), ",")
		c := Column{Name: ptag[0], Index: i, Doc: f.Tag.Get("doc"), Kind: KindLabel}
		c.Nullable = slices.Contains(ptag[1:], "optional")
		typ, err := sqlType(f.Type, ptag[1:], &c)
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", c.Name, err)
		}
		if c.Fields != nil {
			return nil, fmt.Errorf("member %s: lists nest one level only", c.Name)
		}
		c.Type = typ
		out = append(out, c)
	}
	return out, nil
}

// Lookup returns the table called name.
func Lookup(name string) (Table, bool) {
	for _, t := range Tables {
		if t.Name() == name {
			return t, true
		}
	}
	return nil, false
}

// Names returns the names of every table, in Tables order.
func Names() []string {
	out := make([]string, len(Tables))
	for i, t := range Tables {
		out[i] = t.Name()
	}
	return out
}
