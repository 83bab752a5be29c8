package alert

import (
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
