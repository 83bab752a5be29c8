package archive

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// CompactStats says what a compaction did.
type CompactStats struct {
	Partitions int   // partitions rewritten into one day file
	FilesIn    int   // files merged
	Removed    int   // files deleted: merged inputs and covered leftovers
	Rows       int64 // rows written to day files
	BytesIn    int64 // size of the merged files
	BytesOut   int64 // size of the day files and rollups written
	Rollups    int   // rollup files written
}

func compactLockName(host string) string { return journalDir + "/" + host + ".compact.lock" }

// Compact rewrites every closed day of host (each day before the UTC day
// of now) into one file per table: day-<maxseq>.parquet, sorted by the
// table's key then time, which covers every part whose seq is at most
// maxseq. It then deletes the merged files, and the covered files an
// interrupted compaction left. For each compacted day of a table with
// rollups (HasRollups) it writes the per-minute and per-hour rollups that
// are missing (see ScanRollup): a day compacted before rollups existed
// gets them from the next Compact, and a day already done costs two
// folder listings. A file that cannot be read is set aside as
// .<name>.corrupt in its folder (no reader looks at it, see
// quarantineName), the rest of its day is compacted, and the error
// (errors.Is ErrCorrupt) names it.
//
// Compact picks up after a compaction that was killed at any moment: it
// removes the tmp files it left, deletes the parts a day file covers and
// writes the rollups that are missing. When the disk is full, the error
// names the file that could not be written and says to free space; no
// tmp file stays and no row is lost, since inputs are deleted only once
// what replaces them is in place.
//
// Compact takes a lock of its own, so it runs beside the host's Writer;
// a second Compact of the same host at the same time fails.
func (s *Store) Compact(host string, now time.Time) (CompactStats, error) {
	var st CompactStats
	if err := CheckHost(host); err != nil {
		return st, err
	}
	lock, err := s.lockFile(compactLockName(host), 0)
	if err != nil {
		return st, fmt.Errorf("archive: compact %q: %w", host, err)
	}
	defer lock.Close()
	parts, err := s.hostDirs(host)
	if err != nil {
		return st, fmt.Errorf("archive: compact %q: %w", host, err)
	}
	today := Day(now)
	var closed []Partition
	for _, p := range parts {
		if p.Day.Before(today) {
			closed = append(closed, p)
		}
	}
	var errs []error
	for i, p := range closed {
		if err := s.compactPartition(p, &st); err != nil {
			errs = append(errs, err)
			if noSpace(err) {
				// The others would fail the same way.
				if left := len(closed) - i - 1; left > 0 {
					errs = append(errs, fmt.Errorf("%d more day folders not attempted", left))
				}
				break
			}
		}
	}
	if len(errs) > 0 {
		return st, fmt.Errorf("archive: compact %q: %w", host, s.spaceHint(errors.Join(errs...)))
	}
	return st, nil
}

// compactPartition compacts one day folder.
func (s *Store) compactPartition(p Partition, st *CompactStats) error {
	dir := p.Dir()
	names, err := s.readDirNames(dir)
	if err != nil {
		return err
	}
	// What a killed compaction (or an earlier version) left.
	if names, err = s.tidy(dir, names, "day-"); err != nil {
		return err
	}
	live, covered := liveFiles(names)
	var errs []error
	for _, f := range covered {
		if err := s.remove(dir + "/" + f.name); err != nil {
			return err
		}
		st.Removed++
	}
	for len(live) > 1 || len(live) == 1 && live[0].kind == kindPart {
		err := s.merge(p, live, st)
		var ie *inputError
		if !errors.As(err, &ie) || !errors.Is(err, ErrCorrupt) {
			if err != nil {
				errs = append(errs, err)
			}
			break
		}
		// Set the damaged file aside and merge the others.
		bad := dir + "/" + live[ie.i].name
		if rerr := s.root.Rename(bad, quarantineName(bad)); rerr != nil {
			errs = append(errs, err, rerr)
			break
		}
		errs = append(errs, fmt.Errorf("%w (set aside as %s)", err, quarantineName(bad)))
		live = append(live[:ie.i:ie.i], live[ie.i+1:]...)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// The rollups of the day, or of a day compacted before they existed.
	names, err = s.readDirNames(dir)
	if err != nil {
		return err
	}
	if live, _ := liveFiles(names); len(live) == 1 && live[0].kind == kindDay {
		return s.ensureRollups(p, live[0], st)
	}
	return nil
}

// merge writes the files of p into one day file, then deletes them.
func (s *Store) merge(p Partition, files []dataFile, st *CompactStats) error {
	dir := p.Dir()
	var inputs []sizedReaderAt
	var maxSeq, bytesIn int64
	defer func() {
		for _, in := range inputs {
			in.ReaderAt.(*os.File).Close()
		}
	}()
	for _, f := range files {
		fh, err := s.root.Open(dir + "/" + f.name)
		if err != nil {
			return err
		}
		fi, err := fh.Stat()
		if err != nil {
			fh.Close()
			return err
		}
		inputs = append(inputs, sizedReaderAt{ReaderAt: fh, size: fi.Size(), name: dir + "/" + f.name})
		maxSeq = max(maxSeq, f.seq)
		bytesIn += fi.Size()
	}
	name := dir + "/" + dayName(maxSeq)
	var rows int
	size, err := s.writeFile(name, false, func(w io.Writer) error {
		var err error
		rows, err = tables[p.Table].merge(w, inputs)
		return err
	})
	if err != nil {
		return err
	}
	// The day file must be durable before the parts it covers go.
	if err := s.syncDir(dir); err != nil {
		return err
	}
	for _, f := range files {
		if dir+"/"+f.name == name {
			continue
		}
		if err := s.remove(dir + "/" + f.name); err != nil {
			return err
		}
		st.Removed++
	}
	st.Partitions++
	st.FilesIn += len(files)
	st.Rows += int64(rows)
	st.BytesIn += bytesIn
	st.BytesOut += size
	s.log.Debug("partition compacted", "partition", dir, "files", len(files), "rows", rows,
		"bytes_in", bytesIn, "bytes_out", size)
	return nil
}
