//go:build linux

package sample

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// procCgroup is what /proc/<pid>/cgroup says of a process, and what
// almanac derives from it. One is shared by every process whose file reads
// the same.
type procCgroup struct {
	// path names the cgroup in the cgroup table: the cgroup v2 path when
	// the host has cgroup v2 and the process is not in its root (or the
	// host has nothing else), else the path of the v1 name=systemd
	// hierarchy, else of the memory, then the cpuacct controller.
	path string
	// fromV2 says that path is the v2 path.
	fromV2 bool
	// v2 is the cgroup v2 path; hasV2 says whether the file had a 0:: line.
	v2    string
	hasV2 bool
	// The v1 controllers' paths, empty where the controller is not
	// mounted as cgroup v1.
	memory, cpuacct, blkio, pids, systemd string
	labels                                cgroupLabels
}

// v1 reports whether the process is in some cgroup v1 hierarchy.
func (p *procCgroup) v1() bool {
	return p.memory != "" || p.cpuacct != "" || p.blkio != "" || p.pids != "" || p.systemd != ""
}

// parseProcCgroup parses /proc/<pid>/cgroup: one line per hierarchy,
//
//	hierarchy-ID:controller-list:cgroup-path
//
// such as "0::/system.slice/nginx.service" (cgroup v2), "4:memory:/docker/…"
// or "2:cpu,cpuacct:/…" (v1) and "1:name=systemd:/…" (a named v1
// hierarchy). Controllers it does not use are skipped.
func parseProcCgroup(data []byte) (procCgroup, error) {
	var p procCgroup
	n := 0
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		id, after, ok := bytes.Cut(line, []byte{':'})
		ctrls, path, ok2 := bytes.Cut(after, []byte{':'})
		if !ok || !ok2 || len(id) == 0 || len(path) == 0 || path[0] != '/' {
			return procCgroup{}, fmt.Errorf("line %d: want hierarchy-ID:controllers:/path, got %q", n+1, clip(line))
		}
		n++
		ps := cleanCgroupPath(path)
		if len(ctrls) == 0 {
			if string(id) == "0" {
				p.v2, p.hasV2 = ps, true
			}
			continue
		}
		for c := range strings.SplitSeq(string(ctrls), ",") {
			switch c {
			case "memory":
				p.memory = ps
			case "cpuacct":
				p.cpuacct = ps
			case "blkio":
				p.blkio = ps
			case "pids":
				p.pids = ps
			case "name=systemd":
				p.systemd = ps
			}
		}
	}
	if n == 0 {
		return procCgroup{}, errors.New("no cgroup line")
	}
	switch {
	case p.hasV2 && (p.v2 != "/" || !p.v1()):
		p.path, p.fromV2 = p.v2, true
	case p.systemd != "" && p.systemd != "/":
		p.path = p.systemd
	case p.memory != "" && p.memory != "/":
		p.path = p.memory
	case p.cpuacct != "" && p.cpuacct != "/":
		p.path = p.cpuacct
	default:
		p.path, p.fromV2 = "/", p.hasV2
	}
	p.labels = parseCgroupPath(p.path)
	return p, nil
}

// cleanCgroupPath returns a cgroup path as a valid string, without the
// " (deleted)" the kernel appends to a removed cgroup's.
func cleanCgroupPath(b []byte) string {
	b = bytes.TrimSuffix(b, []byte(" (deleted)"))
	return validName(string(b))
}

// cgroupLabels is what a cgroup path says about what runs in it.
type cgroupLabels struct {
	unit      string // the innermost systemd unit: nginx.service, session-3.scope, user.slice
	container string // the container id (hex)
	runtime   string // docker, containerd, cri-o, podman, lxc, kubepods
	pod       string // the Kubernetes pod uid, with dashes
}

// unitSuffixes are the systemd unit types that own cgroups.
var unitSuffixes = []string{".service", ".scope", ".slice", ".socket", ".mount", ".swap"}

// scopePrefixes are the systemd scope names of container runtimes, with
// the runtime they stand for. Conmon scopes (crio-conmon-, libpod-conmon-)
// hold the runtime's monitor, not the container: they name no container.
var scopePrefixes = []struct{ prefix, runtime string }{
	{"docker-", "docker"},
	{"cri-containerd-", "containerd"},
	{"crio-", "cri-o"},
	{"libpod-", "podman"},
}

// parseCgroupPath derives from a cgroup path the systemd unit, container
// and pod it belongs to. It knows the layouts of systemd
// (/system.slice/nginx.service, /user.slice/user-1000.slice/session-3.scope),
// docker (/system.slice/docker-<id>.scope, or /docker/<id> with the
// cgroupfs driver), containerd and cri-o under Kubernetes
// (/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope,
// or /kubepods/burstable/pod<uid>/<id>), podman (libpod-<id>.scope,
// /libpod_parent/libpod-<id>) and lxc (/lxc/<name>, /lxc.payload.<name>).
// What it does not recognise it leaves empty.
func parseCgroupPath(path string) cgroupLabels {
	var l cgroupLabels
	inPods := false
	for elem := range strings.SplitSeq(path, "/") {
		if elem == "" {
			continue
		}
		if isUnitName(elem) {
			l.unit = elem
		}
		switch {
		case elem == "kubepods" || elem == "kubepods.slice" || strings.HasPrefix(elem, "kubepods-") && strings.HasSuffix(elem, ".slice") && !strings.Contains(elem, "-pod"):
			inPods = true
			continue
		case inPods && podElem(elem) != "":
			l.pod = podElem(elem)
			continue
		case elem == "lxc" || elem == "lxc.monitor":
			l.runtime = "lxc"
			continue
		case strings.HasPrefix(elem, "lxc.payload."):
			l.runtime, l.container = "lxc", elem[len("lxc.payload."):]
			continue
		}
		if id, rt := scopeContainer(elem); id != "" {
			l.container, l.runtime = id, rt
			continue
		}
		if isContainerID(elem) {
			l.container = elem
			switch {
			case l.runtime != "":
			case inPods:
				l.runtime = "kubepods"
			default:
				l.runtime = "docker" // /docker/<id>, the cgroupfs driver
			}
			continue
		}
		if l.runtime == "lxc" && l.container == "" {
			l.container = elem
		}
	}
	if l.container == "" && l.runtime != "lxc" {
		if l.pod != "" {
			l.runtime = "kubepods"
		} else {
			l.runtime = ""
		}
	}
	if l.runtime == "lxc" && l.container == "" {
		l.runtime = ""
	}
	return l
}

// isUnitName reports whether elem looks like a systemd unit name.
func isUnitName(elem string) bool {
	for _, s := range unitSuffixes {
		if len(elem) > len(s) && strings.HasSuffix(elem, s) {
			return true
		}
	}
	return false
}

// scopeContainer returns the container id and runtime that a systemd
// scope or a libpod folder (docker-<id>.scope, libpod-<id>) names.
func scopeContainer(elem string) (id, runtime string) {
	base := strings.TrimSuffix(elem, ".scope")
	for _, p := range scopePrefixes {
		if rest, ok := strings.CutPrefix(base, p.prefix); ok && isContainerID(rest) {
			return rest, p.runtime
		}
	}
	return "", ""
}

// podElem returns the pod uid that a pod's cgroup folder names:
// pod<uid> (cgroupfs driver) or kubepods[-<qos>]-pod<uid_with_underscores>.slice
// (systemd driver), with dashes.
func podElem(elem string) string {
	var uid string
	switch {
	case strings.HasPrefix(elem, "pod"):
		uid = elem[3:]
	case strings.HasSuffix(elem, ".slice"):
		i := strings.LastIndex(elem, "-pod")
		if i < 0 {
			return ""
		}
		uid = strings.ReplaceAll(elem[i+4:len(elem)-len(".slice")], "_", "-")
	default:
		return ""
	}
	if !isPodUID(uid) {
		return ""
	}
	return uid
}

// isPodUID reports whether s is a UUID in its usual text form.
func isPodUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// isContainerID reports whether s is a container id: 64 hex digits, as
// docker, containerd, cri-o and podman make them.
func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
