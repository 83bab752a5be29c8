package archive

import (
	"almanac/schema"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCompactAfterKill plays what a compaction killed at any moment (or an
// earlier version) leaves in the folders, and checks that the next Compact
// cleans it up without failing, leaves every rollup in place and hides
// quarantined files from dataset readers.
func TestCompactAfterKill(t *testing.T) {
	part := "cpu/host=web1/date=2026-08-20"
	rollup := func(res string) string { return rollupDir + "/" + res + "/cpu/host=web1/date=2026-08-20" }
	tests := []struct {
		name string
		// leave changes the compacted archive the way a kill would; dayFile
		// and rollupFile are the names of the cpu day file and its rollups.
		leave func(t *testing.T, dir, dayFile, rollupFile string)
		want  []string // files that must exist afterwards, relative to dir
		gone  []string // files that must not
	}{
		{
			name: "killed while writing a rollup",
			leave: func(t *testing.T, dir, _, rf string) {
				mustRemove(t, filepath.Join(dir, rollup("1m"), rf))
				mustWrite(t, filepath.Join(dir, rollup("1m"), "."+rf+".tmp"))
			},
			gone: []string{rollup("1m") + "/.ROLLUP.tmp"},
		},
		{
			name: "killed while writing a rollup, earlier version's tmp name",
			leave: func(t *testing.T, dir, _, rf string) {
				mustRemove(t, filepath.Join(dir, rollup("1h"), rf))
				mustWrite(t, filepath.Join(dir, rollup("1h"), rf+".tmp"))
			},
			gone: []string{rollup("1h") + "/ROLLUP.tmp"},
		},
		{
			name: "tmp rollup beside a complete one",
			leave: func(t *testing.T, dir, _, rf string) {
				mustWrite(t, filepath.Join(dir, rollup("1m"), "."+rf+".tmp"))
			},
			gone: []string{rollup("1m") + "/.ROLLUP.tmp"},
		},
		{
			name: "killed while writing the day file, both tmp names",
			leave: func(t *testing.T, dir, _, _ string) {
				mustWrite(t, filepath.Join(dir, part, ".day-99.parquet.tmp"))
				mustWrite(t, filepath.Join(dir, part, "day-98.parquet.tmp"))
			},
			gone: []string{part + "/.day-99.parquet.tmp", part + "/day-98.parquet.tmp"},
		},
		{
			name: "killed after the day file, before the rollups",
			leave: func(t *testing.T, dir, _, _ string) {
				mustRemoveAll(t, filepath.Join(dir, rollupDir))
			},
		},
		{
			name: "quarantined files of an earlier version are hidden",
			leave: func(t *testing.T, dir, _, rf string) {
				mustWrite(t, filepath.Join(dir, part, "part-3.parquet.corrupt"))
				mustWrite(t, filepath.Join(dir, rollup("1m"), "day-4.s2.parquet.corrupt"))
			},
			want: []string{part + "/.part-3.parquet.corrupt", rollup("1m") + "/.day-4.s2.parquet.corrupt"},
			gone: []string{part + "/part-3.parquet.corrupt", rollup("1m") + "/day-4.s2.parquet.corrupt"},
		},
		{
			name: "quarantined files stay",
			leave: func(t *testing.T, dir, df, rf string) {
				mustWrite(t, filepath.Join(dir, part, "."+df+".corrupt"))
				mustWrite(t, filepath.Join(dir, rollup("1h"), "."+rf+".corrupt"))
			},
			want: []string{part + "/.DAY.corrupt", rollup("1h") + "/.ROLLUP.corrupt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir)
			writeBatches(t, s, "web1", rollupBatches())
			now := rollupDay0.AddDate(0, 0, 1).Add(time.Hour)
			if _, err := s.Compact("web1", now); err != nil {
				t.Fatal(err)
			}
			days, err := filepath.Glob(filepath.Join(dir, part, "day-*.parquet"))
			if err != nil || len(days) != 1 {
				t.Fatalf("day files of %s: %v, %v; want one", part, days, err)
			}
			df := filepath.Base(days[0])
			rf := rollupName(dataFile{name: df})
			name := func(p string) string {
				return strings.NewReplacer("DAY", df, "ROLLUP", rf).Replace(p)
			}
			tt.leave(t, dir, df, rf)

			// Twice: the second run finds nothing left to do.
			for run := range 2 {
				if _, err := s.Compact("web1", now); err != nil {
					t.Fatalf("compaction %d after the kill: %v", run+1, err)
				}
			}
			for _, p := range tt.want {
				if _, err := os.Stat(filepath.Join(dir, name(p))); err != nil {
					t.Errorf("want %s: %v", name(p), err)
				}
			}
			for _, p := range tt.gone {
				if _, err := os.Stat(filepath.Join(dir, name(p))); !os.IsNotExist(err) {
					t.Errorf("%s still there (%v)", name(p), err)
				}
			}
			for _, table := range []string{schema.TableCPU, schema.TableSystem, schema.TableFilesystem} {
				for _, res := range tableResolutions(table) {
					got, err := s.RollupDays(res, table, "web1")
					if err != nil || !slices.Equal(got, []time.Time{rollupDay0}) {
						t.Errorf("RollupDays(%v, %s) = %v, %v; want [%v]", res, table, got, err, rollupDay0)
					}
				}
			}
			checkDatasetVisible(t, dir)
		})
	}
}

// checkDatasetVisible fails when a folder of the archive holds a file a
// dataset reader (Spark, Trino, pyarrow: every name not beginning with "."
// or "_") would take that is not a finished data file.
func checkDatasetVisible(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && !strings.HasSuffix(name, ".parquet") {
			t.Errorf("%s is visible to dataset readers and is not a data file", p)
		}
		return nil
	})
}

func mustWrite(t *testing.T, name string) {
	t.Helper()
	if err := os.WriteFile(name, []byte("half a file"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRemove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

func mustRemoveAll(t *testing.T, name string) {
	t.Helper()
	if err := os.RemoveAll(name); err != nil {
		t.Fatal(err)
	}
}
