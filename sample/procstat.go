//go:build linux

package sample

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"
)

// procStat is what the process table takes from /proc/<pid>/stat
// (proc_pid_stat(5)). Times are in clock ticks (USER_HZ).
type procStat struct {
	PID       int32
	Comm      []byte // as the kernel wrote it: any bytes; aliases the input
	State     byte
	PPID      int32
	UTime     uint64 // field 14
	STime     uint64 // field 15
	Threads   int32  // field 20
	StartTime uint64 // field 22: ticks after boot
	VSize     uint64 // field 23: bytes
	RSS       int64  // field 24: pages
}

var (
	errStatShape  = errors.New("no \"pid (comm)\" at the start")
	errStatFields = errors.New("too few fields after the command name")
	errStatNumber = errors.New("field is not a number")
)

// parseProcStat parses the one line of /proc/<pid>/stat. The command name
// sits between the first '(' and the last ')': it may itself hold spaces,
// parentheses, newlines and bytes that are not UTF-8, and everything after
// the last ')' is the kernel's own numbers. It works on the bytes as read
// and allocates nothing.
func parseProcStat(b []byte) (procStat, error) {
	var s procStat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 2 || closing < open || b[open-1] != ' ' {
		return s, errStatShape
	}
	pid, ok := atoi64(b[:open-1])
	if !ok || pid <= 0 || pid > 1<<31-1 {
		return s, errStatNumber
	}
	s.PID, s.Comm = int32(pid), b[open+1:closing]

	// Fields after the name, numbered as in proc_pid_stat(5).
	rest := b[closing+1:]
	for field := 3; field <= 24; field++ {
		if len(rest) == 0 || rest[0] != ' ' {
			return s, errStatFields
		}
		rest = rest[1:]
		end := bytes.IndexAny(rest, " \n")
		if end < 0 {
			end = len(rest)
		}
		f := rest[:end]
		rest = rest[end:]
		if len(f) == 0 {
			return s, errStatFields
		}
		var ok bool
		switch field {
		case 3:
			s.State, ok = f[0], len(f) == 1
		case 4:
			var v int64
			v, ok = atoi64(f)
			ok = ok && v >= 0 && v <= 1<<31-1
			s.PPID = int32(v)
		case 14:
			s.UTime, ok = parseUint(f)
		case 15:
			s.STime, ok = parseUint(f)
		case 20:
			var v int64
			v, ok = atoi64(f)
			ok = ok && v >= 0 && v <= 1<<31-1
			s.Threads = int32(v)
		case 22:
			s.StartTime, ok = parseUint(f)
		case 23:
			s.VSize, ok = parseUint(f)
		case 24:
			s.RSS, ok = atoi64(f)
			ok = ok && s.RSS >= 0
		default:
			ok = true
		}
		if !ok {
			return s, errStatNumber
		}
	}
	return s, nil
}

var errIOMissing = errors.New("no read_bytes or write_bytes line")

// parseProcIO returns the read_bytes and write_bytes counters of
// /proc/<pid>/io: the bytes this process caused to be fetched from and sent
// to storage (Documentation/filesystems/proc.rst). rchar and wchar, which
// also count reads served from the page cache and pipes, are not used.
func parseProcIO(b []byte) (read, write uint64, err error) {
	var haveRead, haveWrite bool
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch string(key) { // no allocation: the compiler compares in place
		case "read_bytes":
			read, haveRead = parseUint(val)
		case "write_bytes":
			write, haveWrite = parseUint(val)
		}
	}
	if !haveRead || !haveWrite {
		return 0, 0, errIOMissing
	}
	return read, write, nil
}

// cleanCmdline turns /proc/<pid>/cmdline (arguments separated and ended by
// NUL bytes) into one line, in place: NULs become spaces and the ends are
// trimmed.
func cleanCmdline(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			b[i] = ' '
		}
	}
	return bytes.TrimSpace(b)
}

// procText returns host text as a string that is valid UTF-8 (a Parquet
// string column requires it): invalid bytes become U+FFFD.
func procText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// atoi64 parses a decimal number with an optional '-'; false on anything
// else or on overflow.
func atoi64(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := parseUint(b)
	if !ok || u > 1<<63 || (!neg && u == 1<<63) {
		return 0, false
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}
