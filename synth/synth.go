// Package synth makes realistic sample batches for tests and benchmarks.
//
// A Generator plays one host: CPU, memory, disks, network and processes
// follow smooth random walks around a daily pattern (busier in the working
// hours of UTC), with occasional spikes, and values are rounded the way the
// kernel's counters round them (CPU shares in clock ticks, memory in kB,
// disk bytes in sectors). The same Host and seed give the same batches.
//
//	g := synth.New(synth.Host{Name: "web1", Cores: 4, Processes: 150, Seed: 1})
//	for t := from; t.Before(to); t = t.Add(10 * time.Second) {
//		b := g.Batch(t)
//		...
//	}
package synth

import (
	"almanac/schema"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Host describes the machine a Generator plays. Zero fields take the
// defaults noted.
type Host struct {
	Name       string   // hostname (default "synth")
	Cores      int      // CPU cores (default 4)
	MemoryGiB  int      // memory size (default 16)
	Disks      []string // block devices (default sda, nvme0n1)
	Interfaces []string // network interfaces (default eth0, lo)
	Mounts     []string // filesystems (default /, /boot, /var)
	Sensors    int      // temperature sensors (default 3)
	Processes  int      // processes in the process table (default 0: none)
	Users      []string // process owners (default root, www-data, postgres, nobody)
	Seed       uint64   // random seed
	// Custom adds custom metrics (a backup's age and size, a job's
	// runs): a textfile directory's rows in the custom table.
	Custom bool
	GPUs   int // GPUs in the gpu table (default 0: none)
	// OOMEvery makes about one in this many short-lived processes end
	// killed by the OOM killer (an oom_kill row, a count in the memory
	// row and in its cgroup's); 0 never.
	OOMEvery int
	// Boot is the boot time (default: 30 days before the first batch).
	Boot time.Time
}

// Generator makes the batches of one Host, one per call to Batch, with
// rates computed over the time since the previous call. It is not safe for
// concurrent use.
type Generator struct {
	h    Host
	rng  *rand.Rand
	prev time.Time
	day  time.Time

	busy    walk // overall activity, 0..1
	cores   []coreState
	load    [3]float64
	memUsed walk // fraction of memory used by processes
	cache   walk
	disks   []ioState
	nets    []ioState
	fsUsed  []float64
	temps   []walk
	procs   []proc
	nextPID int32
	// oom decides the OOM kills, apart from rng so that adding them
	// changed no other table's values.
	oom *rand.Rand
}

type coreState struct{ user, sys, iowait walk }

type ioState struct {
	rate walk // ops or packets per second
	size walk // bytes per op or packet
}

type proc struct {
	pid, ppid   int32
	start       int64
	user, comm  string
	cpu         walk // percent of one core
	rss, vsize  int64
	threads     int32
	io          bool // whether /proc/<pid>/io is readable
	kernel      bool
	lifeSamples int // remaining samples for short-lived processes, -1 forever
}

// walk is a mean-reverting random walk in [lo, hi].
type walk struct{ v, mean, step, lo, hi float64 }

func (w *walk) next(r *rand.Rand) float64 {
	w.v += (w.mean-w.v)*0.05 + r.NormFloat64()*w.step
	w.v = min(max(w.v, w.lo), w.hi)
	return w.v
}

// New returns a Generator for h.
func New(h Host) *Generator {
	if h.Name == "" {
		h.Name = "synth"
	}
	if h.Cores <= 0 {
		h.Cores = 4
	}
	if h.MemoryGiB <= 0 {
		h.MemoryGiB = 16
	}
	if h.Disks == nil {
		h.Disks = []string{"nvme0n1", "sda"}
	}
	if h.Interfaces == nil {
		h.Interfaces = []string{"eth0", "lo"}
	}
	if h.Mounts == nil {
		h.Mounts = []string{"/", "/boot", "/var"}
	}
	if h.Sensors <= 0 {
		h.Sensors = 3
	}
	if h.Users == nil {
		h.Users = []string{"root", "www-data", "postgres", "nobody"}
	}
	r := rand.New(rand.NewPCG(h.Seed, 0x616c6d616e6163))
	g := &Generator{h: h, rng: r, nextPID: 300, oom: rand.New(rand.NewPCG(h.Seed, 0x6f6f6d))}
	g.busy = walk{v: 0.2, mean: 0.2, step: 0.02, lo: 0, hi: 1}
	for range h.Cores {
		g.cores = append(g.cores, coreState{
			user:   walk{v: 5, mean: 5, step: 1.5, lo: 0, hi: 95},
			sys:    walk{v: 2, mean: 2, step: 0.5, lo: 0, hi: 40},
			iowait: walk{v: 0.3, mean: 0.3, step: 0.2, lo: 0, hi: 30},
		})
	}
	g.memUsed = walk{v: 0.3, mean: 0.3, step: 0.002, lo: 0.05, hi: 0.9}
	g.cache = walk{v: 0.4, mean: 0.4, step: 0.001, lo: 0.05, hi: 0.6}
	for range h.Disks {
		g.disks = append(g.disks, ioState{
			rate: walk{v: 20, mean: 20, step: 5, lo: 0, hi: 5000},
			size: walk{v: 16, mean: 16, step: 2, lo: 1, hi: 256}, // sectors of 512 bytes... in KiB
		})
	}
	for range h.Interfaces {
		g.nets = append(g.nets, ioState{
			rate: walk{v: 200, mean: 200, step: 30, lo: 0, hi: 1e6},
			size: walk{v: 600, mean: 600, step: 20, lo: 64, hi: 1500},
		})
	}
	for i := range h.Mounts {
		g.fsUsed = append(g.fsUsed, 0.2+0.5*r.Float64()*float64(i+1)/float64(len(h.Mounts)))
	}
	for range h.Sensors {
		g.temps = append(g.temps, walk{v: 45, mean: 45, step: 0.3, lo: 25, hi: 95})
	}
	return g
}

var comms = []string{"systemd", "sshd", "nginx", "postgres", "cron", "rsyslogd", "dbus-daemon",
	"containerd", "node", "python3", "bash", "java", "redis-server", "chronyd", "journald"}

func (g *Generator) newProc(start int64, short bool) proc {
	r := g.rng
	g.nextPID += 1 + int32(r.IntN(30))
	if g.nextPID > 4194304 {
		g.nextPID = 300
	}
	p := proc{
		pid:         g.nextPID,
		ppid:        1,
		start:       start,
		user:        g.h.Users[r.IntN(len(g.h.Users))],
		comm:        comms[r.IntN(len(comms))],
		rss:         int64(1+r.IntN(200000)) * 4096,
		threads:     int32(1 + r.IntN(8)),
		io:          r.IntN(5) != 0,
		lifeSamples: -1,
	}
	p.vsize = p.rss*int64(2+r.IntN(20)) + 1<<20
	mean := 0.0
	if r.IntN(6) == 0 {
		mean = r.Float64() * 20
	}
	p.cpu = walk{v: mean, mean: mean, step: mean/5 + 0.05, lo: 0, hi: 100 * float64(p.threads)}
	if short {
		p.lifeSamples = 1 + r.IntN(6)
	}
	return p
}

// Batch returns the sample taken at t. The first call returns what a
// sampler's first sample would, host facts and gauges; rates start with
// the second call.
func (g *Generator) Batch(t time.Time) *schema.Batch {
	t = t.UTC()
	r := g.rng
	us := t.UnixMicro()
	b := &schema.Batch{Time: t}
	first := g.prev.IsZero()
	interval := 10 * time.Second
	if !first {
		interval = t.Sub(g.prev)
	}
	g.prev = t
	sec := interval.Seconds()
	if sec <= 0 {
		sec = 1
	}
	boot := g.h.Boot
	if boot.IsZero() {
		boot = t.AddDate(0, 0, -30).Truncate(time.Second)
		g.h.Boot = boot
	}
	if first {
		for i := range g.h.Processes {
			short := false
			p := g.newProc(boot.Add(time.Duration(i)*time.Second).UnixMicro(), short)
			p.kernel = i%5 == 0
			g.procs = append(g.procs, p)
		}
	}

	// Activity: a daily curve peaking mid-afternoon UTC, a random walk,
	// and a spike now and then.
	hour := float64(t.Hour()) + float64(t.Minute())/60
	daily := 0.5 - 0.4*math.Cos(2*math.Pi*(hour-3)/24)
	g.busy.mean = daily * 0.5
	busy := g.busy.next(r)
	if r.IntN(500) == 0 {
		busy = min(1, busy+0.5+0.5*r.Float64())
	}

	day := t.Truncate(24 * time.Hour)
	if first || !day.Equal(g.day) {
		g.day = day
		var fss []schema.Mount
		for i, m := range g.h.Mounts {
			fss = append(fss, schema.Mount{Mountpoint: m, FSType: "ext4", Device: fmt.Sprintf("/dev/nvme0n1p%d", i+1)})
		}
		b.Host = []schema.HostRow{{
			Time: us, Hostname: g.h.Name, OS: "Debian GNU/Linux 13 (trixie)",
			Kernel: "6.12.38+deb13-amd64", Arch: "x86_64", BootTime: boot.UnixMicro(),
			CPUModel: "AMD EPYC 7B13", CPUCores: int32(g.h.Cores),
			MemoryBytes: int64(g.h.MemoryGiB) << 30, SwapBytes: 2 << 30, Mounts: fss,
		}}
	}

	// CPU: per-core shares in clock ticks (USER_HZ 100), as /proc/stat has them.
	ticks := math.Round(100 * sec)
	var sum [9]float64
	for i := range g.cores {
		c := &g.cores[i]
		c.user.mean = 2 + 60*busy
		c.sys.mean = 1 + 15*busy
		u := math.Round(c.user.next(r) / 100 * ticks)
		s := math.Round(c.sys.next(r) / 100 * ticks)
		w := math.Round(c.iowait.next(r) / 100 * ticks)
		var irq, soft, nice float64
		if r.IntN(4) == 0 {
			soft = float64(r.IntN(3))
		}
		if r.IntN(20) == 0 {
			irq = 1
		}
		if r.IntN(50) == 0 {
			nice = float64(r.IntN(5))
		}
		if u+s+w+irq+soft+nice > ticks {
			u = ticks - (s + w + irq + soft + nice)
		}
		idle := ticks - (u + s + w + irq + soft + nice)
		v := [9]float64{u, nice, s, idle, w, irq, soft, 0, 0}
		for k := range v {
			sum[k] += v[k]
		}
		if !first {
			b.CPU = append(b.CPU, cpuRow(us, fmt.Sprint(i), v, ticks))
		}
	}
	if !first {
		all := cpuRow(us, "all", sum, ticks*float64(g.h.Cores))
		b.CPU = append([]schema.CPURow{all}, b.CPU...)
	}

	// System: load averages as the kernel smooths them (every 5 s).
	running := float64(g.h.Cores)*busy*1.2 + float64(r.IntN(2))
	for k, period := range []float64{60, 300, 900} {
		e := math.Exp(-sec / period)
		g.load[k] = g.load[k]*e + running*(1-e)
	}
	rate := func(perSecond float64) schema.Centi {
		n := math.Max(0, math.Round(perSecond*sec*(1+0.1*r.NormFloat64())))
		return schema.ToCenti(n / sec)
	}
	intervalMs := int32(interval.Milliseconds()) + int32(r.IntN(3))
	if !first {
		b.System = []schema.SystemRow{{
			Time: us, BootTime: boot.UnixMicro(), IntervalMs: intervalMs,
			Load1: schema.ToCenti(g.load[0]), Load5: schema.ToCenti(g.load[1]), Load15: schema.ToCenti(g.load[2]),
			ProcsRunning: int32(math.Round(running)) + 1, ProcsBlocked: int32(r.IntN(10) / 9),
			CtxtPerS: rate(3000 + 20000*busy), IntrPerS: rate(2000 + 10000*busy), ForksPerS: rate(2 + 20*busy),
		}}
		for _, res := range []string{"cpu", "io", "memory"} {
			some := math.Max(0, busy*10-2+r.NormFloat64())
			if res != "cpu" {
				some /= 4
			}
			full := some / 3
			if res == "cpu" {
				full = 0
			}
			b.Pressure = append(b.Pressure, schema.PressureRow{
				Time: us, Resource: res,
				SomeAvg10: schema.ToCenti(some), SomeAvg60: schema.ToCenti(some * 0.8), SomeAvg300: schema.ToCenti(some * 0.6),
				SomeStallPct: schema.ToCenti(some * 0.9),
				FullAvg10:    schema.ToCenti(full), FullAvg60: schema.ToCenti(full * 0.8), FullAvg300: schema.ToCenti(full * 0.6),
				FullStallPct: schema.ToCenti(full * 0.9),
			})
		}
	}

	// Memory, in kB as /proc/meminfo has it.
	total := int64(g.h.MemoryGiB) << 30
	kb := func(f float64) int64 { return int64(f*float64(total)) / 1024 * 1024 }
	used := g.memUsed.next(r)
	cache := g.cache.next(r)
	buffers := kb(0.02 + 0.001*r.Float64())
	cached := kb(cache)
	free := max(total-kb(used)-cached-buffers, 64<<20)
	swapFree := int64(2<<30) - kb(0.001)
	mr := schema.MemoryRow{
		Time: us, TotalBytes: total, FreeBytes: free, AvailableBytes: free + cached*3/4,
		BuffersBytes: buffers, CachedBytes: cached, SharedBytes: kb(0.01), SlabBytes: kb(0.03 + 0.0001*r.Float64()),
		DirtyBytes: int64(r.IntN(2000)) * 4096, SwapTotalBytes: 2 << 30, SwapFreeBytes: swapFree,
	}
	if !first {
		mr.PageFaultsPerS = rate(500 + 5000*busy)
		if r.IntN(30) == 0 {
			mr.MajorFaultsPerS = rate(2)
		}
		if r.IntN(200) == 0 {
			mr.SwapInPerS, mr.SwapOutPerS = rate(1), rate(3)
		}
	}
	b.Memory = []schema.MemoryRow{mr}

	if !first {
		for i, name := range g.h.Disks {
			d := &g.disks[i]
			d.rate.mean = 5 + 200*busy
			ops := d.rate.next(r)
			reads := math.Round(ops * 0.3 * sec)
			writes := math.Round(ops * 0.7 * sec)
			size := math.Round(d.size.next(r)) * 1024
			busyPct := math.Min(100, ops/30)
			b.Disk = append(b.Disk, schema.DiskRow{
				Time: us, Device: name,
				ReadsPerS: schema.ToCenti(reads / sec), WritesPerS: schema.ToCenti(writes / sec),
				ReadBytesPerS: int64(reads*size/sec) / 512 * 512, WriteBytesPerS: int64(writes*size/sec) / 512 * 512,
				BusyPct: schema.ToCenti(busyPct), AwaitMs: schema.ToCenti(0.2 + r.ExpFloat64()*0.3),
				QueueSize: schema.ToCenti(ops / 1000),
			})
		}
		for i, name := range g.h.Interfaces {
			n := &g.nets[i]
			n.rate.mean = 20 + 3000*busy
			rx := math.Round(n.rate.next(r) * sec)
			tx := math.Round(rx * (0.6 + 0.1*r.Float64()))
			size := n.size.next(r)
			row := schema.NetworkRow{
				Time: us, Interface: name,
				RxBytesPerS: int64(rx * size / sec), TxBytesPerS: int64(tx * size * 1.5 / sec),
				RxPacketsPerS: schema.ToCenti(rx / sec), TxPacketsPerS: schema.ToCenti(tx / sec),
			}
			if r.IntN(1000) == 0 {
				row.RxDropsPerS = schema.ToCenti(1 / sec)
			}
			b.Network = append(b.Network, row)
		}
	}

	for i, m := range g.h.Mounts {
		size := int64(20+30*i) << 30
		g.fsUsed[i] = math.Min(0.98, g.fsUsed[i]+r.Float64()*1e-6)
		usedBytes := int64(g.fsUsed[i]*float64(size)) / 4096 * 4096
		inodes := size / 16384
		b.Filesystem = append(b.Filesystem, schema.FilesystemRow{
			Time: us, Mountpoint: m, Device: fmt.Sprintf("/dev/nvme0n1p%d", i+1), FSType: "ext4", Disk: "nvme0n1",
			SizeBytes: size, UsedBytes: usedBytes, AvailBytes: size - usedBytes - size/20,
			InodesTotal: inodes, InodesUsed: inodes / 10,
		})
	}

	for i := range g.temps {
		w := &g.temps[i]
		w.mean = 40 + 30*busy + float64(i)*3
		b.Temperature = append(b.Temperature, schema.TemperatureRow{
			Time: us, Sensor: fmt.Sprintf("hwmon1/temp%d", i+1), Label: fmt.Sprintf("Core %d", i),
			Celsius: schema.ToCenti(math.Round(w.next(r))),
		})
	}

	g.processes(b, us, sec, first, busy)
	if g.h.Custom {
		customRows(b, us)
	}
	gpuRows(b, us, g.h.GPUs, busy)
	g.self(b, us, sec, busy)
	return b
}

// self adds the sampler's own cost: a little CPU that follows the host's
// activity, a steady resident size, and the journal bytes of the rows the
// batch carries. It draws nothing from the random source, so the other
// tables are the same with or without it.
func (g *Generator) self(b *schema.Batch, us int64, sec, busy float64) {
	rows := b.Rows()
	b.Self = append(b.Self, schema.SelfRow{
		Time:         us,
		CPUPct:       schema.ToCenti(0.1 + 0.2*busy + float64(rows)*0.002/sec),
		RSSBytes:     (18 << 20) + int64(rows)*512,
		WrittenBytes: int64(rows) * 24,
		SampleMs:     schema.ToCenti(0.15 + float64(rows)*0.001),
	})
}

// customRows adds the rows of a textfile directory with two files: a
// backup's age and size, and the runs of a job by outcome. They follow
// the time only, so that they draw nothing from the random walks.
func customRows(b *schema.Batch, us int64) {
	sec := us / 1e6
	age := float64(sec % 86400) // a backup at midnight UTC
	for _, db := range []string{"app", "web"} {
		labels := []schema.Label{{Name: "db", Value: db}}
		b.Custom = append(b.Custom,
			schema.CustomRow{Time: us, Metric: "backup_age_seconds", Series: `{db="` + db + `"}`, Labels: labels,
				Type: "gauge", Help: "Seconds since the last backup finished.", Unit: "seconds", Value: age, File: "backup.prom"},
			schema.CustomRow{Time: us, Metric: "backup_size_bytes", Series: `{db="` + db + `"}`, Labels: labels,
				Type: "gauge", Help: "Size of the last backup.", Unit: "bytes", Value: float64(int64(len(db)) << 30), File: "backup.prom"})
	}
	for _, outcome := range []string{"failed", "ok"} {
		n := float64(sec / 60)
		if outcome == "failed" {
			n = float64(sec / 3600)
		}
		b.Custom = append(b.Custom, schema.CustomRow{Time: us, Metric: "job_runs_total",
			Series: `{outcome="` + outcome + `"}`, Labels: []schema.Label{{Name: "outcome", Value: outcome}},
			Type: "counter", Help: "Runs of the nightly job.", Value: n, File: "job.prom"})
	}
}

// gpuRows adds n GPUs, busy as the host is: even ones amdgpu cards with
// every column, odd ones Intel cards with clocks only.
func gpuRows(b *schema.Batch, us int64, n int, busy float64) {
	for i := range n {
		mhz := int64(300 + 1200*busy)
		row := schema.GPURow{Time: us, Card: fmt.Sprintf("card%d", i), GraphicsMHz: &mhz}
		if i%2 == 1 {
			row.Driver = "i915"
			b.GPU = append(b.GPU, row)
			continue
		}
		pct, temp, watts := schema.ToCenti(math.Round(busy*100)), schema.ToCenti(40+30*busy), schema.ToCenti(15+100*busy)
		used, total, mem := int64(busy*float64(4<<30)), int64(8<<30), int64(1000)
		row.Driver, row.Name = "amdgpu", fmt.Sprintf("0000:%02x:00.0", 3+i)
		row.BusyPct, row.Celsius, row.PowerWatts = &pct, &temp, &watts
		row.MemUsedBytes, row.MemTotalBytes, row.MemoryMHz = &used, &total, &mem
		b.GPU = append(b.GPU, row)
	}
}

func cpuRow(us int64, name string, v [9]float64, ticks float64) schema.CPURow {
	p := func(x float64) schema.Centi { return schema.ToCenti(x / ticks * 100) }
	return schema.CPURow{Time: us, CPU: name, UserPct: p(v[0]), NicePct: p(v[1]), SystemPct: p(v[2]),
		IdlePct: p(v[3]), IOWaitPct: p(v[4]), IRQPct: p(v[5]), SoftIRQPct: p(v[6]), StealPct: p(v[7]), GuestPct: p(v[8])}
}

// processes fills the process table and the counts by state and user.
func (g *Generator) processes(b *schema.Batch, us int64, sec float64, first bool, busy float64) {
	r := g.rng
	// Churn: short-lived processes come and go (cron jobs, shells).
	if !first && g.h.Processes > 0 && r.IntN(3) == 0 {
		g.procs = append(g.procs, g.newProc(us-int64(r.IntN(5_000_000)), true))
	}
	kept := g.procs[:0]
	for _, p := range g.procs {
		if p.lifeSamples == 0 {
			if !first && !p.kernel && g.h.OOMEvery > 0 && g.oom.IntN(g.h.OOMEvery) == 0 {
				g.oomKill(b, us, p)
			}
			continue
		}
		if p.lifeSamples > 0 {
			p.lifeSamples--
		}
		kept = append(kept, p)
	}
	g.procs = kept

	count := schema.ProcCountRow{Time: us}
	users := map[string]*schema.ProcUserRow{}
	groups := newGroups(us)
	ticks := math.Round(100 * sec)
	for i := range g.procs {
		p := &g.procs[i]
		p.cpu.mean = p.cpu.mean*0.999 + busy*0.001*10
		cpu := math.Round(p.cpu.next(r)/100*ticks) / ticks * 100
		if p.kernel {
			cpu = 0
		}
		if r.IntN(20) == 0 && !p.kernel {
			p.rss = max(4096, p.rss+int64(r.IntN(64)-24)*4096)
		}
		state := "S"
		switch {
		case p.kernel:
			state = "I"
		case cpu > 5 && r.IntN(3) == 0:
			state = "R"
		case r.IntN(400) == 0:
			state = "D"
		}
		count.Total++
		count.Threads += p.threads
		switch state {
		case "R":
			count.Running++
		case "S":
			count.Sleeping++
		case "D":
			count.DiskSleep++
		case "I":
			count.Idle++
		}
		u := users[p.user]
		if u == nil {
			u = &schema.ProcUserRow{Time: us, User: p.user}
			users[p.user] = u
		}
		u.Processes++
		u.Threads += p.threads
		u.RSSBytes += p.rss
		u.CPUPct += schema.ToCenti(cpu)
		if first {
			continue
		}
		row := schema.ProcessRow{
			Time: us, PID: p.pid, PPID: p.ppid, StartTime: p.start, User: p.user, Comm: p.comm, State: state,
			CPUUserPct: schema.ToCenti(math.Round(cpu*0.8*ticks/100) / ticks * 100), RSSBytes: p.rss,
			VSizeBytes: p.vsize, Threads: p.threads,
		}
		row.CPUSystemPct = schema.ToCenti(cpu) - row.CPUUserPct
		if p.kernel {
			row.RSSBytes, row.VSizeBytes = 0, 0
		}
		if p.io && !p.kernel {
			var rd, wr int64
			if r.IntN(10) == 0 {
				rd = int64(r.IntN(100)) * 4096 / int64(sec)
			}
			if r.IntN(5) == 0 {
				wr = int64(r.IntN(50)) * 4096 / int64(sec)
			}
			row.ReadBytesPerS, row.WriteBytesPerS = &rd, &wr
		}
		cg := cgroupOf(p.comm, p.kernel)
		row.Cgroup, row.Unit, row.Container = cg.path, cg.unit, cg.container
		b.Process = append(b.Process, row)
		groups.add(&row, cg, sec)
	}
	if g.h.Processes == 0 {
		// Still count a plausible process population.
		count = schema.ProcCountRow{Time: us, Total: 180, Threads: 420, Running: 1 + int32(busy*4),
			Sleeping: 120, Idle: 59 - int32(busy*4)}
		users = map[string]*schema.ProcUserRow{"root": {Time: us, User: "root", Processes: 180, Threads: 420,
			CPUPct: schema.ToCenti(busy * 100), RSSBytes: 1 << 30}}
	}
	if first {
		return
	}
	short := int64(g.oom.IntN(3))
	count.ShortLived = &short
	b.ProcCount = []schema.ProcCountRow{count}
	groups.emit(b, g.oom)
	for _, name := range g.h.Users {
		if u := users[name]; u != nil {
			b.ProcUser = append(b.ProcUser, *u)
		}
	}
}
