//go:build linux

package sample

import (
	"almanac/schema"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFactLen bounds every text fact: they are host text, stored in every
// host row.
const maxFactLen = 256

// readHostFacts reads the facts of the host: /proc/sys/kernel/hostname,
// osrelease and arch, /proc/cpuinfo, /proc/meminfo, and os-release below
// the root filesystem (<rootfs>/etc/os-release, else
// <rootfs>/usr/lib/os-release). The boot time comes from t. Mounts are
// left for the Sampler. A missing os-release or kernel/arch is not an
// error: os is then empty (NULL in the archive), and arch is the one this
// program was built for.
func readHostFacts(src Source, t Tick) (schema.HostRow, error) {
	row := schema.HostRow{Time: t.Time, BootTime: schema.Micros(t.BootTime)}
	var err error
	if row.Hostname, err = readFact(src.procFile("sys", "kernel", "hostname")); err != nil {
		return schema.HostRow{}, err
	}
	if row.Kernel, err = readFact(src.procFile("sys", "kernel", "osrelease")); err != nil {
		return schema.HostRow{}, err
	}
	row.Arch, err = readFact(src.procFile("sys", "kernel", "arch"))
	if errors.Is(err, fs.ErrNotExist) { // before Linux 6.1
		row.Arch, err = unameMachine(runtime.GOARCH), nil
	}
	if err != nil {
		return schema.HostRow{}, err
	}
	if row.OS, err = readOSName(src.RootFS); err != nil {
		return schema.HostRow{}, err
	}

	path := src.procFile("cpuinfo")
	f, err := os.Open(path)
	if err != nil {
		return schema.HostRow{}, fmt.Errorf("read %s: %w", path, err)
	}
	model, cores, err := parseCPUInfo(f)
	f.Close()
	if err != nil {
		return schema.HostRow{}, fmt.Errorf("read %s: %w", path, err)
	}
	if cores == 0 {
		cores = len(t.Stat.CPU)
	}
	row.CPUModel, row.CPUCores = cleanFact(model), satInt32(uint64(cores))

	path = src.procFile("meminfo")
	data, err := os.ReadFile(path)
	if err != nil {
		return schema.HostRow{}, fmt.Errorf("read %s: %w", path, err)
	}
	mi, err := parseMeminfoBytes(data)
	if err != nil {
		return schema.HostRow{}, fmt.Errorf("parse %s: %w", path, err)
	}
	row.MemoryBytes, row.SwapBytes = satInt64(mi.total), satInt64(mi.swapTotal)
	return row, nil
}

// readFact reads a one-line file such as /proc/sys/kernel/hostname.
func readFact(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, 4*maxFactLen)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	line, _, _ := bytes.Cut(buf[:n], []byte{'\n'})
	return cleanFact(string(line)), nil
}

// readOSName returns PRETTY_NAME of the os-release file below rootfs, or
// "Linux" when the file does not set it (the default of os-release(5)), or
// "" when there is no such file. The files are opened through an os.Root,
// so a symbolic link cannot lead outside rootfs: an absolute link, which
// would point into this program's own root rather than the host's, fails
// and the fallback file is tried.
func readOSName(rootfs string) (string, error) {
	root, err := os.OpenRoot(rootfs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", fmt.Errorf("open %s: %w", rootfs, err)
	}
	defer root.Close()
	for _, name := range []string{"etc/os-release", "usr/lib/os-release"} {
		f, err := root.Open(name)
		if err != nil {
			continue // missing, or a link out of the root
		}
		vars, err := parseOSRelease(f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("read %s: %w", filepath.Join(rootfs, name), err)
		}
		if v := cleanFact(vars["PRETTY_NAME"]); v != "" {
			return v, nil
		}
		return "Linux", nil
	}
	return "", nil
}

// parseCPUInfo returns the CPU model and the number of logical CPUs listed
// in /proc/cpuinfo. The model is the first "model name" (x86, 32-bit arm,
// loongarch), else "cpu model" (mips), "uarch" (riscv) or "cpu" (powerpc);
// 64-bit arm names none. The count is the number of "processor" entries,
// else what s390's "# processors" says.
func parseCPUInfo(r io.Reader) (model string, cpus int, err error) {
	const (
		rankNone = iota
		rankCPU
		rankUarch
		rankCPUModel
		rankModelName
	)
	rank, s390 := rankNone, 0
	s := bufio.NewScanner(io.LimitReader(r, 16<<20))
	s.Buffer(make([]byte, 0, 4096), 1<<20)
	for s.Scan() {
		key, val, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		r := rankNone
		switch strings.ToLower(key) {
		case "processor":
			if _, err := strconv.ParseUint(val, 10, 32); err == nil {
				cpus++
			}
		case "# processors":
			if n, err := strconv.ParseUint(val, 10, 31); err == nil {
				s390 = int(n)
			}
		case "model name":
			r = rankModelName
		case "cpu model":
			r = rankCPUModel
		case "uarch":
			r = rankUarch
		case "cpu":
			r = rankCPU
		}
		if r > rank && val != "" {
			model, rank = val, r
		}
	}
	if err := s.Err(); err != nil {
		return "", 0, err
	}
	if cpus == 0 {
		cpus = s390
	}
	return model, cpus, nil
}

// cleanFact makes host text fit to store: valid UTF-8, no control
// characters, no surrounding space, at most maxFactLen bytes.
func cleanFact(s string) string {
	clean := func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}
	s = strings.TrimSpace(strings.Map(clean, strings.ToValidUTF8(s, "\uFFFD")))
	if len(s) > maxFactLen {
		cut := maxFactLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// unameMachine returns the machine name uname(2) gives for a Go GOARCH
// (amd64 is x86_64). It is the fallback for kernels without
// /proc/sys/kernel/arch, and names the architecture this program was built
// for, which is the host's unless it runs under emulation.
func unameMachine(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "386":
		return "i686"
	case "arm64":
		return "aarch64"
	case "arm":
		return "armv7l"
	case "loong64":
		return "loongarch64"
	case "mips64le", "mips64":
		return "mips64"
	case "mipsle", "mips":
		return "mips"
	}
	return goarch // ppc64, ppc64le, riscv64 and s390x are spelt alike
}
