package duckdb

import (
	"fmt"
	"testing"
)

// TestRollupsReadBack reads the per-hour and per-minute rollups of the
// closed days with DuckDB, as a user would for long-range questions, and
// checks them against the raw table they summarise: every bucket has
// min <= avg <= max, and the samples of a host's day add up to its raw rows.
func TestRollupsReadBack(t *testing.T) {
	db := openDB(t)
	for _, res := range []string{"1h", "1m"} {
		rollup := fmt.Sprintf("read_parquet('%s/rollup/%s/cpu/**/*.parquet', hive_partitioning = true, hive_types = {'host': VARCHAR, 'date': DATE})", theFleet.dir, res)
		var bad, buckets int
		if err := db.QueryRow(`SELECT count(*) FILTER (WHERE NOT (user_pct_min <= user_pct_avg AND user_pct_avg <= user_pct_max)), count(*) FROM `+rollup).Scan(&bad, &buckets); err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		if buckets == 0 || bad != 0 {
			t.Errorf("%s: %d buckets, %d with min <= avg <= max broken", res, buckets, bad)
		}
		raw := readParquet(theFleet.dir, "cpu")
		q := `WITH r AS (SELECT host, date, sum(samples) AS n FROM ` + rollup + ` WHERE cpu = 'all' GROUP BY ALL),
		          w AS (SELECT host, date, count(*) AS n FROM ` + raw + ` WHERE cpu = 'all' GROUP BY ALL)
		     SELECT r.host, r.date::VARCHAR, r.n, coalesce(w.n, 0) FROM r LEFT JOIN w USING (host, date) WHERE r.n <> coalesce(w.n, 0)`
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		for rows.Next() {
			var host, date string
			var got, want int64
			if err := rows.Scan(&host, &date, &got, &want); err != nil {
				t.Fatal(err)
			}
			t.Errorf("%s rollup of %s on %s counts %d samples, the raw table has %d", res, host, date, got, want)
		}
		rows.Close()
	}
}
