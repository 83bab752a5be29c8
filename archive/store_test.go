package archive

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPathEscape proves that no name leads outside the archive: hostile
// host names are refused before any path is built, and the *os.Root under
// every write refuses "..", absolute paths and symlinks that lead out.
func TestPathEscape(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "archive")
	s := openStore(t, dir)
	write := func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }

	for _, name := range []string{"../escape.parquet", "cpu/../../escape.parquet", filepath.Join(parent, "escape.parquet")} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.writeFile(name, true, write); err == nil {
				t.Errorf("writeFile(%q): no error", name)
			}
		})
	}
	// A symlink planted inside the archive that points out of it.
	if err := os.Symlink(parent, filepath.Join(dir, "cpu")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writeFile("cpu/escape.parquet", true, write); err == nil {
		t.Error("writeFile through a symlink out of the archive: no error")
	}
	for _, host := range []string{"../escape", "..", "a/../../b", "/etc"} {
		if _, err := s.Writer(host, WriterOptions{}); err == nil || !strings.Contains(err.Error(), "host") {
			t.Errorf("Writer(%q) = %v, want a host error", host, err)
		}
		if _, err := s.Scan("memory", host, time.Time{}, time.Now(), "free_bytes"); err == nil {
			t.Errorf("Scan(%q): no error", host)
		}
		if _, err := s.Compact(host, time.Now()); err == nil {
			t.Errorf("Compact(%q): no error", host)
		}
	}
	if _, err := s.Partitions("../cpu", "web1"); err == nil {
		t.Error("Partitions of table ../cpu: no error")
	}
	ents, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "archive" {
			t.Errorf("%s written outside the archive", e.Name())
		}
	}
}

func TestOpenCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := openStore(t, dir)
	if got := s.Dir(); got != dir {
		t.Errorf("Dir() = %q, want %q", got, dir)
	}
	hosts, err := s.Hosts()
	if err != nil || len(hosts) != 0 {
		t.Errorf("Hosts of a new archive = %v, %v; want none", hosts, err)
	}
}
