package duckdb

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"almanac/schema"
)

// rollupGlob is how the tests read a table's rollups at a resolution.
func rollupGlob(dir, res, table string) string {
	return fmt.Sprintf("read_parquet('%s/rollup/%s/%s/**/*.parquet', hive_partitioning = true, hive_types = {'host': VARCHAR, 'date': DATE}, union_by_name = true)",
		dir, res, table)
}

// resName is the folder of a rollup resolution.
func resName(d time.Duration) string {
	if d == time.Minute {
		return "1m"
	}
	return "1h"
}

// compareRollups checks, with DuckDB, every bucket of every rollup of
// table t under dir against the same aggregates computed from the raw
// rows of the days that have rollups: min, max and sum exactly, the mean
// within the column's precision (0.005 for a DECIMAL(18,2), 1e-9 relative
// for the others), the newest label, and the number of samples. Buckets
// missing on either side count as mismatches. It returns the kinds it
// checked.
func compareRollups(t *testing.T, db *sql.DB, dir string, tb schema.Table) map[schema.Kind]bool {
	t.Helper()
	kinds := map[schema.Kind]bool{}
	raw := fmt.Sprintf("read_parquet('%s/%s/**/*.parquet', hive_partitioning = true, hive_types = {'host': VARCHAR, 'date': DATE}, union_by_name = true)", dir, tb.Name())
	for _, res := range tb.Rollups() {
		width := res.Microseconds()
		rollup := rollupGlob(dir, resName(res), tb.Name())
		keys := append([]string{"host", "date", "b"}, tb.Keys()...)
		for _, k := range tb.Keys() {
			c, _ := tb.Column(k)
			kinds[c.Kind] = true
		}
		var rawAggs, rolled, checks []string
		add := func(name, rawExpr, cond string) {
			rawAggs = append(rawAggs, rawExpr+" AS "+name)
			rolled = append(rolled, name)
			checks = append(checks, fmt.Sprintf("count(*) FILTER (WHERE w.b IS NOT NULL AND r.b IS NOT NULL AND NOT (%s))", cond))
		}
		var names []string
		for _, c := range tb.RollupColumns() {
			kinds[c.Kind] = true
			for _, a := range c.Kind.Aggs() {
				n := c.RollupName(a)
				same := fmt.Sprintf("w.%[1]s IS NOT DISTINCT FROM r.%[1]s", n)
				switch a {
				case schema.AggNewest:
					add(n, fmt.Sprintf("arg_max_null(%s, time)", c.Name), same)
				case schema.AggMin:
					add(n, "min("+c.Name+")", same)
				case schema.AggMax:
					add(n, "max("+c.Name+")", same)
				case schema.AggSum:
					add(n, "sum("+c.Name+")", same)
				case schema.AggAvg:
					tol := fmt.Sprintf("1e-9 * greatest(1, abs(w.%s))", n)
					if c.Type == "DECIMAL(18,2)" {
						tol = "0.005 + 1e-9"
					}
					add(n, "avg("+c.Name+")::DOUBLE",
						fmt.Sprintf("(w.%[1]s IS NULL AND r.%[1]s IS NULL) OR abs(w.%[1]s - r.%[1]s::DOUBLE) <= %[2]s", n, tol))
				}
				names = append(names, n)
			}
		}
		add("samples", "count(*)", "w.samples = r.samples")
		names = append(names, "samples")
		rollupCols := append([]string{"host", "date", fmt.Sprintf("epoch_us(time) AS b")}, tb.Keys()...)
		rollupCols = append(rollupCols, rolled...)
		q := fmt.Sprintf(`
WITH r AS (SELECT %s FROM %s),
     w AS (SELECT host, date, epoch_us(time) // %d * %d AS b, %s %s
           FROM %s WHERE (host, date) IN (SELECT DISTINCT host, date FROM r) GROUP BY ALL)
SELECT count(*), count(*) FILTER (WHERE r.b IS NULL), count(*) FILTER (WHERE w.b IS NULL), %s
FROM w FULL OUTER JOIN r USING (%s)`,
			strings.Join(rollupCols, ", "), rollup,
			width, width, strings.Join(append(append([]string{}, tb.Keys()...), ""), ", "), strings.Join(rawAggs, ", "),
			raw, strings.Join(checks, ", "), strings.Join(keys, ", "))
		out := make([]int64, 3+len(checks))
		ptrs := make([]any, len(out))
		for i := range out {
			ptrs[i] = &out[i]
		}
		if err := db.QueryRow(q).Scan(ptrs...); err != nil {
			t.Fatalf("%s %s: %v\n%s", tb.Name(), resName(res), err, q)
		}
		if out[0] == 0 {
			t.Errorf("%s %s: no bucket compared", tb.Name(), resName(res))
		}
		if out[1] != 0 || out[2] != 0 {
			t.Errorf("%s %s: %d buckets of the raw rows have no rollup row, %d rollup rows no raw rows", tb.Name(), resName(res), out[1], out[2])
		}
		for i, n := range names {
			if bad := out[3+i]; bad != 0 {
				t.Errorf("%s %s: %s differs from DuckDB's aggregate of the raw rows in %d of %d buckets", tb.Name(), resName(res), n, bad, out[0])
			}
		}
	}
	return kinds
}

// TestRollupsMatchRaw checks every rollup of every table of the fleet
// against DuckDB's own aggregates of the raw rows, column by column:
// counts are summed (the planted OOM kills are all there), extremes are
// exact and means within the column's precision.
func TestRollupsMatchRaw(t *testing.T) {
	db := openDB(t)
	kinds := map[schema.Kind]bool{}
	for _, tb := range schema.Tables {
		if len(tb.Rollups()) == 0 {
			continue
		}
		t.Run(tb.Name(), func(t *testing.T) {
			for k := range compareRollups(t, db, theFleet.dir, tb) {
				kinds[k] = true
			}
		})
	}
	// Every kind a declared table uses was compared (counters: none yet;
	// TestThrowawayTable covers them).
	for _, tb := range schema.Tables {
		for _, c := range tb.RollupColumns() {
			if !kinds[c.Kind] {
				t.Errorf("kind %v (column %s.%s) not compared", c.Kind, tb.Name(), c.Name)
			}
		}
	}
	// The four OOM kills planted on web1 (3, then 1 twenty minutes
	// later) are four in every rollup: the hour's bucket sums them.
	for _, res := range []string{"1m", "1h"} {
		var raw, rolled, peak int64
		q := fmt.Sprintf(`SELECT (SELECT sum(oom_kills) FROM %s WHERE host = 'web1' AND date < current_date),
		                         (SELECT sum(oom_kills_sum) FROM %s WHERE host = 'web1'),
		                         (SELECT max(oom_kills_sum) FROM %s WHERE host = 'web1')`,
			readParquet(theFleet.dir, "memory"), rollupGlob(theFleet.dir, res, "memory"), rollupGlob(theFleet.dir, res, "memory"))
		if err := db.QueryRow(q).Scan(&raw, &rolled, &peak); err != nil {
			t.Fatal(err)
		}
		wantPeak := int64(oomKills + 1)
		if res == "1m" {
			wantPeak = oomKills
		}
		if raw != oomKills+1 || rolled != raw || peak != wantPeak {
			t.Errorf("%s: %d OOM kills in web1's raw rows, %d in its rollups, %d in its fullest bucket; want 4, 4, %d", res, raw, rolled, peak, wantPeak)
		}
	}
}
