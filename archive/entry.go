package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrUnexpected marks an entry of the archive that is not what its name
// promises: a dangling symlink, a symlink that leads out of the archive, a
// folder named like a data file or a file named like a folder. Listings
// skip such an entry with a warning (once per Store) and keep going;
// Unexpected returns the ones seen.
var ErrUnexpected = errors.New("archive: unexpected entry")

// EntryError describes one unexpected entry and says what to do about it.
// It matches ErrUnexpected with errors.Is.
type EntryError struct {
	Path    string // the entry, below the archive folder
	Problem string // what is wrong with it
	Fix     string // what to do
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("archive: %s: %s: %s", e.Path, e.Problem, e.Fix)
}

// Is reports whether target is ErrUnexpected.
func (e *EntryError) Is(target error) bool { return target == ErrUnexpected }

// Unexpected returns the unexpected entries the store's listings skipped so
// far (each errors.Is ErrUnexpected), in the order they were met. A caller
// that wants an archive without surprises (almanac's --strict) fails when
// it is not empty.
func (s *Store) Unexpected() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]error, len(s.unexpected))
	for i, e := range s.unexpected {
		out[i] = e
	}
	return out
}

// entryWant is what an entry's name says it must be.
type entryWant int

const (
	wantAny  entryWant = iota // not a name the archive reads: left to the caller
	wantDir                   // host=…, date=…: a folder of the layout
	wantFile                  // part-<seq>.parquet, day-<seq>.parquet: a data file
)

func wantOf(name string) entryWant {
	switch {
	case strings.HasPrefix(name, "host="), strings.HasPrefix(name, "date="):
		return wantDir
	}
	if _, ok := parseFileName(name); ok {
		return wantFile
	}
	if _, ok := parseRollupName(name); ok {
		return wantFile
	}
	return wantAny
}

// usable reports whether the entry name (relative to the root) of type
// typ, as a directory listing gave it, is what its name says: this is the
// one place that classifies the entries of the archive. Symlinks are
// followed inside the archive. Any other entry is noted (see note) and
// left out; one that vanished since the listing is left out silently.
func (s *Store) usable(name string, typ fs.FileMode) bool {
	want := wantOf(path.Base(name))
	if want == wantAny {
		return true
	}
	mode := typ
	if typ&fs.ModeSymlink != 0 {
		fi, err := s.root.Stat(name)
		if err != nil {
			s.skip(name, err, true)
			return false
		}
		mode = fi.Mode().Type()
	}
	switch {
	case want == wantDir && mode.IsDir(), want == wantFile && mode.IsRegular():
		return true
	case want == wantFile:
		s.note(&EntryError{Path: s.full(name), Problem: "is " + kindOf(mode) + ", not a Parquet file",
			Fix: "almanac reads only regular files by that name: move it out of the archive"})
	default:
		s.note(&EntryError{Path: s.full(name), Problem: "is " + kindOf(mode) + ", not a folder",
			Fix: "almanac reads only folders by that name: move it out of the archive"})
	}
	return false
}

func kindOf(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a folder"
	case mode.IsRegular():
		return "a regular file"
	case mode&fs.ModeSymlink != 0:
		return "a symlink"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// skip decides about an entry that could not be opened or listed: it
// reports whether err only means the entry is to be left out (a dangling
// symlink, a symlink out of the archive, a symlink loop, a file where a
// folder belongs, an entry that is missing), noting the unexpected ones.
// listed says name was seen in a listing, so that missing means it
// vanished since. Other errors (permission denied, I/O errors) are the
// caller's.
func (s *Store) skip(name string, err error, listed bool) bool {
	switch {
	case isEscape(err):
		s.note(s.escapeEntry(name))
	case errors.Is(err, fs.ErrNotExist):
		if fi, lerr := s.root.Lstat(name); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := s.root.Readlink(name)
			s.note(&EntryError{Path: s.full(name), Problem: fmt.Sprintf("is a dangling symlink (to %q, which does not exist)", target),
				Fix: "remove the link, or restore what it points to"})
			return true
		}
		if listed {
			// Gone since it was listed: a compaction merged it, a prune
			// removed it. Expected while the sampler runs.
			s.log.Debug("entry vanished", "path", name)
		}
	case errors.Is(err, syscall.ELOOP):
		s.note(&EntryError{Path: s.full(name), Problem: "is a symlink loop", Fix: "remove the link"})
	case errors.Is(err, syscall.ENOTDIR):
		s.note(&EntryError{Path: s.full(name), Problem: "is not a folder",
			Fix: "almanac reads only folders by that name: move it out of the archive"})
	default:
		return false
	}
	return true
}

// note records an unexpected entry and logs it, once per path.
func (s *Store) note(e *EntryError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, old := range s.unexpected {
		if old.Path == e.Path {
			return
		}
	}
	s.unexpected = append(s.unexpected, e)
	s.log.Warn("unexpected entry skipped", "path", e.Path, "problem", e.Problem, "fix", e.Fix)
}

// full returns the path of name (relative to the root) as the user sees it.
func (s *Store) full(name string) string { return filepath.Join(s.dir, filepath.FromSlash(name)) }

// isEscape reports whether err is os.Root's refusal of a path that leads
// out of the root ("path escapes from parent"), which os does not export.
func isEscape(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}

// escapeEntry explains os.Root's "path escapes from parent" for name: the
// symlink on the way to name that leads out of the archive, where it
// points, and what to do.
func (s *Store) escapeEntry(name string) *EntryError {
	link := name
	for p, rest := "", name; rest != ""; {
		var elem string
		elem, rest, _ = strings.Cut(rest, "/")
		p = path.Join(p, elem)
		if _, err := s.root.Stat(p); isEscape(err) {
			link = p
			break
		}
	}
	target, _ := s.root.Readlink(link)
	return &EntryError{Path: s.full(link),
		Problem: fmt.Sprintf("is a symlink to %q, outside the archive, which almanac does not follow", target),
		Fix:     "move what it points to into the archive (or bind-mount it there) and remove the link"}
}

// explain adds to an error of the *os.Root which symlink leads out of the
// archive and what to do, when err is the root's refusal to follow it.
func (s *Store) explain(name string, err error) error {
	if err == nil || !isEscape(err) {
		return err
	}
	e := s.escapeEntry(name)
	return fmt.Errorf("%w (%s %s: %s)", err, e.Path, e.Problem, e.Fix)
}
