package sample

// Stub: replaced by the system collector.

type systemCollector struct{}

func (c *systemCollector) Collect(src Source, t Tick, b *Batch) error { return nil }
