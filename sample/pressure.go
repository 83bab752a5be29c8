package sample

import "log/slog"

// Stub: replaced by the pressure collector.

type pressureCollector struct{ log *slog.Logger }

func (c *pressureCollector) Collect(src Source, t Tick, b *Batch) error { return nil }
