package main

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/archive"
	"almanac/sample"
)

// TestSamplerClosesDay drives the sampler's loop body across midnight: the
// day that closed is flushed and compacted into one file per table, and
// days older than --keep are deleted, without anyone running almanac
// archive.
func TestSamplerClosesDay(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	store, err := archive.Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	o := sampleOptions{archive: dir, interval: 10 * time.Second, flush: 5 * time.Minute, host: "web1",
		noSync: true, keep: 23 * time.Hour}
	w, err := store.Writer(o.host, archive.WriterOptions{FlushEvery: o.flush, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	src, err := sample.NewSource("/proc", "/sys", "/")
	if err != nil {
		t.Fatal(err)
	}
	s := &sampler{o: o, log: log, store: store, w: w, sampler: sample.New(src, sample.Options{Log: log})}
	midnight := time.Now().UTC().Truncate(24 * time.Hour)
	// Two days ago, then the last minutes before midnight and the first after.
	var times []time.Time
	for i := range 3 {
		times = append(times, midnight.Add(-48*time.Hour+time.Duration(i)*10*time.Second))
	}
	for i := range 6 {
		times = append(times, midnight.Add(-30*time.Second+time.Duration(i)*10*time.Second))
	}
	for _, at := range times {
		if err := s.take(at); err != nil {
			t.Fatal(err)
		}
	}
	s.wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	yesterday := midnight.Add(-time.Hour).Format(time.DateOnly)
	files, _ := filepath.Glob(filepath.Join(dir, "cpu", "host=web1", "date="+yesterday, "*.parquet"))
	if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), "day-") {
		t.Errorf("yesterday's cpu folder holds %v, want one compacted day file", files)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*", "host=web1", "date="+midnight.Add(-47*time.Hour).Format(time.DateOnly)))
	if len(old) != 0 {
		t.Errorf("days older than --keep are still there: %v", old)
	}
	today, _ := filepath.Glob(filepath.Join(dir, "cpu", "host=web1", "date="+midnight.Format(time.DateOnly), "part-*.parquet"))
	if len(today) == 0 {
		t.Error("today's samples were not flushed into parts")
	}
}
