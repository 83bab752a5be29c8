package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// TestArchiveLsCorrupt lists an archive with one truncated file: the rest
// is listed, the bad file is named on stderr, the exit code is 0.
func TestArchiveLsCorrupt(t *testing.T) {
	dir := t.TempDir()
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	w, err := st.Writer("web1", archive.WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC()
	b := &schema.Batch{Time: at,
		System: []schema.SystemRow{{Time: at.UnixMicro()}},
		CPU:    []schema.CPURow{{Time: at.UnixMicro(), CPU: "all"}}}
	if err := w.Append(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "cpu", "*", "*", "*.parquet"))
	if len(files) != 1 {
		t.Fatalf("cpu files: %v", files)
	}
	if err := os.Truncate(files[0], 100); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"archive", "ls", "--archive", dir}, &stdout, &stderr); code != 0 {
		t.Errorf("exit %d, want 0; stderr: %s", code, &stderr)
	}
	if !strings.Contains(stdout.String(), "system") || !strings.Contains(stdout.String(), "cpu") {
		t.Errorf("listing lacks tables:\n%s", &stdout)
	}
	if !strings.Contains(stderr.String(), "corrupt") || !strings.Contains(stderr.String(), filepath.Base(files[0])) {
		t.Errorf("stderr does not name the corrupt file:\n%s", &stderr)
	}
}
