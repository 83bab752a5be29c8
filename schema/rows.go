package schema

import "time"

// Centi is a fixed-point number with two decimals: 1234 means 12.34.
// Percentages, per-second rates of small counts, load averages, pressure
// averages and temperatures are stored as Centi, which Parquet holds as
// DECIMAL(18,2): exact, small on disk once delta-encoded, and read by DuckDB
// as a plain decimal number.
type Centi int64

// ToCenti rounds v to two decimals.
func ToCenti(v float64) Centi {
	if v >= 0 {
		return Centi(v*100 + 0.5)
	}
	return Centi(v*100 - 0.5)
}

// Float returns c as a float64 (12.34 for 1234).
func (c Centi) Float() float64 { return float64(c) / 100 }

// Micros returns t as microseconds since the Unix epoch, the unit of every
// timestamp column.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// Every row type below is the declaration of its table's columns: the
// parquet tag names the column (snake_case, with its unit) and its
// encoding, kind says what the value is (see Kind), unit and doc say
// what it measures. Timestamps are microseconds since the epoch in UTC,
// strings are dictionary-encoded and numbers delta-encoded. The host and
// the day are not columns: they are the Hive partition folders
// (host=…/date=…), which DuckDB turns back into columns. A string tagged
// optional is NULL when empty: unknown, not blank.

// HostRow holds the facts of a host. It is written when a fact changes and
// at least once a day.
type HostRow struct {
	Time        int64   `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"when the facts were read"`
	Hostname    string  `parquet:"hostname,dict" kind:"label" doc:"the kernel's host name"`
	OS          string  `parquet:"os,dict,optional" kind:"label" doc:"PRETTY_NAME of os-release; NULL when unknown"`
	Kernel      string  `parquet:"kernel,dict,optional" kind:"label" doc:"kernel release"`
	Arch        string  `parquet:"arch,dict,optional" kind:"label" doc:"machine architecture"`
	BootTime    int64   `parquet:"boot_time,timestamp(microsecond),delta" kind:"timestamp" doc:"when the host booted (changes only at a reboot, not with clock jitter)"`
	CPUModel    string  `parquet:"cpu_model,dict,optional" kind:"label" doc:"model name of the first CPU; NULL when unknown"`
	CPUCores    int32   `parquet:"cpu_cores,delta" kind:"gauge" doc:"online CPUs"`
	MemoryBytes int64   `parquet:"memory_bytes,delta" kind:"gauge" unit:"bytes" doc:"MemTotal"`
	SwapBytes   int64   `parquet:"swap_bytes,delta" kind:"gauge" unit:"bytes" doc:"SwapTotal"`
	Mounts      []Mount `parquet:"mounts,list" kind:"label" doc:"the filesystems of the filesystem table, as a list of structs"`
}

// Mount is one mounted filesystem in the host facts.
type Mount struct {
	Mountpoint string `parquet:"mountpoint,dict" doc:"where it is mounted"`
	FSType     string `parquet:"fstype,dict" doc:"filesystem type"`
	Device     string `parquet:"device,dict" doc:"mount source, as in mountinfo"`
}

// CPURow is the share of time a CPU spent in each mode over the interval.
// CPU is "all" for the whole machine, else the core number ("0", "1", …).
// As in sar, user and nice exclude guest time, so the modes add up to 100.
type CPURow struct {
	Time       int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	CPU        string `parquet:"cpu,dict" kind:"identity" doc:"\"all\", or the core number"`
	UserPct    Centi  `parquet:"user_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"user mode, guest excluded"`
	NicePct    Centi  `parquet:"nice_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"user mode at low priority, guest_nice excluded"`
	SystemPct  Centi  `parquet:"system_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"kernel mode"`
	IdlePct    Centi  `parquet:"idle_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"idle"`
	IOWaitPct  Centi  `parquet:"iowait_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"idle with I/O outstanding"`
	IRQPct     Centi  `parquet:"irq_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"serving interrupts"`
	SoftIRQPct Centi  `parquet:"softirq_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"serving softirqs"`
	StealPct   Centi  `parquet:"steal_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"taken by the hypervisor"`
	GuestPct   Centi  `parquet:"guest_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"running guests, nice included"`
}

// SystemRow is one row per sample of whole-system figures: load averages,
// kernel activity rates and the boot time (a change of boot time is a reboot).
type SystemRow struct {
	Time         int64 `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	BootTime     int64 `parquet:"boot_time,timestamp(microsecond),delta" kind:"timestamp" doc:"when the host booted; changes only at a reboot (the kernel's value moves by a second or so; the sampler keeps the first)"`
	IntervalMs   int32 `parquet:"interval_ms,delta" kind:"gauge" unit:"ms" doc:"length of the interval"`
	Load1        Centi `parquet:"load1,decimal(2:18),delta" kind:"gauge" doc:"load average over 1 minute"`
	Load5        Centi `parquet:"load5,decimal(2:18),delta" kind:"gauge" doc:"load average over 5 minutes"`
	Load15       Centi `parquet:"load15,decimal(2:18),delta" kind:"gauge" doc:"load average over 15 minutes"`
	ProcsRunning int32 `parquet:"procs_running,delta" kind:"gauge" doc:"runnable tasks"`
	ProcsBlocked int32 `parquet:"procs_blocked,delta" kind:"gauge" doc:"tasks blocked on I/O"`
	CtxtPerS     Centi `parquet:"ctxt_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"context switches"`
	IntrPerS     Centi `parquet:"intr_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"interrupts"`
	ForksPerS    Centi `parquet:"forks_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"processes created"`
}

// PressureRow is the pressure stall information of one resource ("cpu",
// "memory", "io", "irq"). The avg columns are the kernel's running averages;
// the stall columns are the share of the interval that tasks were stalled.
type PressureRow struct {
	Time         int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	Resource     string `parquet:"resource,dict" kind:"identity" doc:"cpu, memory, io or irq"`
	SomeAvg10    Centi  `parquet:"some_avg10,decimal(2:18),delta" kind:"percent" unit:"%" doc:"some tasks stalled, kernel's 10 s average"`
	SomeAvg60    Centi  `parquet:"some_avg60,decimal(2:18),delta" kind:"percent" unit:"%" doc:"some tasks stalled, 60 s average"`
	SomeAvg300   Centi  `parquet:"some_avg300,decimal(2:18),delta" kind:"percent" unit:"%" doc:"some tasks stalled, 300 s average"`
	SomeStallPct Centi  `parquet:"some_stall_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"share of the interval some tasks were stalled"`
	FullAvg10    Centi  `parquet:"full_avg10,decimal(2:18),delta" kind:"percent" unit:"%" doc:"all tasks stalled, 10 s average"`
	FullAvg60    Centi  `parquet:"full_avg60,decimal(2:18),delta" kind:"percent" unit:"%" doc:"all tasks stalled, 60 s average"`
	FullAvg300   Centi  `parquet:"full_avg300,decimal(2:18),delta" kind:"percent" unit:"%" doc:"all tasks stalled, 300 s average"`
	FullStallPct Centi  `parquet:"full_stall_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"share of the interval all tasks were stalled"`
}

// MemoryRow is one row per sample from /proc/meminfo and /proc/vmstat.
// Swap and paging rates are in pages per second; OOMKills counts the kills
// during the interval.
type MemoryRow struct {
	Time            int64 `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	TotalBytes      int64 `parquet:"total_bytes,delta" kind:"gauge" unit:"bytes" doc:"MemTotal"`
	FreeBytes       int64 `parquet:"free_bytes,delta" kind:"gauge" unit:"bytes" doc:"MemFree"`
	AvailableBytes  int64 `parquet:"available_bytes,delta" kind:"gauge" unit:"bytes" doc:"MemAvailable"`
	BuffersBytes    int64 `parquet:"buffers_bytes,delta" kind:"gauge" unit:"bytes" doc:"Buffers"`
	CachedBytes     int64 `parquet:"cached_bytes,delta" kind:"gauge" unit:"bytes" doc:"Cached"`
	SharedBytes     int64 `parquet:"shared_bytes,delta" kind:"gauge" unit:"bytes" doc:"Shmem"`
	SlabBytes       int64 `parquet:"slab_bytes,delta" kind:"gauge" unit:"bytes" doc:"Slab"`
	DirtyBytes      int64 `parquet:"dirty_bytes,delta" kind:"gauge" unit:"bytes" doc:"Dirty"`
	SwapTotalBytes  int64 `parquet:"swap_total_bytes,delta" kind:"gauge" unit:"bytes" doc:"SwapTotal"`
	SwapFreeBytes   int64 `parquet:"swap_free_bytes,delta" kind:"gauge" unit:"bytes" doc:"SwapFree"`
	SwapInPerS      Centi `parquet:"swap_in_per_s,decimal(2:18),delta" kind:"rate" unit:"pages/s" doc:"pages swapped in"`
	SwapOutPerS     Centi `parquet:"swap_out_per_s,decimal(2:18),delta" kind:"rate" unit:"pages/s" doc:"pages swapped out"`
	PageFaultsPerS  Centi `parquet:"page_faults_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"page faults"`
	MajorFaultsPerS Centi `parquet:"major_faults_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"major page faults (read from disk)"`
	OOMKills        int64 `parquet:"oom_kills,delta" kind:"count" doc:"processes the OOM killer killed during the interval"`
}

// DiskRow is the activity of one block device over the interval, as in
// iostat -x: operations and bytes per second, busy share, average wait per
// operation and average queue size.
type DiskRow struct {
	Time           int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	Device         string `parquet:"device,dict" kind:"identity" doc:"kernel name (sda, nvme0n1, dm-0), as filesystem.disk"`
	ReadsPerS      Centi  `parquet:"reads_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"reads completed"`
	WritesPerS     Centi  `parquet:"writes_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"writes completed"`
	ReadBytesPerS  int64  `parquet:"read_bytes_per_s,delta" kind:"rate" unit:"bytes/s" doc:"bytes read"`
	WriteBytesPerS int64  `parquet:"write_bytes_per_s,delta" kind:"rate" unit:"bytes/s" doc:"bytes written"`
	BusyPct        Centi  `parquet:"busy_pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"share of the interval with I/O in flight"`
	AwaitMs        Centi  `parquet:"await_ms,decimal(2:18),delta" kind:"gauge" unit:"ms" doc:"average time per operation, queue included"`
	QueueSize      Centi  `parquet:"queue_size,decimal(2:18),delta" kind:"gauge" doc:"average operations in flight"`
}

// FilesystemRow is the space and inode use of one mounted filesystem.
type FilesystemRow struct {
	Time        int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"time of the sample"`
	Mountpoint  string `parquet:"mountpoint,dict" kind:"identity" doc:"where it is mounted"`
	Device      string `parquet:"device,dict" kind:"label" doc:"mount source, as in mountinfo (/dev/vda1, a server:/export)"`
	FSType      string `parquet:"fstype,dict" kind:"label" doc:"filesystem type"`
	SizeBytes   int64  `parquet:"size_bytes,delta" kind:"gauge" unit:"bytes" doc:"size"`
	UsedBytes   int64  `parquet:"used_bytes,delta" kind:"gauge" unit:"bytes" doc:"used"`
	AvailBytes  int64  `parquet:"avail_bytes,delta" kind:"gauge" unit:"bytes" doc:"available to unprivileged users"`
	InodesTotal int64  `parquet:"inodes_total,delta" kind:"gauge" doc:"inodes"`
	InodesUsed  int64  `parquet:"inodes_used,delta" kind:"gauge" doc:"inodes used"`
	ReadOnly    bool   `parquet:"read_only" kind:"label" doc:"mounted read-only"`
	Disk        string `parquet:"disk,dict,optional" kind:"label" doc:"the whole disk it is on, named as disk.device names it (vda for /dev/vda1, dm-0 for an LVM volume); NULL when not on a local block device (tmpfs, NFS)"`
}

// NetworkRow is the traffic of one network interface over the interval.
type NetworkRow struct {
	Time          int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	Interface     string `parquet:"interface,dict" kind:"identity" doc:"interface name"`
	RxBytesPerS   int64  `parquet:"rx_bytes_per_s,delta" kind:"rate" unit:"bytes/s" doc:"bytes received"`
	TxBytesPerS   int64  `parquet:"tx_bytes_per_s,delta" kind:"rate" unit:"bytes/s" doc:"bytes sent"`
	RxPacketsPerS Centi  `parquet:"rx_packets_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"packets received"`
	TxPacketsPerS Centi  `parquet:"tx_packets_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"packets sent"`
	RxErrorsPerS  Centi  `parquet:"rx_errors_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"receive errors"`
	TxErrorsPerS  Centi  `parquet:"tx_errors_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"send errors"`
	RxDropsPerS   Centi  `parquet:"rx_drops_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"received packets dropped"`
	TxDropsPerS   Centi  `parquet:"tx_drops_per_s,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"packets to send dropped"`
}

// TemperatureRow is one sensor reading. Sensor is a stable identifier
// ("thermal_zone0", "hwmon1/temp2"); Label is what the hardware calls it
// ("x86_pkg_temp", "coretemp Package id 0").
type TemperatureRow struct {
	Time    int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"time of the sample"`
	Sensor  string `parquet:"sensor,dict" kind:"identity" doc:"thermal_zone<N> or hwmon<N>/temp<M>"`
	Label   string `parquet:"label,dict" kind:"label" doc:"what the hardware calls it"`
	Celsius Centi  `parquet:"celsius,decimal(2:18),delta" kind:"gauge" unit:"°C" doc:"temperature"`
}

// ProcCountRow counts the processes of the host by state, once per sample.
// Threads counts every thread of every process.
type ProcCountRow struct {
	Time        int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"time of the sample"`
	Total       int32  `parquet:"total,delta" kind:"gauge" doc:"processes"`
	Threads     int32  `parquet:"threads,delta" kind:"gauge" doc:"threads of every process"`
	Running     int32  `parquet:"running,delta" kind:"gauge" doc:"in state R"`
	Sleeping    int32  `parquet:"sleeping,delta" kind:"gauge" doc:"in state S"`
	DiskSleep   int32  `parquet:"disk_sleep,delta" kind:"gauge" doc:"in state D"`
	Zombie      int32  `parquet:"zombie,delta" kind:"gauge" doc:"in state Z"`
	Stopped     int32  `parquet:"stopped,delta" kind:"gauge" doc:"in state T"`
	TracingStop int32  `parquet:"tracing_stop,delta" kind:"gauge" doc:"in state t"`
	Idle        int32  `parquet:"idle,delta" kind:"gauge" doc:"in state I"`
	Dead        int32  `parquet:"dead,delta" kind:"gauge" doc:"in state X"`
	Other       int32  `parquet:"other,delta" kind:"gauge" doc:"in any other state (W, P, K on old kernels)"`
	ShortLived  *int64 `parquet:"short_lived,optional" kind:"count" doc:"tasks the kernel created during the interval that no sample saw (/proc/stat processes, minus new processes and new threads seen): short-lived processes, and threads that came and went; NULL when unknown"`
}

// ProcUserRow sums the processes of one user, once per sample.
type ProcUserRow struct {
	Time      int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	User      string `parquet:"user,dict" kind:"identity" doc:"user name, or the uid when it has none"`
	Processes int32  `parquet:"processes,delta" kind:"gauge" doc:"processes"`
	Threads   int32  `parquet:"threads,delta" kind:"gauge" doc:"threads"`
	CPUPct    Centi  `parquet:"cpu_pct,decimal(2:18),delta" kind:"percent" unit:"% of a CPU" doc:"CPU used, user and system"`
	RSSBytes  int64  `parquet:"rss_bytes,delta" kind:"gauge" unit:"bytes" doc:"resident memory"`
}

// ProcessRow is one process in one sample. PID and StartTime together
// identify a process across samples (PIDs are reused). CPU percentages are
// of one CPU over the interval (200 means two full cores, as in top). The
// I/O rates are NULL when /proc/<pid>/io could not be read; Cmdline is
// NULL unless the sampler runs with --cmdline, and empty for a kernel
// thread.
type ProcessRow struct {
	Time           int64   `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	PID            int32   `parquet:"pid,delta" kind:"identity" doc:"process id"`
	PPID           int32   `parquet:"ppid,delta" kind:"label" doc:"parent's process id"`
	StartTime      int64   `parquet:"start_time,timestamp(microsecond),delta" kind:"identity" doc:"when it started; with pid, identifies the process"`
	User           string  `parquet:"user,dict" kind:"label" doc:"owner's user name"`
	Comm           string  `parquet:"comm,dict" kind:"label" doc:"command name"`
	State          string  `parquet:"state,dict" kind:"label" doc:"state (running, sleeping, disk sleep, zombie, …)"`
	CPUUserPct     Centi   `parquet:"cpu_user_pct,decimal(2:18),delta" kind:"percent" unit:"% of a CPU" doc:"CPU in user mode"`
	CPUSystemPct   Centi   `parquet:"cpu_system_pct,decimal(2:18),delta" kind:"percent" unit:"% of a CPU" doc:"CPU in kernel mode"`
	RSSBytes       int64   `parquet:"rss_bytes,delta" kind:"gauge" unit:"bytes" doc:"resident memory"`
	VSizeBytes     int64   `parquet:"vsize_bytes,delta" kind:"gauge" unit:"bytes" doc:"virtual memory size"`
	Threads        int32   `parquet:"threads,delta" kind:"gauge" doc:"threads"`
	ReadBytesPerS  *int64  `parquet:"read_bytes_per_s,optional" kind:"rate" unit:"bytes/s" doc:"bytes read from storage; NULL when unreadable"`
	WriteBytesPerS *int64  `parquet:"write_bytes_per_s,optional" kind:"rate" unit:"bytes/s" doc:"bytes written to storage; NULL when unreadable"`
	Cmdline        *string `parquet:"cmdline,dict,optional" kind:"label" doc:"command line; NULL unless sampled with --cmdline, empty for kernel threads"`
	GPUMemBytes    *int64  `parquet:"gpu_mem_bytes,optional" kind:"gauge" unit:"bytes" doc:"GPU memory it uses on every NVIDIA GPU (NVML, the nvml build only); NULL when not known"`
	Cgroup         string  `parquet:"cgroup,dict,optional" kind:"label" doc:"its cgroup, as the cgroup table names it (read when the process is first seen, and again when it execs)"`
	Unit           string  `parquet:"unit,dict,optional" kind:"label" doc:"the systemd unit its cgroup is or is in; NULL when none"`
	Container      string  `parquet:"container,dict,optional" kind:"label" doc:"the container id its cgroup names; NULL when none"`
	CgroupMemory   string  `parquet:"cgroup_memory,dict,optional" kind:"label" doc:"on a cgroup v1 or hybrid host, its memory controller's cgroup; NULL on cgroup v2"`
	CgroupCPU      string  `parquet:"cgroup_cpu,dict,optional" kind:"label" doc:"on a cgroup v1 or hybrid host, its cpuacct controller's cgroup; NULL on cgroup v2"`
}

// AlertRow is one state change of an alerting rule for one series of the
// host: an incident that starts (firing), worsens (escalated) or ends
// (resolved), an event, or a hold-down that starts (pending) or backs off
// (cancelled). The site's incident history and the README's incident
// queries read it.
type AlertRow struct {
	Time     int64   `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"when the state changed (the sample's time)"`
	Rule     string  `parquet:"rule,dict" kind:"identity" doc:"the rule's name"`
	Series   string  `parquet:"series,dict" kind:"identity" doc:"the labels of the series, as mountpoint=/var; empty for a host-wide value"`
	State    string  `parquet:"state,dict" kind:"label" doc:"pending, cancelled, firing, escalated, repeat, resolved or event"`
	Severity string  `parquet:"severity,dict,optional" kind:"label" doc:"warn or crit"`
	Since    int64   `parquet:"since,timestamp(microsecond),delta" kind:"timestamp" doc:"when the incident (or its hold-down) began"`
	Value    float64 `parquet:"value" kind:"gauge" doc:"the value at the change"`
	Peak     float64 `parquet:"peak" kind:"gauge" doc:"the worst value of the incident so far"`
	Silenced bool    `parquet:"silenced" kind:"label" doc:"a silence muted its notification"`
}

// CustomRow is one series of a custom metric in one sample, read from a
// textfile (a *.prom file in the Prometheus text format, as
// node_exporter's textfile collector reads them). Metric and Series
// identify it; Labels holds the same labels as a list a query can filter
// on. A counter's value is stored as written (cumulative): a rate is its
// difference between samples, which the site draws.
type CustomRow struct {
	Time   int64   `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"time of the sample"`
	Metric string  `parquet:"metric,dict" kind:"identity" doc:"metric name as written (a histogram's or summary's parts as name_bucket, name_sum, name_count)"`
	Series string  `parquet:"series,dict" kind:"identity" doc:"the labels, sorted by name, as {job=\"db\",le=\"0.5\"}; empty without labels"`
	Labels []Label `parquet:"labels,list" kind:"label" doc:"the labels as a list of name/value structs: map_from_entries(labels)['job'] in DuckDB"`
	Type   string  `parquet:"type,dict" kind:"label" doc:"gauge, counter, untyped, histogram or summary, from the file's TYPE line"`
	Help   string  `parquet:"help,dict,optional" kind:"label" doc:"the metric's HELP text; NULL without one"`
	Unit   string  `parquet:"unit,dict,optional" kind:"label" doc:"the unit its name ends with (seconds, bytes, celsius, ratio, …); NULL for none"`
	Value  float64 `parquet:"value" kind:"gauge" doc:"the value as written; a counter's cumulative value"`
	File   string  `parquet:"file,dict" kind:"label" doc:"the name of the .prom file it came from"`
}

// Label is one label of a custom metric's series.
type Label struct {
	Name  string `parquet:"name,dict" doc:"label name"`
	Value string `parquet:"value,dict" doc:"label value"`
}

// GPURow is one GPU in one sample. Card names the device (card0 from
// /sys/class/drm, nvidia0 from NVML); a column the driver does not expose
// is NULL.
type GPURow struct {
	Time          int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"time of the sample"`
	Card          string `parquet:"card,dict" kind:"identity" doc:"card<N> (/sys/class/drm) or nvidia<N> (NVML index)"`
	Driver        string `parquet:"driver,dict" kind:"label" doc:"amdgpu, i915, xe or nvidia"`
	Name          string `parquet:"name,dict,optional" kind:"label" doc:"the device's PCI address, or NVML's product name; NULL when unknown"`
	BusyPct       *Centi `parquet:"busy_pct,decimal(2:18),optional" kind:"percent" unit:"%" doc:"share of time the GPU was busy; NULL when not exposed"`
	MemUsedBytes  *int64 `parquet:"mem_used_bytes,optional" kind:"gauge" unit:"bytes" doc:"video memory used; NULL when not exposed"`
	MemTotalBytes *int64 `parquet:"mem_total_bytes,optional" kind:"gauge" unit:"bytes" doc:"video memory size; NULL when not exposed"`
	Celsius       *Centi `parquet:"celsius,decimal(2:18),optional" kind:"gauge" unit:"°C" doc:"temperature (amdgpu: its edge sensor); NULL when not exposed"`
	PowerWatts    *Centi `parquet:"power_watts,decimal(2:18),optional" kind:"gauge" unit:"W" doc:"power drawn; NULL when not exposed"`
	GraphicsMHz   *int64 `parquet:"graphics_mhz,optional" kind:"gauge" unit:"MHz" doc:"current graphics (shader) clock; NULL when not exposed"`
	MemoryMHz     *int64 `parquet:"memory_mhz,optional" kind:"gauge" unit:"MHz" doc:"current memory clock; NULL when not exposed"`
	GraphicsMax   *int64 `parquet:"graphics_max_mhz,optional" kind:"gauge" unit:"MHz" doc:"the graphics clock's current upper limit; NULL when not exposed"`
}

// Batch is everything one sample of a host produced, one slice per table.
// Time is when the sample's second reading was taken; every row carries it.
type Batch struct {
	Time        time.Time
	Host        []HostRow
	CPU         []CPURow
	System      []SystemRow
	Pressure    []PressureRow
	Memory      []MemoryRow
	Disk        []DiskRow
	Filesystem  []FilesystemRow
	Network     []NetworkRow
	Temperature []TemperatureRow
	ProcCount   []ProcCountRow
	ProcUser    []ProcUserRow
	Process     []ProcessRow
	Alert       []AlertRow
	Self        []SelfRow
	Custom      []CustomRow
	GPU         []GPURow
	Cgroup      []CgroupRow
	OOMKill     []OOMKillRow
	ProcGroup   []ProcGroupRow
}

// Rows returns the number of rows in b over all tables.
func (b *Batch) Rows() int {
	n := 0
	for _, t := range Tables {
		n += t.Len(b)
	}
	return n
}
