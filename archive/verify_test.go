package archive

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/internal/testfs"

	"github.com/parquet-go/parquet-go"
)

// TestVerify checks every closed file of a compacted archive (day files,
// parts, rollups of every table) and then damaged copies of them.
func TestVerify(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	writeFlushing(t, s, "web1", t0, 60, 10*time.Second, time.Minute)
	if _, err := s.Compact("web1", t0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	writeFlushing(t, s, "web1", t0.AddDate(0, 0, 1), 30, 10*time.Second, time.Minute)
	keys, err := s.ClosedFiles()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, k := range keys {
		if err := s.Verify(k); err != nil {
			t.Errorf("Verify(%s) = %v, want nil", k, err)
		}
		switch {
		case strings.HasPrefix(k, "rollup/"):
			kinds["rollup"]++
		case strings.Contains(k, "/day-"):
			kinds["day"]++
		default:
			kinds["part"]++
		}
	}
	if kinds["rollup"] == 0 || kinds["day"] == 0 || kinds["part"] == 0 {
		t.Fatalf("closed files by kind: %v, want day files, parts and rollups", kinds)
	}

	day := func(table string) string {
		m, _ := filepath.Glob(filepath.Join(dir, table, "host=web1", "date=2026-08-21", "day-*.parquet"))
		if len(m) != 1 {
			t.Fatalf("%s day files: %v", table, m)
		}
		return m[0]
	}
	part := func(table string) string {
		m, _ := filepath.Glob(filepath.Join(dir, table, "host=web1", "date=2026-08-22", "part-*.parquet"))
		if len(m) == 0 {
			t.Fatalf("no %s part", table)
		}
		return m[0]
	}
	for _, tt := range []struct {
		name   string
		file   func() string // the file to damage
		damage func(p string)
		want   string // in the error
	}{
		{"truncated part", func() string { return part("memory") }, func(p string) {
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()/2)
		}, "no Parquet magic bytes"},
		{"empty file", func() string { return part("cpu") }, func(p string) { os.Truncate(p, 0) }, "0 bytes, too short"},
		{"text file named .parquet", func() string { return part("disk") }, func(p string) {
			os.WriteFile(p, []byte("this is not a Parquet file, only its name says so\n"), 0o644)
		}, "no Parquet magic bytes"},
		{"flipped byte in a data page of a day file", func() string { return day("system") },
			func(p string) { testfs.FlipInPage(t, p, "load1", false) }, "crc32 checksum mismatch in page of column"},
		{"flipped byte in a dictionary page of a day file", func() string { return day("cpu") },
			func(p string) { testfs.FlipInPage(t, p, "cpu", true) }, "crc32 checksum mismatch in page of column"},
		{"flipped byte in a rollup", func() string {
			m, _ := filepath.Glob(filepath.Join(dir, "rollup", "1h", "memory", "host=web1", "date=2026-08-21", "day-*.parquet"))
			return m[0]
		}, func(p string) { testfs.FlipInPage(t, p, "time", false) }, "crc32 checksum mismatch"},
		{"footer garbled", func() string { return part("network") }, func(p string) {
			b, _ := os.ReadFile(p)
			for i := len(b) - 40; i < len(b)-8; i++ {
				b[i] = 0xa5
			}
			os.WriteFile(p, b, 0o644)
		}, "footer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.file()
			tt.damage(p)
			key := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
			err := s.Verify(key)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Verify(%s) = %v, want ErrCorrupt", key, err)
			}
			if !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify(%s) = %q, want it to name the file and say %q", key, err, tt.want)
			}
			t.Log(err)
			if err := s.SetAside(key); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".corrupt")); err != nil {
				t.Errorf("not set aside: %v", err)
			}
			if err := s.Verify(key); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Verify after SetAside = %v, want fs.ErrNotExist", err)
			}
		})
	}
	after, err := s.ClosedFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range after {
		if err := s.Verify(k); err != nil {
			t.Errorf("Verify(%s) after the damage = %v, want nil (only the damaged files are set aside)", k, err)
		}
	}
}

// TestVerifySchema: a well-formed Parquet file whose time column is not
// the table's type is refused.
func TestVerifySchema(t *testing.T) {
	type wrong struct {
		Time string `parquet:"time"`
	}
	dir := t.TempDir()
	s := openStore(t, dir)
	key := "memory/host=web1/date=2026-08-21/part-1.parquet"
	p := filepath.Join(dir, filepath.FromSlash(key))
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := parquet.WriteFile(p, []wrong{{Time: "now"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(key); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "column time is BYTE_ARRAY, want INT64") {
		t.Errorf("Verify = %v, want a schema error", err)
	}
}

// BenchmarkVerify verifies a compacted day of the process table (100
// processes at a 10 s interval: 864000 rows) and of the cpu table, the
// biggest day files of a host, and reports the file bytes verified per
// second (MB/s).
//
//	go test ./archive -run '^$' -bench Verify -benchtime 5x
func BenchmarkVerify(b *testing.B) {
	dir, s, _ := compactedBenchDay(b)
	keys, err := s.ClosedFiles()
	if err != nil {
		b.Fatal(err)
	}
	for _, table := range []string{"process", "cpu", "all"} {
		var sel []string
		var size int64
		for _, k := range keys {
			if table == "all" || strings.HasPrefix(k, table+"/") {
				fi, err := os.Stat(filepath.Join(dir, k))
				if err != nil {
					b.Fatal(err)
				}
				sel = append(sel, k)
				size += fi.Size()
			}
		}
		b.Run(table, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportMetric(float64(len(sel)), "files")
			for range b.N {
				for _, k := range sel {
					if err := s.Verify(k); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
