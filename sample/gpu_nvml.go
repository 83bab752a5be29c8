//go:build linux && nvml

package sample

import (
	"almanac/schema"
	"errors"
	"fmt"
	"log/slog"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// nvmlSource reads NVIDIA GPUs through NVML, which go-nvml loads with
// dlopen (libnvidia-ml.so.1) when the sampler starts: a host without the
// library logs "NVML not present" once and samples on without it.
//
// Untested on NVIDIA hardware: only the absence of the library has run.
type nvmlSource struct {
	log    *slog.Logger
	ok     bool
	failed map[string]bool // calls that failed, logged once
}

// newNVML initializes NVML.
func newNVML(log *slog.Logger) gpuSource {
	s := &nvmlSource{log: log, failed: map[string]bool{}}
	switch ret := nvml.Init(); {
	case ret == nvml.SUCCESS:
		s.ok = true
	case errors.Is(ret, nvml.ERROR_LIBRARY_NOT_FOUND):
		log.Info("NVML not present (no libnvidia-ml): no NVIDIA GPUs")
	default:
		log.Warn("NVML present but not usable: no NVIDIA GPUs", "err", ret.Error())
	}
	return s
}

// collect implements gpuSource: a row per device, and the GPU memory of
// each process of b that NVML lists on any device.
func (s *nvmlSource) collect(t Tick, b *schema.Batch) {
	if !s.ok {
		return
	}
	n, ret := nvml.DeviceGetCount()
	if ret != nvml.SUCCESS {
		s.fail("DeviceGetCount", ret)
		return
	}
	procMem := map[int32]int64{}
	for i := range n {
		dev, ret := nvml.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			s.fail("DeviceGetHandleByIndex", ret)
			continue
		}
		row := schema.GPURow{Time: t.Time, Card: fmt.Sprintf("nvidia%d", i), Driver: "nvidia"}
		if name, ret := dev.GetName(); ret == nvml.SUCCESS {
			row.Name = validName(name)
		}
		if u, ret := dev.GetUtilizationRates(); ret == nvml.SUCCESS {
			p := schema.Centi(u.Gpu) * 100
			row.BusyPct = &p
		}
		if m, ret := dev.GetMemoryInfo(); ret == nvml.SUCCESS {
			used, total := int64(m.Used), int64(m.Total)
			row.MemUsedBytes, row.MemTotalBytes = &used, &total
		}
		if c, ret := dev.GetTemperature(nvml.TEMPERATURE_GPU); ret == nvml.SUCCESS {
			v := schema.Centi(c) * 100
			row.Celsius = &v
		}
		if mw, ret := dev.GetPowerUsage(); ret == nvml.SUCCESS {
			w := schema.Centi((mw + 5) / 10) // mW to centiwatts
			row.PowerWatts = &w
		}
		row.GraphicsMHz = s.clock(dev.GetClockInfo(nvml.CLOCK_GRAPHICS))
		row.MemoryMHz = s.clock(dev.GetClockInfo(nvml.CLOCK_MEM))
		row.GraphicsMax = s.clock(dev.GetMaxClockInfo(nvml.CLOCK_GRAPHICS))
		b.GPU = append(b.GPU, row)
		for _, get := range []func() ([]nvml.ProcessInfo, nvml.Return){dev.GetComputeRunningProcesses, dev.GetGraphicsRunningProcesses} {
			ps, ret := get()
			if ret != nvml.SUCCESS {
				continue
			}
			for _, p := range ps {
				procMem[int32(p.Pid)] += int64(p.UsedGpuMemory)
			}
		}
	}
	for i := range b.Process {
		if m, ok := procMem[b.Process[i].PID]; ok {
			b.Process[i].GPUMemBytes = &m
		}
	}
}

func (s *nvmlSource) clock(mhz uint32, ret nvml.Return) *int64 {
	if ret != nvml.SUCCESS {
		return nil
	}
	v := int64(mhz)
	return &v
}

// fail logs a failed NVML call once.
func (s *nvmlSource) fail(call string, ret nvml.Return) {
	if !s.failed[call] {
		s.log.Warn("NVML call failed", "call", call, "err", ret.Error())
		s.failed[call] = true
	}
}
