//go:build linux

package sample

import (
	"fmt"
	"path/filepath"

	"github.com/prometheus/procfs"
	"github.com/prometheus/procfs/sysfs"
)

// Source is where collectors read from: the live /proc, /sys and / of a
// host, or a fixture tree. In a container that samples its host, the host's
// trees are mounted elsewhere (/host/proc, /host/sys, /host) and passed here.
type Source struct {
	Proc     procfs.FS
	Sys      sysfs.FS
	ProcPath string // e.g. "/proc"
	SysPath  string // e.g. "/sys"
	RootFS   string // e.g. "/": mount points are looked up below it
}

// NewSource opens the proc and sys trees mounted at procPath and sysPath;
// rootfs is the folder the host's mount points are found under.
func NewSource(procPath, sysPath, rootfs string) (Source, error) {
	p, err := procfs.NewFS(procPath)
	if err != nil {
		return Source{}, fmt.Errorf("sample: open %s: %w", procPath, err)
	}
	s, err := sysfs.NewFS(sysPath)
	if err != nil {
		return Source{}, fmt.Errorf("sample: open %s: %w", sysPath, err)
	}
	return Source{Proc: p, Sys: s, ProcPath: procPath, SysPath: sysPath, RootFS: rootfs}, nil
}

// procFile returns the path of a file below the proc tree.
func (s Source) procFile(parts ...string) string {
	return filepath.Join(append([]string{s.ProcPath}, parts...)...)
}

// sysFile returns the path of a file below the sys tree.
func (s Source) sysFile(parts ...string) string {
	return filepath.Join(append([]string{s.SysPath}, parts...)...)
}

// rootFile returns the path of a host path (a mount point, /etc/os-release)
// below the root filesystem.
func (s Source) rootFile(hostPath string) string {
	return filepath.Join(s.RootFS, hostPath)
}
