//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNVMLBinary builds almanac with the nvml tag (cgo, as make build
// builds bin/almanac-nvml) and samples the fixture tree with it: on a host
// without libnvidia-ml it says "NVML not present" and carries on; on a
// host with it, it does not say so.
func TestNVMLBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "almanac-nvml")
	build := exec.Command("go", "build", "-tags", "nvml", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1", "CGO_CFLAGS=-O2 -Wno-deprecated-declarations")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags nvml: %v\n%s", err, out)
	}
	fx := "../../sample/testdata"
	cmd := exec.Command(bin, "sample", "--once", "--interval", "1s", "--archive", filepath.Join(dir, "archive"),
		"--proc", filepath.Join(fx, "proc"), "--sys", filepath.Join(fx, "sys"), "--rootfs", filepath.Join(fx, "rootfs"),
		"--host", "web1", "--no-sync", "--log-level", "info")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("almanac-nvml sample --once: %v\n%s", err, out)
	}
	_, libErr := os.Stat("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1")
	said := strings.Contains(string(out), "NVML not present")
	if libErr != nil && !said {
		t.Errorf("no libnvidia-ml here, and the nvml build did not say NVML not present:\n%s", out)
	}
	if libErr == nil && said {
		t.Errorf("libnvidia-ml is here, but the nvml build says NVML not present:\n%s", out)
	}
	if !regexp.MustCompile(`sampled web1: [1-9][0-9]* rows written`).Match(out) {
		t.Errorf("the nvml build wrote no rows: it did not carry on\n%s", out)
	}
}
