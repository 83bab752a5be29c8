//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// exeMapping is one mapping of the process's own executable file, from
// /proc/self/smaps.
type exeMapping struct {
	start, end uint64
	rssKB      int64
}

// exeMappings returns the mappings of smaps (the text of /proc/<pid>/smaps)
// that map the file exe read-only and private and hold nothing but pages
// of that file: no private copy of a page (Anonymous: the copy a write
// makes, e.g. a debugger's breakpoint or a uprobe) and none swapped out.
// Only these can be dropped from the page tables without losing anything:
// a later access maps the same page of the page cache again. Writable
// mappings (the binary's data), anonymous ones (the heap, stacks) and
// other files are never returned. A page of the file made dirty by a write
// to the file is still the file's page (it stays in the page cache); it
// does not exclude its mapping.
func exeMappings(smaps io.Reader, exe string) ([]exeMapping, error) {
	var (
		out  []exeMapping
		cur  exeMapping
		keep bool // cur maps exe read-only and private
		bad  bool // cur holds a page that is not a clean page of the file
	)
	end := func() {
		if keep && !bad {
			out = append(out, cur)
		}
		keep, bad = false, false
	}
	sc := bufio.NewScanner(smaps)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if key, val, ok := smapsField(line); ok {
			if !keep {
				continue
			}
			switch key {
			case "Rss":
				cur.rssKB = val
			case "Anonymous", "Swap":
				if val != 0 {
					bad = true
				}
			}
			continue
		}
		// A mapping's header: start-end perms offset dev inode [path].
		end()
		f := strings.Fields(string(line))
		if len(f) < 6 {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			return nil, fmt.Errorf("smaps: bad mapping %q", line)
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		stop, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || stop <= start {
			return nil, fmt.Errorf("smaps: bad mapping %q", line)
		}
		perms := f[1]
		path := strings.Join(f[5:], " ")
		keep = len(perms) == 4 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && path == exe
		cur = exeMapping{start: start, end: stop}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("smaps: %w", err)
	}
	end()
	return out, nil
}

// smapsField parses a "Key:   123 kB" line of smaps.
func smapsField(line []byte) (key string, kb int64, ok bool) {
	k, rest, found := bytes.Cut(line, []byte(":"))
	if !found || bytes.ContainsAny(k, " -") {
		return "", 0, false
	}
	v := bytes.Fields(rest)
	if len(v) == 0 {
		return string(k), 0, true
	}
	n, err := strconv.ParseInt(string(v[0]), 10, 64)
	if err != nil {
		return string(k), 0, true
	}
	return string(k), n, true
}

// dropExePages tells the kernel that the pages of the running binary's
// read-only mappings (its code and read-only data) need not stay in this
// process's page tables (madvise MADV_DONTNEED). They stay in the page
// cache; a page the sampler uses again is mapped again by a minor fault.
// What start-up, flag parsing and a flush touched once stops counting in
// the sampler's resident size. It returns the resident kB it dropped.
func dropExePages(log *slog.Logger) (int64, error) {
	t0 := time.Now()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, err
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	maps, err := exeMappings(bytes.NewReader(smaps), exe)
	if err != nil {
		return 0, err
	}
	var kb int64
	for _, m := range maps {
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_DONTNEED); errno != 0 {
			return kb, fmt.Errorf("madvise %x-%x of %s: %w", m.start, m.end, exe, errno)
		}
		kb += m.rssKB
	}
	log.Debug("binary's read-only pages dropped from the page tables", "mappings", len(maps), "kb", kb,
		"took_us", time.Since(t0).Microseconds())
	return kb, nil
}
