package sample

// Stub: replaced by the disk collector.

type diskCollector struct{ all bool }

func (c *diskCollector) Collect(src Source, t Tick, b *Batch) error { return nil }
