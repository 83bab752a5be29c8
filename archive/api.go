package archive

// This file holds the archive's public types as agreed between the sampler,
// the site renderer and the CLI; the methods live in store.go, writer.go,
// scan.go, compact.go, prune.go and list.go.

import (
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ErrCorrupt marks a Parquet file that could not be read. Readers skip such
// a file, keep going and return the error (wrapped with the file's path)
// alongside what they could read.
var ErrCorrupt = errors.New("archive: corrupt parquet file")

// ErrNoData is returned by readers when the archive holds nothing for the
// host or table asked for.
var ErrNoData = errors.New("archive: no data")

// Store is an archive folder. Every file it writes goes through an
// *os.Root opened on that folder, so no name can lead outside it.
type Store struct {
	dir  string
	log  *slog.Logger
	root *os.Root

	mu         sync.Mutex
	unexpected []*EntryError // see Unexpected

	// aside serializes SetAside within the process: its compact lock is a
	// try-lock, which two concurrent calls (ship's workers) would refuse
	// each other.
	aside sync.Mutex
}

// Dir returns the archive's folder.
func (s *Store) Dir() string { return s.dir }

// WriterOptions configure a Writer.
type WriterOptions struct {
	// FlushEvery is how often the journal is turned into closed Parquet
	// parts (default 5 minutes). Shorter means fresher files for readers
	// and shippers, and more small files until the day is compacted.
	FlushEvery time.Duration
	// NoSync skips the fsyncs of the journal and of the parts written by
	// flushes. For tests and benchmarks; a power cut may then lose more
	// than the last sample (a crash of the process alone loses nothing
	// more).
	NoSync bool
	// QueueLen is how many batches Append holds in memory while the
	// journal cannot be written (a full disk), before it drops the oldest
	// (default DefaultQueueLen). See QueueError.
	QueueLen int
}

// Partition names one folder of the archive: a table, a host and a UTC day.
type Partition struct {
	Table string
	Host  string
	Day   time.Time // midnight UTC
}

// Frame is what Scan returns: the time column and the asked-for columns of
// the matching rows, in time order. Numeric columns (integers, decimals,
// booleans as 0/1) are in Num as float64, decimals already scaled (12.34,
// not 1234); string columns are in Str. Null values are NaN.
type Frame struct {
	Time []int64 // microseconds since the epoch, UTC
	Num  map[string][]float64
	Str  map[string][]string
}

// Len returns the number of rows in f.
func (f *Frame) Len() int { return len(f.Time) }
