package sample

import "log/slog"

// Stub: replaced by the process collector.

type processCollector struct{}

func newProcessCollector(cmdline bool, log *slog.Logger) *processCollector {
	return &processCollector{}
}

func (c *processCollector) Collect(src Source, t Tick, b *Batch) error { return nil }
