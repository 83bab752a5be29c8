package archive

import (
	"almanac/schema"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Hosts lists the hosts that have at least one partition, sorted.
func (s *Store) Hosts() ([]string, error) {
	var hosts []string
	for _, table := range tableNames() {
		names, err := s.readDirNames(table)
		if err != nil {
			return nil, fmt.Errorf("archive: hosts: %w", err)
		}
		for _, n := range names {
			host, ok := strings.CutPrefix(n, "host=")
			if !ok || CheckHost(host) != nil || slices.Contains(hosts, host) {
				continue
			}
			parts, err := s.partitions(table, host)
			if err != nil {
				return nil, fmt.Errorf("archive: hosts: %w", err)
			}
			if len(parts) > 0 {
				hosts = append(hosts, host)
			}
		}
	}
	slices.Sort(hosts)
	return hosts, nil
}

// Partitions lists the partitions of table for host, oldest first.
func (s *Store) Partitions(table, host string) ([]Partition, error) {
	if err := CheckTable(table); err != nil {
		return nil, err
	}
	if err := CheckHost(host); err != nil {
		return nil, err
	}
	parts, err := s.partitions(table, host)
	if err != nil {
		return nil, fmt.Errorf("archive: partitions of %s for %q: %w", table, host, err)
	}
	return parts, nil
}

// PartitionInfo describes a partition for listings: its live files (the
// ones readers use), their rows, from the file footers, and their size.
type PartitionInfo struct {
	Partition
	Files int
	Rows  int64
	Bytes int64
}

// List describes every partition of the archive, by table, host and day.
// A file whose footer cannot be read counts in Files and Bytes, not in
// Rows, and is named in the error returned with the list (errors.Is
// ErrCorrupt).
func (s *Store) List() ([]PartitionInfo, error) {
	all, err := s.allPartitions()
	if err != nil {
		return nil, fmt.Errorf("archive: list: %w", err)
	}
	var out []PartitionInfo
	var errs []error
	for _, p := range all {
		info := PartitionInfo{Partition: p}
		dir := p.Dir()
		names, err := s.readDirNames(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		live, _ := liveFiles(names)
		for _, f := range live {
			pf, size, err := s.openFooter(dir + "/" + f.name)
			if errors.Is(err, fs.ErrNotExist) && s.skip(dir+"/"+f.name, err, true) {
				continue // merged by a compaction since the listing
			}
			info.Files++
			info.Bytes += size
			if err != nil {
				errs = append(errs, err)
				continue
			}
			info.Rows += pf.NumRows()
		}
		out = append(out, info)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("archive: list: %w", errors.Join(errs...))
	}
	return out, nil
}

// openFooter reads the footer of a data file (the file is closed again:
// the result serves metadata only).
func (s *Store) openFooter(name string) (pf *parquet.File, size int64, err error) {
	f, err := s.root.Open(name)
	if err != nil {
		return nil, 0, s.explain(name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		if r := recover(); r != nil {
			pf, err = nil, fmt.Errorf("%s: %w: %v", name, ErrCorrupt, r)
		}
	}()
	pf, err = parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fi.Size(), fmt.Errorf("%s: %w: %w", name, ErrCorrupt, err)
	}
	return pf, fi.Size(), nil
}

// Newest returns the time of the newest sample of host: the last batch in
// its journal (what a running sampler appended, flushed or not) or, when
// the journal is empty, the newest row of the system table. Batches a
// sampler holds in memory (a journal that cannot be written) are not seen. It returns
// ErrNoData when the archive has no sample of host.
func (s *Store) Newest(host string) (time.Time, error) {
	if err := CheckHost(host); err != nil {
		return time.Time{}, err
	}
	var newest int64 = math.MinInt64
	data, err := s.root.ReadFile(journalName(host))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, fmt.Errorf("archive: newest of %q: %w", host, err)
	}
	newest = max(newest, newestInJournal(data))
	// The newest segment with a readable frame holds the newest batch.
	segs, err := s.segments(host)
	if err != nil {
		return time.Time{}, fmt.Errorf("archive: newest of %q: %w", host, err)
	}
	for i := len(segs) - 1; i >= 0; i-- {
		data, err := s.root.ReadFile(segs[i].name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // flushed meanwhile
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("archive: newest of %q: %w", host, err)
		}
		if t := newestInJournal(data); t != math.MinInt64 {
			newest = max(newest, t)
			break
		}
	}
	parts, err := s.partitions(schema.TableSystem, host)
	if err != nil {
		return time.Time{}, fmt.Errorf("archive: newest of %q: %w", host, err)
	}
	// The newest day with a readable file holds the newest row.
	for i := len(parts) - 1; i >= 0; i-- {
		dir := parts[i].Dir()
		names, err := s.readDirNames(dir)
		if err != nil {
			return time.Time{}, fmt.Errorf("archive: newest of %q: %w", host, err)
		}
		live, _ := liveFiles(names)
		found := false
		for _, f := range live {
			if t, ok := s.maxTime(dir + "/" + f.name); ok {
				newest = max(newest, t)
				found = true
			}
		}
		if found {
			break
		}
	}
	if newest == math.MinInt64 {
		return time.Time{}, fmt.Errorf("archive: newest of %q: %w", host, ErrNoData)
	}
	return time.UnixMicro(newest).UTC(), nil
}

// newestInJournal returns the newest batch time of a journal segment, or
// math.MinInt64 when it has no readable frame.
func newestInJournal(data []byte) int64 {
	var newest int64 = math.MinInt64
	payloads, _ := splitFrames(data)
	for _, p := range payloads {
		if _, bt, err := decodeHeader(&dec{b: p}); err == nil {
			newest = max(newest, bt)
		}
	}
	return newest
}

// maxTime returns the largest time of a data file, from the statistics of
// its row groups.
func (s *Store) maxTime(name string) (int64, bool) {
	pf, _, err := s.openFooter(name)
	if err != nil {
		return 0, false
	}
	leaf, ok := pf.Schema().Lookup(timeColumn)
	if !ok {
		return 0, false
	}
	var out int64
	found := false
	for _, rg := range pf.RowGroups() {
		if b, ok := rg.ColumnChunks()[leaf.ColumnIndex].(bounded); ok {
			if _, hi, ok := b.Bounds(); ok {
				out = max(out, hi.Int64())
				found = true
			}
		}
	}
	return out, found
}
