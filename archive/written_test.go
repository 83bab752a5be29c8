package archive

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWriterWritten checks Writer.Written: the journal's bytes after an
// append, then those plus every Parquet part a flush wrote.
func TestWriterWritten(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	w, err := s.Writer("web1", WriterOptions{FlushEvery: time.Hour, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if w.Written() != 0 {
		t.Fatalf("Written() = %d before any append", w.Written())
	}
	appendAll(t, w, batches("web1", t0, 3, 10*time.Second))
	segs, _ := filepath.Glob(filepath.Join(dir, journalDir, "web1.*.seg"))
	var journal int64
	for _, sg := range segs {
		fi, err := os.Stat(sg)
		if err != nil {
			t.Fatal(err)
		}
		journal += fi.Size()
	}
	if journal == 0 || w.Written() != journal {
		t.Fatalf("Written() = %d after 3 appends, journal segments hold %d bytes", w.Written(), journal)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "*", "host=web1", "date=*", "part-*.parquet"))
	var pq int64
	for _, p := range parts {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		pq += fi.Size()
	}
	if pq == 0 || w.Written() != journal+pq {
		t.Errorf("Written() = %d after a flush, want journal %d + parts %d", w.Written(), journal, pq)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
