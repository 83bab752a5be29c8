//go:build linux

package main

import (
	"almanac/sample"
	"fmt"
	"os"

	"github.com/spf13/pflag"
)

// customFlags are the flags of almanac sample for custom metrics (the
// textfile directory) and GPUs.
type customFlags struct {
	textfileDir         string
	maxSeries, maxTotal int
	noGPU               bool
}

func (c *customFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.textfileDir, "textfile-dir", "", "directory of *.prom files (Prometheus text format) read into the custom table each sample; write each to a temporary name, then rename it")
	fs.IntVar(&c.maxSeries, "textfile-max-series", sample.DefaultTextfileMaxSeries, "most series one .prom file may hold: a file with more is skipped, with a warning")
	fs.IntVar(&c.maxTotal, "textfile-max-total", sample.DefaultTextfileMaxTotal, "most series of all .prom files in one sample: files past it are skipped, with a warning")
	fs.BoolVar(&c.noGPU, "no-gpu", false, "do not read GPUs (/sys/class/drm, and NVML in almanac-nvml)")
}

// check checks the flags and sets them in opts.
func (c *customFlags) check(opts *sample.Options) error {
	if c.maxSeries < 1 || c.maxTotal < 1 {
		return &usageError{msg: fmt.Sprintf("--textfile-max-series %d and --textfile-max-total %d must be at least 1", c.maxSeries, c.maxTotal),
			hint: "almanac sample --textfile-dir /var/lib/almanac/textfile --textfile-max-series 1000"}
	}
	// A directory that does not exist yet is a warning of the collector
	// (the job that writes the files may create it later); a file is an
	// error.
	if fi, err := os.Stat(c.textfileDir); c.textfileDir != "" && err == nil && !fi.IsDir() {
		return &usageError{msg: fmt.Sprintf("--textfile-dir %s is not a directory", c.textfileDir),
			hint: "almanac sample --textfile-dir /var/lib/almanac/textfile"}
	}
	opts.TextfileDir, opts.TextfileMaxSeries, opts.TextfileMaxTotal = c.textfileDir, c.maxSeries, c.maxTotal
	opts.NoGPU = c.noGPU
	return nil
}
