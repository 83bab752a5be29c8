package archive

// This file is the archive's public API as agreed between the sampler, the
// site renderer and the CLI. Bodies marked "not implemented" are filled in
// by the archive work; signatures change only with everyone's agreement.

import (
	"errors"
	"log/slog"
	"time"

	"almanac/sample"
)

// ErrCorrupt marks a Parquet file that could not be read. Readers skip such
// a file, keep going and return the error (wrapped with the file's path)
// alongside what they could read.
var ErrCorrupt = errors.New("archive: corrupt parquet file")

// ErrNoData is returned by readers when the archive holds nothing for the
// host or table asked for.
var ErrNoData = errors.New("archive: no data")

var errNotImplemented = errors.New("archive: not implemented")

// Store is an archive folder. Every file it writes goes through an
// *os.Root opened on that folder, so no name can lead outside it.
type Store struct {
	dir string
	log *slog.Logger
}

// Open opens (and creates if missing) the archive at dir.
func Open(dir string, log *slog.Logger) (*Store, error) { return nil, errNotImplemented }

// Dir returns the archive's folder.
func (s *Store) Dir() string { return s.dir }

// Close releases the store.
func (s *Store) Close() error { return nil }

// WriterOptions configure a Writer.
type WriterOptions struct {
	// FlushEvery is how often the journal is turned into closed Parquet
	// parts (default 5 minutes). Shorter means fresher files for readers
	// and shippers, and more small files until the day is compacted.
	FlushEvery time.Duration
	// NoSync skips the fsync after each appended sample. For tests and
	// benchmarks; a power cut may then lose more than the last sample.
	NoSync bool
}

// Writer appends the samples of one host to the archive. It is not safe
// for concurrent use.
type Writer struct{}

// Writer opens the journal of host, replaying into Parquet parts whatever
// a previous run left in it.
func (s *Store) Writer(host string, opts WriterOptions) (*Writer, error) {
	return nil, errNotImplemented
}

// Append adds one batch to the journal; once it returns, the batch
// survives a crash of the process.
func (w *Writer) Append(b *sample.Batch) error { return errNotImplemented }

// Flush turns the journal into closed Parquet parts now.
func (w *Writer) Flush() error { return errNotImplemented }

// Close flushes and closes the writer.
func (w *Writer) Close() error { return errNotImplemented }

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

// Hosts lists the hosts that have at least one partition, sorted.
func (s *Store) Hosts() ([]string, error) { return nil, errNotImplemented }

// Partitions lists the partitions of table for host, oldest first.
func (s *Store) Partitions(table, host string) ([]Partition, error) {
	return nil, errNotImplemented
}

// Scan reads the columns cols of table for host, for rows with from <= time
// < to. It reads only those columns. Corrupt files are skipped: the frame
// holds the rest, and the error (errors.Is ErrCorrupt) names each skipped
// file.
func (s *Store) Scan(table, host string, from, to time.Time, cols ...string) (*Frame, error) {
	return nil, errNotImplemented
}
