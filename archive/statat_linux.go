//go:build linux

package archive

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// statDir is an open folder of the archive in which files are looked up
// by a path of a day folder and a name (Store.Days' look for a day's
// rollups: thousands a host-year). On Linux a look is one fstatat from
// the folder's descriptor, where os.Root.Stat opens the day folder, stats
// the file and closes the folder again. fstatat does not follow a
// symbolic link at the end of the path, but does on the way: the day
// folder was listed as a usable entry (Store.usable: no link out of the
// archive), and were it replaced by one since, only the size and time
// the look gives could be wrong (they key a render's memo); the file
// itself is read through the archive's os.Root.
type statDir struct {
	f  *os.File
	rc syscall.RawConn // f's descriptor
}

// openStatDir opens the folder dir (relative to the root) for stat.
func (s *Store) openStatDir(dir string) (statDir, error) {
	f, err := s.root.Open(dir)
	if err != nil {
		return statDir{}, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return statDir{}, err
	}
	return statDir{f, rc}, nil
}

func (d statDir) Close() error { return d.f.Close() }

// stat returns the size and modification time of the regular file rel
// (day folder/name) in d; ok is false when it is missing or not a
// regular file, err when the look failed otherwise.
func (d statDir) stat(rel string) (st fileStat, ok bool, err error) {
	var u unix.Stat_t
	var serr error
	if err := d.rc.Control(func(fd uintptr) {
		serr = unix.Fstatat(int(fd), rel, &u, unix.AT_SYMLINK_NOFOLLOW)
	}); err != nil {
		return fileStat{}, false, err
	}
	switch {
	case serr == unix.ENOENT || serr == unix.ENOTDIR:
		return fileStat{}, false, nil
	case serr != nil:
		return fileStat{}, false, serr
	case u.Mode&unix.S_IFMT != unix.S_IFREG:
		return fileStat{}, false, nil
	}
	return fileStat{u.Size, u.Mtim.Nano(), true}, true, nil
}
