package archive

import (
	"almanac/schema"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The journal stores each batch in a compact binary form: varints, with
// every row's time as a difference from the batch time (usually 0, one
// byte). Tables come in a fixed order, each as a row count then its rows,
// each field in struct order. codecVersion changes with the layout.
const codecVersion = 1

// enc appends values to a byte slice.
type enc struct{ b []byte }

func (e *enc) u(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)  { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) c(v schema.Centi) {
	e.b = binary.AppendVarint(e.b, int64(v))
}

// s appends a string. Parquet strings must be UTF-8 (DuckDB refuses a
// whole file over one bad string), so invalid bytes become U+FFFD here,
// whatever the collector let through.
func (e *enc) s(v string) {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	e.b = binary.AppendUvarint(e.b, uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *enc) bo(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// opt encodes a nullable integer: 0 for nil, else 1 and the value.
func (e *enc) opt(v *int64) {
	if v == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.i(*v)
}

var errShort = errors.New("truncated record")

// dec reads values written by enc. The first error sticks; later reads
// return zero values.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *dec) u() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i32() int32 {
	v := d.i()
	if int64(int32(v)) != v {
		d.fail(fmt.Errorf("value %d out of int32 range", v))
		return 0
	}
	return int32(v)
}

func (d *dec) c() schema.Centi { return schema.Centi(d.i()) }

func (d *dec) s() string {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

func (d *dec) bo() bool {
	if len(d.b) == 0 {
		d.fail(errShort)
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	if v > 1 {
		d.fail(fmt.Errorf("bad boolean %d", v))
	}
	return v == 1
}

func (d *dec) opt() *int64 {
	if !d.bo() {
		return nil
	}
	v := d.i()
	if d.err != nil {
		return nil
	}
	return &v
}

// count reads a row count; every row takes at least one byte, so a count
// larger than what is left is corrupt (and never allocates).
func (d *dec) count() int {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return 0
	}
	return int(n)
}

// encodeBatch appends the encoding of b, stamped with seq, to dst.
func encodeBatch(dst []byte, seq int64, b *schema.Batch) []byte {
	e := enc{b: dst}
	e.u(codecVersion)
	e.i(seq)
	bt := b.Time.UnixMicro()
	e.i(bt)
	t := func(v int64) { e.i(v - bt) }

	e.u(uint64(len(b.Host)))
	for i := range b.Host {
		r := &b.Host[i]
		t(r.Time)
		e.s(r.Hostname)
		e.s(r.OS)
		e.s(r.Kernel)
		e.s(r.Arch)
		e.i(r.BootTime)
		e.s(r.CPUModel)
		e.i(int64(r.CPUCores))
		e.i(r.MemoryBytes)
		e.i(r.SwapBytes)
		e.u(uint64(len(r.Filesystems)))
		for _, f := range r.Filesystems {
			e.s(f)
		}
	}
	e.u(uint64(len(b.CPU)))
	for i := range b.CPU {
		r := &b.CPU[i]
		t(r.Time)
		e.s(r.CPU)
		e.c(r.UserPct)
		e.c(r.NicePct)
		e.c(r.SystemPct)
		e.c(r.IdlePct)
		e.c(r.IOWaitPct)
		e.c(r.IRQPct)
		e.c(r.SoftIRQPct)
		e.c(r.StealPct)
		e.c(r.GuestPct)
	}
	e.u(uint64(len(b.System)))
	for i := range b.System {
		r := &b.System[i]
		t(r.Time)
		e.i(r.BootTime)
		e.i(int64(r.IntervalMs))
		e.c(r.Load1)
		e.c(r.Load5)
		e.c(r.Load15)
		e.i(int64(r.ProcsRunning))
		e.i(int64(r.ProcsBlocked))
		e.c(r.CtxtPerS)
		e.c(r.IntrPerS)
		e.c(r.ForksPerS)
	}
	e.u(uint64(len(b.Pressure)))
	for i := range b.Pressure {
		r := &b.Pressure[i]
		t(r.Time)
		e.s(r.Resource)
		e.c(r.SomeAvg10)
		e.c(r.SomeAvg60)
		e.c(r.SomeAvg300)
		e.c(r.SomeStallPct)
		e.c(r.FullAvg10)
		e.c(r.FullAvg60)
		e.c(r.FullAvg300)
		e.c(r.FullStallPct)
	}
	e.u(uint64(len(b.Memory)))
	for i := range b.Memory {
		r := &b.Memory[i]
		t(r.Time)
		e.i(r.TotalBytes)
		e.i(r.FreeBytes)
		e.i(r.AvailableBytes)
		e.i(r.BuffersBytes)
		e.i(r.CachedBytes)
		e.i(r.SharedBytes)
		e.i(r.SlabBytes)
		e.i(r.DirtyBytes)
		e.i(r.SwapTotalBytes)
		e.i(r.SwapFreeBytes)
		e.c(r.SwapInPerS)
		e.c(r.SwapOutPerS)
		e.c(r.PageFaultsPerS)
		e.c(r.MajorFaultsPerS)
		e.i(r.OOMKills)
	}
	e.u(uint64(len(b.Disk)))
	for i := range b.Disk {
		r := &b.Disk[i]
		t(r.Time)
		e.s(r.Device)
		e.c(r.ReadsPerS)
		e.c(r.WritesPerS)
		e.i(r.ReadBytesPerS)
		e.i(r.WriteBytesPerS)
		e.c(r.BusyPct)
		e.c(r.AwaitMs)
		e.c(r.QueueSize)
	}
	e.u(uint64(len(b.Filesystem)))
	for i := range b.Filesystem {
		r := &b.Filesystem[i]
		t(r.Time)
		e.s(r.Mountpoint)
		e.s(r.Device)
		e.s(r.FSType)
		e.i(r.SizeBytes)
		e.i(r.UsedBytes)
		e.i(r.AvailBytes)
		e.i(r.InodesTotal)
		e.i(r.InodesUsed)
		e.bo(r.ReadOnly)
	}
	e.u(uint64(len(b.Network)))
	for i := range b.Network {
		r := &b.Network[i]
		t(r.Time)
		e.s(r.Interface)
		e.i(r.RxBytesPerS)
		e.i(r.TxBytesPerS)
		e.c(r.RxPacketsPerS)
		e.c(r.TxPacketsPerS)
		e.c(r.RxErrorsPerS)
		e.c(r.TxErrorsPerS)
		e.c(r.RxDropsPerS)
		e.c(r.TxDropsPerS)
	}
	e.u(uint64(len(b.Temperature)))
	for i := range b.Temperature {
		r := &b.Temperature[i]
		t(r.Time)
		e.s(r.Sensor)
		e.s(r.Label)
		e.c(r.Celsius)
	}
	e.u(uint64(len(b.ProcCount)))
	for i := range b.ProcCount {
		r := &b.ProcCount[i]
		t(r.Time)
		for _, v := range [...]int32{r.Total, r.Threads, r.Running, r.Sleeping, r.DiskSleep,
			r.Zombie, r.Stopped, r.TracingStop, r.Idle, r.Dead, r.Other} {
			e.i(int64(v))
		}
	}
	e.u(uint64(len(b.ProcUser)))
	for i := range b.ProcUser {
		r := &b.ProcUser[i]
		t(r.Time)
		e.s(r.User)
		e.i(int64(r.Processes))
		e.i(int64(r.Threads))
		e.c(r.CPUPct)
		e.i(r.RSSBytes)
	}
	e.u(uint64(len(b.Process)))
	for i := range b.Process {
		r := &b.Process[i]
		t(r.Time)
		e.i(int64(r.PID))
		e.i(int64(r.PPID))
		e.i(r.StartTime)
		e.s(r.User)
		e.s(r.Comm)
		e.s(r.State)
		e.c(r.CPUUserPct)
		e.c(r.CPUSystemPct)
		e.i(r.RSSBytes)
		e.i(r.VSizeBytes)
		e.i(int64(r.Threads))
		e.opt(r.ReadBytesPerS)
		e.opt(r.WriteBytesPerS)
		e.s(r.Cmdline)
	}
	return e.b
}

// decodeHeader reads the version, seq and batch time of an encoded batch.
func decodeHeader(d *dec) (seq int64, bt int64, err error) {
	if v := d.u(); d.err == nil && v != codecVersion {
		return 0, 0, fmt.Errorf("record version %d: want %d", v, codecVersion)
	}
	seq = d.i()
	bt = d.i()
	return seq, bt, d.err
}

// decodeBatch decodes a batch encoded by encodeBatch.
func decodeBatch(p []byte) (seq int64, b *schema.Batch, err error) {
	d := &dec{b: p}
	seq, bt, err := decodeHeader(d)
	if err != nil {
		return 0, nil, err
	}
	b = &schema.Batch{Time: time.UnixMicro(bt).UTC()}
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
				r.Filesystems = make([]string, m)
				for j := range r.Filesystems {
					r.Filesystems[j] = d.s()
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
			r.Cmdline = d.s()
		}
	}
	if d.err != nil {
		return 0, nil, fmt.Errorf("decode batch: %w", d.err)
	}
	if len(d.b) != 0 {
		return 0, nil, fmt.Errorf("decode batch: %d trailing bytes", len(d.b))
	}
	return seq, b, nil
}
