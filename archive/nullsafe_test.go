package archive

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"almanac/schema"
)

// optRow is a row with an optional string, as schema's row types have.
type optRow struct {
	S string `parquet:"s,dict,optional"`
}

// nullsWritten writes rows with write and returns, row by row, whether
// parquet-go's reader finds a NULL (definition level 0).
func nullsWritten(t *testing.T, rows []optRow, write func(*parquet.GenericWriter[optRow], []optRow) (int, error)) []bool {
	t.Helper()
	var buf bytes.Buffer
	pw := parquet.NewGenericWriter[optRow](&buf)
	if _, err := write(pw, rows); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	r := parquet.NewReader(f)
	defer r.Close()
	got := make([]parquet.Row, len(rows))
	n, _ := r.ReadRows(got)
	if n != len(rows) {
		t.Fatalf("read %d rows, wrote %d", n, len(rows))
	}
	out := make([]bool, n)
	for i, row := range got[:n] {
		out[i] = row[0].IsNull()
		if row[0].DefinitionLevel() == 0 != out[i] {
			t.Fatalf("row %d: null %v at definition level %d", i, out[i], row[0].DefinitionLevel())
		}
	}
	return out
}

// optPattern returns n rows whose S is empty (NULL) where pattern says.
func optPattern(nulls []bool) []optRow {
	rows := make([]optRow, len(nulls))
	for i, null := range nulls {
		if !null {
			rows[i].S = "v"
		}
	}
	return rows
}

// optPatterns are the patterns the tests write: the smallest that loses
// NULLs, one for every offset of a run of values, and random ones.
func optPatterns() [][]bool {
	var out [][]bool
	// Row 0 NULL, row 1 a value, rows 2-63 NULL: parquet-go v0.32.0
	// writes 62 empty strings.
	p := make([]bool, 64)
	for i := range p {
		p[i] = i != 1
	}
	out = append(out, p)
	for y := 1; y < 64; y++ {
		for run := 1; y+run <= 64; run++ {
			p := make([]bool, 64+y) // a second word after the first
			for i := range p {
				p[i] = i < y || i >= y+run
			}
			out = append(out, p)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		p := make([]bool, 1+rng.IntN(300))
		density := rng.Float64()
		for i := range p {
			p[i] = rng.Float64() < density
		}
		out = append(out, p)
	}
	return out
}

func countLost(want, got []bool) int {
	n := 0
	for i := range want {
		if want[i] != got[i] {
			n++
		}
	}
	return n
}

// TestParquetGoOptionalRuns is a reproducer of parquet-go's lost NULLs
// (see nullsafe.go) and checks writeRowsSafe against it. If parquet-go's
// own Write stops losing them, the test fails to say that writeRowsSafe
// can go.
func TestParquetGoOptionalRuns(t *testing.T) {
	opt := optFields(reflect.TypeFor[optRow](), true)
	if len(opt) != 1 {
		t.Fatalf("optFields = %v, want the one field", opt)
	}
	plainLost, patternsLost := 0, 0
	for i, want := range optPatterns() {
		rows := optPattern(want)
		plain := nullsWritten(t, rows, (*parquet.GenericWriter[optRow]).Write)
		if n := countLost(want, plain); n > 0 {
			plainLost += n
			patternsLost++
			if i == 0 && n != 62 {
				t.Errorf("the smallest pattern: parquet-go lost %d NULLs, want 62", n)
			}
		}
		safe := nullsWritten(t, rows, func(pw *parquet.GenericWriter[optRow], rows []optRow) (int, error) {
			return writeRowsSafe(pw, rows, opt)
		})
		if n := countLost(want, safe); n > 0 {
			t.Errorf("pattern %d (%d rows): writeRowsSafe wrote %d NULLs as values", i, len(want), n)
		}
	}
	t.Logf("parquet-go's Write lost %d NULLs in %d of %d patterns", plainLost, patternsLost, len(optPatterns()))
	if plainLost == 0 {
		t.Errorf("parquet-go's GenericWriter.Write no longer loses NULLs of optional strings: writeRowsSafe can go")
	}
}

// TestOptionalStringsStayNull writes process rows whose optional strings
// are empty in many patterns through the archive's Writer (parts of
// row groups of partRowGroup rows) and compaction (day files), and reads
// every file back with parquet-go's row reader: every empty optional
// string must be a NULL, none an empty string.
func TestOptionalStringsStayNull(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	w, err := s.Writer("h", WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func(n int) { mergeChunk = n }(mergeChunk)
	mergeChunk = 5000 // several row groups in the day file too
	pats := optPatterns()
	start := t0.Add(-48 * time.Hour)
	wantNulls, total := 0, 0
	for i := 0; total < 3*partRowGroup; i++ {
		p := pats[i%len(pats)]
		q := pats[(i*7+3)%len(pats)]
		tm := start.Add(time.Duration(i) * time.Minute)
		b := &schema.Batch{Time: tm}
		for j := range p {
			r := schema.ProcessRow{Time: tm.UnixMicro(), PID: int32(j + 1), StartTime: start.UnixMicro(),
				User: "u", Comm: "c", State: "S"}
			if !p[j] {
				r.Cgroup, r.Unit = "/system.slice/a.service", "a.service"
			} else {
				wantNulls += 2
			}
			if !q[j%len(q)] {
				r.Container = "c0ffee"
			} else {
				wantNulls++
			}
			wantNulls += 2 // cgroup_memory, cgroup_cpu: always NULL
			b.Process = append(b.Process, r)
		}
		total += len(p)
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(stage string) {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(dir, "process", "host=h", "date=*", "*.parquet"))
		var names []string
		for _, f := range files {
			names = append(names, filepath.Base(f))
		}
		live, _ := liveFiles(names)
		rows, nulls, empties, groups := 0, 0, 0, 0
		for _, f := range files {
			if !slicesContainsName(live, filepath.Base(f)) {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			groups += len(pf.RowGroups())
			var cols []int
			for _, name := range []string{"cgroup", "unit", "container", "cgroup_memory", "cgroup_cpu"} {
				leaf, ok := pf.Schema().Lookup(name)
				if !ok {
					t.Fatalf("%s: no column %s", f, name)
				}
				cols = append(cols, leaf.ColumnIndex)
			}
			r := parquet.NewReader(pf)
			buf := make([]parquet.Row, 512)
			for {
				n, err := r.ReadRows(buf)
				for _, row := range buf[:n] {
					rows++
					for _, c := range cols {
						switch v := row[c]; {
						case v.IsNull():
							nulls++
						case len(v.ByteArray()) == 0:
							empties++
						}
					}
				}
				if err != nil {
					break
				}
			}
			r.Close()
		}
		if rows != total {
			t.Fatalf("%s: read %d rows, wrote %d", stage, rows, total)
		}
		if groups < 2 {
			t.Errorf("%s: %d row groups, want several", stage, groups)
		}
		if empties != 0 || nulls != wantNulls {
			t.Errorf("%s: %d NULLs and %d empty strings, want %d NULLs and none empty", stage, nulls, empties, wantNulls)
		}
	}
	check("parts")
	if _, err := s.Compact("h", t0); err != nil {
		t.Fatal(err)
	}
	check("day files")
}

func slicesContainsName(files []dataFile, name string) bool {
	for _, f := range files {
		if f.name == name {
			return true
		}
	}
	return false
}
