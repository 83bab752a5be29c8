package testfs

import (
	"bytes"
	"os"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// FlipInPage flips one byte of the Parquet file at p inside a page of
// column col of its first row group: the last byte of its dictionary page
// with dict, else the last byte of its last data page. Both are page
// bodies, outside any header, so only the page's checksum can tell.
func FlipInPage(t testing.TB, p, col string, dict bool) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	leaf, ok := pf.Schema().Lookup(col)
	if !ok {
		t.Fatalf("%s has no column %s", p, col)
	}
	md := pf.Metadata().RowGroups[0].Columns[leaf.ColumnIndex].MetaData
	start := md.DataPageOffset
	if md.DictionaryPageOffset != 0 {
		start = md.DictionaryPageOffset
	}
	at := start + md.TotalCompressedSize - 1
	if dict {
		if md.DictionaryPageOffset == 0 {
			t.Fatalf("column %s of %s has no dictionary page", col, p)
		}
		at = md.DataPageOffset - 1
	}
	b[at] ^= 0x10
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
