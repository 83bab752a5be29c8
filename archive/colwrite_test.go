package archive

import (
	"bytes"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/schema"

	"github.com/parquet-go/parquet-go"
)

// blankOptional sets the optional fields of some rows of b to NULL (nil
// pointers, empty strings, zeros), at random, so that runs of NULLs and
// values start anywhere within the writer's 64-row steps.
func blankOptional(b *schema.Batch, r *rand.Rand) {
	bv := reflect.ValueOf(b).Elem()
	for i := range bv.NumField() {
		f := bv.Field(i)
		if f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Struct {
			continue
		}
		rt := f.Type().Elem()
		for row := range f.Len() {
			rv := f.Index(row)
			for j := range rt.NumField() {
				sf := rt.Field(j)
				if !hasTagOption(sf.Tag.Get("parquet"), "optional") || r.IntN(3) != 0 {
					continue
				}
				rv.Field(j).SetZero()
			}
		}
	}
}

// TestMergeByColumnsSameBytes checks that a merge writing its row groups
// column by column makes the file that writing them row by row made, for
// every table it writes so, with NULLs anywhere and several row groups.
func TestMergeByColumnsSameBytes(t *testing.T) {
	defer func(n int) { mergeChunk = n }(mergeChunk)
	mergeChunk = 1000
	r := rand.New(rand.NewPCG(1, 2))
	day := time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC)
	bs := batches("web1", day.Add(time.Hour), 120, 10*time.Second)
	for i, b := range bs {
		if i%2 == 1 {
			blankOptional(b, r)
		}
	}
	for _, tb := range tableList {
		t.Run(tb.name(), func(t *testing.T) {
			cw, ok := tb.(interface {
				mergeWith(w io.Writer, files []sizedReaderAt, mode mergeMode) (int, error)
			})
			if !ok {
				t.Fatal("no mergeWith")
			}
			// Parts of 30 batches each, as a flush writes them.
			var files []sizedReaderAt
			for i := 0; i < len(bs); i += 30 {
				var part schema.Batch
				for _, b := range bs[i : i+30] {
					tb.move(&part, b)
				}
				if tb.count(&part) == 0 {
					continue
				}
				var buf bytes.Buffer
				if _, err := tb.writeDay(&buf, &part, day); err != nil {
					t.Fatal(err)
				}
				files = append(files, sizedReaderAt{ReaderAt: bytes.NewReader(buf.Bytes()), size: int64(buf.Len()), name: "part"})
			}
			if len(files) == 0 {
				t.Skip("no rows of this table in the test batches")
			}
			if tb.(interface{ columnless() bool }).columnless() {
				t.Skip("written row by row")
			}
			// Small pages, so that where the writer's steps end decides
			// where pages end.
			defer tb.(interface{ smallPages(int) func() }).smallPages(2 << 10)()
			// The parts this version writes are read column by column.
			if _, ok, err := columnarRowGroups(files, tb.schema()); err != nil || !ok {
				t.Errorf("parts not read column by column: ok %v, %v", ok, err)
			}
			var byRows bytes.Buffer
			n1, err := cw.mergeWith(&byRows, files, mergeByRows)
			if err != nil {
				t.Fatal(err)
			}
			defer func(b int) { inputFooterBytes = b }(inputFooterBytes)
			for _, m := range []struct {
				name   string
				mode   mergeMode
				footer int // inputFooterBytes: 0, every column of a chunk on its own; 1 << 30, all at once
			}{{"row reader", mergeByRowReader, 0}, {"columns", mergeByColumns, 0},
				{"columns, inputs read once", mergeByColumns, 1 << 30}} {
				inputFooterBytes = m.footer
				var out bytes.Buffer
				n2, err := cw.mergeWith(&out, files, m.mode)
				if err != nil {
					t.Fatal(err)
				}
				if n1 != n2 || !bytes.Equal(byRows.Bytes(), out.Bytes()) {
					t.Errorf("by rows: %d rows, %d bytes; %s: %d rows, %d bytes, not the same file",
						n1, byRows.Len(), m.name, n2, out.Len())
				}
			}
		})
	}
}

// TestRollupPassesSameBytes checks that rollups written a few numeric
// columns at a time are the files written in one pass.
func TestRollupPassesSameBytes(t *testing.T) {
	defer func(n, b int) { rollupPassNums, rollupPassBytes = n, b }(rollupPassNums, rollupPassBytes)
	r := rand.New(rand.NewPCG(3, 4))
	bs := batches("web1", rollupDay0.Add(20*time.Hour), 400, 10*time.Second)
	for i, b := range bs {
		if i%3 == 1 {
			blankOptional(b, r)
		}
	}
	files := map[int]map[string][]byte{}
	for _, n := range []int{1, 4, 1 << 10} {
		// n numeric columns a pass, one pass for 1 << 10.
		rollupPassNums, rollupPassBytes = n, n
		dir := t.TempDir()
		s := openStore(t, dir)
		writeBatches(t, s, "web1", bs)
		st, err := s.Compact("web1", rollupDay0.AddDate(0, 0, 1).Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if st.Rollups == 0 {
			t.Fatal("no rollups written")
		}
		files[n] = map[string][]byte{}
		err = filepath.WalkDir(filepath.Join(dir, rollupDir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[n][rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	one := files[1<<10]
	for _, n := range []int{1, 4} {
		if len(files[n]) != len(one) {
			t.Errorf("%d numeric columns a pass: %d rollup files, one pass: %d", n, len(files[n]), len(one))
		}
		for name, want := range one {
			if got := files[n][name]; !bytes.Equal(got, want) {
				t.Errorf("%d numeric columns a pass: %s is not the file one pass writes (%d bytes, want %d)",
					n, name, len(got), len(want))
			}
		}
	}
	if !strings.Contains(strings.Join(keysOf(one), " "), "cgroup") {
		t.Errorf("no cgroup rollup among %v", keysOf(one))
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (t *tableOf[T]) columnless() bool { return t.leaves == nil }

// smallPages makes t's day files have pages of n bytes, until the
// function it returns is called.
func (t *tableOf[T]) smallPages(n int) func() {
	old := t.dayOpts
	t.dayOpts = append(slices.Clip(old), parquet.PageBufferSize(n))
	return func() { t.dayOpts = old }
}

// TestMergeByColumns checks which tables a merge writes column by column:
// all but those with a list column (custom) or a field leafWriters does
// not handle.
func TestMergeByColumns(t *testing.T) {
	var rows []string
	for _, tb := range tableList {
		if tb.(interface{ columnless() bool }).columnless() {
			rows = append(rows, tb.name())
		}
	}
	if got := strings.Join(rows, " "); got != "host custom" {
		t.Errorf("tables merged row by row: %s; want host custom", got)
	}
}
