//go:build linux

package sample

import (
	"almanac/schema"
	"errors"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// cgroupCollector fills the cgroup table, and the oom_kill table when the
// kernel counted OOM kills. Its cgroups are those of the processes the
// process collector read this sample (which must run first), so its cost
// follows the cgroups in use, not every cgroup of the host. For each it
// reads, below <sys>/fs/cgroup, the cgroup v2 files
//
//	cpu.stat, memory.current, memory.peak, io.stat, cpu.pressure,
//	memory.pressure, io.pressure, memory.events
//
// or, where the host has no v2 file (a cgroup v1 or hybrid host), the v1
// controllers' equivalents
//
//	cpuacct/…/cpuacct.usage, memory/…/memory.usage_in_bytes,
//	memory/…/memory.max_usage_in_bytes, memory/…/memory.oom_control,
//	blkio/…/blkio.throttle.io_service_bytes_recursive
//
// A file the kernel does not have is an absence (a NULL), asked again only
// once the cgroup has been gone a sample. The root cgroup's files are the
// whole host's and are not read.
type cgroupCollector struct {
	proc *processCollector
	log  *slog.Logger

	roots    cgroupRoots
	rootsFor string // the sys path roots were found under

	state map[string]*cgState // by cgroup path: the cgroups read last sample
	file  kernelFile

	// pending counts the kills of the previous sample that found no
	// victim: the kernel counts a kill a moment before the victim exits,
	// so a sample can fall in between. They are named in the next sample
	// if a victim turns up, else recorded as unseen.
	pending   int64
	pendingCg map[string]int64 // and the kills their cgroups counted

	// Scratch space, kept from one reading to the next.
	cur   map[string]*cgSum
	sums  []cgSum
	paths []string
}

// cgroupRoots are where the hierarchies are mounted, "" for one that is not.
type cgroupRoots struct {
	v2, memory, cpuacct, blkio string
}

// findCgroupRoots looks for the cgroup v2 hierarchy (at sys/fs/cgroup on
// a v2 host, sys/fs/cgroup/unified on a hybrid one) and the v1 memory,
// cpuacct and blkio controllers (sys/fs/cgroup/<controller>, which systemd
// links to a shared cpu,cpuacct folder).
func findCgroupRoots(sys string) cgroupRoots {
	base := filepath.Join(sys, "fs", "cgroup")
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	var r cgroupRoots
	switch {
	case exists(filepath.Join(base, "cgroup.controllers")):
		r.v2 = base
	case exists(filepath.Join(base, "unified", "cgroup.controllers")):
		r.v2 = filepath.Join(base, "unified")
	}
	v1 := func(names ...string) string {
		for _, n := range names {
			if p := filepath.Join(base, n); exists(filepath.Join(p, "cgroup.procs")) && !exists(filepath.Join(p, "cgroup.controllers")) {
				return p
			}
		}
		return ""
	}
	r.memory = v1("memory")
	r.cpuacct = v1("cpuacct", "cpu,cpuacct", "cpuacct,cpu")
	r.blkio = v1("blkio")
	return r
}

// cgFile names the files of a cgroup the collector reads.
type cgFile uint8

const (
	fCPUStat cgFile = iota
	fCPUAcct
	fMemCurrent
	fMemUsage
	fMemPeak
	fMemMaxUsage
	fIOStat
	fBlkio
	fCPUPressure
	fMemPressure
	fIOPressure
	fMemEvents
	fOOMControl
	nCgFiles
)

// cgState is a cgroup being followed: where its files are, which are
// missing, and its counters at the previous reading.
type cgState struct {
	cg      *procCgroup
	path    [nCgFiles]string // "" where there is no such file to read
	missing [nCgFiles]bool
	prev    cgCounters
	seen    bool // read this sample
}

// counter is a cumulative counter and whether it was read.
type counter struct {
	v  uint64
	ok bool
}

// cgCounters is one reading of a cgroup's files.
type cgCounters struct {
	cpuUsec, readBytes, writeBytes counter
	cpuSome, memSome, memFull      counter // PSI totals, µs
	ioSome, ioFull, oomKills       counter
	memory, memPeak                counter // gauges
}

// cgSum is one cgroup in this sample.
type cgSum struct {
	cg        *procCgroup
	processes int32
	threads   int32
	st        *cgState
	now       cgCounters
}

func newCgroupCollector(proc *processCollector, log *slog.Logger) *cgroupCollector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &cgroupCollector{proc: proc, log: log}
}

// newCgState works out where the files of cg are.
func newCgState(cg *procCgroup, r cgroupRoots) *cgState {
	st := &cgState{cg: cg}
	dir := func(root, path string) string {
		if root == "" || path == "" || path == "/" {
			return ""
		}
		return root + path
	}
	set := func(f cgFile, d, name string) {
		if d != "" {
			st.path[f] = d + "/" + name
		}
	}
	v2 := ""
	if cg.hasV2 {
		v2 = dir(r.v2, cg.v2)
	}
	set(fCPUStat, v2, "cpu.stat")
	set(fMemCurrent, v2, "memory.current")
	set(fMemPeak, v2, "memory.peak")
	set(fIOStat, v2, "io.stat")
	set(fCPUPressure, v2, "cpu.pressure")
	set(fMemPressure, v2, "memory.pressure")
	set(fIOPressure, v2, "io.pressure")
	set(fMemEvents, v2, "memory.events")
	mem := dir(r.memory, cg.memory)
	set(fMemUsage, mem, "memory.usage_in_bytes")
	set(fMemMaxUsage, mem, "memory.max_usage_in_bytes")
	set(fOOMControl, mem, "memory.oom_control")
	set(fCPUAcct, dir(r.cpuacct, cg.cpuacct), "cpuacct.usage")
	set(fBlkio, dir(r.blkio, cg.blkio), "blkio.throttle.io_service_bytes_recursive")
	return st
}

// Collect reads the cgroups of this sample's processes and, unless this
// is the first reading, appends one CgroupRow per cgroup, in path order,
// and the OOM kills of the interval to b.
func (c *cgroupCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	if c.rootsFor != src.SysPath || c.roots == (cgroupRoots{}) {
		c.roots, c.rootsFor = findCgroupRoots(src.SysPath), src.SysPath
		clear(c.state)
	}
	if c.state == nil {
		c.state = map[string]*cgState{}
		c.cur = map[string]*cgSum{}
	}
	c.group()
	for _, st := range c.state {
		st.seen = false
	}
	for i := range c.sums {
		s := &c.sums[i]
		if s.cg.path == "/" {
			continue
		}
		s.st = c.stateOf(s.cg)
		s.now = c.read(s.st)
		s.st.seen = true
	}
	var kills int64
	if n := len(b.Memory); n > 0 && !t.First {
		kills = b.Memory[n-1].OOMKills
	}
	if !t.First {
		secs := t.Interval.Seconds()
		for i := range c.sums {
			b.Cgroup = append(b.Cgroup, cgroupRow(t.Time, &c.sums[i], secs))
		}
		b.OOMKill = c.oomKills(b.OOMKill, t.Time, kills, b.Cgroup[len(b.Cgroup)-len(c.sums):])
	} else {
		c.pending = 0
		clear(c.pendingCg)
	}
	c.proc.wantGone = c.pending > 0 || len(c.pendingCg) > 0
	for i := range c.sums {
		if s := &c.sums[i]; s.st != nil {
			s.st.prev = s.now
		}
	}
	for path, st := range c.state {
		if !st.seen {
			delete(c.state, path)
		}
	}
	return nil
}

// group sums the processes of the process collector's reading by cgroup
// into c.sums, in path order.
func (c *cgroupCollector) group() {
	clear(c.cur)
	c.sums = c.sums[:0]
	c.paths = c.paths[:0]
	for i := range c.proc.cur {
		p := &c.proc.cur[i]
		if p.cg == nil || p.cg.path == "" {
			continue
		}
		if _, ok := c.cur[p.cg.path]; !ok {
			c.paths = append(c.paths, p.cg.path)
			c.cur[p.cg.path] = &cgSum{cg: p.cg}
		}
		s := c.cur[p.cg.path]
		s.processes++
		s.threads += p.threads
	}
	// The cgroups of processes that ended, when OOM kills are being
	// named: read for their kill counts, with the processes they have left.
	for i := range c.proc.gone {
		p := &c.proc.gone[i]
		if p.cg == nil || p.cg.path == "" {
			continue
		}
		if _, ok := c.cur[p.cg.path]; !ok {
			c.paths = append(c.paths, p.cg.path)
			c.cur[p.cg.path] = &cgSum{cg: p.cg}
		}
	}
	slices.Sort(c.paths)
	for _, p := range c.paths {
		c.sums = append(c.sums, *c.cur[p])
	}
}

// stateOf returns the state of cg's cgroup, new when it was not read last
// sample.
func (c *cgroupCollector) stateOf(cg *procCgroup) *cgState {
	st := c.state[cg.path]
	if st == nil {
		st = newCgState(cg, c.roots)
		c.state[cg.path] = st
	}
	return st
}

// readFile returns the content of file f of st, or nil when it has none.
func (c *cgroupCollector) readFile(st *cgState, f cgFile) []byte {
	if st.path[f] == "" || st.missing[f] {
		return nil
	}
	data, err := c.file.readPath(st.path[f])
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.log.Debug("cgroup file unreadable", "path", st.path[f], "err", err)
		}
		st.missing[f] = errors.Is(err, fs.ErrNotExist)
		return nil
	}
	return data
}

// read reads the files of one cgroup: the v2 file of each figure where
// there is one, else the v1 controller's.
func (c *cgroupCollector) read(st *cgState) cgCounters {
	var r cgCounters
	if d := c.readFile(st, fCPUStat); d != nil {
		r.cpuUsec.v, r.cpuUsec.ok = parseKeyed(d, "usage_usec")
	}
	if !r.cpuUsec.ok {
		if d := c.readFile(st, fCPUAcct); d != nil {
			ns, ok := parseSingle(d)
			r.cpuUsec = counter{ns / 1000, ok}
		}
	}
	if d := c.readFile(st, fMemCurrent); d != nil {
		r.memory.v, r.memory.ok = parseSingle(d)
	}
	if r.memory.ok {
		if d := c.readFile(st, fMemPeak); d != nil {
			r.memPeak.v, r.memPeak.ok = parseSingle(d)
		}
		if d := c.readFile(st, fMemEvents); d != nil {
			r.oomKills.v, r.oomKills.ok = parseKeyed(d, "oom_kill")
		}
	} else {
		if d := c.readFile(st, fMemUsage); d != nil {
			r.memory.v, r.memory.ok = parseSingle(d)
		}
		if d := c.readFile(st, fMemMaxUsage); d != nil {
			r.memPeak.v, r.memPeak.ok = parseSingle(d)
		}
		if d := c.readFile(st, fOOMControl); d != nil {
			r.oomKills.v, r.oomKills.ok = parseKeyed(d, "oom_kill")
		}
	}
	var rd, wr uint64
	var ok bool
	if d := c.readFile(st, fIOStat); d != nil {
		rd, wr, ok = parseIOStat(d)
		if !ok && len(strings.TrimSpace(string(d))) == 0 {
			ok = true // no I/O yet: an empty io.stat
		}
	}
	if !ok {
		if d := c.readFile(st, fBlkio); d != nil {
			rd, wr, ok = parseBlkio(d)
			if !ok && strings.HasPrefix(strings.TrimSpace(string(d)), "Total") {
				ok = true // no I/O yet: only the Total line
			}
		}
	}
	if ok {
		r.readBytes, r.writeBytes = counter{rd, true}, counter{wr, true}
	}
	psi := func(f cgFile, some, full *counter) {
		d := c.readFile(st, f)
		if d == nil {
			return
		}
		p, err := parsePSIBytes(d)
		if err != nil {
			return
		}
		if p.hasSome {
			*some = counter{p.some.total, true}
		}
		if p.hasFull && full != nil {
			*full = counter{p.full.total, true}
		}
	}
	psi(fCPUPressure, &r.cpuSome, nil)
	psi(fMemPressure, &r.memSome, &r.memFull)
	psi(fIOPressure, &r.ioSome, &r.ioFull)
	return r
}

// cgroupRow returns the row of one cgroup over an interval of secs
// seconds. A counter gives a value only when both readings have it and it
// did not go backwards.
func cgroupRow(time int64, s *cgSum, secs float64) schema.CgroupRow {
	row := schema.CgroupRow{Time: time, Cgroup: s.cg.path, Unit: s.cg.labels.unit,
		Container: s.cg.labels.container, Runtime: s.cg.labels.runtime, Pod: s.cg.labels.pod,
		Processes: s.processes, Threads: s.threads}
	if s.st == nil || secs <= 0 {
		return row
	}
	prev, cur := s.st.prev, s.now
	diff := func(p, c counter) (uint64, bool) {
		if !p.ok || !c.ok {
			return 0, false
		}
		return delta(p.v, c.v)
	}
	i64 := func(v uint64) *int64 { n := clampInt64(v); return &n }
	centi := func(v float64) *schema.Centi { c := schema.ToCenti(v); return &c }
	if d, ok := diff(prev.cpuUsec, cur.cpuUsec); ok {
		row.CPUUsec = i64(d)
		row.CPUPct = centi(float64(d) / 1e6 / secs * 100)
	}
	if cur.memory.ok {
		row.MemoryBytes = i64(cur.memory.v)
	}
	if cur.memPeak.ok {
		row.MemoryPeakBytes = i64(cur.memPeak.v)
	}
	if d, ok := diff(prev.readBytes, cur.readBytes); ok {
		row.ReadBytesPerS = i64(uint64(float64(d)/secs + 0.5))
	}
	if d, ok := diff(prev.writeBytes, cur.writeBytes); ok {
		row.WriteBytesPerS = i64(uint64(float64(d)/secs + 0.5))
	}
	stall := func(p, c counter) *schema.Centi {
		d, ok := diff(p, c)
		if !ok {
			return nil
		}
		return centi(min(100, float64(d)/1e6/secs*100))
	}
	row.CPUSomePct = stall(prev.cpuSome, cur.cpuSome)
	row.MemorySomePct = stall(prev.memSome, cur.memSome)
	row.MemoryFullPct = stall(prev.memFull, cur.memFull)
	row.IOSomePct = stall(prev.ioSome, cur.ioSome)
	row.IOFullPct = stall(prev.ioFull, cur.ioFull)
	if d, ok := diff(prev.oomKills, cur.oomKills); ok {
		row.OOMKills = i64(d)
	}
	return row
}

// oomKills appends the rows of the interval's OOM kills to out (see
// appendOOMKills), if /proc/vmstat counted any in it or some wait for a
// victim. Else a count of a cgroup's waits for the next sample: the
// memory collector reads /proc/vmstat before this collector reads the
// cgroups' memory.events, so a kill between the two reads is counted by
// its cgroup a sample before the host counts it, and its victim is named
// by its cgroup then.
func (c *cgroupCollector) oomKills(out []schema.OOMKillRow, time int64, kills int64, rows []schema.CgroupRow) []schema.OOMKillRow {
	if kills+c.pending > 0 {
		return c.appendOOMKills(out, time, kills, rows)
	}
	for _, r := range rows {
		if r.OOMKills != nil && *r.OOMKills > 0 {
			if c.pendingCg == nil {
				c.pendingCg = map[string]int64{}
			}
			c.pendingCg[r.Cgroup] += *r.OOMKills
		}
	}
	return out
}

// appendOOMKills appends the rows naming the victims of the interval's
// kills (and of the previous interval's that found none) to out: rows are
// this sample's cgroup rows, whose oom_kills say which cgroups killed.
func (c *cgroupCollector) appendOOMKills(out []schema.OOMKillRow, time int64, kills int64, rows []schema.CgroupRow) []schema.OOMKillRow {
	perCgroup := map[string]int64{}
	for _, r := range rows {
		if r.OOMKills != nil && *r.OOMKills > 0 {
			perCgroup[r.Cgroup] = *r.OOMKills
		}
	}
	for path, n := range c.pendingCg {
		perCgroup[path] += n
	}
	named := nameOOMVictims(oomInput{time: time, kills: kills + c.pending, perCgroup: perCgroup, gone: c.proc.gone,
		boot: c.proc.boot, pageSize: c.proc.pageSize, user: c.proc.users.name})
	var unseen int64
	for _, r := range named {
		if r.How == "unseen" {
			unseen++
			continue
		}
		if r.How == "cgroup" {
			perCgroup[r.Cgroup]--
		}
		out = append(out, r)
	}
	// The cgroups' counts not matched to a victim wait with the kills.
	clear(c.pendingCg)
	for path, n := range perCgroup {
		if n > 0 && unseen > 0 {
			if c.pendingCg == nil {
				c.pendingCg = map[string]int64{}
			}
			c.pendingCg[path] = n
		}
	}
	// The previous sample's kills that still found no victim are
	// recorded as unseen; this sample's wait for the next.
	late := min(unseen, c.pending)
	for range late {
		out = append(out, schema.OOMKillRow{Time: time, How: "unseen"})
	}
	c.pending = unseen - late
	return out
}

// oomInput is what nameOOMVictims needs.
type oomInput struct {
	time      int64
	kills     int64            // kills counted by /proc/vmstat during the interval
	perCgroup map[string]int64 // kills counted by each cgroup's files
	gone      []procReading    // the processes that ended, as last seen
	boot      time.Time
	pageSize  int64
	user      func(uint32) string
}

// nameOOMVictims returns one row per kill. The victims are the processes
// that ended during the interval, largest resident memory first (the most
// each was seen with: a victim caught while exiting has already lost it):
// first
// those of the cgroups that counted kills (deepest cgroup first, as many
// as each counted), then those of the host, for the kills no cgroup
// accounts for. A kill left with no process to name gets a row with PID 0
// and How "unseen".
func nameOOMVictims(in oomInput) []schema.OOMKillRow {
	if in.kills <= 0 {
		return nil
	}
	gone := slices.Clone(in.gone)
	slices.SortStableFunc(gone, func(a, b procReading) int {
		if a.rssMax != b.rssMax {
			if a.rssMax > b.rssMax {
				return -1
			}
			return 1
		}
		return int(a.pid) - int(b.pid)
	})
	used := make([]bool, len(gone))
	var out []schema.OOMKillRow
	name := func(i int, how string) {
		p := &gone[i]
		used[i] = true
		row := schema.OOMKillRow{Time: in.time, PID: p.pid, Comm: p.comm, User: in.user(p.uid),
			StartTime: schema.Micros(in.boot) + int64(min(p.start, math.MaxInt64/1_000_000))*(1_000_000/procClkTck),
			RSSBytes:  pagesToBytes(p.rssMax, in.pageSize), How: how}
		if cg := p.cg; cg != nil {
			row.Cgroup, row.Unit, row.Container = cg.path, cg.labels.unit, cg.labels.container
		}
		out = append(out, row)
	}
	paths := make([]string, 0, len(in.perCgroup))
	for p := range in.perCgroup {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, func(a, b string) int {
		if da, db := strings.Count(a, "/"), strings.Count(b, "/"); da != db {
			return db - da
		}
		return strings.Compare(a, b)
	})
	for _, path := range paths {
		k := in.perCgroup[path]
		for i := range gone {
			if k == 0 || int64(len(out)) == in.kills {
				break
			}
			if !used[i] && gone[i].cg != nil && gone[i].cg.path == path {
				name(i, "cgroup")
				k--
			}
		}
	}
	for i := range gone {
		if int64(len(out)) == in.kills {
			break
		}
		if !used[i] {
			name(i, "host")
		}
	}
	for int64(len(out)) < in.kills {
		out = append(out, schema.OOMKillRow{Time: in.time, How: "unseen"})
	}
	return out
}
