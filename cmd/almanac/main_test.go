package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestCLIContract checks the exit codes and which stream carries what, for
// every kind of invocation (STYLE B7).
func TestCLIContract(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdoutHas  []string
		stderrHas  []string
		stdoutNone bool
		stderrNone bool
	}{
		{name: "no args", args: nil, code: 2, stderrHas: []string{"Usage:", "sample", "render", "Run 'almanac <command> --help'"}, stdoutNone: true},
		{name: "--help", args: []string{"--help"}, code: 0, stdoutHas: []string{"Usage:"}, stderrNone: true},
		{name: "help", args: []string{"help"}, code: 0, stdoutHas: []string{"Commands:"}, stderrNone: true},
		{name: "help sample", args: []string{"help", "sample"}, code: 0, stdoutHas: []string{"Usage: almanac sample", "--interval"}, stderrNone: true},
		{name: "sample --help", args: []string{"sample", "--help"}, code: 0, stdoutHas: []string{"Usage: almanac sample", "Flags:", "--archive", "Example:"}, stderrNone: true},
		{name: "render --help", args: []string{"render", "--help"}, code: 0, stdoutHas: []string{"Usage: almanac render", "--out", "Example:"}, stderrNone: true},
		{name: "health --help", args: []string{"health", "--help"}, code: 0, stdoutHas: []string{"--max-age"}, stderrNone: true},
		{name: "archive --help", args: []string{"archive", "--help"}, code: 0, stdoutHas: []string{"ls|compact|prune"}, stderrNone: true},
		{name: "--version", args: []string{"--version"}, code: 0, stdoutHas: []string{"devel"}, stderrNone: true},
		{name: "version", args: []string{"version"}, code: 0, stdoutHas: []string{"devel"}, stderrNone: true},
		{name: "unknown command", args: []string{"smaple"}, code: 2, stdoutNone: true,
			stderrHas: []string{`almanac: unknown command "smaple"`, "try: almanac --help"}},
		{name: "bad interval", args: []string{"sample", "--interval", "1ms"}, code: 2, stdoutNone: true,
			stderrHas: []string{"almanac sample: --interval 1ms is below 1s", "try: almanac sample --interval 10s"}},
		{name: "unknown flag", args: []string{"sample", "--intervl", "1s"}, code: 2, stdoutNone: true,
			stderrHas: []string{"unknown flag: --intervl", "try: almanac sample --help"}},
		{name: "bad flag value", args: []string{"sample", "--interval", "soon"}, code: 2, stdoutNone: true,
			stderrHas: []string{"invalid argument", "try: almanac sample --help"}},
		{name: "bad keep", args: []string{"sample", "--keep", "ninety"}, code: 2, stdoutNone: true,
			stderrHas: []string{"not a duration such as 90d"}},
		{name: "bad log level", args: []string{"sample", "--log-level", "loud", "--archive", "x"}, code: 2, stdoutNone: true,
			stderrHas: []string{`--log-level "loud"`}},
		{name: "stray argument", args: []string{"render", "extra"}, code: 2, stdoutNone: true,
			stderrHas: []string{`unexpected argument "extra"`}},
		{name: "hostile host", args: []string{"sample", "--host", "../../etc", "--archive", "x", "--once"}, code: 2, stdoutNone: true,
			stderrHas: []string{`"../../etc"`, "try: almanac sample --host web1"}},
		{name: "not a proc tree", args: []string{"sample", "--proc", "/dev", "--host", "x", "--archive", "x", "--once"}, code: 2, stdoutNone: true,
			stderrHas: []string{"--proc /dev is not a proc filesystem"}},
		{name: "archive without subcommand", args: []string{"archive"}, code: 2, stdoutNone: true,
			stderrHas: []string{"missing subcommand"}},
		{name: "archive bad subcommand", args: []string{"archive", "shred"}, code: 2, stdoutNone: true,
			stderrHas: []string{`unknown subcommand "shred"`}},
		// The flag names the value once; the error says what is wrong with it.
		{name: "ship to another scheme", args: []string{"ship", "--archive", "x", "--to", "ftp://x"}, code: 2, stdoutNone: true,
			stderrHas: []string{`almanac ship: --to "ftp://x": unsupported scheme "ftp": want a directory or s3://bucket/prefix`, "try: almanac ship --to s3://"}},
		{name: "publish to a bad bucket", args: []string{"publish", "--site", "x", "--to", "s3://AB/site"}, code: 2, stdoutNone: true,
			stderrHas: []string{`almanac publish: --to "s3://AB/site": bucket name "AB": want 3 to 63 characters`}},
		{name: "health of missing archive", args: []string{"health", "--archive", "/nonexistent/almanac", "--host", "web1"}, code: 1, stdoutNone: true,
			stderrHas: []string{"almanac health:", "/nonexistent/almanac"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if runtime.GOOS != "linux" && slices.Contains(tt.args, "sample") {
				t.Skip("almanac sample runs on Linux only (see TestSampleLinuxOnly)")
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, &stdout, &stderr)
			}
			for _, s := range tt.stdoutHas {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &stdout)
				}
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, &stderr)
				}
			}
			if tt.stdoutNone && stdout.Len() > 0 {
				t.Errorf("stdout should be empty, got:\n%s", &stdout)
			}
			if tt.stderrNone && stderr.Len() > 0 {
				t.Errorf("stderr should be empty, got:\n%s", &stderr)
			}
		})
	}
}

// The error a Linux-only command gives on other systems: exit code 2 and
// a plain sentence (on Linux it is never returned, so test it directly).
func TestLinuxOnly(t *testing.T) {
	var stderr bytes.Buffer
	code := exitCode(&env{stdout: &bytes.Buffer{}, stderr: &stderr}, "almanac sample", linuxOnly())
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	if want := "almanac sample: reads /proc and /sys and runs on Linux only (this almanac is built for " + runtime.GOOS; !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("stderr = %q, want it to start with %q", &stderr, want)
	}
}

// TestHelpOnce: every command's --help prints its usage once.
func TestHelpOnce(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{c.name, "--help"}, &stdout, &stderr)
			if code != 0 {
				t.Errorf("exit code = %d, want 0; stderr: %s", code, &stderr)
			}
			if n := strings.Count(stdout.String(), "Usage:"); n != 1 {
				t.Errorf("usage printed %d times, want once:\n%s", n, &stdout)
			}
		})
	}
}

// TestErrorPrefixOnce: a package's prefix that repeats the command's name
// is not doubled ("almanac render: render: …").
func TestErrorPrefixOnce(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"render", "--archive", dir, "--out", filepath.Join(t.TempDir(), "site")}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit code = %d, want 1; stderr: %s", code, &stderr)
	}
	if got, want := stderr.String(), "almanac render: the archive holds no samples"; !strings.HasPrefix(got, want) {
		t.Errorf("stderr = %q, want it to start with %q", got, want)
	}
}

// TestPublishDryRun: a dry run prints its plan and does not end as if it
// had published.
func TestPublishDryRun(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "index.html"), []byte("<h1>site</h1>"), 0o644); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "www")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"publish", "--site", src, "--to", to, "--dry-run"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code = %d, want 0; stderr: %s", code, &stderr)
	}
	out := stdout.String()
	if !strings.Contains(out, "upload index.html") || !strings.Contains(out, "dry run: 1 to upload") {
		t.Errorf("stdout lacks the plan:\n%s", out)
	}
	if strings.Contains(out, "published") {
		t.Errorf("a dry run says it published:\n%s", out)
	}
	if _, err := os.Stat(to); err == nil {
		t.Errorf("a dry run created %s", to)
	}
}
