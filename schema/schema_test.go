package schema

import (
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the README's table reference")

// TestDeclarations checks every declared table: time first, unique
// names, keys and rollup columns that exist, a kind and a doc per column,
// and rollup column names that do not collide.
func TestDeclarations(t *testing.T) {
	seen := map[string]bool{}
	for _, tb := range Tables {
		t.Run(tb.Name(), func(t *testing.T) {
			if seen[tb.Name()] {
				t.Fatalf("table %s declared twice", tb.Name())
			}
			seen[tb.Name()] = true
			cols := tb.Columns()
			if len(cols) < 2 || cols[0].Name != "time" || cols[0].Kind != KindTime {
				t.Fatalf("columns %v: want time first and at least one more", cols)
			}
			if tb.Len(&Batch{}) != 0 {
				t.Error("an empty batch has rows")
			}
			names := map[string]bool{}
			for _, c := range cols {
				if names[c.Name] {
					t.Errorf("column %s twice", c.Name)
				}
				names[c.Name] = true
				if c.Doc == "" || c.Type == "" || c.Kind.String() == "" {
					t.Errorf("column %s: doc %q, type %q", c.Name, c.Doc, c.Type)
				}
				if c.Kind == KindPercent && !strings.HasPrefix(c.Unit, "%") {
					t.Errorf("column %s: a percentage in unit %q", c.Name, c.Unit)
				}
			}
			for _, k := range tb.Keys() {
				if c, _ := tb.Column(k); c.Kind != KindIdentity {
					t.Errorf("key %s is of kind %v", k, c.Kind)
				}
			}
			if len(tb.Rollups()) == 0 {
				return
			}
			if !slices.IsSorted(tb.Rollups()) || tb.Rollups()[0] < time.Second {
				t.Errorf("rollups %v: want finest first", tb.Rollups())
			}
			out := map[string]bool{"time": true, "samples": true}
			for _, k := range tb.Keys() {
				out[k] = true
			}
			for _, c := range tb.RollupColumns() {
				if c.Kind == KindTime || c.Kind == KindIdentity || c.Fields != nil {
					t.Errorf("column %s (%v) among the rollup columns", c.Name, c.Kind)
				}
				for _, a := range c.Kind.Aggs() {
					n := c.RollupName(a)
					if out[n] {
						t.Errorf("rollup column %s twice", n)
					}
					out[n] = true
				}
			}
		})
	}
	if got, want := Names(), []string{TableHost, TableCPU, TableSystem, TablePressure, TableMemory, TableDisk,
		TableFilesystem, TableNetwork, TableTemperature, TableProcCount, TableProcUser, TableProcess, TableAlert,
		TableSelf, TableCustom, TableGPU, TableCgroup, TableOOMKill, TableProcGroup}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
}

// TestKindAggs pins how each kind rolls up: the promise of the package doc.
func TestKindAggs(t *testing.T) {
	tests := []struct {
		kind Kind
		want []string // suffixes; "key" and "newest" for the unsuffixed ones
	}{
		{KindTime, nil},
		{KindIdentity, []string{"key"}},
		{KindLabel, []string{"newest"}},
		{KindTimestamp, []string{"_min", "_max"}},
		{KindGauge, []string{"_min", "_avg", "_max"}},
		{KindRate, []string{"_min", "_avg", "_max"}},
		{KindPercent, []string{"_min", "_avg", "_max"}},
		{KindCount, []string{"_sum", "_max"}},
		{KindCounter, []string{"_min", "_max"}},
	}
	if len(tests) != len(Kinds()) {
		t.Fatalf("%d kinds tested, %d declared", len(tests), len(Kinds()))
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			var got []string
			for _, a := range tt.kind.Aggs() {
				switch a {
				case AggKey:
					got = append(got, "key")
				case AggNewest:
					got = append(got, "newest")
				default:
					got = append(got, a.Suffix())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%v rolls up as %v, want %v", tt.kind, got, tt.want)
			}
			if k, ok := parseKind(tt.kind.String()); !ok || k != tt.kind {
				t.Errorf("parseKind(%q) = %v, %v", tt.kind.String(), k, ok)
			}
		})
	}
}

// TestDeclareRejects checks that a malformed row type is refused with a
// message naming the column and what is wrong.
func TestDeclareRejects(t *testing.T) {
	type noKind struct {
		Time int64 `parquet:"time" kind:"time" doc:"t"`
		X    int64 `parquet:"x" doc:"x"`
	}
	type noDoc struct {
		Time int64 `parquet:"time" kind:"time" doc:"t"`
		X    int64 `parquet:"x" kind:"gauge"`
	}
	type timeNotFirst struct {
		X    int64 `parquet:"x" kind:"gauge" doc:"x"`
		Time int64 `parquet:"time" kind:"time" doc:"t"`
	}
	type badType struct {
		Time int64          `parquet:"time" kind:"time" doc:"t"`
		X    map[string]int `parquet:"x" kind:"label" doc:"x"`
	}
	type badOnly struct {
		Time int64 `parquet:"time" kind:"time" doc:"t"`
		X    int64 `parquet:"x" kind:"gauge" doc:"x"`
	}
	tests := []struct {
		name, want string
		declare    func()
	}{
		{"no kind", `column x: kind ""`, func() { Declare(Decl{Name: "t"}, func(*Batch) *[]noKind { return nil }) }},
		{"no doc", "column x: no doc tag", func() { Declare(Decl{Name: "t"}, func(*Batch) *[]noDoc { return nil }) }},
		{"time not first", "the first column, and only it, is time", func() { Declare(Decl{Name: "t"}, func(*Batch) *[]timeNotFirst { return nil }) }},
		{"unsupported type", "column x: unsupported Go type", func() { Declare(Decl{Name: "t"}, func(*Batch) *[]badType { return nil }) }},
		{"rollup of no column", `RollupOnly names no column "y"`, func() {
			Declare(Decl{Name: "t", RollupOnly: []string{"y"}}, func(*Batch) *[]badOnly { return nil })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tt.want) {
					t.Errorf("Declare panicked with %v, want a message containing %q", r, tt.want)
				}
			}()
			tt.declare()
		})
	}
}

// TestColumnTypes checks the SQL types derived from Go types and tags on
// a table that has every one.
func TestColumnTypes(t *testing.T) {
	type member struct {
		A string `parquet:"a" doc:"a"`
		B int32  `parquet:"b" doc:"b"`
	}
	type row struct {
		Time int64    `parquet:"time,timestamp(microsecond)" kind:"time" doc:"t"`
		K    string   `parquet:"k,dict" kind:"identity" doc:"k"`
		L    string   `parquet:"l,optional" kind:"label" doc:"l"`
		P    *string  `parquet:"p,optional" kind:"label" doc:"p"`
		C    Centi    `parquet:"c,decimal(2:18)" kind:"percent" unit:"%" doc:"c"`
		N    int64    `parquet:"n" kind:"count" doc:"n"`
		I    int32    `parquet:"i" kind:"gauge" doc:"i"`
		F    float64  `parquet:"f" kind:"gauge" doc:"f"`
		O    *int64   `parquet:"o,optional" kind:"rate" doc:"o"`
		B    bool     `parquet:"b" kind:"label" doc:"b"`
		M    []member `parquet:"m,list" kind:"label" doc:"m"`
	}
	tb := Declare(Decl{Name: "t", Rollups: []time.Duration{time.Minute}}, func(*Batch) *[]row { return nil })
	want := []string{"TIMESTAMP WITH TIME ZONE", "VARCHAR", "VARCHAR, NULL", "VARCHAR, NULL", "DECIMAL(18,2)",
		"BIGINT", "INTEGER", "DOUBLE", "BIGINT, NULL", "BOOLEAN", "STRUCT(a VARCHAR, b INTEGER)[]"}
	var got []string
	for _, c := range tb.Columns() {
		s := c.Type
		if c.Nullable {
			s += ", NULL"
		}
		got = append(got, s)
	}
	if !slices.Equal(got, want) {
		t.Errorf("types = %q, want %q", got, want)
	}
	if !slices.Equal(tb.Keys(), []string{"k"}) {
		t.Errorf("keys = %v, want [k]", tb.Keys())
	}
	var rolled []string
	for _, c := range tb.RollupColumns() {
		rolled = append(rolled, c.Name)
	}
	if want := []string{"l", "p", "c", "n", "i", "f", "o", "b"}; !slices.Equal(rolled, want) {
		t.Errorf("rollup columns = %v, want %v (no time, key or list)", rolled, want)
	}
	if tb.RowType() != reflect.TypeFor[row]() {
		t.Errorf("RowType = %v", tb.RowType())
	}
}

// TestReadme checks that the README's table reference is Markdown(); run
// go test ./schema -update to rewrite it after changing a declaration.
func TestReadme(t *testing.T) {
	const path = "../README.md"
	const begin, end = "<!-- schema:begin -->\n", "<!-- schema:end -->"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q section", path, strings.TrimSpace(begin), end)
	}
	want := Markdown() + "\n"
	got := text[i+len(begin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(text[:i+len(begin)]+want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the README's table reference differs from the declarations; run go test ./schema -update and review git diff README.md")
}
