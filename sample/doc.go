//go:build linux

// Package sample reads a Linux host's /proc and /sys and turns each pair
// of consecutive readings into rows: one Batch per sample, one slice per
// table. It imports no other almanac package; the archive stores what it
// produces.
//
// # Tables and collectors
//
// Each collector reads one group of kernel files (its doc comment names
// them) and fills one or more tables of the Batch:
//
//	collector    table(s)                          reads
//	cpu          cpu                               /proc/stat
//	system       system                            /proc/stat, /proc/loadavg
//	pressure     pressure                          /proc/pressure/{cpu,memory,io,irq}
//	memory       memory                            /proc/meminfo, /proc/vmstat
//	disk         disk                              /proc/diskstats, /sys/block
//	filesystem   filesystem                        /proc/1/mountinfo, statfs(2) below --rootfs
//	network      network                           /proc/net/dev
//	temperature  temperature                       /sys/class/thermal, /sys/class/hwmon
//	process      process, proc_count, proc_user    /proc/<pid>/{stat,io,cmdline}, <rootfs>/etc/passwd
//	gpu          gpu (process.gpu_mem_bytes: nvml)  /sys/class/drm/card*, NVML with the nvml build tag
//	textfile     custom                            *.prom of Options.TextfileDir (Prometheus text format)
//	(host facts) host                              /proc/sys/kernel, /proc/cpuinfo, <rootfs>/etc/os-release
//
// # Rates
//
// Rates and percentages come from two consecutive readings. The first
// reading of a run, and the first after a reboot (the boot time moved),
// produce no rows. A counter that went backwards (a reset or a wrap) gives
// no row for that interval rather than a negative or huge rate.
//
// # Adding a collector
//
// Write one file with a type that implements collector (Collect reads,
// keeps its previous reading and appends rows for the interval), add it to
// the list in New, add its row type and table to rows.go, commit fixture
// files under testdata/ taken from a real machine, and test it against both
// the fixture tree and the live /proc. A kernel that lacks what it reads is
// not an error: append nothing and log one debug line.
package sample
