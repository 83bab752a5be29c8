package archive

import (
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/internal/testfs"
	"almanac/schema"
)

// TestReadV1Archive opens testdata/v1, an archive written before the
// schema package (journal codec 1, rollups without a schema version, no
// mounts, disk or NULL columns), and checks that this version reads it
// all: the journal a crash left is replayed, old files scan with the new
// columns as NULL, old rollups are not taken as current, and a compaction
// rewrites them with today's layout.
func TestReadV1Archive(t *testing.T) {
	dir := testfs.CopyTree(t, "testdata/v1")
	s, err := Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	from, to := day1, day1.AddDate(0, 0, 2)

	// Rows in the old files: one a minute from 22:01 (the first batch of
	// a run has no rates) to 01:00.
	f, err := s.Scan(schema.TableSystem, "old1", from, to, "boot_time", "load1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Len(), 179; got != want {
		t.Errorf("system rows before the journal replay: %d, want %d", got, want)
	}

	// The journal of codec 1 is replayed into parts.
	w, err := s.Writer("old1", WriterOptions{NoSync: true})
	if err != nil {
		t.Fatalf("open the writer over a codec 1 journal: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err = s.Scan(schema.TableSystem, "old1", from, to, "boot_time")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Len(), 182; got != want {
		t.Errorf("system rows after the journal replay: %d, want %d (3 batches in the journal)", got, want)
	}

	// New columns read as NULL from old files; changed ones keep reading.
	f, err = s.Scan(schema.TableFilesystem, "old1", from, to, "mountpoint", "disk", "used_bytes")
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() == 0 || slices.ContainsFunc(f.Str["disk"], func(d string) bool { return d != "" }) {
		t.Errorf("filesystem.disk of old files: %q, want all NULL", f.Str["disk"])
	}
	if !slices.Contains(f.Str["mountpoint"], "/srv/my disk") {
		t.Errorf("mount points %q lack /srv/my disk", f.Str["mountpoint"])
	}
	f, err = s.Scan(schema.TableHost, "old1", from, to, "hostname", "mounts.mountpoint")
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() == 0 || f.Str["hostname"][0] != "old1" {
		t.Errorf("host rows: %+v", f)
	}
	// The replayed journal's host row (if any) got its mounts from the
	// codec 1 list: "mountpoint fstype device", the mount point with a space.
	for _, m := range f.Str["mounts.mountpoint"] {
		if m != "" && !strings.Contains(m, "/srv/my disk") {
			t.Errorf("mounts.mountpoint %q lacks /srv/my disk", m)
		}
	}

	// Old rollups are not current: the long ranges read raw rows until a
	// compaction rewrites them.
	days, err := s.RollupDays(PerHour, schema.TableMemory, "old1")
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 0 {
		t.Errorf("days with a current rollup before compaction: %v, want none (the rollups are of schema 1)", days)
	}
	if _, err := s.Compact("old1", time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	mem, err := s.Scan(schema.TableMemory, "old1", from, to, "total_bytes")
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range []Resolution{PerMinute, PerHour} {
		days, err := s.RollupDays(res, schema.TableMemory, "old1")
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 2 {
			t.Errorf("%v: days with a current rollup after compaction: %v, want both", res, days)
		}
		all, _ := filepath.Glob(filepath.Join(dir, "rollup", res.String(), "*", "host=old1", "*", "*"))
		old := slices.DeleteFunc(all, func(n string) bool { return strings.HasSuffix(n, rollupSuffix) })
		if len(all) == 0 || len(old) != 0 {
			t.Errorf("%v: rollups of schema 1 left after compaction: %v", res, old)
		}
		r, err := s.ScanRollup(res, schema.TableMemory, "old1", from, to, "oom_kills_sum", "total_bytes_avg", SamplesColumn)
		if err != nil {
			t.Fatal(err)
		}
		var n float64
		for i := range r.Len() {
			n += r.Num[SamplesColumn][i]
			if math.IsNaN(r.Num["oom_kills_sum"][i]) || math.IsNaN(r.Num["total_bytes_avg"][i]) {
				t.Errorf("%v: bucket %d has NULL aggregates", res, i)
			}
		}
		if int(n) != mem.Len() || n == 0 {
			t.Errorf("%v: the rollups count %v samples, the memory table has %d rows", res, n, mem.Len())
		}
	}
}
