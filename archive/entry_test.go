package archive

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUnexpectedEntries plants in an archive each kind of entry that is
// not what its name says. Every listing skips them, each is named once
// in a warning that says what to do, and the rest is read as if they
// were not there.
func TestUnexpectedEntries(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	writeFlushing(t, s, "web1", t0, 30, 10*time.Second, time.Minute)
	want, err := s.Scan("system", "web1", t0, t0.Add(time.Hour), "load1")
	if err != nil {
		t.Fatal(err)
	}
	wantKeys, err := s.ClosedFiles()
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	day := filepath.Join(dir, "system", "host=web1", "date=2026-08-21")
	parts, _ := filepath.Glob(filepath.Join(day, "part-*.parquet"))
	data, err := os.ReadFile(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "x.parquet"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	planted := []struct {
		path    string // below dir
		make    func(p string) error
		problem string
	}{
		{"system/host=web1/date=2026-08-21/part-99999999990.parquet",
			func(p string) error { return os.Symlink("part-1.parquet", p) }, "dangling symlink"},
		{"system/host=web1/date=2026-08-21/part-99999999991.parquet",
			func(p string) error { return os.Symlink(filepath.Join(outside, "x.parquet"), p) }, "outside the archive"},
		{"system/host=web1/date=2026-08-21/part-2.parquet",
			func(p string) error { return os.Mkdir(p, 0o755) }, "is a folder, not a Parquet file"},
		{"cpu/host=evil", func(p string) error { return os.Symlink(outside, p) }, "outside the archive"},
		{"memory/host=web1/date=2026-08-22", func(p string) error { return os.WriteFile(p, nil, 0o644) }, "not a folder"},
	}
	for _, pl := range planted {
		p := filepath.Join(dir, filepath.FromSlash(pl.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := pl.make(p); err != nil {
			t.Fatal(err)
		}
	}

	var logs bytes.Buffer
	s2, err := Open(dir, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for range 2 { // a second round of listings warns no more
		hosts, err := s2.Hosts()
		if err != nil || len(hosts) != 1 || hosts[0] != "web1" {
			t.Errorf("Hosts() = %v, %v; want [web1], nil", hosts, err)
		}
		got, err := s2.Scan("system", "web1", t0, t0.Add(time.Hour), "load1")
		if err != nil || got.Len() != want.Len() {
			t.Errorf("Scan = %d rows, %v; want %d, nil", got.Len(), err, want.Len())
		}
		keys, err := s2.ClosedFiles()
		if err != nil || strings.Join(keys, "\n") != strings.Join(wantKeys, "\n") {
			t.Errorf("ClosedFiles() = %v, %v; want %v", keys, err, wantKeys)
		}
		if _, err := s2.List(); err != nil {
			t.Errorf("List: %v", err)
		}
		if _, err := s2.Scan("memory", "web1", t0, t0.Add(48*time.Hour), "free_bytes"); err != nil {
			t.Errorf("Scan memory: %v", err)
		}
		// Days and ScanFiles, as render reads: the same rows as Scan.
		for _, table := range []string{"system", "memory"} {
			days, err := s2.Days(table, "web1")
			if err != nil {
				t.Errorf("Days(%s): %v", table, err)
			}
			n := 0
			for _, d := range days {
				f, err := s2.ScanFiles(Raw, d, t0, t0.Add(48*time.Hour), "time")
				if err != nil {
					t.Errorf("ScanFiles(%s %s): %v", table, d.Day.Format(time.DateOnly), err)
					continue
				}
				n += f.Len()
			}
			all, _ := s2.Scan(table, "web1", t0, t0.Add(48*time.Hour), "time")
			if n != all.Len() || n == 0 {
				t.Errorf("Days and ScanFiles of %s: %d rows, Scan %d", table, n, all.Len())
			}
		}
	}
	if _, err := s2.Compact("web1", t0.AddDate(0, 0, 2)); err != nil {
		t.Errorf("Compact: %v", err)
	}
	got := s2.Unexpected()
	if len(got) != len(planted) {
		t.Errorf("Unexpected() = %d entries, want %d: %v", len(got), len(planted), got)
	}
	for _, pl := range planted {
		p := filepath.Join(dir, filepath.FromSlash(pl.path))
		found := false
		for _, e := range got {
			if !errors.Is(e, ErrUnexpected) {
				t.Errorf("%v: not ErrUnexpected", e)
			}
			if strings.Contains(e.Error(), p+":") {
				found = true
				if !strings.Contains(e.Error(), pl.problem) {
					t.Errorf("%v: does not say %q", e, pl.problem)
				}
			}
		}
		if !found {
			t.Errorf("Unexpected() does not name %s", p)
		}
		if n := strings.Count(logs.String(), `path="`+p+`"`); n != 1 {
			t.Errorf("%s warned %d times, want once:\n%s", p, n, &logs)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != len(planted) {
		t.Errorf("%d warnings, want %d:\n%s", n, len(planted), &logs)
	}
}

// TestScanVanished compacts a day between Scan's listing of its folder and
// the reading of its parts, as a sampler's compaction can: Scan reads the
// folder again and returns every row, without error.
func TestScanVanished(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	writeFlushing(t, s, "web1", t0, 30, 10*time.Second, time.Minute)
	want, err := s.Scan("system", "web1", t0, t0.Add(time.Hour), "load1")
	if err != nil {
		t.Fatal(err)
	}
	compacted := false
	testHookListed = func(string) {
		if !compacted {
			compacted = true
			if _, err := s.Compact("web1", t0.AddDate(0, 0, 1)); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { testHookListed = nil }()
	got, err := s.Scan("system", "web1", t0, t0.Add(time.Hour), "load1")
	if err != nil || got.Len() != want.Len() {
		t.Errorf("Scan = %d rows, %v; want %d, nil", got.Len(), err, want.Len())
	}
	if !compacted || globCount(t, filepath.Join(dir, "system", "host=web1", "date=2026-08-21", "part-*")) != 0 {
		t.Error("the parts were not compacted away during the scan")
	}
}

// TestEscapeExplained: the *os.Root's "path escapes from parent" comes with
// the symlink that leads out and what to do.
func TestEscapeExplained(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "archive")
	s := openStore(t, dir)
	if err := os.Symlink(parent, filepath.Join(dir, "cpu")); err != nil {
		t.Fatal(err)
	}
	err := s.ensureDir("cpu/host=web1/date=2026-08-21")
	if err == nil {
		t.Fatal("ensureDir through a symlink out of the archive: no error")
	}
	for _, want := range []string{filepath.Join(dir, "cpu") + " is a symlink to " + `"` + parent + `"`, "outside the archive", "remove the link"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
