package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/s3test"
	"almanac/schema"
	"almanac/synth"
)

// TestShipConsolidated ships a day's parts to a real S3 server, merges
// the ended hours into hour files and ships again: the bucket then holds
// the hour files and the open hour's parts, not the parts the hour files
// replaced, and reads back every row once.
func TestShipConsolidated(t *testing.T) {
	srv := s3test.Start(t)
	s3test.Env(t)
	srv.MakeBucket(t, "fleet")
	s3 := []string{"--endpoint", srv.Endpoint(), "--path-style", "--log-level", "warn"}
	dir := t.TempDir()
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const host = "web1"
	w, err := st.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	day := archive.Day(time.Now()).AddDate(0, 0, -1)
	g := synth.New(synth.Host{Name: host, Seed: 4, Processes: 5})
	for at := day; at.Before(day.Add(3*time.Hour + 30*time.Minute)); at = at.Add(time.Minute) {
		if err := w.Append(g.Batch(at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ship := append([]string{"ship", "--archive", dir, "--to", "s3://fleet/almanac"}, s3...)
	almanac(t, ship...)
	// As the sampler leaves the day at 03:30: hours 00 to 02 ended.
	cst, err := st.Compact(host, day.Add(3*time.Hour+30*time.Minute))
	if err != nil || cst.Consolidated == 0 {
		t.Fatalf("consolidation: %+v, %v", cst, err)
	}
	if out := almanac(t, ship...); strings.Contains(out, " 0 deleted") {
		t.Errorf("ship after consolidation deleted no replaced part: %s", out)
	}
	folder := filepath.Join(srv.Dir, "fleet", "almanac", "cpu", "host="+host, "date="+day.Format(time.DateOnly))
	ents, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	local, _ := filepath.Glob(filepath.Join(dir, "cpu", "host="+host, "date="+day.Format(time.DateOnly), "*.parquet"))
	var want []string
	for _, l := range local {
		want = append(want, filepath.Base(l))
	}
	slices.Sort(names)
	slices.Sort(want)
	hours := 0
	for _, n := range names {
		if strings.HasPrefix(n, "hour-") {
			hours++
		}
	}
	if !slices.Equal(names, want) || hours != 3 {
		t.Errorf("bucket folder holds %v, want the local files %v (3 hour files)", names, want)
	}
	// The bucket, read as an archive, has every row once.
	remote, err := archive.Open(filepath.Join(srv.Dir, "fleet", "almanac"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	for _, table := range []string{schema.TableCPU, schema.TableProcess} {
		a, err := st.Scan(table, host, day, day.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		b, err := remote.Scan(table, host, day, day.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if a.Len() == 0 || a.Len() != b.Len() {
			t.Errorf("%s: %d rows in the bucket, %d local", table, b.Len(), a.Len())
		}
	}
}
