//go:build !linux

package archive

import (
	"errors"
	"io/fs"
	"os"
)

// statDir is an open folder of the archive in which files are looked up
// by a path of a day folder and a name (see statat_linux.go).
type statDir struct{ r *os.Root }

// openStatDir opens the folder dir (relative to the root) for stat.
func (s *Store) openStatDir(dir string) (statDir, error) {
	r, err := s.root.OpenRoot(dir)
	return statDir{r}, err
}

func (d statDir) Close() error { return d.r.Close() }

// stat returns the size and modification time of the regular file rel
// (day folder/name) in d; ok is false when it is missing or not a
// regular file, err when the look failed otherwise.
func (d statDir) stat(rel string) (st fileStat, ok bool, err error) {
	fi, err := d.r.Stat(rel)
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
