package schema

// CgroupRow is one control group in one sample: a systemd unit, a
// container or any other cgroup that held at least one process of the
// sample. Cgroup is its path (the cgroup v2 path, or on a cgroup v1 host
// the path of the name=systemd hierarchy or of the memory controller);
// Unit, Container, Runtime and Pod are derived from it. The figures come
// from the cgroup's own files (cgroup v2, or the v1 controllers'
// equivalents) and are NULL where the kernel has no such file; the root
// cgroup's are always NULL, being the whole host's (see the cpu and memory
// tables). Processes and threads are those of the process table.
type CgroupRow struct {
	Time            int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	Cgroup          string `parquet:"cgroup,dict" kind:"identity" doc:"the cgroup's path, as /proc/<pid>/cgroup gives it"`
	Unit            string `parquet:"unit,dict,optional" kind:"label" doc:"the systemd unit (service, scope or slice) it is, or is in; NULL when none"`
	Container       string `parquet:"container,dict,optional" kind:"label" doc:"the container id; NULL when not a container"`
	Runtime         string `parquet:"runtime,dict,optional" kind:"label" doc:"docker, containerd, cri-o, podman, lxc or kubepods (a pod's cgroup whose runtime the path does not say)"`
	Pod             string `parquet:"pod,dict,optional" kind:"label" doc:"the Kubernetes pod uid; NULL when not in a pod"`
	Processes       int32  `parquet:"processes,delta" kind:"gauge" doc:"processes in it (as in the process table)"`
	Threads         int32  `parquet:"threads,delta" kind:"gauge" doc:"threads of those processes"`
	CPUPct          *Centi `parquet:"cpu_pct,decimal(2:18),optional" kind:"percent" unit:"% of a CPU" doc:"CPU used by it and its children (cpu.stat usage_usec, cpuacct.usage); NULL when unreadable"`
	CPUUsec         *int64 `parquet:"cpu_usec,optional" kind:"count" unit:"µs" doc:"CPU time used during the interval"`
	MemoryBytes     *int64 `parquet:"memory_bytes,optional" kind:"gauge" unit:"bytes" doc:"memory charged to it, page cache included (memory.current, memory.usage_in_bytes)"`
	MemoryPeakBytes *int64 `parquet:"memory_peak_bytes,optional" kind:"gauge" unit:"bytes" doc:"the most ever charged to it (memory.peak, memory.max_usage_in_bytes); NULL on kernels without it"`
	ReadBytesPerS   *int64 `parquet:"read_bytes_per_s,optional" kind:"rate" unit:"bytes/s" doc:"bytes read from block devices (io.stat rbytes, blkio.throttle.io_service_bytes)"`
	WriteBytesPerS  *int64 `parquet:"write_bytes_per_s,optional" kind:"rate" unit:"bytes/s" doc:"bytes written to block devices"`
	CPUSomePct      *Centi `parquet:"cpu_some_pct,decimal(2:18),optional" kind:"percent" unit:"%" doc:"share of the interval some of its tasks waited for a CPU (cpu.pressure)"`
	MemorySomePct   *Centi `parquet:"memory_some_pct,decimal(2:18),optional" kind:"percent" unit:"%" doc:"share of the interval some of its tasks stalled on memory (memory.pressure)"`
	MemoryFullPct   *Centi `parquet:"memory_full_pct,decimal(2:18),optional" kind:"percent" unit:"%" doc:"share of the interval all of its tasks stalled on memory"`
	IOSomePct       *Centi `parquet:"io_some_pct,decimal(2:18),optional" kind:"percent" unit:"%" doc:"share of the interval some of its tasks stalled on I/O (io.pressure)"`
	IOFullPct       *Centi `parquet:"io_full_pct,decimal(2:18),optional" kind:"percent" unit:"%" doc:"share of the interval all of its tasks stalled on I/O"`
	OOMKills        *int64 `parquet:"oom_kills,optional" kind:"count" doc:"processes the OOM killer killed in it during the interval (memory.events, memory.oom_control)"`
}

// OOMKillRow is one process the kernel's OOM killer killed: one row per
// kill counted by /proc/vmstat oom_kill. The victim is named by what the
// sampler saw: the process of the cgroup that counted the kill, or of the
// host, that vanished during the interval with the most resident memory it
// was seen with. How says which; a kill whose victim was not seen has PID
// 0 and How "unseen".
type OOMKillRow struct {
	Time      int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval the kill happened in"`
	PID       int32  `parquet:"pid,delta" kind:"label" doc:"the victim's process id; 0 when unseen"`
	StartTime int64  `parquet:"start_time,timestamp(microsecond),delta" kind:"timestamp" doc:"when the victim started; with pid, it is the process table's identity"`
	Comm      string `parquet:"comm,dict,optional" kind:"label" doc:"the victim's command name"`
	User      string `parquet:"user,dict,optional" kind:"label" doc:"the victim's user name"`
	RSSBytes  int64  `parquet:"rss_bytes,delta" kind:"gauge" unit:"bytes" doc:"the most resident memory it was seen with (when last seen, an exiting victim may have lost it already)"`
	Cgroup    string `parquet:"cgroup,dict,optional" kind:"label" doc:"its cgroup, as in the cgroup table"`
	Unit      string `parquet:"unit,dict,optional" kind:"label" doc:"its systemd unit"`
	Container string `parquet:"container,dict,optional" kind:"label" doc:"its container id"`
	How       string `parquet:"how,dict" kind:"label" doc:"cgroup: the largest vanished process of a cgroup that counted a kill; host: the largest vanished process of the host; unseen: no vanished process left to name"`
}

// ProcGroupRow sums the processes of one group in one sample: the
// processes with one command name (By "comm"), of one user ("user"), in
// one systemd unit ("unit") or in one container ("container"). Its hourly
// rollup keeps, for years, which services used the CPU and memory.
type ProcGroupRow struct {
	Time      int64  `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	By        string `parquet:"kind,dict" kind:"identity" doc:"comm, user, unit or container"`
	Name      string `parquet:"name,dict" kind:"identity" doc:"the command name, user name, unit or container id"`
	Processes int32  `parquet:"processes,delta" kind:"gauge" doc:"processes"`
	Threads   int32  `parquet:"threads,delta" kind:"gauge" doc:"threads"`
	CPUPct    Centi  `parquet:"cpu_pct,decimal(2:18),delta" kind:"percent" unit:"% of a CPU" doc:"CPU used, user and system"`
	CPUMs     int64  `parquet:"cpu_ms,delta" kind:"count" unit:"ms" doc:"CPU time used during the interval, user and system"`
	RSSBytes  int64  `parquet:"rss_bytes,delta" kind:"gauge" unit:"bytes" doc:"resident memory, summed"`
	MaxRSS    int64  `parquet:"max_rss_bytes,delta" kind:"gauge" unit:"bytes" doc:"resident memory of its largest process"`
}
