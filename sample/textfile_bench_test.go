//go:build linux

package sample

import (
	"almanac/schema"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTextfiles writes files .prom files of series gauges each into a new
// folder: metrics of 10 series with two labels, with HELP and TYPE.
func writeTextfiles(tb testing.TB, files, series int) string {
	tb.Helper()
	dir := tb.TempDir()
	for f := range files {
		var sb strings.Builder
		for s := range series {
			m := s / 10
			if s%10 == 0 {
				fmt.Fprintf(&sb, "# HELP job%d_metric%d_seconds Metric %d of job %d.\n# TYPE job%d_metric%d_seconds gauge\n", f, m, m, f, f, m)
			}
			fmt.Fprintf(&sb, "job%d_metric%d_seconds{instance=\"host-%d\",path=\"/srv/data/%d\"} %d.%d\n", f, m, s%10, s, 1000+s, s)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("job%d.prom", f)), []byte(sb.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// BenchmarkTextfile measures the textfile collector over 10 files of 100
// series each, per series (ns/series): "unchanged" files are used again
// from the last parse (the usual case: a job rewrites its file every
// minute or so, the sampler reads every 10 s), "changed" ones parsed anew
// every sample. BenchmarkTextfileFloor is its floor.
//
//	go test ./sample -run '^$' -bench 'Textfile' -benchmem
func BenchmarkTextfile(b *testing.B) {
	const files, series = 10, 100
	dir := writeTextfiles(b, files, series)
	for _, changed := range []bool{false, true} {
		name := "unchanged"
		if changed {
			name = "changed"
		}
		b.Run(name, func(b *testing.B) {
			c := newTextfileCollector(dir, 0, 0, slog.New(slog.DiscardHandler))
			now := time.Now()
			var batch schema.Batch
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if changed {
					clear(c.files)
				}
				now = now.Add(10 * time.Second)
				batch.Custom = batch.Custom[:0]
				c.Collect(Source{}, Tick{Now: now, Time: schema.Micros(now)}, &batch)
				if len(batch.Custom) != files*series {
					b.Fatalf("%d rows", len(batch.Custom))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*files*series), "ns/series")
		})
	}
}

// BenchmarkTextfileFloor lists the folder and reads every file with
// os.ReadFile, parsing nothing.
func BenchmarkTextfileFloor(b *testing.B) {
	const files, series = 10, 100
	dir := writeTextfiles(b, files, series)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if _, err := os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*files*series), "ns/series")
}

// fixedSource runs a collector on a source of its own (the gpu collector
// on a fixture tree, in a sample of the live machine).
type fixedSource struct {
	src Source
	c   collector
}

func (f fixedSource) Collect(_ Source, t Tick, b *schema.Batch) error {
	return f.c.Collect(f.src, t, b)
}

// BenchmarkSystemSampleCustom is BenchmarkSystemSample with custom metrics
// and GPUs on: a textfile directory of 100 series in 10 files (unchanged
// between samples) and the two cards of the amdgpu fixture. Its floor is
// BenchmarkSystemFloorCustom; the budget stays under 2x.
//
//	go test ./sample -run '^$' -bench 'System(Sample|Floor)Custom' -benchmem
func BenchmarkSystemSampleCustom(b *testing.B) {
	s := systemSampler(b)
	dir := writeTextfiles(b, 10, 10)
	log := slog.New(slog.DiscardHandler)
	s.collectors = append(s.collectors,
		namedCollector{"gpu", fixedSource{Source{SysPath: "testdata/gpu/amdgpu"}, &gpuCollector{log: log}}},
		namedCollector{"textfile", newTextfileCollector(dir, 0, 0, log)})
	now := time.Now()
	s.Sample(now)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime(b)
	for i := range b.N {
		now = now.Add(10 * time.Second)
		batch, err := s.Sample(now)
		if err != nil && i == 0 {
			b.Logf("sample: %v", err)
		}
		if batch == nil || len(batch.Custom) != 100 || len(batch.GPU) != 2 {
			b.Fatal("no custom or gpu rows")
		}
	}
	b.ReportMetric(float64(cpuTime(b)-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkSystemFloorCustom is BenchmarkSystemFloor plus listing the
// textfile directory and reading its files and the GPU files.
func BenchmarkSystemFloorCustom(b *testing.B) {
	files, mounts, facts := systemFiles(b)
	files = append(files, gpuFiles("testdata/gpu/amdgpu")...)
	dir := writeTextfiles(b, 10, 10)
	systemFloor(b, files, mounts, facts, func(read func(string)) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			read(filepath.Join(dir, e.Name()))
		}
	})
}
