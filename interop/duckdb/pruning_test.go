package duckdb

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// TestPruning writes two days of a host with 100 processes, a minute
// apart, flushed every 5 minutes as the sampler does: the first compacted
// into day files, the second consolidated into hour files as the sampler
// leaves a day before midnight. A damaged file sits in the folder of a
// third, later day: a query that opens it fails. It checks that a query
// filtered on time alone opens it (so the check can fail), that a date
// filter and the README's macros never do and return the right rows, and
// that every row group of every file has the statistics of time, in spans
// short enough for a time filter to skip most of them.
func TestPruning(t *testing.T) {
	dir := t.TempDir()
	store, err := archive.Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const host = "prune1"
	w, err := store.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	d1 := archive.Day(time.Now()).AddDate(0, 0, -3)
	g := synth.New(synth.Host{Name: host, Processes: 100, Cores: 2, Seed: 5})
	var batches []*schema.Batch
	for at := d1; at.Before(d1.AddDate(0, 0, 2)); at = at.Add(time.Minute) {
		b := g.Batch(at)
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The second day as it is at 23:30, the first closed.
	if _, err := store.Compact(host, d1.AddDate(0, 0, 1).Add(23*time.Hour+30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A later day: DuckDB reads the first file of a glob to learn its columns.
	old := filepath.Join(dir, "cpu", "host="+host, "date="+d1.AddDate(0, 0, 5).Format(time.DateOnly))
	if err := os.MkdirAll(old, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, "part-1.parquet"), []byte("not a parquet file"), 0o644); err != nil {
		t.Fatal(err)
	}
	hours, _ := filepath.Glob(filepath.Join(dir, "process", "host="+host, "date="+d1.AddDate(0, 0, 1).Format(time.DateOnly), "hour-*.parquet"))
	if len(hours) != 23 {
		t.Fatalf("%d hour files of the process table on the second day, want 23", len(hours))
	}

	db := openDB(t)
	for _, q := range []string{"SET TimeZone = 'UTC'",
		"CREATE VIEW cpu AS FROM " + readParquet(dir, "cpu"),
		"CREATE VIEW process AS FROM " + readParquet(dir, "process"),
		"CREATE VIEW system AS FROM " + readParquet(dir, "system"),
		"CREATE VIEW memory AS FROM " + readParquet(dir, "memory"),
		readmeQuery(t, "range_macros"),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	// Two hours of each day: 09:00 to 11:00.
	count := func(from time.Time, rows func(*schema.Batch) int) int64 {
		var n int64
		for _, b := range batches {
			if !b.Time.Before(from) && b.Time.Before(from.Add(2*time.Hour)) {
				n += int64(rows(b))
			}
		}
		return n
	}
	lit := func(t time.Time) string { return "TIMESTAMPTZ '" + t.Format("2006-01-02 15:04:05+00") + "'" }
	for _, day := range []time.Time{d1, d1.AddDate(0, 0, 1)} {
		from := day.Add(9 * time.Hour)
		r := lit(from) + ", " + lit(from.Add(2*time.Hour))
		var n int64
		// On time alone DuckDB opens every file, the damaged one too.
		err := db.QueryRow("SELECT count(*) FROM cpu WHERE time >= " + lit(from) + " AND time < " + lit(from.Add(2*time.Hour))).Scan(&n)
		if err == nil || !strings.Contains(err.Error(), "part-1.parquet") {
			t.Errorf("a query on time alone did not open the damaged file of another day: %d rows, %v", n, err)
		}
		for _, c := range []struct {
			q    string
			want int64
		}{
			{"SELECT count(*) FROM cpu WHERE date = DATE '" + day.Format(time.DateOnly) + "' AND time >= " + lit(from) + " AND time < " + lit(from.Add(2*time.Hour)),
				count(from, func(b *schema.Batch) int { return len(b.CPU) })},
			{"SELECT count(*) FROM almanac_cpu(" + r + ")", count(from, func(b *schema.Batch) int { return len(b.CPU) })},
			{"SELECT count(*) FROM almanac_process(" + r + ")", count(from, func(b *schema.Batch) int { return len(b.Process) })},
			{"SELECT count(*) FROM almanac_range('system', " + r + ")", count(from, func(b *schema.Batch) int { return len(b.System) })},
		} {
			var got int64
			if err := db.QueryRow(c.q).Scan(&got); err != nil {
				t.Errorf("%s: %v (a date filter must not open another day's file)", c.q, err)
				continue
			}
			if got != c.want || got == 0 {
				t.Errorf("%s = %d, want %d (and not 0)", c.q, got, c.want)
			}
		}
	}

	// Row-group statistics of time, in every file of every table.
	if err := os.RemoveAll(old); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"cpu", "system", "process", "memory"} {
		rows := query(t, db, `SELECT file_name, row_group_id, stats_min_value IS NOT NULL AND stats_max_value IS NOT NULL,
			epoch_us(CAST(stats_max_value AS TIMESTAMPTZ)) - epoch_us(CAST(stats_min_value AS TIMESTAMPTZ))
			FROM parquet_metadata('`+dir+`/`+table+`/host=`+host+`/date=2*/*.parquet') WHERE path_in_schema = 'time'`)
		if len(rows) == 0 {
			t.Fatalf("%s: no row group", table)
		}
		for _, r := range rows {
			if r[2] != true {
				t.Errorf("%s: %s row group %v has no min/max statistics of time", table, r[0], r[1])
			}
		}
		if table != "process" {
			continue
		}
		// The day file: several row groups, each a short span of the day.
		var day []int64
		for _, r := range rows {
			if strings.HasPrefix(filepath.Base(r[0].(string)), "day-") {
				day = append(day, r[3].(int64))
			}
		}
		if len(day) < 4 {
			t.Fatalf("the process day file has %d row groups, want several", len(day))
		}
		for i, span := range day {
			if time.Duration(span)*time.Microsecond > 24*time.Hour/time.Duration(len(day)-1) {
				t.Errorf("row group %d of the process day file spans %v of the day: a time filter cannot skip it", i, time.Duration(span)*time.Microsecond)
			}
		}
	}
}

// readmeQuery returns the README's query block named name.
func readmeQuery(t *testing.T, name string) string {
	t.Helper()
	blocks, err := readmeBlocks(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.name == name {
			return b.sql
		}
	}
	t.Fatalf("the README has no query %q", name)
	return ""
}
