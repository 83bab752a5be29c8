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
	// Consolidated counts the hour files written: spans of today's parts
	// merged into one file (see CompactOptions.Consolidate).
	Consolidated int
}

// DefaultConsolidate is the span of the parts Compact merges into one file
// in days that are not closed yet: an hour.
const DefaultConsolidate = time.Hour

// CompactOptions tunes CompactWith.
type CompactOptions struct {
	// Consolidate is the span of the runs of parts merged into one hour
	// file in the days that are not closed (today): the parts whose seq
	// (the time of their first sample, in microseconds) falls in one span
	// of this length, counted from the Unix epoch, are merged once the
	// span has ended. 0 means DefaultConsolidate; a negative value turns
	// consolidation off.
	Consolidate time.Duration
	// Between, if set, is called after each partition (a table's day, or
	// its open day's hours) is done, before the next, and between a
	// closed day's merge and its rollups: almanac sample drops there the
	// pages of its binary the code of the phase before had mapped.
	Between func()
}

func compactLockName(host string) string { return journalDir + "/" + host + ".compact.lock" }

// Compact is CompactWith with the default options: closed days into day
// files, the parts of today's ended hours into hour files.
func (s *Store) Compact(host string, now time.Time) (CompactStats, error) {
	return s.CompactWith(host, now, CompactOptions{})
}

// CompactWith rewrites every closed day of host (each day before the UTC day
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
// In the days that are not closed (today, or a day ahead of now's), it
// consolidates: each run of two or more parts whose seqs fall in one span
// of opts.Consolidate (an hour) that has ended by now is merged into one
// file, hour-<lo>-<hi>.parquet (lo and hi the first and last seq it holds,
// sorted like a day file), written atomically like a part; once it is in
// place and its folder synced, the merged parts are deleted. Readers never
// count a row twice: the hour file covers every file whose seqs lie in
// [lo, hi] (see liveFiles), so between the rename and the deletions, or
// after a crash in between, readers of this package take the hour file and
// skip the parts, and the next run deletes them. A part written after its
// hour was consolidated (a flush that failed for a while) has a higher seq
// and is merged with the hour file by the next run. Today is left with
// one file per ended hour and the parts of the open hour, and the day file
// then merges those.
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
func (s *Store) CompactWith(host string, now time.Time, opts CompactOptions) (CompactStats, error) {
	var st CompactStats
	every := opts.Consolidate
	if every == 0 {
		every = DefaultConsolidate
	}
	if err := CheckHost(host); err != nil {
		return st, err
	}
	lock, err := s.lockFile(compactLockName(host), 0)
	if err != nil {
		return st, fmt.Errorf("archive: compact %q: %w", host, err)
	}
	defer lock.Close()
	defer mergeZstd.drop() // the sampler compacts once an hour: its encoders need not wait
	parts, err := s.hostDirs(host)
	if err != nil {
		return st, fmt.Errorf("archive: compact %q: %w", host, err)
	}
	today := Day(now)
	var closed, open []Partition
	for _, p := range parts {
		if p.Day.Before(today) {
			closed = append(closed, p)
		} else {
			open = append(open, p)
		}
	}
	var errs []error
	if every > 0 {
		for _, p := range open {
			err := s.consolidatePartition(p, now, every, &st)
			if opts.Between != nil {
				opts.Between()
			}
			if err != nil {
				errs = append(errs, err)
				if noSpace(err) {
					break
				}
			}
		}
	}
	for i, p := range closed {
		if len(errs) > 0 && noSpace(errs[len(errs)-1]) {
			errs = append(errs, fmt.Errorf("%d closed day folders not attempted", len(closed)-i))
			break
		}
		err := s.compactPartition(p, &st, opts.Between)
		if opts.Between != nil {
			opts.Between()
		}
		if err != nil {
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

// liveOf lists the live files of the day folder dir, after removing what
// a killed compaction or consolidation (or an earlier version) left and
// the files a live one covers.
func (s *Store) liveOf(dir string, st *CompactStats) ([]dataFile, error) {
	names, err := s.readDirNames(dir)
	if err != nil {
		return nil, err
	}
	if names, err = s.tidy(dir, names, "day-", "hour-"); err != nil {
		return nil, err
	}
	live, covered := liveFiles(names)
	for _, f := range covered {
		if err := s.remove(dir + "/" + f.name); err != nil {
			return nil, err
		}
		st.Removed++
	}
	return live, nil
}

// compactPartition compacts one day folder; between, if not nil, is
// called between the merge and the rollups (CompactOptions.Between).
func (s *Store) compactPartition(p Partition, st *CompactStats, between func()) error {
	dir := p.Dir()
	live, err := s.liveOf(dir, st)
	if err != nil {
		return err
	}
	if len(live) > 1 || len(live) == 1 && live[0].kind != kindDay {
		if err := s.mergeOrSetAside(p, live, kindDay, st); err != nil {
			return err
		}
		if between != nil {
			between()
		}
	}
	// The rollups of the day, or of a day compacted before they existed.
	names, err := s.readDirNames(dir)
	if err != nil {
		return err
	}
	if live, _ := liveFiles(names); len(live) == 1 && live[0].kind == kindDay {
		return s.ensureRollups(p, live[0], st)
	}
	return nil
}

// consolidatePartition merges the runs of parts of a day that is not
// closed whose span of every has ended by now into hour files, and deletes
// the covered files a killed run left.
func (s *Store) consolidatePartition(p Partition, now time.Time, every time.Duration, st *CompactStats) error {
	live, err := s.liveOf(p.Dir(), st)
	if err != nil {
		return err
	}
	var errs []error
	for _, run := range consolidationRuns(live, now, every) {
		if err := s.mergeOrSetAside(p, run, kindHour, st); err != nil {
			errs = append(errs, err)
			if noSpace(err) {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// consolidationRuns returns the runs of live files (in liveFiles order)
// that consolidation merges: the files other than day files whose first
// seq falls in one span of every (counted from the Unix epoch), when that
// span has ended by now and holds two files or more. Live files do not
// overlap, so no other file has a seq within a run's range: the hour file
// covers exactly the run.
func consolidationRuns(live []dataFile, now time.Time, every time.Duration) [][]dataFile {
	span := every.Microseconds()
	if span <= 0 {
		return nil
	}
	var runs [][]dataFile
	var run []dataFile
	key := int64(-1)
	end := func() {
		if len(run) >= 2 && (key+1)*span <= now.UnixMicro() {
			runs = append(runs, run)
		}
		run = nil
	}
	for _, f := range live {
		if f.kind == kindDay {
			continue
		}
		if k := f.lo / span; k != key {
			end()
			key = k
		}
		run = append(run, f)
	}
	end()
	return runs
}

func maxSeq(files []dataFile) int64 {
	var m int64
	for _, f := range files {
		m = max(m, f.seq)
	}
	return m
}

// mergeOrSetAside merges files (in liveFiles order) into one file of kind
// (kindDay or kindHour, see merge); an input that cannot be read is set
// aside as .<name>.corrupt and the others are merged without it. The
// error names each file set aside.
func (s *Store) mergeOrSetAside(p Partition, files []dataFile, kind int, st *CompactStats) error {
	dir := p.Dir()
	var errs []error
	for {
		if kind == kindHour && len(files) < 2 || len(files) == 0 || len(files) == 1 && files[0].kind == kind {
			break // nothing left to merge
		}
		name := dayName(maxSeq(files))
		if kind == kindHour {
			name = hourName(files[0].lo, maxSeq(files))
		}
		err := s.merge(p, files, name, st)
		var ie *inputError
		if !errors.As(err, &ie) || !errors.Is(err, ErrCorrupt) {
			if err != nil {
				errs = append(errs, err)
			}
			break
		}
		// Set the damaged file aside and merge the others.
		bad := dir + "/" + files[ie.i].name
		if rerr := s.root.Rename(bad, quarantineName(bad)); rerr != nil {
			errs = append(errs, err, rerr)
			break
		}
		errs = append(errs, fmt.Errorf("%w (set aside as %s)", err, quarantineName(bad)))
		files = append(files[:ie.i:ie.i], files[ie.i+1:]...)
	}
	return errors.Join(errs...)
}

// merge writes the files of p into one file, base (a day or hour file
// name), then deletes them.
func (s *Store) merge(p Partition, files []dataFile, base string, st *CompactStats) error {
	dir := p.Dir()
	var inputs []sizedReaderAt
	var bytesIn int64
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
		bytesIn += fi.Size()
	}
	name := dir + "/" + base
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
	if kind := kindOfName(base); kind == kindHour {
		st.Consolidated++
	} else {
		st.Partitions++
	}
	st.FilesIn += len(files)
	st.Rows += int64(rows)
	st.BytesIn += bytesIn
	st.BytesOut += size
	s.log.Debug("files merged", "partition", dir, "into", base, "files", len(files), "rows", rows,
		"bytes_in", bytesIn, "bytes_out", size)
	return nil
}

// kindOfName returns the kind of the data file name.
func kindOfName(name string) int {
	f, _ := parseFileName(name)
	return f.kind
}
