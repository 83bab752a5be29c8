//go:build linux

package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// smapsFixture is /proc/<pid>/smaps of a process of /usr/bin/almanac,
// trimmed to the fields exeMappings reads and a few it skips.
const smapsFixture = `00400000-01277000 r-xp 00000000 fd:01 1234 /usr/bin/almanac
Size:              14808 kB
Rss:               10524 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  0 kB
VmFlags: rd ex mr mw me
01277000-021b9000 r--p 00e77000 fd:01 1234 /usr/bin/almanac
Rss:                7752 kB
Anonymous:             0 kB
Swap:                  0 kB
021b9000-02299000 rw-p 01db9000 fd:01 1234 /usr/bin/almanac
Rss:                 448 kB
Anonymous:           124 kB
Swap:                  0 kB
02299000-042e5000 rw-p 00000000 00:00 0
Rss:                 128 kB
Anonymous:           128 kB
04300000-04400000 r-xp 00000000 fd:01 1234 /usr/bin/almanac
Rss:                  64 kB
Anonymous:             4 kB
Swap:                  0 kB
04400000-04500000 r--p 00000000 fd:01 1234 /usr/bin/almanac
Rss:                  64 kB
Anonymous:             0 kB
Swap:                  8 kB
04500000-04600000 r--s 00000000 fd:01 1234 /usr/bin/almanac
Rss:                  64 kB
Anonymous:             0 kB
7f0618ebe000-7f0619200000 rw-p 00000000 00:00 0
Rss:                1692 kB
Anonymous:          1692 kB
7f0619200000-7f0619300000 r-xp 00000000 fd:01 99 /usr/lib/libc.so.6
Rss:                 900 kB
Anonymous:             0 kB
Swap:                  0 kB
7f0619400000-7f0619500000 r-xp 00000000 fd:01 77 /tmp/old almanac (deleted)
Rss:                 100 kB
Anonymous:             0 kB
Swap:                  0 kB
7ffd1e5e6000-7ffd1e607000 rw-p 00000000 00:00 0                          [stack]
Rss:                  24 kB
Anonymous:            24 kB
`

func TestExeMappings(t *testing.T) {
	for _, tc := range []struct {
		name string
		exe  string
		want []exeMapping
	}{
		{"code and read-only data, not data, heap, copied or swapped pages, shared or other files", "/usr/bin/almanac", []exeMapping{
			{start: 0x400000, end: 0x1277000, rssKB: 10524},
			{start: 0x1277000, end: 0x21b9000, rssKB: 7752},
		}},
		{"a binary replaced on disk (its path ends in (deleted))", "/tmp/old almanac (deleted)", []exeMapping{
			{start: 0x7f0619400000, end: 0x7f0619500000, rssKB: 100},
		}},
		{"a file the process does not run", "/usr/bin/other", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := exeMappings(strings.NewReader(smapsFixture), tc.exe)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("mapping %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestExeMappingsBad(t *testing.T) {
	for _, in := range []string{
		"zz-01277000 r-xp 00000000 fd:01 1234 /usr/bin/almanac\n",
		"01277000-00400000 r-xp 00000000 fd:01 1234 /usr/bin/almanac\n",
		"00400000 r-xp 00000000 fd:01 1234 /usr/bin/almanac\n",
	} {
		if got, err := exeMappings(strings.NewReader(in), "/usr/bin/almanac"); err == nil {
			t.Errorf("%q: got %+v, want an error", in, got)
		}
	}
}

// written is a variable in the binary's writable data: dropping the
// binary's pages must not bring its initial value back.
var written = [4096]byte{0: 'x'}

// TestDropExePages drops the read-only pages of the test binary itself:
// its resident file-backed memory falls by about what was dropped, and
// what it wrote (a variable in its data, its heap) is intact.
func TestDropExePages(t *testing.T) {
	written[0], written[4095] = 'y', 'z'
	heap := bytes.Repeat([]byte("almanac"), 1<<16)
	before := statusKB(t, "RssFile")
	var logged bytes.Buffer
	kb, err := dropExePages(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	after := statusKB(t, "RssFile")
	t.Logf("RssFile %d kB before, %d kB after; %d kB dropped", before, after, kb)
	if kb < 1024 {
		t.Errorf("dropped %d kB of the test binary's code and read-only data, want at least 1 MiB", kb)
	}
	if after > before-kb/2 {
		t.Errorf("RssFile went from %d to %d kB after dropping %d kB", before, after, kb)
	}
	if written[0] != 'y' || written[4095] != 'z' {
		t.Errorf("a variable in the binary's data lost what was written to it: %q %q", written[0], written[4095])
	}
	if !bytes.Equal(heap, bytes.Repeat([]byte("almanac"), 1<<16)) {
		t.Error("the heap changed")
	}
	if !strings.Contains(logged.String(), "level=DEBUG") || !strings.Contains(logged.String(), "kb="+strconv.FormatInt(kb, 10)) {
		t.Errorf("no debug line with the dropped size: %q", &logged)
	}
}

// statusKB returns a field of /proc/self/status in kB.
func statusKB(t *testing.T, key string) int64 {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return 0
}

// messages records the messages logged, in order.
type messages struct {
	mu   *sync.Mutex
	msgs *[]string
}

func (m messages) Enabled(context.Context, slog.Level) bool { return true }
func (m messages) Handle(_ context.Context, r slog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	*m.msgs = append(*m.msgs, r.Message)
	return nil
}
func (m messages) WithAttrs([]slog.Attr) slog.Handler { return m }
func (m messages) WithGroup(string) slog.Handler      { return m }

// TestSamplerReleasesAfterFlush drives the sampler's loop body at 10 s for
// 95 s with a 30 s --flush: memory is handed back (the binary's pages
// dropped) once after the first batch and right after each of the
// writer's flushes, in the same reading, and not in between; the
// binary's pages are also dropped right before each flush.
func TestSamplerReleasesAfterFlush(t *testing.T) {
	var mu sync.Mutex
	var msgs []string
	log := slog.New(messages{mu: &mu, msgs: &msgs})
	s := liveSampler(t, log, sampleOptions{interval: 10 * time.Second, flush: 30 * time.Second, host: "web1", noSync: true})
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(time.Hour)
	var got []string
	for i := range 10 {
		if err := s.take(start.Add(time.Duration(i) * 10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		var line []string
		for _, m := range msgs {
			switch {
			case m == "journal flushed":
				line = append(line, "flush")
			case strings.HasPrefix(m, "binary's read-only pages dropped"):
				line = append(line, "drop")
			}
		}
		msgs = msgs[:0]
		mu.Unlock()
		got = append(got, strings.Join(line, "+"))
	}
	s.wg.Wait()
	if err := s.w.Close(); err != nil {
		t.Fatal(err)
	}
	// Reading 0 primes the rates; batches from reading 1 on. A segment
	// starts with 1 and is flushed by 4 (30 s later), the next starts
	// with 5 and is flushed by 8.
	want := []string{"", "drop", "", "", "drop+flush+drop", "", "", "", "drop+flush+drop", ""}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("per reading got %q, want %q", got, want)
	}
}
