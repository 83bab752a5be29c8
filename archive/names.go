package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"
)

// Temporary and quarantined files live in the folder of the file they
// belong to, under a name that begins with a dot: Spark, Trino, Hive and
// pyarrow's dataset reader skip every name beginning with "." or "_" in a
// partition folder, and neither ends in .parquet, so a glob such as
// DuckDB's cpu/**/*.parquet skips them too. Earlier versions named them
// <name>.tmp and <name>.corrupt, visible to those readers; tidy removes
// or renames what they left.

// tmpSuffix ends the name of a file being written.
const tmpSuffix = ".tmp"

// corruptSuffix ends the name of a data file set aside because it cannot
// be read.
const corruptSuffix = ".corrupt"

// tmpName returns the name the file name (a path relative to the root) is
// written under before it is renamed into place: dir/.<base>.tmp.
func tmpName(name string) string {
	dir, base := path.Split(name)
	return dir + "." + base + tmpSuffix
}

// quarantineName returns the name the data file name (a path relative to
// the root) is set aside under: dir/.<base>.corrupt.
func quarantineName(name string) string {
	dir, base := path.Split(name)
	return dir + "." + base + corruptSuffix
}

// tmpOf reports whether the entry name of a folder is a tmp file, in this
// version's naming (.<base>.tmp) or an earlier one's (<base>.tmp), and
// returns the name of the file it was to become.
func tmpOf(name string) (string, bool) {
	base, ok := strings.CutSuffix(name, tmpSuffix)
	if !ok {
		return "", false
	}
	return strings.TrimPrefix(base, "."), true
}

// oldQuarantined reports whether the entry name of a folder is a data file
// an earlier version set aside as <base>.corrupt, visible to dataset
// readers.
func oldQuarantined(name string) bool {
	return strings.HasSuffix(name, corruptSuffix) && !strings.HasPrefix(name, ".")
}

// tidy cleans the folder dir, whose entries are names, after a crash or
// an earlier version: it removes the tmp files of the data files whose
// names begin with one of prefixes (a crashed writer of them left those; the caller
// holds the lock that keeps others from writing them), and renames the
// files an earlier version set aside as <base>.corrupt to .<base>.corrupt.
// It returns the names left. Removing a file that is already gone is not
// an error, so running it twice, or after another cleanup, is harmless.
func (s *Store) tidy(dir string, names []string, prefixes ...string) ([]string, error) {
	out := names[:0:0]
	var errs []error
	for _, n := range names {
		name := dir + "/" + n
		switch base, isTmp := tmpOf(n); {
		case isTmp && slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(base, p) }):
			if err := s.remove(name); err != nil {
				errs = append(errs, err)
				out = append(out, n)
				continue
			}
			s.log.Info("removed leftover tmp file", "file", name)
		case oldQuarantined(n):
			to := "." + n
			if err := s.root.Rename(name, dir+"/"+to); err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, fmt.Errorf("hide %s: %w", name, err))
					out = append(out, n)
				}
				continue
			}
			s.log.Info("quarantined file hidden from dataset readers", "file", name, "now", dir+"/"+to)
			out = append(out, to)
		default:
			out = append(out, n)
		}
	}
	return out, errors.Join(errs...)
}

// remove removes the file name; one already gone is not an error.
func (s *Store) remove(name string) error {
	if err := s.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", name, s.explain(name, err))
	}
	return nil
}

// noSpace reports whether err says the disk is full or the quota reached.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// spaceHint adds to err, when it says the disk is full, where to free
// space and what to run then.
func (s *Store) spaceHint(err error) error {
	if noSpace(err) {
		return fmt.Errorf("%w (free space on the filesystem of %s, then run almanac archive compact again: nothing was lost)", err, s.dir)
	}
	return err
}
