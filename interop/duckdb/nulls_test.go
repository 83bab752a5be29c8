package duckdb

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// TestOptionalStringsReadAsNull writes process rows whose optional strings
// are empty (NULL) in runs that parquet-go v0.32.0's GenericWriter.Write
// turns into empty strings (a value at row 1 of 64 between NULLs, and
// random runs), through almanac's writer and compaction, and asks DuckDB
// how many NULLs and empty strings each column holds.
func TestOptionalStringsReadAsNull(t *testing.T) {
	dir := t.TempDir()
	store, err := archive.Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	w, err := store.Writer("h", archive.WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	wantNulls := map[string]int{}
	cols := []string{"cgroup", "unit", "container", "cgroup_memory", "cgroup_cpu"}
	for i := range 200 {
		tm := start.Add(time.Duration(i) * time.Minute)
		b := &schema.Batch{Time: tm}
		n, density := 64, 0.0
		if i%2 == 1 {
			n, density = 1+rng.IntN(200), rng.Float64()
		}
		for j := range n {
			r := schema.ProcessRow{Time: tm.UnixMicro(), PID: int32(j + 1), StartTime: start.UnixMicro(),
				User: "u", Comm: "c", State: "S", CgroupMemory: "/m", CgroupCPU: "/c"}
			if i%2 == 0 && j == 1 || i%2 == 1 && rng.Float64() >= density {
				r.Cgroup, r.Unit = "/system.slice/a.service", "a.service"
			} else {
				wantNulls["cgroup"]++
				wantNulls["unit"]++
			}
			if j%3 == 1 {
				r.Container = "c0ffee"
			} else {
				wantNulls["container"]++
			}
			b.Process = append(b.Process, r)
		}
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	check := func(stage string) {
		t.Helper()
		for _, c := range cols {
			var nulls, empties int
			q := fmt.Sprintf("SELECT count(*) FILTER (WHERE %[1]s IS NULL), count(*) FILTER (WHERE %[1]s = '') FROM %[2]s", c, readParquet(dir, "process"))
			if err := db.QueryRow(q).Scan(&nulls, &empties); err != nil {
				t.Fatal(err)
			}
			if nulls != wantNulls[c] || empties != 0 {
				t.Errorf("%s: %s: %d NULLs and %d empty strings, want %d NULLs and none empty", stage, c, nulls, empties, wantNulls[c])
			}
		}
	}
	check("parts")
	if _, err := store.Compact("h", start.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	check("day file")
}
