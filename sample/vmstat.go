//go:build linux

package sample

import (
	"fmt"
	"io"
)

// vmStat holds the counters of /proc/vmstat the memory table uses. Each is
// a count of events since boot.
type vmStat struct {
	pswpin, pswpout     uint64 // pages swapped in and out
	pgfault, pgmajfault uint64 // page faults, and those that needed I/O
	oomKill             uint64 // processes killed by the OOM killer (Linux 4.13+)
}

// readVMStat reads /proc/vmstat below procPath through k.
func readVMStat(k *kernelFile, procPath string) (vmStat, error) {
	data, err := k.read(procPath, "vmstat")
	if err != nil {
		return vmStat{}, err
	}
	return parseVMStatBytes(data)
}

// parseVMStat parses /proc/vmstat, one "name value" pair a line:
//
//	pswpin 0
//	pgfault 4355325
//
// Names it does not use are skipped; one it uses that is missing (oom_kill
// before Linux 4.13) reads as 0.
func parseVMStat(r io.Reader) (vmStat, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKernelFile))
	if err != nil {
		return vmStat{}, err
	}
	return parseVMStatBytes(data)
}

// parseVMStatBytes is parseVMStat on the bytes of the file.
func parseVMStatBytes(data []byte) (vmStat, error) {
	var v vmStat
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		name, more := cutField(line)
		var dst *uint64
		switch string(name) {
		case "pswpin":
			dst = &v.pswpin
		case "pswpout":
			dst = &v.pswpout
		case "pgfault":
			dst = &v.pgfault
		case "pgmajfault":
			dst = &v.pgmajfault
		case "oom_kill":
			dst = &v.oomKill
		default:
			continue
		}
		val, _ := cutField(more)
		n, ok := parseUint(val)
		if !ok {
			return vmStat{}, fmt.Errorf("%s: bad number %q", name, clip(val))
		}
		*dst = n
	}
	return v, nil
}
