package alert

import (
	"strconv"
	"testing"
	"time"

	"almanac/schema"
	"almanac/synth"
)

// BenchmarkEvalDefaults is the cost the default rules add to each sample
// of the sampler (system tables, no process table): taking the watched
// values from the batch and evaluating every rule. The budget is 5 % of a
// system sample's CPU (sample.BenchmarkSystemSample).
//
//	go test ./alert -run '^$' -bench EvalDefaults -benchmem
func BenchmarkEvalDefaults(b *testing.B) {
	g := synth.New(synth.Host{Name: "bench", Cores: 4, Seed: 1})
	rules := Defaults()
	x, e := NewExtractor(rules), NewEvaluator(rules)
	start := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	batches := make([]*schema.Batch, 360)
	for i := range batches {
		batches[i] = g.Batch(start.Add(time.Duration(i) * 10 * time.Second))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		e.Eval("bench", start.Add(time.Duration(i)*10*time.Second), x.Values(batches[i%len(batches)]))
	}
}

// BenchmarkCountHosts evaluates a count rule over 100 hosts' values of
// 7 days, one a minute (what render does for each count rule):
//
//	go test ./alert -run '^$' -bench CountHosts
func BenchmarkCountHosts(b *testing.B) {
	t0 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).UnixMicro()
	hosts := map[string][]Point{}
	for h := range 100 {
		pts := make([]Point, 7*24*60)
		for i := range pts {
			pts[i] = Point{T: t0 + int64(i)*60e6, V: float64((i*7 + h*13) % 100)}
		}
		hosts["web"+strconv.Itoa(h)] = pts
	}
	r := FleetRule{Name: "busy", Metric: "cpu.busy_pct", Value: &Threshold{Above: true, Value: 90}, Warn: 10, Crit: 20, For: 10 * time.Minute}
	b.ResetTimer()
	for range b.N {
		CountHosts(r, time.Minute, hosts)
	}
}
