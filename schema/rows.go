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

// The table names, one per kind of row. Each is a folder of the archive.
const (
	TableHost        = "host"
	TableCPU         = "cpu"
	TableSystem      = "system"
	TablePressure    = "pressure"
	TableMemory      = "memory"
	TableDisk        = "disk"
	TableFilesystem  = "filesystem"
	TableNetwork     = "network"
	TableTemperature = "temperature"
	TableProcCount   = "proc_count"
	TableProcUser    = "proc_user"
	TableProcess     = "process"
)

// Tables lists every table in a fixed order.
var Tables = []string{
	TableHost, TableCPU, TableSystem, TablePressure, TableMemory, TableDisk,
	TableFilesystem, TableNetwork, TableTemperature, TableProcCount,
	TableProcUser, TableProcess,
}

// Every row type below is also the Parquet schema of its table: field tags
// name the columns (snake_case, with units), timestamps are microseconds since
// the epoch in UTC, strings are dictionary-encoded and numbers delta-encoded.
// The host and the day are not columns: they are the Hive partition folders
// (host=…/date=…), which DuckDB turns back into columns.

// HostRow holds the facts of a host. It is written when a fact changes and
// at least once a day.
type HostRow struct {
	Time        int64    `parquet:"time,timestamp(microsecond),delta"`
	Hostname    string   `parquet:"hostname,dict"`
	OS          string   `parquet:"os,dict"`
	Kernel      string   `parquet:"kernel,dict"`
	Arch        string   `parquet:"arch,dict"`
	BootTime    int64    `parquet:"boot_time,timestamp(microsecond),delta"`
	CPUModel    string   `parquet:"cpu_model,dict"`
	CPUCores    int32    `parquet:"cpu_cores,delta"`
	MemoryBytes int64    `parquet:"memory_bytes,delta"`
	SwapBytes   int64    `parquet:"swap_bytes,delta"`
	Filesystems []string `parquet:"filesystems,list"`
}

// CPURow is the share of time a CPU spent in each mode over the interval.
// CPU is "all" for the whole machine, else the core number ("0", "1", …).
// As in sar, user and nice exclude guest time, so the modes add up to 100.
type CPURow struct {
	Time       int64  `parquet:"time,timestamp(microsecond),delta"`
	CPU        string `parquet:"cpu,dict"`
	UserPct    Centi  `parquet:"user_pct,decimal(2:18),delta"`
	NicePct    Centi  `parquet:"nice_pct,decimal(2:18),delta"`
	SystemPct  Centi  `parquet:"system_pct,decimal(2:18),delta"`
	IdlePct    Centi  `parquet:"idle_pct,decimal(2:18),delta"`
	IOWaitPct  Centi  `parquet:"iowait_pct,decimal(2:18),delta"`
	IRQPct     Centi  `parquet:"irq_pct,decimal(2:18),delta"`
	SoftIRQPct Centi  `parquet:"softirq_pct,decimal(2:18),delta"`
	StealPct   Centi  `parquet:"steal_pct,decimal(2:18),delta"`
	GuestPct   Centi  `parquet:"guest_pct,decimal(2:18),delta"`
}

// SystemRow is one row per sample of whole-system figures: load averages,
// kernel activity rates and the boot time (a change of boot time is a reboot).
type SystemRow struct {
	Time         int64 `parquet:"time,timestamp(microsecond),delta"`
	BootTime     int64 `parquet:"boot_time,timestamp(microsecond),delta"`
	IntervalMs   int32 `parquet:"interval_ms,delta"`
	Load1        Centi `parquet:"load1,decimal(2:18),delta"`
	Load5        Centi `parquet:"load5,decimal(2:18),delta"`
	Load15       Centi `parquet:"load15,decimal(2:18),delta"`
	ProcsRunning int32 `parquet:"procs_running,delta"`
	ProcsBlocked int32 `parquet:"procs_blocked,delta"`
	CtxtPerS     Centi `parquet:"ctxt_per_s,decimal(2:18),delta"`
	IntrPerS     Centi `parquet:"intr_per_s,decimal(2:18),delta"`
	ForksPerS    Centi `parquet:"forks_per_s,decimal(2:18),delta"`
}

// PressureRow is the pressure stall information of one resource ("cpu",
// "memory", "io", "irq"). The avg columns are the kernel's running averages;
// the stall columns are the share of the interval that tasks were stalled.
type PressureRow struct {
	Time         int64  `parquet:"time,timestamp(microsecond),delta"`
	Resource     string `parquet:"resource,dict"`
	SomeAvg10    Centi  `parquet:"some_avg10,decimal(2:18),delta"`
	SomeAvg60    Centi  `parquet:"some_avg60,decimal(2:18),delta"`
	SomeAvg300   Centi  `parquet:"some_avg300,decimal(2:18),delta"`
	SomeStallPct Centi  `parquet:"some_stall_pct,decimal(2:18),delta"`
	FullAvg10    Centi  `parquet:"full_avg10,decimal(2:18),delta"`
	FullAvg60    Centi  `parquet:"full_avg60,decimal(2:18),delta"`
	FullAvg300   Centi  `parquet:"full_avg300,decimal(2:18),delta"`
	FullStallPct Centi  `parquet:"full_stall_pct,decimal(2:18),delta"`
}

// MemoryRow is one row per sample from /proc/meminfo and /proc/vmstat.
// Swap and paging rates are in pages per second; OOMKills counts the kills
// during the interval.
type MemoryRow struct {
	Time            int64 `parquet:"time,timestamp(microsecond),delta"`
	TotalBytes      int64 `parquet:"total_bytes,delta"`
	FreeBytes       int64 `parquet:"free_bytes,delta"`
	AvailableBytes  int64 `parquet:"available_bytes,delta"`
	BuffersBytes    int64 `parquet:"buffers_bytes,delta"`
	CachedBytes     int64 `parquet:"cached_bytes,delta"`
	SharedBytes     int64 `parquet:"shared_bytes,delta"`
	SlabBytes       int64 `parquet:"slab_bytes,delta"`
	DirtyBytes      int64 `parquet:"dirty_bytes,delta"`
	SwapTotalBytes  int64 `parquet:"swap_total_bytes,delta"`
	SwapFreeBytes   int64 `parquet:"swap_free_bytes,delta"`
	SwapInPerS      Centi `parquet:"swap_in_per_s,decimal(2:18),delta"`
	SwapOutPerS     Centi `parquet:"swap_out_per_s,decimal(2:18),delta"`
	PageFaultsPerS  Centi `parquet:"page_faults_per_s,decimal(2:18),delta"`
	MajorFaultsPerS Centi `parquet:"major_faults_per_s,decimal(2:18),delta"`
	OOMKills        int64 `parquet:"oom_kills,delta"`
}

// DiskRow is the activity of one block device over the interval, as in
// iostat -x: operations and bytes per second, busy share, average wait per
// operation and average queue size.
type DiskRow struct {
	Time           int64  `parquet:"time,timestamp(microsecond),delta"`
	Device         string `parquet:"device,dict"`
	ReadsPerS      Centi  `parquet:"reads_per_s,decimal(2:18),delta"`
	WritesPerS     Centi  `parquet:"writes_per_s,decimal(2:18),delta"`
	ReadBytesPerS  int64  `parquet:"read_bytes_per_s,delta"`
	WriteBytesPerS int64  `parquet:"write_bytes_per_s,delta"`
	BusyPct        Centi  `parquet:"busy_pct,decimal(2:18),delta"`
	AwaitMs        Centi  `parquet:"await_ms,decimal(2:18),delta"`
	QueueSize      Centi  `parquet:"queue_size,decimal(2:18),delta"`
}

// FilesystemRow is the space and inode use of one mounted filesystem.
type FilesystemRow struct {
	Time        int64  `parquet:"time,timestamp(microsecond),delta"`
	Mountpoint  string `parquet:"mountpoint,dict"`
	Device      string `parquet:"device,dict"`
	FSType      string `parquet:"fstype,dict"`
	SizeBytes   int64  `parquet:"size_bytes,delta"`
	UsedBytes   int64  `parquet:"used_bytes,delta"`
	AvailBytes  int64  `parquet:"avail_bytes,delta"`
	InodesTotal int64  `parquet:"inodes_total,delta"`
	InodesUsed  int64  `parquet:"inodes_used,delta"`
	ReadOnly    bool   `parquet:"read_only"`
}

// NetworkRow is the traffic of one network interface over the interval.
type NetworkRow struct {
	Time          int64  `parquet:"time,timestamp(microsecond),delta"`
	Interface     string `parquet:"interface,dict"`
	RxBytesPerS   int64  `parquet:"rx_bytes_per_s,delta"`
	TxBytesPerS   int64  `parquet:"tx_bytes_per_s,delta"`
	RxPacketsPerS Centi  `parquet:"rx_packets_per_s,decimal(2:18),delta"`
	TxPacketsPerS Centi  `parquet:"tx_packets_per_s,decimal(2:18),delta"`
	RxErrorsPerS  Centi  `parquet:"rx_errors_per_s,decimal(2:18),delta"`
	TxErrorsPerS  Centi  `parquet:"tx_errors_per_s,decimal(2:18),delta"`
	RxDropsPerS   Centi  `parquet:"rx_drops_per_s,decimal(2:18),delta"`
	TxDropsPerS   Centi  `parquet:"tx_drops_per_s,decimal(2:18),delta"`
}

// TemperatureRow is one sensor reading. Sensor is a stable identifier
// ("thermal_zone0", "hwmon1/temp2"); Label is what the hardware calls it
// ("x86_pkg_temp", "coretemp Package id 0").
type TemperatureRow struct {
	Time    int64  `parquet:"time,timestamp(microsecond),delta"`
	Sensor  string `parquet:"sensor,dict"`
	Label   string `parquet:"label,dict"`
	Celsius Centi  `parquet:"celsius,decimal(2:18),delta"`
}

// ProcCountRow counts the processes of the host by state, once per sample.
// Threads counts every thread of every process.
type ProcCountRow struct {
	Time        int64 `parquet:"time,timestamp(microsecond),delta"`
	Total       int32 `parquet:"total,delta"`
	Threads     int32 `parquet:"threads,delta"`
	Running     int32 `parquet:"running,delta"`      // R
	Sleeping    int32 `parquet:"sleeping,delta"`     // S
	DiskSleep   int32 `parquet:"disk_sleep,delta"`   // D
	Zombie      int32 `parquet:"zombie,delta"`       // Z
	Stopped     int32 `parquet:"stopped,delta"`      // T
	TracingStop int32 `parquet:"tracing_stop,delta"` // t
	Idle        int32 `parquet:"idle,delta"`         // I
	Dead        int32 `parquet:"dead,delta"`         // X
	Other       int32 `parquet:"other,delta"`        // anything else (W, P, K on old kernels)
}

// ProcUserRow sums the processes of one user, once per sample.
type ProcUserRow struct {
	Time      int64  `parquet:"time,timestamp(microsecond),delta"`
	User      string `parquet:"user,dict"`
	Processes int32  `parquet:"processes,delta"`
	Threads   int32  `parquet:"threads,delta"`
	CPUPct    Centi  `parquet:"cpu_pct,decimal(2:18),delta"`
	RSSBytes  int64  `parquet:"rss_bytes,delta"`
}

// ProcessRow is one process in one sample. PID and StartTime together
// identify a process across samples (PIDs are reused). CPU percentages are
// of one CPU over the interval (200 means two full cores, as in top). The
// I/O rates are null when /proc/<pid>/io could not be read. Cmdline is empty
// unless the sampler runs with --cmdline.
type ProcessRow struct {
	Time           int64  `parquet:"time,timestamp(microsecond),delta"`
	PID            int32  `parquet:"pid,delta"`
	PPID           int32  `parquet:"ppid,delta"`
	StartTime      int64  `parquet:"start_time,timestamp(microsecond),delta"`
	User           string `parquet:"user,dict"`
	Comm           string `parquet:"comm,dict"`
	State          string `parquet:"state,dict"`
	CPUUserPct     Centi  `parquet:"cpu_user_pct,decimal(2:18),delta"`
	CPUSystemPct   Centi  `parquet:"cpu_system_pct,decimal(2:18),delta"`
	RSSBytes       int64  `parquet:"rss_bytes,delta"`
	VSizeBytes     int64  `parquet:"vsize_bytes,delta"`
	Threads        int32  `parquet:"threads,delta"`
	ReadBytesPerS  *int64 `parquet:"read_bytes_per_s,optional"`
	WriteBytesPerS *int64 `parquet:"write_bytes_per_s,optional"`
	Cmdline        string `parquet:"cmdline,dict"`
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
}

// Rows returns the number of rows in b over all tables.
func (b *Batch) Rows() int {
	return len(b.Host) + len(b.CPU) + len(b.System) + len(b.Pressure) +
		len(b.Memory) + len(b.Disk) + len(b.Filesystem) + len(b.Network) +
		len(b.Temperature) + len(b.ProcCount) + len(b.ProcUser) + len(b.Process)
}
