package duckdb

import (
	"almanac/schema"
	"database/sql"
	"fmt"
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
	field := map[string]string{
		schema.TableHost: "Host", schema.TableCPU: "CPU", schema.TableSystem: "System",
		schema.TablePressure: "Pressure", schema.TableMemory: "Memory", schema.TableDisk: "Disk",
		schema.TableFilesystem: "Filesystem", schema.TableNetwork: "Network",
		schema.TableTemperature: "Temperature", schema.TableProcCount: "ProcCount",
		schema.TableProcUser: "ProcUser", schema.TableProcess: "Process",
	}[table]
	return reflect.ValueOf(b).Elem().FieldByName(field)
}

// column is one column of a table as rows.go declares it.
type column struct {
	name  string
	field int
	want  string // the DuckDB type it must read as
}

// columnsOf derives the columns of a row type and the DuckDB type each must
// have from the Go type and the parquet tag: timestamps TIMESTAMP WITH TIME
// ZONE (instants in UTC), Centi DECIMAL(18,2), strings VARCHAR, lists of
// strings VARCHAR[].
func columnsOf(t *testing.T, rt reflect.Type) []column {
	t.Helper()
	centi := reflect.TypeFor[schema.Centi]()
	var cols []column
	for i := range rt.NumField() {
		f := rt.Field(i)
		tag := f.Tag.Get("parquet")
		name, opts, _ := strings.Cut(tag, ",")
		var want string
		switch {
		case strings.Contains(opts, "timestamp(microsecond)") && f.Type.Kind() == reflect.Int64:
			want = "TIMESTAMP WITH TIME ZONE"
		case f.Type == centi && strings.Contains(opts, "decimal(2:18)"):
			want = "DECIMAL(18,2)"
		case f.Type.Kind() == reflect.String:
			want = "VARCHAR"
		case f.Type.Kind() == reflect.Int32:
			want = "INTEGER"
		case f.Type.Kind() == reflect.Int64, f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Int64:
			want = "BIGINT"
		case f.Type.Kind() == reflect.Bool:
			want = "BOOLEAN"
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			want = "VARCHAR[]"
		default:
			t.Fatalf("%s.%s: no DuckDB type known for %v with tag %q", rt.Name(), f.Name, f.Type, tag)
		}
		cols = append(cols, column{name: name, field: i, want: want})
	}
	return cols
}

// formatWant formats the value of a written row's field the way formatGot
// formats what DuckDB returns, so that rows compare as strings.
func formatWant(v reflect.Value, c column) string {
	switch c.want {
	case "TIMESTAMP WITH TIME ZONE":
		return time.UnixMicro(v.Int()).UTC().Format(time.RFC3339Nano)
	case "DECIMAL(18,2)":
		return decimalString(big.NewInt(v.Int()), 2)
	case "VARCHAR":
		return strconv.Quote(v.String())
	case "VARCHAR[]":
		var s []string
		for i := range v.Len() {
			s = append(s, strconv.Quote(v.Index(i).String()))
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "NULL"
		}
		v = v.Elem()
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
			rt := rowsOf(&schema.Batch{}, table).Type().Elem()
			cols := columnsOf(t, rt)

			// Types: every column of rows.go, in order, then the partitions.
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
