package archive

import (
	"strings"
	"time"

	"almanac/schema"
)

// decodeV1 decodes the tables of a record of journal codec 1, written by
// almanac before the schema package, into today's rows: its layout is
// frozen here, one table after another in a fixed order, each field in
// the struct order of the time. d is past the header.
func decodeV1(d *dec, bt int64) *schema.Batch {
	b := &schema.Batch{Time: time.UnixMicro(bt).UTC()}
	t := func() int64 { return bt + d.i() }

	if n := d.count(); n > 0 {
		b.Host = make([]schema.HostRow, n)
		for i := range b.Host {
			r := &b.Host[i]
			r.Time = t()
			r.Hostname = d.s()
			r.OS = d.s()
			r.Kernel = d.s()
			r.Arch = d.s()
			r.BootTime = d.i()
			r.CPUModel = d.s()
			r.CPUCores = d.i32()
			r.MemoryBytes = d.i()
			r.SwapBytes = d.i()
			if m := d.count(); m > 0 {
				r.Mounts = make([]schema.Mount, m)
				for j := range r.Mounts {
					r.Mounts[j] = parseV1Mount(d.s())
				}
			}
		}
	}
	if n := d.count(); n > 0 {
		b.CPU = make([]schema.CPURow, n)
		for i := range b.CPU {
			r := &b.CPU[i]
			r.Time = t()
			r.CPU = d.s()
			r.UserPct = d.c()
			r.NicePct = d.c()
			r.SystemPct = d.c()
			r.IdlePct = d.c()
			r.IOWaitPct = d.c()
			r.IRQPct = d.c()
			r.SoftIRQPct = d.c()
			r.StealPct = d.c()
			r.GuestPct = d.c()
		}
	}
	if n := d.count(); n > 0 {
		b.System = make([]schema.SystemRow, n)
		for i := range b.System {
			r := &b.System[i]
			r.Time = t()
			r.BootTime = d.i()
			r.IntervalMs = d.i32()
			r.Load1 = d.c()
			r.Load5 = d.c()
			r.Load15 = d.c()
			r.ProcsRunning = d.i32()
			r.ProcsBlocked = d.i32()
			r.CtxtPerS = d.c()
			r.IntrPerS = d.c()
			r.ForksPerS = d.c()
		}
	}
	if n := d.count(); n > 0 {
		b.Pressure = make([]schema.PressureRow, n)
		for i := range b.Pressure {
			r := &b.Pressure[i]
			r.Time = t()
			r.Resource = d.s()
			r.SomeAvg10 = d.c()
			r.SomeAvg60 = d.c()
			r.SomeAvg300 = d.c()
			r.SomeStallPct = d.c()
			r.FullAvg10 = d.c()
			r.FullAvg60 = d.c()
			r.FullAvg300 = d.c()
			r.FullStallPct = d.c()
		}
	}
	if n := d.count(); n > 0 {
		b.Memory = make([]schema.MemoryRow, n)
		for i := range b.Memory {
			r := &b.Memory[i]
			r.Time = t()
			r.TotalBytes = d.i()
			r.FreeBytes = d.i()
			r.AvailableBytes = d.i()
			r.BuffersBytes = d.i()
			r.CachedBytes = d.i()
			r.SharedBytes = d.i()
			r.SlabBytes = d.i()
			r.DirtyBytes = d.i()
			r.SwapTotalBytes = d.i()
			r.SwapFreeBytes = d.i()
			r.SwapInPerS = d.c()
			r.SwapOutPerS = d.c()
			r.PageFaultsPerS = d.c()
			r.MajorFaultsPerS = d.c()
			r.OOMKills = d.i()
		}
	}
	if n := d.count(); n > 0 {
		b.Disk = make([]schema.DiskRow, n)
		for i := range b.Disk {
			r := &b.Disk[i]
			r.Time = t()
			r.Device = d.s()
			r.ReadsPerS = d.c()
			r.WritesPerS = d.c()
			r.ReadBytesPerS = d.i()
			r.WriteBytesPerS = d.i()
			r.BusyPct = d.c()
			r.AwaitMs = d.c()
			r.QueueSize = d.c()
		}
	}
	if n := d.count(); n > 0 {
		b.Filesystem = make([]schema.FilesystemRow, n)
		for i := range b.Filesystem {
			r := &b.Filesystem[i]
			r.Time = t()
			r.Mountpoint = d.s()
			r.Device = d.s()
			r.FSType = d.s()
			r.SizeBytes = d.i()
			r.UsedBytes = d.i()
			r.AvailBytes = d.i()
			r.InodesTotal = d.i()
			r.InodesUsed = d.i()
			r.ReadOnly = d.bo()
		}
	}
	if n := d.count(); n > 0 {
		b.Network = make([]schema.NetworkRow, n)
		for i := range b.Network {
			r := &b.Network[i]
			r.Time = t()
			r.Interface = d.s()
			r.RxBytesPerS = d.i()
			r.TxBytesPerS = d.i()
			r.RxPacketsPerS = d.c()
			r.TxPacketsPerS = d.c()
			r.RxErrorsPerS = d.c()
			r.TxErrorsPerS = d.c()
			r.RxDropsPerS = d.c()
			r.TxDropsPerS = d.c()
		}
	}
	if n := d.count(); n > 0 {
		b.Temperature = make([]schema.TemperatureRow, n)
		for i := range b.Temperature {
			r := &b.Temperature[i]
			r.Time = t()
			r.Sensor = d.s()
			r.Label = d.s()
			r.Celsius = d.c()
		}
	}
	if n := d.count(); n > 0 {
		b.ProcCount = make([]schema.ProcCountRow, n)
		for i := range b.ProcCount {
			r := &b.ProcCount[i]
			r.Time = t()
			for _, p := range [...]*int32{&r.Total, &r.Threads, &r.Running, &r.Sleeping, &r.DiskSleep,
				&r.Zombie, &r.Stopped, &r.TracingStop, &r.Idle, &r.Dead, &r.Other} {
				*p = d.i32()
			}
		}
	}
	if n := d.count(); n > 0 {
		b.ProcUser = make([]schema.ProcUserRow, n)
		for i := range b.ProcUser {
			r := &b.ProcUser[i]
			r.Time = t()
			r.User = d.s()
			r.Processes = d.i32()
			r.Threads = d.i32()
			r.CPUPct = d.c()
			r.RSSBytes = d.i()
		}
	}
	if n := d.count(); n > 0 {
		b.Process = make([]schema.ProcessRow, n)
		for i := range b.Process {
			r := &b.Process[i]
			r.Time = t()
			r.PID = d.i32()
			r.PPID = d.i32()
			r.StartTime = d.i()
			r.User = d.s()
			r.Comm = d.s()
			r.State = d.s()
			r.CPUUserPct = d.c()
			r.CPUSystemPct = d.c()
			r.RSSBytes = d.i()
			r.VSizeBytes = d.i()
			r.Threads = d.i32()
			r.ReadBytesPerS = d.opt()
			r.WriteBytesPerS = d.opt()
			if s := d.s(); s != "" {
				r.Cmdline = &s // else unknown: not recorded, or a kernel thread
			}
		}
	}
	return b
}

// parseV1Mount parses an entry of codec 1's filesystem list,
// "mountpoint fstype device": the mount point may hold spaces, the
// type and the device (as mountinfo escapes them) do not.
func parseV1Mount(s string) schema.Mount {
	dev := strings.LastIndexByte(s, ' ')
	if dev < 0 {
		return schema.Mount{Mountpoint: s}
	}
	typ := strings.LastIndexByte(s[:dev], ' ')
	if typ < 0 {
		return schema.Mount{Mountpoint: s[:dev], Device: s[dev+1:]}
	}
	return schema.Mount{Mountpoint: s[:typ], FSType: s[typ+1 : dev], Device: s[dev+1:]}
}
