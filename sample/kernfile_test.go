//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestKernelFileRereads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	write := func(s string) {
		t.Helper()
		// Rewritten in place (same inode), as the kernel's files are.
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var k kernelFile
	long := strings.Repeat("x", 10000) + "\n"
	for _, content := range []string{"one\n", "two, longer\n", "", long, "short again\n"} {
		write(content)
		got, err := k.read(dir, "f")
		if err != nil {
			t.Fatalf("read after writing %d bytes: %v", len(content), err)
		}
		if string(got) != content {
			t.Errorf("read = %q…, want %q… (%d bytes, got %d)", clip(got), clip([]byte(content)), len(content), len(got))
		}
	}

	// Another file: the old descriptor is closed, the new one opened.
	if err := os.WriteFile(filepath.Join(dir, "g"), []byte("gee\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := k.read(dir, "g"); err != nil || string(got) != "gee\n" {
		t.Errorf("read g = %q, %v; want \"gee\\n\"", got, err)
	}
	if _, err := k.read(dir, "missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read missing: err = %v, want fs.ErrNotExist", err)
	}
	if got, err := k.read(dir, "g"); err != nil || string(got) != "gee\n" {
		t.Errorf("read g after a missing file = %q, %v; want \"gee\\n\"", got, err)
	}
}

// A kept descriptor read again from offset 0 gives the kernel's current
// text, not the text of the first read: /proc/uptime changes every 10 ms.
func TestKernelFileLive(t *testing.T) {
	var k kernelFile
	first, err := k.read("/proc", "uptime")
	if err != nil {
		t.Fatal(err)
	}
	first = bytes.Clone(first)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := k.read("/proc", "uptime")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, first) {
			fresh, err := os.ReadFile("/proc/uptime")
			if err != nil {
				t.Fatal(err)
			}
			kept, err1 := strconv.ParseFloat(string(bytes.Fields(got)[0]), 64)
			later, err2 := strconv.ParseFloat(string(bytes.Fields(fresh)[0]), 64)
			if err1 != nil || err2 != nil || kept > later {
				t.Errorf("kept descriptor read uptime %q, a later fresh open read %q", got, fresh)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/proc/uptime read through a kept descriptor stayed %q for 5 s", first)
		}
	}
}

func TestBytesToCenti(t *testing.T) {
	tests := []struct {
		in   string
		want schema.Centi
		ok   bool
	}{
		{"0.00", 0, true},
		{"12.34", 1234, true},
		{"7", 700, true},
		{"0.5", 50, true},
		{"0.125", 13, true},
		{"0.124", 12, true},
		{"100.00", 10000, true},
		{"3.", 300, true},
		{"", 0, false},
		{".5", 0, false},
		{"-1.00", 0, false},
		{"1.2x", 0, false},
		{"1e3", 0, false},
		{"1234567890123456.00", 0, false},
	}
	for _, tt := range tests {
		got, ok := bytesToCenti([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("bytesToCenti(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBytesToUint(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{"", 0, false},
		{"12a", 0, false},
		{"-1", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseUint([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseUint(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestKernelFileCloseCancelsCleanup checks that closing a kernelFile
// cancels the cleanup that would close its descriptor once the owner is
// garbage: run after the close, it would close whatever file has been
// given that descriptor number since (it once closed a test's own files).
func TestKernelFileCloseCancelsCleanup(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		func() {
			k := new(kernelFile)
			if _, err := k.read(dir, "a"); err != nil {
				t.Fatal(err)
			}
			k.close()
		}()
	}
	f, err := os.Open(filepath.Join(dir, "a")) // likely one of the numbers just freed
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for range 5 {
		runtime.GC()
		time.Sleep(time.Millisecond) // cleanups run on their own goroutine; give them a turn
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatalf("a descriptor opened after the kernelFiles closed was closed under us: %v", err)
	}
}
