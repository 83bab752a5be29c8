//go:build !linux

package archive

import (
	"errors"
	"io/fs"
	"os"
)

// dirAt is an open folder of the archive whose day folders Store.Days
// lists and in which it looks for files (see dirat_linux.go); here both go
// through an os.Root opened on it.
type dirAt struct{ r *os.Root }

// openDirAt opens the folder dir (relative to the root).
func (s *Store) openDirAt(dir string) (dirAt, error) {
	r, err := s.root.OpenRoot(dir)
	return dirAt{r}, err
}

func (d dirAt) Close() error { return d.r.Close() }

// stat returns the size and modification time of the regular file rel
// (day folder/name) in d; ok is false when it is missing or not a
// regular file, err when the look failed otherwise.
func (d dirAt) stat(rel string) (st fileStat, ok bool, err error) {
	fi, err := d.r.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fileStat{}, false, nil
	case err != nil:
		return fileStat{}, false, err
	case !fi.Mode().IsRegular():
		return fileStat{}, false, nil
	}
	return fileStat{fi.Size(), fi.ModTime().UnixNano(), true}, true, nil
}

// openFile opens the regular file name, one path element, in d for
// reading, and returns it with its size. What fails the caller opens
// through the archive's root, which says what is wrong.
func (d dirAt) openFile(name string) (readerAtCloser, int64, error) {
	fi, err := d.r.Lstat(name)
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, &fs.PathError{Op: "open", Path: name, Err: errors.New("not a regular file")}
	}
	f, err := d.r.Open(name)
	if err != nil {
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// list returns the entries of the folder name, one path element, in d,
// each regular file with its size and modification time. A name that is
// missing, not a folder or a link fails; the caller lists it again
// through the root, which says what is wrong. The folder's identity (id)
// is not known here: its listing is never kept (Listings).
func (d dirAt) list(name string, _ bool) ([]entry, dirListing, error) {
	fi, err := d.r.Lstat(name)
	if err != nil {
		return nil, dirListing{}, err
	}
	if !fi.IsDir() {
		return nil, dirListing{}, &fs.PathError{Op: "list", Path: name, Err: errors.New("not a folder")}
	}
	f, err := d.r.Open(name)
	if err != nil {
		return nil, dirListing{}, err
	}
	defer f.Close()
	ents, err := entriesOf(f, true)
	return ents, dirListing{}, err
}

// known reports false: here a listing kept is never used.
func (d dirAt) known(string, dirListing) ([]fileStat, bool) { return nil, false }

// entriesOf reads the entries of the open folder f, each regular file
// with its size and modification time when stats is set.
func entriesOf(f *os.File, stats bool) ([]entry, error) {
	des, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(des))
	for _, de := range des {
		e := entry{name: de.Name(), typ: de.Type()}
		if stats && e.typ.IsRegular() {
			if fi, err := de.Info(); err == nil {
				e.st = fileStat{fi.Size(), fi.ModTime().UnixNano(), true}
			}
		}
		out = append(out, e)
	}
	return out, nil
}
