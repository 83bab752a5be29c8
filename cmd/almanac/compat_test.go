package main

import (
	"almanac/internal/testfs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderV1Archive renders archive/testdata/v1, an archive written by
// the almanac before the schema package, as it is (no compaction since):
// old files, old rollups and a journal of codec 1 still make a site.
func TestRenderV1Archive(t *testing.T) {
	dir := testfs.CopyTree(t, filepath.Join("..", "..", "archive", "testdata", "v1"))
	out := filepath.Join(t.TempDir(), "site")
	code, stdout, stderr := runCLI("render", "--archive", dir, "--out", out)
	if code != 0 {
		t.Fatalf("render of a v1 archive: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "index.html") {
		t.Errorf("stdout %q does not say where the site is", stdout)
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "old1") {
		t.Error("the overview does not list host old1")
	}
	hosts, _ := filepath.Glob(filepath.Join(out, "hosts", "*", "*.html"))
	if len(hosts) < 3 {
		t.Errorf("host pages: %v, want the host's pages", hosts)
	}
}
