//go:build linux

package sample

import (
	"fmt"
	"io"

	"github.com/prometheus/procfs"
)

// kernelStatFile reads /proc/stat into the procfs.Stat a Tick carries. It
// gives what procfs's FS.Stat gives, at a fraction of the cost (a kept
// descriptor, no fmt.Sscanf, no per-line allocation), except Stat.IRQ, the
// count of each numbered interrupt, which no table uses and which is left
// nil. The Sampler can use it in place of src.Proc.Stat().
type kernelStatFile struct {
	k kernelFile
}

// read reads and parses /proc/stat below procPath.
func (s *kernelStatFile) read(procPath string) (procfs.Stat, error) {
	data, err := s.k.read(procPath, "stat")
	if err != nil {
		return procfs.Stat{}, err
	}
	return parseKernelStatBytes(data)
}

// parseKernelStat parses /proc/stat (proc(5)): the cpu lines, in USER_HZ
// ticks, become seconds as procfs gives them; intr, ctxt, btime,
// processes, procs_running, procs_blocked and softirq are counts. Lines it
// does not know are skipped.
func parseKernelStat(r io.Reader) (procfs.Stat, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKernelFile))
	if err != nil {
		return procfs.Stat{}, err
	}
	return parseKernelStatBytes(data)
}

// parseKernelStatBytes is parseKernelStat on the bytes of the file.
func parseKernelStatBytes(data []byte) (procfs.Stat, error) {
	st := procfs.Stat{CPU: make(map[int64]procfs.CPUStat, 8)}
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		key, fields := cutField(line)
		if len(key) >= 3 && string(key[:3]) == "cpu" {
			core, isCore := parseUint(key[3:])
			if len(key) > 3 && !isCore {
				continue // not a cpu line
			}
			if core > 1<<20 {
				return procfs.Stat{}, fmt.Errorf("cpu line %q: core number too large", clip(key))
			}
			cpu, err := parseStatCPU(fields)
			if err != nil {
				return procfs.Stat{}, fmt.Errorf("%s: %w", clip(key), err)
			}
			if isCore {
				st.CPU[int64(core)] = cpu
			} else {
				st.CPUTotal = cpu
			}
			continue
		}
		var dst *uint64
		switch string(key) {
		case "intr":
			dst = &st.IRQTotal
		case "ctxt":
			dst = &st.ContextSwitches
		case "btime":
			dst = &st.BootTime
		case "processes":
			dst = &st.ProcessCreated
		case "procs_running":
			dst = &st.ProcessesRunning
		case "procs_blocked":
			dst = &st.ProcessesBlocked
		case "softirq":
			if err := parseStatSoftIRQ(fields, &st); err != nil {
				return procfs.Stat{}, fmt.Errorf("softirq: %w", err)
			}
			continue
		default:
			continue
		}
		v, _ := cutField(fields)
		n, ok := parseUint(v)
		if !ok {
			return procfs.Stat{}, fmt.Errorf("%s: bad number %q", key, clip(v))
		}
		*dst = n
	}
	return st, nil
}

// parseStatCPU parses the ticks of a cpu line: user nice system idle
// iowait irq softirq steal guest guest_nice. Kernels before 2.6.33 print
// fewer columns; the missing ones are 0.
func parseStatCPU(fields []byte) (procfs.CPUStat, error) {
	var v [numModes]uint64
	i := 0
	for ; i < numModes; i++ {
		var f []byte
		f, fields = cutField(fields)
		if len(f) == 0 {
			break
		}
		n, ok := parseUint(f)
		if !ok {
			return procfs.CPUStat{}, fmt.Errorf("bad number %q", clip(f))
		}
		v[i] = n
	}
	if i < 4 {
		return procfs.CPUStat{}, fmt.Errorf("%d columns, want at least 4", i)
	}
	sec := func(ticks uint64) float64 { return float64(ticks) / userHZ }
	return procfs.CPUStat{
		User: sec(v[modeUser]), Nice: sec(v[modeNice]), System: sec(v[modeSystem]),
		Idle: sec(v[modeIdle]), Iowait: sec(v[modeIOWait]), IRQ: sec(v[modeIRQ]),
		SoftIRQ: sec(v[modeSoftIRQ]), Steal: sec(v[modeSteal]), Guest: sec(v[modeGuest]),
		GuestNice: sec(v[modeGuestNice]),
	}, nil
}

// parseStatSoftIRQ parses "softirq total hi timer net_tx net_rx block
// irq_poll tasklet sched hrtimer rcu".
func parseStatSoftIRQ(fields []byte, st *procfs.Stat) error {
	s := &st.SoftIRQ
	dst := [...]*uint64{&st.SoftIRQTotal, &s.Hi, &s.Timer, &s.NetTx, &s.NetRx,
		&s.Block, &s.BlockIoPoll, &s.Tasklet, &s.Sched, &s.Hrtimer, &s.Rcu}
	for _, d := range dst {
		var f []byte
		f, fields = cutField(fields)
		if len(f) == 0 {
			return nil // an older kernel with fewer kinds
		}
		n, ok := parseUint(f)
		if !ok {
			return fmt.Errorf("bad number %q", clip(f))
		}
		*d = n
	}
	return nil
}
