//go:build linux

package duckdb

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"almanac/archive"
	"almanac/render"
	"almanac/report"
	"almanac/sample"
)

// TestCustomEndToEnd runs the sampler over the sample package's fixture
// tree with a textfile directory that a job rewrites (write, then
// rename) every minute for an hour, compacts the day, renders the site
// (the host page has the custom metric's chart), reports it as almanac
// report does (memory, checked against DuckDB) and reads the custom table
// and its rollup with DuckDB, filtering on a label.
func TestCustomEndToEnd(t *testing.T) {
	fixtures := "../../sample/testdata"
	src, err := sample.NewSource(filepath.Join(fixtures, "proc"), filepath.Join(fixtures, "sys"), filepath.Join(fixtures, "rootfs"))
	if err != nil {
		t.Fatal(err)
	}
	textfiles, dir := t.TempDir(), t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := sample.New(src, sample.Options{TextfileDir: textfiles, Log: log})
	store, err := archive.Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	w, err := store.Writer("web1", archive.WriterOptions{NoSync: true, FlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	now := day.Add(36 * time.Hour) // the next day, 12:00: the 9th is closed
	start := day.Add(14 * time.Hour)
	write := func(content string) {
		tmp := filepath.Join(textfiles, ".backup.prom.tmp")
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(textfiles, "backup.prom")); err != nil {
			t.Fatal(err)
		}
	}
	rows := 0
	for i := range 61 {
		at := start.Add(time.Duration(i) * time.Minute)
		write(fmt.Sprintf("# HELP backup_age_seconds Seconds since the last backup.\n# TYPE backup_age_seconds gauge\n"+
			"backup_age_seconds{db=\"app\"} %d\nbackup_age_seconds{db=\"web\"} %d\n", 60*i, 1000+i))
		b, err := s.Sample(at)
		if err != nil {
			t.Logf("sample %v: %v", at, err) // the fixture tree lacks some files
		}
		if b == nil {
			continue
		}
		rows += len(b.Custom)
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if rows != 120 {
		t.Fatalf("the sampler gave %d custom rows, want 2 series x 60 samples", rows)
	}
	if _, err := store.Compact("web1", now); err != nil {
		t.Fatal(err)
	}

	site := filepath.Join(t.TempDir(), "site")
	if _, err := render.Build(context.Background(), store, render.Options{Out: site, Now: now, Log: log}); err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob(filepath.Join(site, "hosts", "*", "index.html"))
	if len(pages) != 1 {
		t.Fatalf("host pages %v", pages)
	}
	page, err := os.ReadFile(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>Custom metrics</h2>", "backup_age_seconds: Seconds since the last backup.", `"name":"{db=\"app\"}"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("host page lacks %s", want)
		}
	}

	// almanac report over the same archive: the hour in 10-minute steps
	// from the compacted day's rollups, its memory figures as DuckDB
	// reads them from the raw rows.
	rep, err := report.Build(store, report.Options{Hosts: []string{"web1"}, From: start, To: start.Add(time.Hour),
		Every: 10 * time.Minute, Sections: []string{"memory"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Hosts) != 1 || len(rep.Hosts[0].Sections) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	mem := rep.Hosts[0].Sections[0]
	if len(mem.Rows) != 6 || len(mem.Average) != 1 {
		t.Fatalf("report memory: %d rows, %d averages; want 6 steps and 1 average", len(mem.Rows), len(mem.Average))
	}
	db := openDB(t)
	avail := query(t, db, fmt.Sprintf("SELECT avg(available_bytes) / 1024 FROM %s WHERE time >= '%s' AND time < '%s'",
		readParquet(dir, "memory"), start.Format(time.RFC3339), start.Add(time.Hour).Format(time.RFC3339)))
	if want := avail[0][0].(float64); math.Abs(mem.Average[0].Values[1]-want) > 0.5 {
		t.Errorf("report kbavail average %v, DuckDB %v", mem.Average[0].Values[1], want)
	}

	got := query(t, db, "SELECT count(*), min(value), max(value), any_value(map_from_entries(labels)['db']) FROM "+
		readParquet(dir, "custom")+" WHERE list_contains(labels, {'name': 'db', 'value': 'app'})")
	want := result{{int64(60), float64(60), float64(3600), "app"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("custom rows of db=app (-want +got):\n%s", diff)
	}
	got = query(t, db, fmt.Sprintf(`SELECT series, count(*), max(value_max), sum(samples)::BIGINT FROM read_parquet('%s/rollup/1h/custom/**/*.parquet', hive_partitioning = true)
		WHERE metric = 'backup_age_seconds' GROUP BY series ORDER BY series`, dir))
	want = result{{`{db="app"}`, int64(2), float64(3600), int64(60)}, {`{db="web"}`, int64(2), float64(1060), int64(60)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hourly rollup of custom (-want +got):\n%s", diff)
	}
}
