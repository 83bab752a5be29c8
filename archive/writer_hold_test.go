package archive

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// smallPartPages makes t's parts have pages of n bytes, until the
// function it returns is called.
func (t *tableOf[T]) smallPartPages(n int) func() {
	old := t.partOpts
	t.partOpts = append(slices.Clip(old), parquet.PageBufferSize(n))
	return func() { t.partOpts = old }
}

// TestFlushHoldSameBytes checks that a flush makes the same parts, byte
// for byte, whichever of its tables it holds (see holdTable): none, as
// the flush did before it held any (every table streamed from its first
// row), all of them to the end of the segment, and some until they
// outgrow a small holdTable in the middle of a segment. The parts have
// small pages and row groups, so that a change in how the rows reach the
// Parquet writer would move a page or a row group; one segment has a
// batch out of time order (written from the whole segment instead), and
// half the batches have NULLs.
func TestFlushHoldSameBytes(t *testing.T) {
	defer func(n, h int) { partRowGroup, holdTable = n, h }(partRowGroup, holdTable)
	partRowGroup = 70
	for _, tb := range tableList {
		defer tb.(interface{ smallPartPages(int) func() }).smallPartPages(128)()
	}
	r := rand.New(rand.NewPCG(5, 6))
	bs := batches("web1", t0, 120, 10*time.Second)
	for i, b := range bs {
		if i%2 == 1 {
			blankOptional(b, r)
		}
	}
	// A clock stepped back by 10 s in the second segment.
	bs[40], bs[41] = bs[41], bs[40]

	// The tables of the first segment (30 batches) whose records outgrow
	// the small holdTable, and those that do not.
	const small = 4 << 10
	var over, under []string
	for _, tb := range tableList {
		n := 0
		for _, b := range bs[:30] {
			if tb.count(b) > 0 {
				n += len(tb.encode(nil, b, b.Time.UnixMicro()))
			}
		}
		switch {
		case n > small:
			over = append(over, tb.name())
		case n > 0:
			under = append(under, tb.name())
		}
	}
	if len(over) == 0 || len(under) == 0 {
		t.Fatalf("tables over %d bytes a segment: %v, under: %v: want some of each", small, over, under)
	}

	trees := map[string]map[string][]byte{}
	for _, hold := range []struct {
		name string
		n    int
	}{{"none", 0}, {"small", small}, {"default", 256 << 10}, {"all", 1 << 40}} {
		holdTable = hold.n
		dir := t.TempDir()
		s := openStore(t, dir)
		w, err := s.Writer("web1", WriterOptions{NoSync: true, FlushEvery: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		appendAll(t, w, bs)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		trees[hold.name] = dataFiles(t, dir)
	}
	want := trees["none"]
	if len(want) < 4*len(over) {
		t.Fatalf("%d files written: want the parts of 4 segments", len(want))
	}
	multi := 0
	for name, data := range want {
		pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(pf.RowGroups()) > 1 {
			multi++
		}
	}
	if multi == 0 {
		t.Fatal("no part of several row groups")
	}
	for _, hold := range []string{"small", "default", "all"} {
		got := trees[hold]
		for name, data := range want {
			if g, ok := got[name]; !ok {
				t.Errorf("hold %s: %s missing", hold, name)
			} else if !bytes.Equal(g, data) {
				t.Errorf("hold %s: %s differs (%d bytes, want %d)", hold, name, len(g), len(data))
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("hold %s: %s written, not by a flush that holds nothing", hold, name)
			}
		}
	}
}

// dataFiles returns the contents of the Parquet files under dir, by path.
func dataFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
