//go:build linux

package sample

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParsePasswd(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[uint32]string
	}{
		{"empty", "", map[uint32]string{}},
		{"one", "root:x:0:0:root:/root:/bin/bash\n", map[uint32]string{0: "root"}},
		{"no trailing newline", "alice:x:1000:1000::/home/alice:/bin/sh", map[uint32]string{1000: "alice"}},
		{"crlf and spaces around uid", "bob:x: 1001 :1001::/:/bin/sh\r\n", map[uint32]string{1001: "bob"}},
		{"first wins", "root:x:0:0::/:/bin/sh\ntoor:x:0:0::/:/bin/sh\n", map[uint32]string{0: "root"}},
		{"hostile name kept as text", "<b>bob</b>:x:1001:1001::/:/bin/sh\n", map[uint32]string{1001: "<b>bob</b>"}},
		{"not utf8", "b\xffd:x:7:7::/:/bin/sh\n", map[uint32]string{7: "b\uFFFDd"}},
		{"only three fields", "short:x:5", map[uint32]string{5: "short"}},
		{"skipped lines", strings.Join([]string{
			"# comment:x:1:1::/:/bin/sh",
			"+nis:x:2:2::/:/bin/sh",
			"-nis:x:3:3::/:/bin/sh",
			":x:4:4::/:/bin/sh",
			"nocolon",
			"short:x",
			"baduid:x:abc:0::/:/bin/sh",
			"negative:x:-1:0::/:/bin/sh",
			"toobig:x:4294967296:0::/:/bin/sh",
			"",
			"ok:x:4294967295:0::/:/bin/sh",
		}, "\n"), map[uint32]string{4294967295: "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePasswd(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parsePasswd mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePasswdReadError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := parsePasswd(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("parsePasswd error = %v, want %v", err, boom)
	}
}

func TestParsePasswdFixture(t *testing.T) {
	f, err := os.Open("testdata/rootfs/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := parsePasswd(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]string{0: "root", 1: "daemon", 2: "bin", 3: "sys", 4: "sync",
		33: "www-data", 65534: "nobody", 1000: "alice", 1001: "<b>bob</b>"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsePasswd(testdata/rootfs/etc/passwd) mismatch (-want +got):\n%s", diff)
	}
}

func FuzzParsePasswd(f *testing.F) {
	if data, err := os.ReadFile("testdata/rootfs/etc/passwd"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\n"))
	f.Add([]byte("a:b:1\n:x:2\n+x:y:3\nb\xff:x:4:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		names, err := parsePasswd(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("parsePasswd: %v", err)
		}
		for uid, name := range names {
			if name == "" || strings.ContainsAny(name, ":\n") || !utf8.ValidString(name) {
				t.Errorf("uid %d: bad name %q", uid, name)
			}
		}
	})
}

func TestUserNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "passwd")
	var logs bytes.Buffer
	u := userNames{log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}

	// No file: numbers, one debug line however often it is asked.
	u.refresh(path)
	u.refresh(path)
	if got, want := u.name(1000), "1000"; got != want {
		t.Errorf("name(1000) without passwd = %q, want %q", got, want)
	}
	if got := strings.Count(logs.String(), "no passwd file"); got != 1 {
		t.Errorf("logged %d lines about the missing file, want 1:\n%s", got, logs.String())
	}

	write := func(content string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	write("alice:x:1000:1000::/:/bin/sh\n", t0)
	u.refresh(path)
	if got, want := u.name(1000), "alice"; got != want {
		t.Errorf("name(1000) = %q, want %q", got, want)
	}
	if got, want := u.name(4321), "4321"; got != want {
		t.Errorf("name(4321) = %q, want %q", got, want)
	}

	// Same size and mtime: not read again (the cache would serve "alice").
	write("carol:x:1000:1000::/:/bin/sh\n", t0)
	u.refresh(path)
	if got, want := u.name(1000), "alice"; got != want {
		t.Errorf("name(1000) with an unchanged mtime = %q, want the cached %q", got, want)
	}
	// A new mtime: read again.
	write("carol:x:1000:1000::/:/bin/sh\n", t0.Add(time.Second))
	u.refresh(path)
	if got, want := u.name(1000), "carol"; got != want {
		t.Errorf("name(1000) after the file changed = %q, want %q", got, want)
	}
}
