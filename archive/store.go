package archive

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"time"
)

// journalDir holds the journals and lock files, outside the table folders
// so that a glob over a table never sees them.
const journalDir = ".journal"

// Open opens (and creates if missing) the archive at dir. A nil log
// discards log lines. Open changes nothing in the archive besides
// creating dir: cleaning up after a crash is done by Writer (for the
// files it writes) and Compact (for the rest), which hold the host's locks.
func Open(dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("archive: open %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("archive: open %s: %w", dir, err)
	}
	return &Store{dir: dir, log: log, root: root}, nil
}

// Close releases the store. Writers must be closed first.
func (s *Store) Close() error {
	if err := s.root.Close(); err != nil {
		return fmt.Errorf("archive: close %s: %w", s.dir, err)
	}
	return nil
}

// readDirNames lists the names in dir (relative to the root), sorted.
// A missing dir has no names. Entries that are not what their names say
// (a folder named part-2.parquet, a dangling symlink, a symlink out of
// the archive) are left out with a warning, see usable; so is dir itself
// when it is one of those.
func (s *Store) readDirNames(dir string) ([]string, error) {
	f, err := s.root.Open(dir)
	if err != nil {
		if s.skip(dir, err, false) {
			return nil, nil
		}
		return nil, s.explain(dir, err)
	}
	defer f.Close()
	return s.namesIn(dir, f)
}

// namesIn lists the open folder f, dir relative to the root, as
// readDirNames does.
func (s *Store) namesIn(dir string, f *os.File) ([]string, error) {
	names, _, err := s.listIn(dir, f, false)
	return names, err
}

// fileStat is the size and modification time (ns since the epoch) of a
// regular file, as a listing saw it.
type fileStat struct {
	size, mtime int64
	ok          bool // false: not known from the listing (a symlink, say)
}

// entry is one entry of a folder as a listing read it.
type entry struct {
	name string
	typ  fs.FileMode // the type bits
	st   fileStat    // a regular file's, when the listing asked for them
}

// listIn lists the open folder f as namesIn does and, with stats, gives
// each regular file's size and modification time beside its name (zero
// for the other names), read as the folder is read (entriesOf), where a
// stat by path afterwards costs a lookup of every folder on the way.
func (s *Store) listIn(dir string, f *os.File, stats bool) ([]string, []fileStat, error) {
	ents, err := entriesOf(f, stats)
	if err != nil {
		if s.skip(dir, err, false) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("list %s: %w", dir, err)
	}
	names, st := s.usableOf(dir, ents, stats)
	return names, st, nil
}

// usableOf returns the names of the usable entries of the folder dir
// (usable), sorted, and with stats their sizes and times beside them.
func (s *Store) usableOf(dir string, ents []entry, stats bool) ([]string, []fileStat) {
	slices.SortFunc(ents, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	names := make([]string, 0, len(ents))
	var st []fileStat
	if stats {
		st = make([]fileStat, 0, len(ents))
	}
	for _, e := range ents {
		if !s.usable(dir+"/"+e.name, e.typ) {
			continue
		}
		names = append(names, e.name)
		if stats {
			st = append(st, e.st)
		}
	}
	return names, st
}

// listDir lists dir (relative to the root) as readDirNames does, with
// the size and modification time of each regular file (listIn).
func (s *Store) listDir(dir string) ([]string, []fileStat, error) {
	f, err := s.root.Open(dir)
	if err != nil {
		if s.skip(dir, err, false) {
			return nil, nil, nil
		}
		return nil, nil, s.explain(dir, err)
	}
	defer f.Close()
	return s.listIn(dir, f, true)
}

// syncDir makes the entries of dir (renames, creations) durable. Windows
// cannot sync a directory (its file systems journal names themselves), so
// there it does nothing.
func (s *Store) syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := s.root.Open(dir)
	if err != nil {
		return s.explain(dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// ensureDir creates dir and, when it was missing, makes its creation
// durable by syncing every parent up to the root.
func (s *Store) ensureDir(dir string) error {
	if _, err := s.root.Stat(dir); err == nil {
		return nil
	}
	if err := s.root.MkdirAll(dir, 0o755); err != nil {
		return s.explain(dir, err)
	}
	for d := path.Dir(dir); ; d = path.Dir(d) {
		if err := s.syncDir(d); err != nil {
			return err
		}
		if d == "." {
			return nil
		}
	}
}

// writeFile writes the file name atomically: write fills a tmp file
// beside it (see tmpName: readers of the folder never see it), which is
// synced (unless nosync) and renamed over name. On error the tmp file is
// removed and name is left as it was; the error names name. It returns the
// size of the file. The caller syncs the folder when the rename must be
// durable.
func (s *Store) writeFile(name string, nosync bool, write func(io.Writer) error) (size int64, err error) {
	tmp := tmpName(name)
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", name, s.explain(tmp, err))
	}
	defer func() {
		if err != nil {
			f.Close()
			s.root.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	cw := &countWriter{w: bw}
	if err := write(cw); err != nil {
		return 0, fmt.Errorf("write %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("write %s: %w", name, err)
	}
	if !nosync {
		if err := f.Sync(); err != nil {
			return 0, fmt.Errorf("sync %s: %w", name, err)
		}
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", name, err)
	}
	if err := s.root.Rename(tmp, name); err != nil {
		return 0, err
	}
	return cw.n, nil
}

// tmpFile is a data file being written under its tmp name (see tmpName),
// for a writer that keeps several open at once; see writeFile for one.
type tmpFile struct {
	name string // the name it gets once complete
	f    *os.File
	bw   *bufio.Writer
	w    *countWriter // over bw: what the file's writer writes to
}

// createTmp creates the tmp file of name, to be committed or aborted.
func (s *Store) createTmp(name string) (*tmpFile, error) {
	f, err := s.root.OpenFile(tmpName(name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", name, s.explain(tmpName(name), err))
	}
	// The Parquet writer buffers what it writes (32 KiB) and writes pages
	// whole; a flush keeps a file open per table, so this buffer only
	// gathers the writer's small writes (page headers, the footer).
	bw := bufio.NewWriterSize(f, 4<<10)
	return &tmpFile{name: name, f: f, bw: bw, w: &countWriter{w: bw}}, nil
}

// commitTmp flushes, syncs (unless nosync) and closes t and renames it to
// its name; on error it removes the tmp file. The caller syncs the folder.
// It returns the size of the file.
func (s *Store) commitTmp(t *tmpFile, nosync bool) (int64, error) {
	err := t.bw.Flush()
	if err == nil && !nosync {
		err = t.f.Sync()
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.root.Rename(tmpName(t.name), t.name)
	}
	if err != nil {
		s.root.Remove(tmpName(t.name))
		return 0, fmt.Errorf("write %s: %w", t.name, err)
	}
	return t.w.n, nil
}

// abortTmp closes and removes the tmp file of t.
func (s *Store) abortTmp(t *tmpFile) {
	t.f.Close()
	s.root.Remove(tmpName(t.name))
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// lockFile opens (creating) name and takes an exclusive lock on it, which
// the kernel drops when the file is closed or the process dies.
func (s *Store) lockFile(name string, flag int) (*os.File, error) {
	if err := s.ensureDir(path.Dir(name)); err != nil {
		return nil, err
	}
	f, err := s.root.OpenFile(name, os.O_RDWR|os.O_CREATE|flag, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockExclusive(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("lock %s: in use by another process", name)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	// A new journal's name must survive a power cut like its frames.
	if err := s.syncDir(path.Dir(name)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// hostDirs lists the partition folders of host in every table, oldest day
// first within each table.
func (s *Store) hostDirs(host string) ([]Partition, error) {
	var out []Partition
	for _, t := range tableNames() {
		ps, err := s.partitions(t, host)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// partitions lists the day folders of table for host, oldest first.
// Folder names that do not parse are skipped.
func (s *Store) partitions(table, host string) ([]Partition, error) {
	return s.partitionsFrom(table, host, time.Time{})
}

// partitionsFrom is partitions without the days that end at or before
// from, whose names are passed over unparsed: a folder's names are sorted,
// and so are the dates in them.
func (s *Store) partitionsFrom(table, host string, from time.Time) ([]Partition, error) {
	names, err := s.readDirNames(table + "/host=" + host)
	if err != nil {
		return nil, err
	}
	first := firstDayName(from)
	var out []Partition
	for _, n := range names {
		if n < first {
			continue
		}
		date, ok := strings.CutPrefix(n, "date=")
		if !ok {
			continue
		}
		day, err := parseDay(date)
		if err != nil {
			continue
		}
		out = append(out, Partition{Table: table, Host: host, Day: day})
	}
	return out, nil
}

// firstDayName returns the name of the folder of the first day that ends
// after from: names that sort before it are of days that end at or before
// from ("" for the zero time: none). A folder named other than a day's is
// skipped whichever side it sorts on.
func firstDayName(from time.Time) string {
	if from.IsZero() {
		return ""
	}
	return dayFolder(Day(from))
}
