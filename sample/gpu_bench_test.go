//go:build linux

package sample

import (
	"almanac/schema"
	"log/slog"
	"os"
	"testing"
	"time"
)

// BenchmarkGPU measures the gpu collector over the amdgpu fixture tree
// (one card with every file, one with its busy share only), per device
// (ns/device). BenchmarkGPUFloor reads the same files with os.ReadFile.
//
//	go test ./sample -run '^$' -bench 'GPU' -benchmem
func BenchmarkGPU(b *testing.B) {
	c := &gpuCollector{log: slog.New(slog.DiscardHandler)}
	src := Source{SysPath: "testdata/gpu/amdgpu"}
	now := time.Now()
	var batch schema.Batch
	c.Collect(src, Tick{Now: now, Time: schema.Micros(now), First: true}, &batch)
	devices := len(c.cards)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		now = now.Add(10 * time.Second)
		batch.GPU = batch.GPU[:0]
		c.Collect(src, Tick{Now: now, Time: schema.Micros(now)}, &batch)
	}
	if len(batch.GPU) != devices || devices != 2 {
		b.Fatalf("%d rows of %d devices", len(batch.GPU), devices)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*devices), "ns/device")
}

// gpuFiles lists the files the gpu collector reads in the tree below sys.
func gpuFiles(sys string) []string {
	var files []string
	for _, g := range findGPUs(sys + "/class/drm") {
		for _, f := range []string{g.busy, g.memUsed, g.memTotal, g.temp, g.power, g.energy, g.gfx, g.gfxMax, g.mem} {
			if f != "" {
				files = append(files, f)
			}
		}
	}
	return files
}

// BenchmarkGPUFloor reads the files BenchmarkGPU reads with os.ReadFile.
func BenchmarkGPUFloor(b *testing.B) {
	files := gpuFiles("testdata/gpu/amdgpu")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, f := range files {
			if _, err := os.ReadFile(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2), "ns/device")
}
