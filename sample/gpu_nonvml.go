//go:build linux && !nvml

package sample

import "log/slog"

// newNVML returns no NVIDIA source: this binary was built without the
// nvml tag (bin/almanac-nvml has it).
func newNVML(*slog.Logger) gpuSource { return nil }
