//go:build linux

package sample

import (
	"almanac/schema"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// procClkTck is USER_HZ, the unit of utime, stime and starttime in
	// /proc/<pid>/stat: 100 on every Linux architecture.
	procClkTck = 100
	// maxCmdline caps a recorded command line, in bytes.
	maxCmdline = 4096
	// maxStatFile, maxIOFile and maxCgroupFile bound what is read of
	// stat, io and cgroup.
	maxStatFile   = 64 << 10
	maxIOFile     = 4 << 10
	maxCgroupFile = 64 << 10
	// newProcSlack widens "started after the previous reading": start
	// times derive from btime, which the kernel gives in whole seconds.
	newProcSlack = time.Second
)

// procReading is one process in one reading.
type procReading struct {
	pid, ppid  int32
	threads    int32
	state      byte
	ioOK       bool // readBytes and writeBytes were read
	uid        uint32
	start      uint64 // ticks after boot: with pid, the process's identity
	utime      uint64 // ticks
	stime      uint64 // ticks
	rssPages   int64
	rssMax     int64 // the most rssPages of the process in any reading: an OOM victim's size
	vsize      uint64
	readBytes  uint64
	writeBytes uint64
	comm       string // interned
	cmdline    string // empty unless the collector records command lines
	// cg is the process's cgroup, read from /proc/<pid>/cgroup when the
	// process is first seen and again when its command name changes (it
	// exec'd: a service manager or container runtime moves a child into
	// its cgroup before exec); nil when unreadable.
	cg *procCgroup
}

// processCollector fills the process, proc_count and proc_user tables. It
// lists /proc and reads, for every process, /proc/<pid>/stat, the owner of
// the /proc/<pid> folder (the process's effective uid), /proc/<pid>/io and,
// when command lines are recorded, /proc/<pid>/cmdline; and for a process
// not seen before (or that exec'd), /proc/<pid>/cgroup. User names come
// from <rootfs>/etc/passwd.
//
// It is built for speed: one getdents(2) pass over /proc, files opened
// relative to one /proc descriptor and read into reused buffers, stat
// parsed in place, no status file, and command names, command lines and
// user names shared with the previous reading instead of allocated again.
type processCollector struct {
	cmdline  bool
	log      *slog.Logger
	pageSize int64

	boot     time.Time             // start times are computed from it; kept while btime only jitters
	prevTime time.Time             // when the previous reading was taken; zero before the first
	prev     map[int32]procReading // the previous reading, by pid
	cur      []procReading         // this reading (reused)
	users    userNames
	comms    map[string]string // command names by the bytes the kernel wrote
	aggs     []userAgg
	forks    uint64 // /proc/stat processes at the previous reading
	// cgroups holds the parsed /proc/<pid>/cgroup files by their content,
	// shared by every process whose file reads the same; cgByPath the
	// same by the cgroup's path, for the cgroup collector.
	cgroups  map[string]*procCgroup
	cgByPath map[string]*procCgroup
	// gone lists the processes of the previous reading that vanished (or
	// became zombies) by this one, as last seen, when the memory table of
	// this sample counts OOM kills or wantGone is set; else it is empty.
	gone     []procReading
	wantGone bool // set by the cgroup collector while kills wait for a victim

	// Scratch space, kept from one reading to the next.
	pids    []int32
	dirents []byte
	path    []byte
	statBuf []byte
	ioBuf   []byte
	cmdBuf  []byte
	cgBuf   []byte
	stx     unix.Statx_t
}

func newProcessCollector(cmdline bool, log *slog.Logger) *processCollector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &processCollector{
		cmdline:  cmdline,
		log:      log,
		pageSize: int64(os.Getpagesize()),
		users:    userNames{log: log},
	}
}

// Collect reads every process of src and, unless this is the first
// reading, appends one ProcessRow per process, one ProcCountRow and one
// ProcUserRow per user to b. A process that vanishes while it is read is
// left out; only a /proc that cannot be listed, or a reading in which no
// process at all could be read, is an error.
func (c *processCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	if t.First || c.boot.IsZero() || t.BootTime.Sub(c.boot).Abs() > bootJitter {
		c.boot = t.BootTime
	}
	cur, err := c.read(src.ProcPath)
	if err != nil {
		return err
	}
	if !t.First && !c.prevTime.IsZero() && t.Now.After(c.prevTime) {
		c.users.refresh(src.rootFile("/etc/passwd"))
		iv := procInterval{
			time:     t.Time,
			prev:     c.prevTime,
			interval: t.Now.Sub(c.prevTime),
			boot:     c.boot,
			pageSize: c.pageSize,
			cmdline:  c.cmdline,
		}
		if c.forks > 0 && t.Stat.ProcessCreated > 0 { // 0: not read
			iv.forks, iv.forksOK = delta(c.forks, t.Stat.ProcessCreated)
		}
		c.aggs = appendProcessRows(b, iv, c.prev, cur, c.users.name, c.aggs[:0])
	}
	c.gone = c.gone[:0]
	if n := len(b.Memory); c.wantGone || n > 0 && b.Memory[n-1].OOMKills > 0 {
		c.gone = goneProcesses(c.prev, cur, c.gone)
	}
	c.forks = t.Stat.ProcessCreated
	c.remember(t.Now, cur)
	return nil
}

// goneProcesses appends to out the processes of prev, as last seen, that
// are not in cur (by pid and start time) or that are zombies in cur but
// were not in prev: the processes that ended between the two readings.
func goneProcesses(prev map[int32]procReading, cur []procReading, out []procReading) []procReading {
	for _, p := range cur { // cur is in pid order
		if old, ok := prev[p.pid]; ok && old.start == p.start && p.state == 'Z' && old.state != 'Z' {
			out = append(out, old)
		}
	}
	for pid, old := range prev {
		i, ok := slices.BinarySearchFunc(cur, pid, func(p procReading, pid int32) int { return int(p.pid) - int(pid) })
		if !ok || cur[i].start != old.start {
			out = append(out, old)
		}
	}
	return out
}

// remember keeps cur as the previous reading.
func (c *processCollector) remember(now time.Time, cur []procReading) {
	if c.prev == nil {
		c.prev = make(map[int32]procReading, len(cur))
	}
	clear(c.prev)
	for _, p := range cur {
		c.prev[p.pid] = p
	}
	c.prevTime = now
	if len(c.comms) > 2*len(cur)+1024 { // names of processes long gone
		clear(c.comms)
	}
	if len(c.cgroups) > 2*len(cur)+1024 { // cgroups long gone: keep those in use
		clear(c.cgroups)
		clear(c.cgByPath)
		for _, p := range cur {
			if p.cg != nil && p.cg.path != "" {
				c.cgByPath[p.cg.path] = p.cg
			}
		}
	}
}

// read lists the processes below procPath and reads each one.
func (c *processCollector) read(procPath string) ([]procReading, error) {
	dirfd, err := unix.Open(procPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", procPath, err)
	}
	defer unix.Close(dirfd)
	if c.dirents == nil {
		c.dirents = make([]byte, 32<<10)
		c.statBuf = make([]byte, 1024)
		c.ioBuf = make([]byte, 512)
		c.cmdBuf = make([]byte, maxCmdline)
	}
	c.pids, err = procPIDs(dirfd, c.dirents, c.pids[:0])
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", procPath, err)
	}
	slices.Sort(c.pids) // /proc lists pids in order already; a fixture tree may not
	cur := c.cur[:0]
	var lastErr error
	for _, pid := range c.pids {
		p, err := c.readProcess(dirfd, pid)
		if err != nil {
			// Expected: the process exited between the listing and now.
			c.log.Debug("process skipped", "pid", pid, "err", err)
			lastErr = err
			continue
		}
		cur = append(cur, p)
	}
	c.cur = cur
	if len(cur) == 0 && lastErr != nil {
		return nil, fmt.Errorf("read %s: no process readable: %w", procPath, lastErr)
	}
	return cur, nil
}

// vanished reports whether err means that the process is gone: its folder
// no longer exists (ENOENT) or its files no longer have a task (ESRCH).
func vanished(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH)
}

// readProcess reads one process through the /proc descriptor dirfd.
func (c *processCollector) readProcess(dirfd int, pid int32) (procReading, error) {
	var p procReading
	c.path = strconv.AppendInt(c.path[:0], int64(pid), 10)
	base := len(c.path)

	c.path = append(c.path, "/stat\x00"...)
	data, buf, err := procReadFile(dirfd, c.path, c.statBuf, maxStatFile)
	c.statBuf = buf
	if err != nil {
		return p, fmt.Errorf("read stat: %w", err)
	}
	st, err := parseProcStat(data)
	if err != nil {
		return p, fmt.Errorf("parse stat: %w", err)
	}
	if st.PID != pid {
		return p, fmt.Errorf("parse stat: it names pid %d", st.PID)
	}
	old, hasOld := c.prev[pid]
	hasOld = hasOld && old.start == st.StartTime
	p = procReading{
		pid: pid, ppid: st.PPID, threads: st.Threads, state: st.State,
		start: st.StartTime, utime: st.UTime, stime: st.STime,
		rssPages: st.RSS, vsize: st.VSize, rssMax: st.RSS,
	}
	if hasOld {
		p.rssMax = max(p.rssMax, old.rssMax)
	}
	if hasOld && old.comm == string(st.Comm) {
		p.comm = old.comm
		p.cg = old.cg
	} else {
		p.comm = c.internComm(st.Comm)
	}
	if p.cg == nil {
		c.path = append(c.path[:base], "/cgroup\x00"...)
		data, buf, err = procReadFile(dirfd, c.path, c.cgBuf, maxCgroupFile)
		c.cgBuf = buf
		switch {
		case err == nil:
			p.cg = c.internCgroup(data)
		case errors.Is(err, unix.ESRCH):
			return p, fmt.Errorf("read cgroup: %w", err)
		default:
			// ENOENT: a kernel without cgroups (or a fixture tree). The
			// cgroup columns stay null, and the file is not asked again.
			p.cg = &noCgroup
		}
	}

	c.path = append(c.path[:base], 0)
	p.uid, err = procOwner(dirfd, c.path, &c.stx)
	if err != nil {
		return p, fmt.Errorf("stat folder: %w", err)
	}

	c.path = append(c.path[:base], "/io\x00"...)
	data, buf, err = procReadFile(dirfd, c.path, c.ioBuf, maxIOFile)
	c.ioBuf = buf
	switch {
	case err == nil:
		p.readBytes, p.writeBytes, err = parseProcIO(data)
		p.ioOK = err == nil
	case errors.Is(err, unix.ESRCH):
		return p, fmt.Errorf("read io: %w", err)
	default:
		// EACCES or EPERM: another user's process, read without
		// CAP_SYS_PTRACE. ENOENT: a kernel without I/O accounting. The
		// I/O rates stay null; the rest of the row is good.
	}

	if c.cmdline {
		c.path = append(c.path[:base], "/cmdline\x00"...)
		data, buf, err = procReadFile(dirfd, c.path, c.cmdBuf, maxCmdline)
		c.cmdBuf = buf
		if err != nil {
			if vanished(err) {
				return p, fmt.Errorf("read cmdline: %w", err)
			}
			data = nil
		}
		line := cleanCmdline(data)
		if hasOld && old.cmdline == string(line) {
			p.cmdline = old.cmdline
		} else {
			p.cmdline = procText(line)
		}
	}
	return p, nil
}

// noCgroup stands for a process whose cgroup is unknown.
var noCgroup procCgroup

// internCgroup returns the parsed /proc/<pid>/cgroup whose content is b,
// shared with every other process whose file reads the same, or
// &noCgroup when it does not parse.
func (c *processCollector) internCgroup(b []byte) *procCgroup {
	if cg, ok := c.cgroups[string(b)]; ok {
		return cg
	}
	parsed, err := parseProcCgroup(b)
	if err != nil {
		c.log.Debug("cgroup file not understood", "err", err)
		return &noCgroup
	}
	if c.cgroups == nil {
		c.cgroups = make(map[string]*procCgroup)
		c.cgByPath = make(map[string]*procCgroup)
	}
	cg := &parsed
	c.cgroups[string(b)] = cg
	c.cgByPath[cg.path] = cg
	return cg
}

// internComm returns the command name written as b, shared with every
// other reading of the same name.
func (c *processCollector) internComm(b []byte) string {
	if s, ok := c.comms[string(b)]; ok {
		return s
	}
	if c.comms == nil {
		c.comms = make(map[string]string)
	}
	s := procText(b)
	c.comms[string(b)] = s
	return s
}

// procInterval is what relates a reading to the previous one.
type procInterval struct {
	time     int64         // the time column of the rows
	prev     time.Time     // when the previous reading was taken
	interval time.Duration // since the previous reading
	boot     time.Time     // boot time, for start times
	pageSize int64
	cmdline  bool   // whether command lines are recorded
	forks    uint64 // tasks the kernel created during the interval
	forksOK  bool   // forks is known
}

// userAgg sums the processes of one uid.
type userAgg struct {
	uid       uint32
	processes int32
	threads   int32
	cpu       schema.Centi
	rss       int64
}

// appendProcessRows appends to b the rows for the interval that ends with
// the reading cur: one ProcessRow per process, one ProcCountRow, and one
// ProcUserRow per user (sorted by user name). prev is the previous reading
// by pid; user names a uid. aggs is scratch space, returned for reuse.
//
// A process is the same process in both readings only if its pid and its
// start time agree: a pid reused by a new process is not diffed against
// the old one. A process absent from the previous reading that started
// after it gets its CPU share from all its ticks and its I/O from zero; one
// that started before it but was not seen then has no baseline: its CPU
// shares are 0 and its I/O rates null.
func appendProcessRows(b *schema.Batch, iv procInterval, prev map[int32]procReading, cur []procReading,
	user func(uint32) string, aggs []userAgg) []userAgg {
	secs := iv.interval.Seconds()
	if secs <= 0 {
		return aggs
	}
	bootUs := schema.Micros(iv.boot)
	newSince := schema.Micros(iv.prev.Add(-newProcSlack))
	count := schema.ProcCountRow{Time: iv.time}
	b.Process = slices.Grow(b.Process, len(cur))
	ios := make([]int64, 2*len(cur)) // the rates the rows point to: one allocation
	var cmds []string                // and the command lines, when recorded
	if iv.cmdline {
		cmds = make([]string, len(cur))
	}
	var newTasks uint64 // processes and threads seen to start during the interval
	last := -1          // index in aggs of the previous process's user
	for i := range cur {
		p := &cur[i]
		start := bootUs + int64(min(p.start, math.MaxInt64/1_000_000))*(1_000_000/procClkTck)
		var du, ds, rd, wr uint64
		ioOK := false
		old, ok := prev[p.pid]
		switch {
		case ok && old.start == p.start:
			newTasks += uint64(max(0, p.threads-old.threads))
			du, _ = delta(old.utime, p.utime)
			ds, _ = delta(old.stime, p.stime)
			if p.ioOK && old.ioOK {
				var rok, wok bool
				rd, rok = delta(old.readBytes, p.readBytes)
				wr, wok = delta(old.writeBytes, p.writeBytes)
				ioOK = rok && wok
			}
		case start >= newSince: // started during the interval
			newTasks += uint64(max(1, p.threads))
			du, ds = p.utime, p.stime
			rd, wr, ioOK = p.readBytes, p.writeBytes, p.ioOK
		}
		row := schema.ProcessRow{
			Time:         iv.time,
			PID:          p.pid,
			PPID:         p.ppid,
			StartTime:    start,
			User:         user(p.uid),
			Comm:         p.comm,
			State:        procStateName(p.state),
			CPUUserPct:   schema.ToCenti(float64(du) * 100 / procClkTck / secs),
			CPUSystemPct: schema.ToCenti(float64(ds) * 100 / procClkTck / secs),
			RSSBytes:     pagesToBytes(p.rssPages, iv.pageSize),
			VSizeBytes:   clampInt64(p.vsize),
			Threads:      p.threads,
		}
		if cmds != nil {
			cmds[i] = p.cmdline
			row.Cmdline = &cmds[i]
		}
		if cg := p.cg; cg != nil && cg.path != "" {
			row.Cgroup, row.Unit, row.Container = cg.path, cg.labels.unit, cg.labels.container
			row.CgroupMemory, row.CgroupCPU = cg.memory, cg.cpuacct
		}
		if ioOK {
			ios[2*i] = clampInt64(uint64(float64(rd)/secs + 0.5))
			ios[2*i+1] = clampInt64(uint64(float64(wr)/secs + 0.5))
			row.ReadBytesPerS, row.WriteBytesPerS = &ios[2*i], &ios[2*i+1]
		}
		b.Process = append(b.Process, row)

		count.Total++
		count.Threads += p.threads
		switch p.state {
		case 'R':
			count.Running++
		case 'S':
			count.Sleeping++
		case 'D':
			count.DiskSleep++
		case 'Z':
			count.Zombie++
		case 'T':
			count.Stopped++
		case 't':
			count.TracingStop++
		case 'I':
			count.Idle++
		case 'X', 'x':
			count.Dead++
		default:
			count.Other++
		}

		if last < 0 || aggs[last].uid != p.uid {
			last = slices.IndexFunc(aggs, func(a userAgg) bool { return a.uid == p.uid })
			if last < 0 {
				aggs = append(aggs, userAgg{uid: p.uid})
				last = len(aggs) - 1
			}
		}
		a := &aggs[last]
		a.processes++
		a.threads += p.threads
		a.cpu += row.CPUUserPct + row.CPUSystemPct
		a.rss += row.RSSBytes
	}
	if iv.forksOK {
		short := int64(iv.forks - min(iv.forks, newTasks))
		count.ShortLived = &short
	}
	b.ProcCount = append(b.ProcCount, count)

	// One row per user name: two uids with one name (a duplicate passwd
	// entry) are summed.
	first := len(b.ProcUser)
	for _, a := range aggs {
		b.ProcUser = append(b.ProcUser, schema.ProcUserRow{
			Time: iv.time, User: user(a.uid), Processes: a.processes,
			Threads: a.threads, CPUPct: a.cpu, RSSBytes: a.rss,
		})
	}
	rows := b.ProcUser[first:]
	slices.SortFunc(rows, func(x, y schema.ProcUserRow) int { return strings.Compare(x.User, y.User) })
	n := 0
	for i, r := range rows {
		if i > 0 && r.User == rows[n-1].User {
			m := &rows[n-1]
			m.Processes += r.Processes
			m.Threads += r.Threads
			m.CPUPct += r.CPUPct
			m.RSSBytes += r.RSSBytes
			continue
		}
		rows[n] = r
		n++
	}
	b.ProcUser = b.ProcUser[:first+n]
	return aggs
}

// procStateName returns the state letter of /proc/<pid>/stat as a string
// without allocating.
func procStateName(s byte) string {
	if s >= 'A' && s <= 'z' {
		return stateLetters[s-'A' : s-'A'+1]
	}
	return "?"
}

const stateLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz"

// clampInt64 converts a kernel counter to int64, saturating.
func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// pagesToBytes converts a page count to bytes, saturating.
func pagesToBytes(pages, pageSize int64) int64 {
	if pages <= 0 || pageSize <= 0 {
		return 0
	}
	if pages > math.MaxInt64/pageSize {
		return math.MaxInt64
	}
	return pages * pageSize
}
