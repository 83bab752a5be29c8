//go:build linux

package sample

import (
	"bytes"
)

// The parsers of the cgroup files the cgroup collector reads. Each takes
// the bytes of one file and reports whether it found what it looks for: a
// file that lacks it (another kernel's layout) is an absence, not an error.

// parseKeyed returns the value of key in a flat keyed file, one "key
// value" pair per line: cpu.stat (usage_usec), memory.events (oom_kill),
// memory.oom_control (oom_kill).
func parseKeyed(data []byte, key string) (uint64, bool) {
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		k, v := cutField(line)
		if string(k) == key {
			f, _ := cutField(v)
			return parseUint(f)
		}
	}
	return 0, false
}

// parseSingle returns the number a one-value file holds (memory.current,
// memory.peak, cpuacct.usage, memory.usage_in_bytes). "max" and anything
// else that is not a number are absences.
func parseSingle(data []byte) (uint64, bool) {
	return parseUint(bytes.TrimSpace(data))
}

// parseIOStat sums the bytes read and written over the devices of a cgroup
// v2 io.stat:
//
//	8:0 rbytes=90112 wbytes=0 rios=4 wios=0 dbytes=0 dios=0
func parseIOStat(data []byte) (read, write uint64, ok bool) {
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		_, fields := cutField(line) // the device
		for {
			var f []byte
			f, fields = cutField(fields)
			if len(f) == 0 {
				break
			}
			k, v, found := bytes.Cut(f, []byte{'='})
			if !found {
				continue
			}
			switch string(k) {
			case "rbytes":
				if n, good := parseUint(v); good {
					read, ok = read+n, true
				}
			case "wbytes":
				if n, good := parseUint(v); good {
					write, ok = write+n, true
				}
			}
		}
	}
	return read, write, ok
}

// parseBlkio sums the Read and Write lines over the devices of a cgroup v1
// blkio.throttle.io_service_bytes; the Total line is skipped:
//
//	8:0 Read 1234
//	8:0 Write 5678
//	Total 6912
func parseBlkio(data []byte) (read, write uint64, ok bool) {
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		dev, fields := cutField(line)
		if bytes.IndexByte(dev, ':') < 0 {
			continue
		}
		op, fields := cutField(fields)
		v, _ := cutField(fields)
		n, good := parseUint(v)
		if !good {
			continue
		}
		switch string(op) {
		case "Read":
			read, ok = read+n, true
		case "Write":
			write, ok = write+n, true
		}
	}
	return read, write, ok
}
