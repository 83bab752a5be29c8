package sample

import "log/slog"

// Placeholders: each collector replaces its stub with a file of its own.

type cpuCollector struct{}

func (c *cpuCollector) Collect(src Source, t Tick, b *Batch) error { return nil }

type systemCollector struct{}

func (c *systemCollector) Collect(src Source, t Tick, b *Batch) error { return nil }

type pressureCollector struct{ log *slog.Logger }

func (c *pressureCollector) Collect(src Source, t Tick, b *Batch) error { return nil }

type memoryCollector struct{}

func (c *memoryCollector) Collect(src Source, t Tick, b *Batch) error { return nil }

type diskCollector struct{ all bool }

func (c *diskCollector) Collect(src Source, t Tick, b *Batch) error { return nil }

type filesystemCollector struct{ log *slog.Logger }

func (c *filesystemCollector) Collect(src Source, t Tick, b *Batch) error { return nil }

type networkCollector struct{}

func (c *networkCollector) Collect(src Source, t Tick, b *Batch) error { return nil }

type temperatureCollector struct{ log *slog.Logger }

func (c *temperatureCollector) Collect(src Source, t Tick, b *Batch) error { return nil }

type processCollector struct{}

func newProcessCollector(cmdline bool, log *slog.Logger) *processCollector {
	return &processCollector{}
}

func (c *processCollector) Collect(src Source, t Tick, b *Batch) error { return nil }

func readHostFacts(src Source, t Tick) (HostRow, error) { return HostRow{}, nil }
