package schema

import "time"

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
	TableAlert       = "alert"
	TableCgroup      = "cgroup"
	TableOOMKill     = "oom_kill"
	TableProcGroup   = "proc_group"
)

// TableSelf is the table of the sampler's own cost.
const TableSelf = "self"

// The tables of custom metrics and GPUs (issue 12).
const (
	TableCustom = "custom"
	TableGPU    = "gpu"
)

// minuteHour are the rollups of most tables: per minute, for the site's
// 7 and 30 day views, and per hour, for the year.
var minuteHour = []time.Duration{time.Minute, time.Hour}

// The declarations of every table.
var (
	Host = Declare(Decl{Name: TableHost,
		Doc: "the host's facts, when one changes and at least once a day"},
		func(b *Batch) *[]HostRow { return &b.Host })
	CPU = Declare(Decl{Name: TableCPU, Rollups: minuteHour,
		Doc: "the share of time each CPU spent in each mode over the interval, for all and per core"},
		func(b *Batch) *[]CPURow { return &b.CPU })
	System = Declare(Decl{Name: TableSystem, Rollups: minuteHour,
		Doc: "load averages, kernel activity and the boot time, once per sample"},
		func(b *Batch) *[]SystemRow { return &b.System })
	Pressure = Declare(Decl{Name: TablePressure, Rollups: minuteHour,
		Doc: "pressure stall information per resource"},
		func(b *Batch) *[]PressureRow { return &b.Pressure })
	Memory = Declare(Decl{Name: TableMemory, Rollups: minuteHour,
		Doc: "memory, swap, paging and OOM kills, once per sample"},
		func(b *Batch) *[]MemoryRow { return &b.Memory })
	Disk = Declare(Decl{Name: TableDisk, Rollups: minuteHour,
		Doc: "the activity of each whole disk over the interval, as iostat -x"},
		func(b *Batch) *[]DiskRow { return &b.Disk })
	Filesystem = Declare(Decl{Name: TableFilesystem, Rollups: minuteHour,
		Doc: "space and inodes of each real mounted filesystem"},
		func(b *Batch) *[]FilesystemRow { return &b.Filesystem })
	Network = Declare(Decl{Name: TableNetwork, Rollups: minuteHour,
		Doc: "the traffic of each network interface over the interval"},
		func(b *Batch) *[]NetworkRow { return &b.Network })
	Temperature = Declare(Decl{Name: TableTemperature, Rollups: minuteHour,
		Doc: "every thermal zone and hwmon temperature sensor"},
		func(b *Batch) *[]TemperatureRow { return &b.Temperature })
	ProcCount = Declare(Decl{Name: TableProcCount, Rollups: minuteHour,
		Doc: "processes by state, once per sample"},
		func(b *Batch) *[]ProcCountRow { return &b.ProcCount })
	ProcUser = Declare(Decl{Name: TableProcUser, Rollups: minuteHour,
		Doc: "the processes of each user, summed"},
		func(b *Batch) *[]ProcUserRow { return &b.ProcUser })
	// Process rollups are per hour only: a host runs hundreds of
	// processes, and a per-minute rollup of each would be about as big as
	// the raw rows. They keep what the long ranges' processes pages show:
	// CPU, memory, disk I/O, and the unit and container a process is
	// grouped under.
	Process = Declare(Decl{Name: TableProcess, Rollups: []time.Duration{time.Hour},
		RollupOnly: []string{"user", "comm", "state", "cpu_user_pct", "cpu_system_pct", "rss_bytes", "threads",
			"read_bytes_per_s", "write_bytes_per_s", "unit", "container"},
		Doc: "every process in every sample"},
		func(b *Batch) *[]ProcessRow { return &b.Process })
	Alert = Declare(Decl{Name: TableAlert,
		Doc: "the state changes of the alerting rules"},
		func(b *Batch) *[]AlertRow { return &b.Alert })
)

// Self is the sampler's own cost, once per sample.
var Self = Declare(Decl{Name: TableSelf, Rollups: minuteHour,
	Doc: "what almanac sample itself cost, once per sample"},
	func(b *Batch) *[]SelfRow { return &b.Self })

// The declarations of custom metrics and GPUs.
var (
	Custom = Declare(Decl{Name: TableCustom, Rollups: minuteHour,
		Doc: "every series of the custom metrics of the textfile directory (*.prom files)"},
		func(b *Batch) *[]CustomRow { return &b.Custom })
	GPU = Declare(Decl{Name: TableGPU, Rollups: minuteHour,
		Doc: "every GPU: busy share, video memory, temperature, power and clocks"},
		func(b *Batch) *[]GPURow { return &b.GPU })
)

// The tables of processes attributed to cgroups, groups and OOM kills.
var (
	Cgroup = Declare(Decl{Name: TableCgroup, Rollups: minuteHour,
		Doc: "every cgroup (systemd unit, container) that held a process, with its CPU, memory, I/O, pressure and OOM kills"},
		func(b *Batch) *[]CgroupRow { return &b.Cgroup })
	OOMKill = Declare(Decl{Name: TableOOMKill,
		Doc: "every process the OOM killer killed, named with its cgroup"},
		func(b *Batch) *[]OOMKillRow { return &b.OOMKill })
	// Group rollups are per hour: they are what the year's view ranks.
	ProcGroup = Declare(Decl{Name: TableProcGroup, Rollups: []time.Duration{time.Hour},
		Doc: "the processes of each command name, user, systemd unit and container, summed"},
		func(b *Batch) *[]ProcGroupRow { return &b.ProcGroup })
)

// Tables lists every table, in a fixed order: the journal's, the
// README's and the site's.
var Tables = []Table{Host, CPU, System, Pressure, Memory, Disk, Filesystem,
	Network, Temperature, ProcCount, ProcUser, Process, Alert,
	Self, Custom, GPU, Cgroup, OOMKill, ProcGroup}
