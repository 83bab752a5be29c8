//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// mountEntry is one line of a mountinfo file (proc(5)).
type mountEntry struct {
	dev        string // "major:minor" of the filesystem
	root       string // the folder of the filesystem mounted here ("/" for all of it)
	mountpoint string // unescaped: a host path, possibly hostile
	fstype     string // "ext4", "fuse.sshfs"
	source     string // unescaped: "/dev/sda1", "server:/export", "tmpfs"
	readOnly   bool   // mounted ro, or the filesystem is ro
	disk       string // the whole disk's kernel name (diskOf), set for selected mounts
}

// parseMountinfo parses a mountinfo file into dst[:0]. Each line is
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// (mount id, parent id, major:minor, root, mount point, mount options,
// optional fields up to "-", then filesystem type, source and superblock
// options). The kernel writes space, tab, newline and backslash in paths
// as octal escapes (\040); they are decoded. A malformed line is skipped
// and reported in the error; the other lines are still returned.
func parseMountinfo(data []byte, dst []mountEntry) ([]mountEntry, error) {
	dst = dst[:0]
	var bad malformed
	for line := 1; len(data) > 0; line++ {
		var l []byte
		l, data = nextLine(data)
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		m, ok := parseMountinfoLine(l)
		if !ok {
			bad.add(line, l)
			continue
		}
		dst = append(dst, m)
	}
	return dst, bad.err("mountinfo")
}

func parseMountinfoLine(l []byte) (mountEntry, bool) {
	var m mountEntry
	var f [6][]byte
	i := 0
	for k := range f {
		f[k], i = nextField(l, i)
		if len(f[k]) == 0 {
			return m, false
		}
	}
	if _, ok := parseUint(f[0]); !ok {
		return m, false
	}
	if _, ok := parseUint(f[1]); !ok {
		return m, false
	}
	if bytes.IndexByte(f[2], ':') <= 0 {
		return m, false
	}
	// Optional fields, up to a lone "-".
	for {
		var opt []byte
		opt, i = nextField(l, i)
		if len(opt) == 0 {
			return m, false
		}
		if len(opt) == 1 && opt[0] == '-' {
			break
		}
	}
	fstype, i := nextField(l, i)
	source, i := nextField(l, i)
	super, _ := nextField(l, i)
	if len(fstype) == 0 || len(source) == 0 {
		return m, false
	}
	m.dev = string(f[2])
	m.root = unescapeMount(f[3])
	m.mountpoint = unescapeMount(f[4])
	m.fstype = unescapeMount(fstype)
	m.source = unescapeMount(source)
	m.readOnly = hasOption(f[5], "ro") || hasOption(super, "ro")
	return m, true
}

// unescapeMount decodes the octal escapes (\040 for a space) the kernel
// writes in mountinfo paths. A backslash not followed by three octal
// digits is kept as it is.
func unescapeMount(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+3 < len(b) && isOctal(b[i+1]) && isOctal(b[i+2]) && isOctal(b[i+3]) {
			v := (b[i+1]-'0')<<6 | (b[i+2]-'0')<<3 | (b[i+3] - '0')
			if b[i+1] <= '3' { // at most \377
				out = append(out, v)
				i += 3
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// hasOption reports whether the comma-separated options hold opt.
func hasOption(opts []byte, opt string) bool {
	for len(opts) > 0 {
		var o []byte
		if i := bytes.IndexByte(opts, ','); i >= 0 {
			o, opts = opts[:i], opts[i+1:]
		} else {
			o, opts = opts, nil
		}
		if string(o) == opt {
			return true
		}
	}
	return false
}

// pseudoFS are the filesystem types that hold no user data, or whose size
// says nothing (squashfs, erofs and iso9660 images are always full). tmpfs
// is kept, as df and node_exporter keep it: a full /run or /tmp breaks a
// host. devtmpfs is left out with the rest of /dev.
var pseudoFS = map[string]bool{
	"autofs": true, "binfmt_misc": true, "bpf": true, "cgroup": true, "cgroup2": true,
	"configfs": true, "debugfs": true, "devpts": true, "devtmpfs": true, "efivarfs": true,
	"erofs": true, "fusectl": true, "hugetlbfs": true, "iso9660": true, "mqueue": true,
	"nsfs": true, "proc": true, "pstore": true, "ramfs": true, "rpc_pipefs": true,
	"securityfs": true, "selinuxfs": true, "squashfs": true, "sysfs": true, "tracefs": true,
	"fuse.lxcfs": true, "fuse.gvfsd-fuse": true, "fuse.portal": true, "fuse.snapfuse": true,
}

// skippedTrees are mount point folders whose mounts are not the host's
// filesystems: kernel trees, and the layers and volumes of containers,
// which are reported where they really live.
var skippedTrees = []string{
	"/proc", "/sys", "/dev", "/run/credentials", "/run/containerd", "/run/docker",
	"/run/netns", "/var/lib/docker", "/var/lib/containers", "/var/lib/kubelet/pods", "/snap",
}

// selectMounts returns the mounts of a mount table that hold real
// filesystems, in table order: not pseudo filesystems, not below
// skippedTrees, only the top mount where several are stacked on one mount
// point, and one mount per filesystem (bind mounts of the same device are
// duplicates: the mount of the whole filesystem is kept, else the one with
// the shortest mount point, else the first).
func selectMounts(all []mountEntry) []mountEntry {
	top := make(map[string]int, len(all)) // mount point → index of its top mount
	for i, m := range all {
		top[m.mountpoint] = i
	}
	best := make(map[string]int, len(all)) // device → index of the mount kept
	for i, m := range all {
		if pseudoFS[m.fstype] || inSkippedTree(m.mountpoint) || top[m.mountpoint] != i ||
			!strings.HasPrefix(m.mountpoint, "/") {
			continue
		}
		j, seen := best[m.dev]
		if !seen || betterMount(m, all[j]) {
			best[m.dev] = i
		}
	}
	out := make([]mountEntry, 0, len(best))
	for i, m := range all {
		if j, ok := best[m.dev]; ok && j == i {
			out = append(out, m)
		}
	}
	return out
}

// betterMount reports whether a is a better mount to report than b for
// the same filesystem.
func betterMount(a, b mountEntry) bool {
	if (a.root == "/") != (b.root == "/") {
		return a.root == "/"
	}
	return len(a.mountpoint) < len(b.mountpoint)
}

func inSkippedTree(mp string) bool {
	for _, t := range skippedTrees {
		if rest, ok := strings.CutPrefix(mp, t); ok && (rest == "" || rest[0] == '/') {
			return true
		}
	}
	return false
}

// filesystemRow turns a statfs result into a row. It reports false for a
// filesystem without blocks (a dummy one, which df also hides).
func filesystemRow(m mountEntry, st *unix.Statfs_t, tm int64) (schema.FilesystemRow, bool) {
	if st.Blocks == 0 {
		return schema.FilesystemRow{}, false
	}
	bs := uint64(st.Frsize)
	if bs == 0 {
		bs = uint64(st.Bsize)
	}
	used := uint64(0)
	if st.Bfree <= st.Blocks {
		used = st.Blocks - st.Bfree
	}
	inodesUsed := uint64(0)
	if st.Ffree <= st.Files {
		inodesUsed = st.Files - st.Ffree
	}
	return schema.FilesystemRow{
		Time:        tm,
		Mountpoint:  validName(m.mountpoint),
		Device:      validName(m.source),
		FSType:      validName(m.fstype),
		SizeBytes:   bytesOf(st.Blocks, bs),
		UsedBytes:   bytesOf(used, bs),
		AvailBytes:  bytesOf(st.Bavail, bs),
		InodesTotal: clampInt(st.Files),
		InodesUsed:  clampInt(inodesUsed),
		ReadOnly:    m.readOnly,
		Disk:        m.disk,
	}, true
}

// bytesOf returns blocks × size, capped at the largest int64.
func bytesOf(blocks, size uint64) int64 {
	if size != 0 && blocks > (1<<63-1)/size {
		return 1<<63 - 1
	}
	return int64(blocks * size)
}

func clampInt(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}

// statfsTimeout is how long a sample waits for statfs(2): a dead NFS
// server makes it block for minutes.
const statfsTimeout = time.Second

// statfsProbe is one statfs(2) call running in its own goroutine.
type statfsProbe struct {
	done chan struct{} // closed when the call returned
	st   unix.Statfs_t
	err  error
}

// filesystemCollector reads the host's mount table (<proc>/1/mountinfo,
// the mounts of the host's init, or <proc>/self/mountinfo when that cannot
// be read) and appends one FilesystemRow per real filesystem, from
// statfs(2) on its mount point below the root filesystem (Source.RootFS).
// Which mounts are real is decided by selectMounts. The mount table is
// parsed again only when it changed.
//
// Mount points are host text: with a root filesystem other than "/", they
// are resolved inside it (openat2 RESOLVE_IN_ROOT), so neither ".." nor a
// symbolic link can lead outside. Each statfs runs in a goroutine and a
// sample waits at most a second for them all; a mount whose statfs has not
// returned (a dead NFS server) is left out, and left out of later samples
// without a new call until the call returns, so goroutines do not pile up.
// A mount whose statfs fails is left out with a debug line.
type filesystemCollector struct {
	log *slog.Logger

	// statfs replaces the statfs of a host path in tests; nil is the real one.
	statfs  func(path string, st *unix.Statfs_t) error
	timeout time.Duration // 0 is statfsTimeout

	file         kernelFile
	table        string          // the mountinfo file read
	tableFor     string          // the proc tree table is in
	tableFD      int             // table, kept open
	tableOpen    bool            // tableFD is open
	tableCleanup runtime.Cleanup // closes tableFD if the collector is dropped
	tableProc    bool            // table is in procfs, which signals changes by poll
	last         []byte          // its content at the last parse
	all          []mountEntry
	mounts       []mountEntry // selected from all
	stuck        map[string]*statfsProbe
	failing      map[string]bool // mount points whose statfs failed (logged once)
	probes       []*statfsProbe

	rootFor string // the root filesystem rootFD and root are open on
	rootFD  int
}

func (c *filesystemCollector) logger() *slog.Logger {
	if c.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.log
}

// Collect implements collector.
func (c *filesystemCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	if err := c.readTable(src); err != nil {
		return err
	}
	if t.First {
		return nil // a first reading appends no rows: nothing to statfs yet
	}
	if c.stuck == nil {
		c.stuck = map[string]*statfsProbe{}
		c.failing = map[string]bool{}
	}
	statfs := c.statfs
	if statfs == nil {
		var err error
		if statfs, err = c.rootStatfs(src.RootFS); err != nil {
			return err
		}
	}
	timeout := c.timeout
	if timeout <= 0 {
		timeout = statfsTimeout
	}

	c.probes = c.probes[:0]
	for _, m := range c.mounts {
		if p := c.stuck[m.mountpoint]; p != nil {
			select {
			case <-p.done:
				delete(c.stuck, m.mountpoint) // it came back: try again
			default:
				c.probes = append(c.probes, nil) // still stuck
				continue
			}
		}
		p := &statfsProbe{done: make(chan struct{})}
		go func(path string) {
			p.err = statfs(path, &p.st)
			close(p.done)
		}(m.mountpoint)
		c.probes = append(c.probes, p)
	}

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	expired := false
	for i, p := range c.probes {
		if p == nil {
			continue
		}
		m := c.mounts[i]
		if !expired {
			select {
			case <-p.done:
			case <-timer.C:
				expired = true
			}
		}
		if expired {
			select {
			case <-p.done:
			default:
				c.stuck[m.mountpoint] = p
				c.logger().Debug("statfs timed out", "mountpoint", m.mountpoint, "timeout_seconds", timeout.Seconds())
				continue
			}
		}
		if p.err != nil {
			if !c.failing[m.mountpoint] {
				c.logger().Debug("statfs failed", "mountpoint", m.mountpoint, "err", p.err)
				c.failing[m.mountpoint] = true
			}
			continue
		}
		delete(c.failing, m.mountpoint)
		if row, ok := filesystemRow(m, &p.st, t.Time); ok {
			b.Filesystem = append(b.Filesystem, row)
		}
	}
	return nil
}

// readTable reads the mount table and selects the mounts to report when
// it changed. The file stays open: procfs signals a change of the mount
// table with POLLPRI, so an unchanged table (the usual case) costs one
// poll(2) instead of the kernel writing the whole table out again. A
// mount table that is not in procfs (a fixture) is read every time.
func (c *filesystemCollector) readTable(src Source) error {
	if c.tableOpen && c.tableFor == src.ProcPath {
		if c.tableProc && !mountsChanged(c.tableFD) {
			return nil
		}
		data, err := c.file.readFD(c.tableFD)
		if err != nil {
			return fmt.Errorf("read %s: %w", c.table, err)
		}
		return c.parseTable(data, src.SysPath)
	}
	if c.tableOpen {
		c.tableCleanup.Stop() // else it would close a reused descriptor number later
		unix.Close(c.tableFD)
		c.tableOpen = false
	}
	c.tableFor, c.last = src.ProcPath, nil
	c.table = src.procFile("1", "mountinfo")
	fd, err := openRetry(c.table)
	if err != nil {
		c.logger().Debug("host mount table unreadable, using this process's", "file", c.table, "err", err)
		c.table = src.procFile("self", "mountinfo")
		if fd, err = openRetry(c.table); err != nil {
			return fmt.Errorf("open %s: %w", c.table, err)
		}
	}
	var st unix.Statfs_t
	c.tableFD, c.tableOpen, c.tableProc = fd, true, unix.Fstatfs(fd, &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
	c.tableCleanup = runtime.AddCleanup(c, func(fd int) { unix.Close(fd) }, fd)
	if c.tableProc {
		mountsChanged(fd) // a poll acknowledges the changes made so far
	}
	data, err := c.file.readFD(fd)
	if err != nil {
		return fmt.Errorf("read %s: %w", c.table, err)
	}
	return c.parseTable(data, src.SysPath)
}

// mountsChanged reports whether the mount table open as fd changed since
// the last call (proc_namespace.c: mounts_poll). An error counts as a
// change, so the table is read again.
func mountsChanged(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLPRI}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		return err != nil || n > 0 && fds[0].Revents&(unix.POLLPRI|unix.POLLERR|unix.POLLNVAL) != 0
	}
}

// parseTable parses the mount table and selects the mounts to report,
// unless it is the same as last time, and finds their disks under sys.
func (c *filesystemCollector) parseTable(data []byte, sys string) error {
	if c.last != nil && bytes.Equal(data, c.last) {
		return nil
	}
	c.last = append(c.last[:0], data...)
	var perr error
	c.all, perr = parseMountinfo(data, c.all)
	c.mounts = selectMounts(c.all)
	for i := range c.mounts {
		c.mounts[i].disk = diskOf(sys, c.mounts[i].dev)
	}
	if perr != nil {
		return fmt.Errorf("%s: %w", c.table, perr)
	}
	return nil
}

// rootStatfs returns the statfs of a host path below rootfs.
func (c *filesystemCollector) rootStatfs(rootfs string) (func(string, *unix.Statfs_t) error, error) {
	if rootfs == "" || filepath.Clean(rootfs) == "/" {
		// The host's own root: there is no outside to escape to.
		return func(path string, st *unix.Statfs_t) error {
			return unix.Statfs(filepath.Clean("/"+path), st)
		}, nil
	}
	if c.rootFor != rootfs {
		fd, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open root filesystem %s: %w", rootfs, err)
		}
		// An old descriptor may still be used by a stuck statfs: it is
		// left open, which happens only if the root filesystem changes.
		c.rootFor, c.rootFD = rootfs, fd
	}
	fd := c.rootFD
	return func(path string, st *unix.Statfs_t) error {
		rel := strings.TrimLeft(filepath.Clean("/"+path), "/")
		if rel == "" {
			rel = "."
		}
		pfd, err := unix.Openat2(fd, rel, &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		})
		if errors.Is(err, unix.ENOSYS) {
			return c.rootStatfsOld(rootfs, rel, st)
		}
		if err != nil {
			return err
		}
		defer unix.Close(pfd)
		return unix.Fstatfs(pfd, st)
	}, nil
}

// rootStatfsOld is the statfs of rel below rootfs on kernels before 5.6,
// which lack openat2: os.Root keeps the lookup inside rootfs, but needs
// read permission on the mount point.
func (c *filesystemCollector) rootStatfsOld(rootfs, rel string, st *unix.Statfs_t) error {
	r, err := os.OpenRoot(rootfs)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := r.Open(rel)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fstatfs(int(f.Fd()), st)
}

// diskOf returns the kernel name of the whole disk that holds the block
// device majmin ("254:1"), as the disk table names it: the name of the
// device that <sys>/dev/block/<majmin> links to, or of its parent when it
// is a partition (vda1 is on vda). It returns "" for a filesystem not on
// a block device (tmpfs, NFS) or a device sysfs does not know.
func diskOf(sys, majmin string) string {
	if strings.ContainsAny(majmin, "/\x00") || strings.HasPrefix(majmin, "0:") {
		return "" // major 0: no block device
	}
	link := filepath.Join(sys, "dev", "block", majmin)
	target, err := os.Readlink(link)
	if err != nil {
		return ""
	}
	name := filepath.Base(target)
	if _, err := os.Stat(filepath.Join(link, "partition")); err == nil {
		name = filepath.Base(filepath.Dir(target))
	}
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	return validName(name)
}
