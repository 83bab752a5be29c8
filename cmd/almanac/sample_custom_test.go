//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSampleCustomFlags checks the usage errors of the textfile and GPU
// flags: exit 2, naming the flag, with a try: line.
func TestSampleCustomFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.prom")
	if err := os.WriteFile(file, []byte("x 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--textfile-max-series", "0"}, "--textfile-max-series 0"},
		{[]string{"--textfile-max-total", "-1"}, "--textfile-max-total -1"},
		{[]string{"--textfile-dir", file}, "--textfile-dir " + file + " is not a directory"},
	} {
		code, _, stderr := runCLI(append([]string{"sample", "--archive", t.TempDir()}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "try:") {
			t.Errorf("sample %v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}
