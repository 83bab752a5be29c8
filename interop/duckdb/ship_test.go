package duckdb

import (
	"almanac/archive"
	"almanac/internal/testfs"
	"almanac/schema"
	"almanac/synth"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// TestShippedFilesRead damages an archive the ways a disk or a hand can (a
// truncated part, an empty file and a text file named like parts, a day
// file with a flipped byte inside a data page), then passes every closed
// file through the check almanac ship makes before an upload
// (archive.Verify; SetAside for a bad one) and copies those that pass into
// a folder that stands for the bucket. A plain read_parquet over the
// damaged archive fails (the flipped byte alone it reads without error);
// over the shipped files it reads every table, with as many rows as the
// files' footers hold.
func TestShippedFilesRead(t *testing.T) {
	dir := t.TempDir()
	day := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
	st, err := archive.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, host := range []string{"web1", "web2"} {
		w, err := st.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: 30 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		g := synth.New(synth.Host{Name: host, Seed: uint64(i + 1), Processes: 5})
		for at := day.Add(-2 * time.Hour); at.Before(day.Add(2 * time.Hour)); at = at.Add(time.Minute) {
			if err := w.Append(g.Batch(at)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Compact(host, day.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	today := "host=web1/date=" + day.Format(time.DateOnly)
	glob := func(pattern string) string {
		m, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
		if len(m) == 0 {
			t.Fatalf("no %s", pattern)
		}
		return m[0]
	}
	truncated := glob("memory/" + today + "/part-*.parquet")
	fi, _ := os.Stat(truncated)
	os.Truncate(truncated, fi.Size()*2/3)
	os.WriteFile(filepath.Join(dir, "cpu", today, "part-1.parquet"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "disk", today, "part-2.parquet"), []byte("time,read_bytes\n1,2\n"), 0o644)
	testfs.FlipInPage(t, glob("system/host=web1/date="+day.AddDate(0, 0, -1).Format(time.DateOnly)+"/day-*.parquet"), "load1", false)

	db := openDB(t)
	failed := 0
	for _, table := range schema.Names() {
		if _, err := os.Stat(filepath.Join(dir, table)); err != nil {
			continue // a table this archive has no rows of (alert)
		}
		if _, err := db.Exec("SELECT count(*) FROM " + readParquet(dir, table)); err != nil {
			failed++
			t.Logf("the damaged archive: %s: %v", table, err)
		}
	}
	if failed == 0 {
		t.Fatal("DuckDB read the damaged archive without an error: the test damages nothing")
	}

	// Ship: what almanac ship's check lets through goes to the bucket.
	bucket := t.TempDir()
	keys, err := st.ClosedFiles()
	if err != nil {
		t.Fatal(err)
	}
	setAside := 0
	rows := map[string]int64{}
	for _, k := range keys {
		if err := st.Verify(k); err != nil {
			if !errors.Is(err, archive.ErrCorrupt) {
				t.Fatal(err)
			}
			if err := st.SetAside(k); err != nil {
				t.Fatal(err)
			}
			setAside++
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(k)))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(bucket, filepath.FromSlash(k))
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if table, _, _ := strings.Cut(k, "/"); table != "rollup" {
			pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			rows[table] += pf.NumRows()
		}
	}
	if setAside != 4 {
		t.Errorf("%d files set aside, want the 4 damaged ones", setAside)
	}
	for _, table := range schema.Names() {
		if rows[table] == 0 {
			continue // a table this archive has no rows of (alert)
		}
		var n int64
		if err := db.QueryRow("SELECT count(*) FROM " + readParquet(bucket, table)).Scan(&n); err != nil {
			t.Errorf("read_parquet over the shipped %s files: %v", table, err)
			continue
		}
		if n != rows[table] {
			t.Errorf("%s: DuckDB read %d rows, the footers hold %d", table, n, rows[table])
		}
	}
}
