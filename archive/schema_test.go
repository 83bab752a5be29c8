package archive

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"almanac/schema"
)

// TestEveryTableStored checks that every table declared in package schema
// is stored, in the declared order, with the columns of its declaration.
func TestEveryTableStored(t *testing.T) {
	if got, want := tableNames()[:len(schema.Tables)], schema.Names(); !slices.Equal(got, want) {
		t.Fatalf("stored tables %v, want %v", got, want)
	}
	for _, d := range schema.Tables {
		st := tables[d.Name()]
		var cols []string
		for _, c := range d.Columns() {
			cols = append(cols, c.Name)
		}
		var got []string
		for _, f := range st.schema().Fields() {
			got = append(got, f.Name())
		}
		slices.Sort(cols)
		slices.Sort(got)
		if !slices.Equal(got, cols) {
			t.Errorf("%s: Parquet columns %v, declared %v", d.Name(), got, cols)
		}
		if HasRollups(d.Name()) != (len(d.Rollups()) > 0) {
			t.Errorf("%s: rollups stored %v, declared %v", d.Name(), HasRollups(d.Name()), d.Rollups())
		}
	}
}

// TestCodecEncodeAllocs checks that appending a batch to the journal
// allocates nothing once the buffer has grown: it runs every sample.
func TestCodecEncodeAllocs(t *testing.T) {
	b := batches("h", t0, 2, 10*time.Second)[1]
	buf := encodeBatch(nil, 1, b)
	if n := testing.AllocsPerRun(100, func() { buf = encodeBatch(buf[:0], 1, b) }); n != 0 {
		t.Errorf("encodeBatch: %v allocations per batch, want 0", n)
	}
}

// TestCodecColumnsAppended checks the journal across versions of a
// table: a record with fewer columns (written before a column was
// appended) decodes with the new column zero; one with more columns, or
// of a table this almanac does not know, is refused.
func TestCodecColumnsAppended(t *testing.T) {
	b := &schema.Batch{Time: t0, Memory: []schema.MemoryRow{{Time: t0.UnixMicro(), TotalBytes: 7, OOMKills: 4}}}
	full := encodeBatch(nil, 1, b)
	// The same record as a version without oom_kills wrote it: the column
	// count one less and the last field's varint (one byte) gone.
	i := bytes.Index(full, []byte(schema.TableMemory)) + len(schema.TableMemory)
	ncols := len(tables[schema.TableMemory].declared().Columns())
	if int(full[i]) != ncols {
		t.Fatalf("column count byte %d, want %d", full[i], ncols)
	}
	older := slices.Clone(full[:len(full)-1])
	older[i] = byte(ncols - 1)
	_, got, err := decodeBatch(older)
	if err != nil {
		t.Fatalf("decode a record with one column fewer: %v", err)
	}
	if len(got.Memory) != 1 || got.Memory[0].TotalBytes != 7 || got.Memory[0].OOMKills != 0 {
		t.Errorf("decoded %+v, want total 7 and the missing column zero", got.Memory)
	}
	newer := slices.Clone(full)
	newer[i] = byte(ncols + 1)
	newer = append(newer, 0)
	if _, _, err := decodeBatch(newer); err == nil {
		t.Error("a record with a column this almanac lacks: no error")
	}
	unknown := bytes.Replace(slices.Clone(full), []byte(schema.TableMemory), []byte("memorx"), 1)
	if _, _, err := decodeBatch(unknown); err == nil {
		t.Error("a record of an unknown table: no error")
	}
}

// TestRollupCountsSum checks that a per-interval count rolls up as its
// sum: four OOM kills in the raw rows are four in every rollup, and the
// mean of an integer column is not rounded to an integer.
func TestRollupCountsSum(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kills := []int64{1, 0, 2, 0, 1, 0} // four, over two minutes
	var bs []*schema.Batch
	for i, k := range kills {
		at := rollupDay0.Add(time.Hour + time.Duration(i)*20*time.Second)
		bs = append(bs, &schema.Batch{Time: at, Memory: []schema.MemoryRow{{Time: at.UnixMicro(),
			TotalBytes: 1000, FreeBytes: int64(i % 2), OOMKills: k}}})
	}
	writeBatches(t, s, "web1", bs)
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	for _, res := range []Resolution{PerMinute, PerHour} {
		f, err := s.ScanRollup(res, schema.TableMemory, "web1", rollupDay0, rollupDay0.AddDate(0, 0, 1),
			"oom_kills_sum", "oom_kills_max", "free_bytes_avg")
		if err != nil {
			t.Fatal(err)
		}
		var sum, peak float64
		for i := range f.Len() {
			sum += f.Num["oom_kills_sum"][i]
			peak = max(peak, f.Num["oom_kills_max"][i])
		}
		if sum != 4 || peak != 2 {
			t.Errorf("%v: oom_kills_sum adds up to %v and oom_kills_max is %v, want 4 and 2", res, sum, peak)
		}
		if res == PerHour && (f.Len() != 1 || f.Num["free_bytes_avg"][0] != 0.5) {
			t.Errorf("%v: free_bytes_avg %v, want [0.5], not rounded", res, f.Num["free_bytes_avg"])
		}
	}
}

// TestFooterMetadata checks what every file's footer tells readers: who
// wrote it, with which schema, and how its rows are sorted.
func TestFooterMetadata(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeBatches(t, s, "web1", batches("web1", rollupDay0.Add(23*time.Hour), 3, time.Hour/2))
	if _, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	open := func(pattern string) *parquet.File {
		t.Helper()
		names, _ := filepath.Glob(filepath.Join(dir, pattern))
		if len(names) == 0 {
			t.Fatalf("no file %s", pattern)
		}
		fh, err := os.Open(names[0])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fh.Close() })
		st, _ := fh.Stat()
		pf, err := parquet.OpenFile(fh, st.Size())
		if err != nil {
			t.Fatal(err)
		}
		return pf
	}
	sorting := func(pf *parquet.File) []string {
		var out []string
		for _, rg := range pf.Metadata().RowGroups {
			for _, sc := range rg.SortingColumns {
				out = append(out, pf.Schema().Columns()[sc.ColumnIdx][0])
			}
			break
		}
		return out
	}
	tests := []struct {
		name, pattern string
		sorted        []string
	}{
		{"day file", "cpu/host=web1/date=2026-08-20/day-*.parquet", []string{"cpu", "time"}},
		{"process day file", "process/host=web1/date=2026-08-20/day-*.parquet", []string{"pid", "start_time", "time"}},
		{"part", "cpu/host=web1/date=2026-08-21/part-*.parquet", []string{"time"}},
		{"rollup", "rollup/1h/cpu/host=web1/date=2026-08-20/day-*.parquet", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pf := open(tt.pattern)
			if v, _ := pf.Lookup(SchemaVersionKey); v != strconv.Itoa(schema.Version) {
				t.Errorf("%s = %q, want %d", SchemaVersionKey, v, schema.Version)
			}
			if v, _ := pf.Lookup("almanac.version"); v != Version || v == "" {
				t.Errorf("almanac.version = %q, want %q", v, Version)
			}
			if cb := pf.Metadata().CreatedBy; cb == "" || !bytes.HasPrefix([]byte(cb), []byte("almanac version "+Version)) {
				t.Errorf("created_by = %q, want almanac version %s", cb, Version)
			}
			if tt.sorted != nil && !slices.Equal(sorting(pf), tt.sorted) {
				t.Errorf("sorting_columns = %v, want %v", sorting(pf), tt.sorted)
			}
		})
	}
}
