package sample

import "log/slog"

// Stub: replaced by the temperature collector.

type temperatureCollector struct{ log *slog.Logger }

func (c *temperatureCollector) Collect(src Source, t Tick, b *Batch) error { return nil }
