package duckdb

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/testfs"
	"almanac/schema"
)

// TestV1Archive reads archive/testdata/v1 (written before the schema
// package) with DuckDB as it is, then beside files written by this
// version (its journal replayed into parts, its days compacted again),
// with union_by_name as the README says: every table reads, columns of
// either version are there, and old rows have the new columns NULL.
func TestV1Archive(t *testing.T) {
	dir := testfs.CopyTree(t, filepath.Join("..", "..", "archive", "testdata", "v1"))
	db := openDB(t)
	read := func(table string) string {
		return fmt.Sprintf("read_parquet('%s/%s/**/*.parquet', hive_partitioning = true, union_by_name = true)", dir, table)
	}
	count := func(q string) int64 {
		t.Helper()
		var n int64
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	// Every table of schema 1 (the alert, self, custom, gpu, cgroup, oom_kill and proc_group tables came later).
	tablesV1 := slices.DeleteFunc(schema.Names(), func(n string) bool {
		switch n {
		case schema.TableAlert, schema.TableSelf, schema.TableCustom, schema.TableGPU,
			schema.TableCgroup, schema.TableOOMKill, schema.TableProcGroup:
			return true
		}
		return false
	})
	for _, table := range tablesV1 {
		if n := count("SELECT count(*) FROM " + read(table)); n == 0 {
			t.Errorf("v1 %s: no rows", table)
		}
	}
	oldFS := count("SELECT count(*) FROM " + read("filesystem"))

	// This version replays the v1 journal into parts and compacts.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := archive.Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.Writer("old1", archive.WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Compact("old1", time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	store.Close()

	for _, table := range tablesV1 {
		if n := count("SELECT count(*) FROM " + read(table)); n == 0 {
			t.Errorf("%s after the upgrade: no rows", table)
		}
	}
	// The filesystem table: the replayed journal's rows are there, disk
	// (new in schema 2) is NULL where unknown and the column exists.
	if n := count("SELECT count(*) FROM " + read("filesystem")); n <= oldFS {
		t.Errorf("filesystem rows %d after replaying the journal, %d before", n, oldFS)
	}
	if n := count("SELECT count(*) FROM " + read("filesystem") + " WHERE disk IS NOT NULL"); n != 0 {
		t.Errorf("%d filesystem rows of v1 data with a disk, want NULL", n)
	}
	// The first day's file is still schema 1 (nothing new to merge), the
	// second was compacted by this version: union_by_name gives both
	// host.filesystems and host.mounts.
	if n := count("SELECT count(*) FROM (DESCRIBE SELECT * FROM " + read("host") + ") WHERE column_name IN ('filesystems', 'mounts')"); n != 2 {
		t.Errorf("host columns filesystems and mounts: %d of 2 in the union", n)
	}
	// Rollups were rewritten in schema 2: counts are sums.
	rollup := fmt.Sprintf("read_parquet('%s/rollup/1h/memory/**/*.parquet', hive_partitioning = true, union_by_name = true)", dir)
	if n := count("SELECT count(oom_kills_sum) FROM " + rollup); n == 0 {
		t.Error("no oom_kills_sum in the rewritten rollups")
	}
	var version string
	files, _ := filepath.Glob(filepath.Join(dir, "rollup", "1h", "memory", "host=old1", "*", "*.parquet"))
	if len(files) == 0 {
		t.Fatal("no rollup files")
	}
	if err := db.QueryRow(fmt.Sprintf("SELECT decode(value) FROM parquet_kv_metadata('%s') WHERE decode(key) = 'almanac.schema_version'", files[0])).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != fmt.Sprint(schema.Version) {
		t.Errorf("almanac.schema_version of %s = %q, want %d", files[0], version, schema.Version)
	}
}
