package synth

import (
	"almanac/schema"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// synthCgroup is where a synthetic process runs: its cgroup path and what
// the sampler derives from it.
type synthCgroup struct {
	path, unit, container, runtime, pod string
}

const (
	dockerID = "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	javaID   = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
	podID    = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f0"
	podUID   = "6b1d7c2e-3f4a-4b5c-8d9e-0f1a2b3c4d5e"
)

// cgroups gives each command name of comms the cgroup it runs in on a
// systemd host with docker and a kubelet.
var cgroups = map[string]synthCgroup{
	"systemd":      {path: "/init.scope", unit: "init.scope"},
	"sshd":         {path: "/system.slice/ssh.service", unit: "ssh.service"},
	"nginx":        {path: "/system.slice/nginx.service", unit: "nginx.service"},
	"postgres":     {path: "/system.slice/system-postgresql.slice/postgresql@16-main.service", unit: "postgresql@16-main.service"},
	"cron":         {path: "/system.slice/cron.service", unit: "cron.service"},
	"rsyslogd":     {path: "/system.slice/rsyslog.service", unit: "rsyslog.service"},
	"dbus-daemon":  {path: "/system.slice/dbus.service", unit: "dbus.service"},
	"containerd":   {path: "/system.slice/containerd.service", unit: "containerd.service"},
	"node":         {path: "/system.slice/docker-" + dockerID + ".scope", unit: "docker-" + dockerID + ".scope", container: dockerID, runtime: "docker"},
	"java":         {path: "/system.slice/docker-" + javaID + ".scope", unit: "docker-" + javaID + ".scope", container: javaID, runtime: "docker"},
	"python3":      {path: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + strings.ReplaceAll(podUID, "-", "_") + ".slice/cri-containerd-" + podID + ".scope", unit: "cri-containerd-" + podID + ".scope", container: podID, runtime: "containerd", pod: podUID},
	"bash":         {path: "/user.slice/user-1000.slice/session-3.scope", unit: "session-3.scope"},
	"redis-server": {path: "/system.slice/redis-server.service", unit: "redis-server.service"},
	"chronyd":      {path: "/system.slice/chrony.service", unit: "chrony.service"},
	"journald":     {path: "/system.slice/systemd-journald.service", unit: "systemd-journald.service"},
}

func cgroupOf(comm string, kernel bool) synthCgroup {
	if kernel {
		return synthCgroup{path: "/"}
	}
	return cgroups[comm]
}

// groupSums sums one sample's processes per cgroup and per group.
type groupSums struct {
	us      int64
	cgroups map[string]*schema.CgroupRow
	meta    map[string]synthCgroup
	groups  map[[2]string]*schema.ProcGroupRow
}

func newGroups(us int64) *groupSums {
	return &groupSums{us: us, cgroups: map[string]*schema.CgroupRow{}, meta: map[string]synthCgroup{},
		groups: map[[2]string]*schema.ProcGroupRow{}}
}

func (s *groupSums) add(p *schema.ProcessRow, cg synthCgroup, sec float64) {
	c := s.cgroups[cg.path]
	if c == nil {
		c = &schema.CgroupRow{Time: s.us, Cgroup: cg.path, Unit: cg.unit, Container: cg.container, Runtime: cg.runtime, Pod: cg.pod}
		s.cgroups[cg.path] = c
		s.meta[cg.path] = cg
	}
	c.Processes++
	c.Threads += p.Threads
	cpu := p.CPUUserPct + p.CPUSystemPct
	for _, k := range [][2]string{{"comm", p.Comm}, {"user", p.User}, {"unit", cg.unit}, {"container", cg.container}} {
		if k[1] == "" {
			continue
		}
		g := s.groups[k]
		if g == nil {
			g = &schema.ProcGroupRow{Time: s.us, By: k[0], Name: k[1]}
			s.groups[k] = g
		}
		g.Processes++
		g.Threads += p.Threads
		g.CPUPct += cpu
		g.CPUMs += int64(math.Round(cpu.Float() * sec * 10))
		g.RSSBytes += p.RSSBytes
		g.MaxRSS = max(g.MaxRSS, p.RSSBytes)
	}
	if cg.path == "/" {
		return
	}
	if c.CPUPct == nil {
		c.CPUPct, c.CPUUsec, c.MemoryBytes = new(schema.Centi), new(int64), new(int64)
	}
	*c.CPUPct += cpu
	*c.CPUUsec += int64(math.Round(cpu.Float() * sec * 1e4))
	*c.MemoryBytes += p.RSSBytes + p.RSSBytes/4
}

// emit appends the sums to b in a fixed order, with the figures only the
// cgroup's files have.
func (s *groupSums) emit(b *schema.Batch, r *rand.Rand) {
	paths := make([]string, 0, len(s.cgroups))
	for p := range s.cgroups {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		c := *s.cgroups[p]
		if c.MemoryBytes != nil {
			peak := *c.MemoryBytes + int64(r.IntN(64))<<20
			rd := int64(r.IntN(200)) * 4096
			wr := int64(r.IntN(400)) * 4096
			psi := schema.ToCenti(r.Float64() * 2)
			zero := schema.Centi(0)
			var ooms int64
			c.MemoryPeakBytes, c.ReadBytesPerS, c.WriteBytesPerS = &peak, &rd, &wr
			c.CPUSomePct, c.MemorySomePct, c.MemoryFullPct, c.IOSomePct, c.IOFullPct = &psi, &zero, &zero, &psi, &zero
			c.OOMKills = &ooms
		}
		b.Cgroup = append(b.Cgroup, c)
	}
	keys := make([][2]string, 0, len(s.groups))
	for k := range s.groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]string) int {
		if c := strings.Compare(x[0], y[0]); c != 0 {
			return c
		}
		return strings.Compare(x[1], y[1])
	})
	for _, k := range keys {
		b.ProcGroup = append(b.ProcGroup, *s.groups[k])
	}
	for _, k := range b.OOMKill {
		for i := range b.Cgroup {
			if c := &b.Cgroup[i]; c.Cgroup == k.Cgroup && c.OOMKills != nil {
				*c.OOMKills++
			}
		}
	}
}

// oomKill records p, a process that ends now, as killed by the OOM killer.
func (g *Generator) oomKill(b *schema.Batch, us int64, p proc) {
	cg := cgroupOf(p.comm, p.kernel)
	b.OOMKill = append(b.OOMKill, schema.OOMKillRow{Time: us, PID: p.pid, StartTime: p.start, Comm: p.comm,
		User: p.user, RSSBytes: p.rss, Cgroup: cg.path, Unit: cg.unit, Container: cg.container, How: "cgroup"})
	if len(b.Memory) > 0 {
		b.Memory[0].OOMKills++
	}
}
