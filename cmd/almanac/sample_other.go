//go:build !linux

package main

import "context"

// sampleSummary is the line of almanac sample in the command list.
const sampleSummary = "(Linux only) read /proc and /sys and append to today's Parquet files"

// runSample says that almanac sample needs Linux: the collectors read
// /proc and /sys. Rendering, publishing and the archive commands work on
// any system, so that a fleet's site can be rendered on a workstation.
func runSample(context.Context, *env, []string) error {
	return linuxOnly()
}
