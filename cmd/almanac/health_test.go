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

func TestHealth(t *testing.T) {
	tests := []struct {
		name     string
		age      time.Duration
		flush    bool // the sample reached a Parquet part (else it is only in the journal)
		code     int
		stdout   string
		stderrIn string
		args     []string
	}{
		{name: "fresh, in the journal", age: 10 * time.Second, code: 0, stdout: "ok: the newest sample of web1 is"},
		{name: "fresh, flushed", age: 10 * time.Second, flush: true, code: 0, stdout: "ok:"},
		{name: "stale", age: 10 * time.Minute, flush: true, code: 1, stderrIn: "stale: the newest sample of web1 is 10m"},
		{name: "stale says no data too", age: 10 * time.Minute, flush: true, code: 1, stderrIn: `; no data by rule "no data" (silent for more than 50s, 5 sampling intervals of 10s)`},
		// In the journal only: the interval is unknown, 1m assumed.
		{name: "journal: 5m assumed", age: 70 * time.Second, code: 0, stdout: "ok:"},
		// Under --max-age, but silent for more than 5 intervals of 10 s.
		{name: "no data", age: 70 * time.Second, flush: true, code: 1, stderrIn: `no data: the newest sample of web1 is 1m10s old`},
		{name: "no data rule disabled", age: 70 * time.Second, flush: true, code: 0, stdout: "ok:", args: []string{"--rules", "nodata-off.yaml"}},
		{name: "no data after 10m", age: 70 * time.Second, flush: true, code: 0, stdout: "ok:", args: []string{"--rules", "nodata-10m.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			w, err := st.Writer("web1", archive.WriterOptions{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			at := time.Now().Add(-tt.age).UTC()
			b := &schema.Batch{Time: at, System: []schema.SystemRow{{Time: at.UnixMicro(), IntervalMs: 10000}}}
			if err := w.Append(b); err != nil {
				t.Fatal(err)
			}
			if tt.flush {
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				defer w.Close()
			}
			os.WriteFile(filepath.Join(dir, "nodata-off.yaml"), []byte("disable: [no data]\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "nodata-10m.yaml"), []byte("fleet:\n  - name: no data\n    no_data: 10m\n"), 0o644)
			for i, a := range tt.args {
				if strings.HasSuffix(a, ".yaml") {
					tt.args[i] = filepath.Join(dir, a)
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"health", "--archive", dir, "--host", "web1", "--max-age", "2m"}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q lacks %q", &stdout, tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderrIn) {
				t.Errorf("stderr %q lacks %q", &stderr, tt.stderrIn)
			}
		})
	}
}
