package sample

import "log/slog"

// Stub: replaced by the filesystem collector.

type filesystemCollector struct{ log *slog.Logger }

func (c *filesystemCollector) Collect(src Source, t Tick, b *Batch) error { return nil }
