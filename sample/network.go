package sample

// Stub: replaced by the network collector.

type networkCollector struct{}

func (c *networkCollector) Collect(src Source, t Tick, b *Batch) error { return nil }
