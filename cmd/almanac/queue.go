//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"almanac/archive"
)

// logQueue says, when the journal first refuses a sample and then at most
// once a minute (or when samples start being dropped), why, what to do,
// and how much the memory queue holds.
func (s *sampler) logQueue(now time.Time, qe *archive.QueueError) {
	if !s.queueLogged.IsZero() && now.Sub(s.queueLogged) < time.Minute &&
		(qe.Dropped == 0 || s.queueDrops > 0) {
		return
	}
	s.queueLogged, s.queueDrops = now, qe.Dropped
	fsys := mountPoint(s.o.archive)
	s.log.Warn("journal cannot be written, samples wait in memory",
		"err", qe.Err,
		"hint", fmt.Sprintf("free space on %s (the filesystem of %s): up to %d samples (%v at --interval %v) wait in memory and are written once it can be; beyond that the oldest are dropped",
			fsys, s.o.archive, qe.Limit, time.Duration(qe.Limit)*s.o.interval, s.o.interval),
		"filesystem", fsys,
		"failing_since", qe.Since.UTC().Format(time.RFC3339),
		"queued_samples", qe.Queued,
		"queue_bytes", qe.Bytes,
		"queue_limit_samples", qe.Limit,
		"dropped_samples", qe.Dropped)
}

// mountPoint returns the mount point of the filesystem that holds dir: the
// highest folder above it on the same device (dir itself when that cannot
// be told).
func mountPoint(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	dev := func(p string) (uint64, bool) {
		fi, err := os.Stat(p)
		if err != nil {
			return 0, false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return 0, false
		}
		return uint64(st.Dev), true
	}
	d, ok := dev(abs)
	if !ok {
		return dir
	}
	for {
		parent := filepath.Dir(abs)
		if parent == abs {
			return abs
		}
		if pd, ok := dev(parent); !ok || pd != d {
			return abs
		}
		abs = parent
	}
}
