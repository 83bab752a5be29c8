//go:build !linux

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Off Linux, almanac sample is listed but says it needs Linux.
func TestSampleLinuxOnly(t *testing.T) {
	for _, args := range [][]string{{"sample"}, {"sample", "--help"}, {"help", "sample"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "almanac sample: reads /proc and /sys and runs on Linux only") {
			t.Errorf("almanac %s: exit %d, stderr %q; want 2 and the Linux-only message", strings.Join(args, " "), code, &stderr)
		}
	}
	var stdout bytes.Buffer
	run(context.Background(), nil, &stdout, &bytes.Buffer{})
	if !strings.Contains(stdout.String(), "sample   (Linux only)") {
		t.Errorf("overview does not mark sample Linux only:\n%s", &stdout)
	}
}
