package duckdb

import (
	"almanac/schema"
	"database/sql"
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"
)

// openDB opens an in-memory DuckDB for one test.
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	// One connection, so that SET and CREATE VIEW apply to every query.
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// readParquet is how the tests read a table, with the options the README
// recommends.
func readParquet(dir, table string) string {
	return fmt.Sprintf("read_parquet('%s/%s/**/*.parquet', hive_partitioning = true, hive_types = {'host': VARCHAR, 'date': DATE})",
		dir, table)
}

// rowsOf returns the rows of table in b as a reflect.Value of a slice of
// the table's row type.
func rowsOf(b *schema.Batch, table string) reflect.Value {
	t, _ := schema.Lookup(table)
	return reflect.ValueOf(t.Slice(b))
}

// column is one column of a table as package schema declares it.
type column struct {
	name     string
	field    int
	want     string // the DuckDB type it must read as
	nullable bool
}

// columnsOf returns the columns of table and the DuckDB type each must
// have, as its declaration says (schema.Column.Type).
func columnsOf(t *testing.T, table string) []column {
	t.Helper()
	tbl, ok := schema.Lookup(table)
	if !ok {
		t.Fatalf("no table %q", table)
	}
	var cols []column
	for _, c := range tbl.Columns() {
		cols = append(cols, column{name: c.Name, field: c.Index, want: c.Type, nullable: c.Nullable})
	}
	return cols
}

// formatWant formats the value of a written row's field the way formatGot
// formats what DuckDB returns, so that rows compare as strings. An empty
// string in a nullable column is NULL, and so is a nil pointer.
func formatWant(v reflect.Value, c column) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "NULL"
		}
		v = v.Elem()
	}
	switch {
	case c.want == "TIMESTAMP WITH TIME ZONE":
		return time.UnixMicro(v.Int()).UTC().Format(time.RFC3339Nano)
	case c.want == "DECIMAL(18,2)":
		return decimalString(big.NewInt(v.Int()), 2)
	case c.want == "VARCHAR":
		if c.nullable && v.String() == "" {
			return "NULL"
		}
		return strconv.Quote(v.String())
	case strings.HasSuffix(c.want, "[]"):
		var s []string
		for i := range v.Len() {
			e := v.Index(i)
			if e.Kind() != reflect.Struct {
				s = append(s, strconv.Quote(e.String()))
				continue
			}
			// A struct, as formatGot prints DuckDB's map: fields by name.
			m := map[string]any{}
			for j := range e.NumField() {
				name, _, _ := strings.Cut(e.Type().Field(j).Tag.Get("parquet"), ",")
				m[name] = e.Field(j).Interface()
			}
			s = append(s, formatGot(m))
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	return fmt.Sprint(v.Interface())
}

// formatGot formats one value scanned from DuckDB.
func formatGot(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case duckdb.Decimal:
		return decimalString(v.Value, int(v.Scale))
	case string:
		return strconv.Quote(v)
	case []any:
		var s []string
		for _, e := range v {
			s = append(s, formatGot(e))
		}
		return "[" + strings.Join(s, " ") + "]"
	case map[string]any:
		var s []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			s = append(s, k+"="+formatGot(v[k]))
		}
		return "{" + strings.Join(s, " ") + "}"
	}
	return fmt.Sprint(v)
}

// decimalString formats the unscaled value v with scale digits after the point.
func decimalString(v *big.Int, scale int) string {
	s := new(big.Int).Abs(v).String()
	for len(s) <= scale {
		s = "0" + s
	}
	sign := ""
	if v.Sign() < 0 {
		sign = "-"
	}
	return sign + s[:len(s)-scale] + "." + s[len(s)-scale:]
}

// TestTablesReadBack reads every table of the archive with DuckDB and
// checks the column types and every value of every row against what was
// written.
func TestTablesReadBack(t *testing.T) {
	db := openDB(t)
	f := theFleet
	for _, table := range schema.Names() {
		t.Run(table, func(t *testing.T) {
			cols := columnsOf(t, table)

			// Types: every declared column, in order, then the partitions.
			var wantTypes []string
			for _, c := range cols {
				wantTypes = append(wantTypes, c.name+" "+c.want)
			}
			// then the partition columns, in the order DuckDB puts them.
			wantTypes = append(wantTypes, "date DATE", "host VARCHAR")
			rows, err := db.Query("DESCRIBE SELECT * FROM " + readParquet(f.dir, table))
			if err != nil {
				t.Fatal(err)
			}
			var gotTypes []string
			for rows.Next() {
				var name, typ string
				var null, key, def, extra sql.NullString
				if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
					t.Fatal(err)
				}
				gotTypes = append(gotTypes, name+" "+typ)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if n := len(gotTypes); n >= 2 {
				slices.Sort(gotTypes[n-2:])
			}
			if diff := cmp.Diff(wantTypes, gotTypes); diff != "" {
				t.Errorf("columns of %s (-want +got):\n%s", table, diff)
			}

			// Values: every row written, in any order.
			var want []string
			for _, host := range fleetHosts {
				for _, b := range f.batches[host] {
					rs := rowsOf(b, table)
					for i := range rs.Len() {
						r := rs.Index(i)
						fields := []string{strconv.Quote(host), b.Time.UTC().Format(time.DateOnly)}
						for _, c := range cols {
							fields = append(fields, formatWant(r.Field(c.field), c))
						}
						want = append(want, strings.Join(fields, " | "))
					}
				}
			}
			names := []string{"host", "date"}
			for _, c := range cols {
				names = append(names, c.name)
			}
			rows, err = db.Query("SELECT " + strings.Join(names, ", ") + " FROM " + readParquet(f.dir, table))
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			vals := make([]any, len(names))
			ptrs := make([]any, len(names))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				fields := make([]string, len(vals))
				for i, v := range vals {
					if i == 1 {
						if d, ok := v.(time.Time); ok {
							fields[i] = d.Format(time.DateOnly)
							continue
						}
					}
					fields[i] = formatGot(v)
				}
				got = append(got, strings.Join(fields, " | "))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatalf("the test wrote no %s rows", table)
			}
			slices.Sort(want)
			slices.Sort(got)
			if len(got) != len(want) {
				t.Errorf("%s: DuckDB read %d rows, want %d", table, len(got), len(want))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				if len(diff) > 4000 {
					diff = diff[:4000] + "\n…"
				}
				t.Errorf("%s rows (-want +got):\n%s", table, diff)
			}
		})
	}
}
