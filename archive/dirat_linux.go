//go:build linux

package archive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dirAt is an open folder of the archive (a table's folder of a host, raw
// or a rollup's) whose day folders Store.Days lists and in which it looks
// for files: thousands of each a host-year. On Linux both are system
// calls relative to the folder's descriptor: a listing is openat,
// getdents64, an fstatat per regular file and close, where os.Root opens
// an os.File (with its fcntl and poller calls) and stats every entry; a
// look is one fstatat, where os.Root.Stat opens the day folder, stats the
// file and closes the folder again. A day folder whose listing was kept
// (Listings) is one fstatat, and one per file (known).
//
// None follows a symbolic link at the end of the path. The day folder
// named is one path element, opened with O_NOFOLLOW; a look's day folder
// was listed as a usable entry (Store.usable: no link out of the
// archive), and were it replaced by one since, only the size and time
// the look gives could be wrong (they key a render's memo): the file
// itself is read through the archive's os.Root.
type dirAt struct {
	f  *os.File
	rc syscall.RawConn // f's descriptor
}

// openDirAt opens the folder dir (relative to the root).
func (s *Store) openDirAt(dir string) (dirAt, error) {
	f, err := s.root.Open(dir)
	if err != nil {
		return dirAt{}, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return dirAt{}, err
	}
	return dirAt{f, rc}, nil
}

func (d dirAt) Close() error { return d.f.Close() }

// stat returns the size and modification time of the regular file rel
// (day folder/name) in d; ok is false when it is missing or not a
// regular file, err when the look failed otherwise.
func (d dirAt) stat(rel string) (st fileStat, ok bool, err error) {
	if cerr := d.rc.Control(func(fd uintptr) { st, ok, err = regularAt(int(fd), rel) }); cerr != nil {
		return fileStat{}, false, cerr
	}
	return st, ok, err
}

// regularAt returns the size and modification time of the regular file
// rel in the folder fd (fstatat, not following a link at the end); ok is
// false when it is missing or not a regular file, err when the look
// failed otherwise.
func regularAt(fd int, rel string) (fileStat, bool, error) {
	var u unix.Stat_t
	err := ignoringEINTR(func() error { return unix.Fstatat(fd, rel, &u, unix.AT_SYMLINK_NOFOLLOW) })
	switch {
	case err == unix.ENOENT || err == unix.ENOTDIR:
		return fileStat{}, false, nil
	case err != nil:
		return fileStat{}, false, err
	case u.Mode&unix.S_IFMT != unix.S_IFREG:
		return fileStat{}, false, nil
	}
	return fileStat{u.Size, u.Mtim.Nano(), true}, true, nil
}

// openFile opens the regular file name, one path element, in d for
// reading, without following a link, and returns it with its size: an
// openat and an fstat, where the archive's os.Root opens every folder of
// the path in turn (a timer's render opens the new parts of every table of
// every host). What fails (a link, a file gone, anything but a regular
// file) the caller opens through the root, which says what is wrong.
func (d dirAt) openFile(name string) (readerAtCloser, int64, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return nil, 0, fmt.Errorf("open %q: not a file's name", name)
	}
	var fd int
	var oerr error
	if err := d.rc.Control(func(dfd uintptr) {
		// O_NONBLOCK: a fifo put in the folder does not block the open
		// (it is not a regular file, and is refused below).
		oerr = ignoringEINTR(func() (err error) {
			fd, err = unix.Openat(int(dfd), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
			return err
		})
	}); err != nil {
		return nil, 0, err
	}
	if oerr != nil {
		return nil, 0, oerr
	}
	var u unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(fd, &u) }); err != nil {
		unix.Close(fd)
		return nil, 0, err
	}
	if u.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, 0, fmt.Errorf("open %q: not a regular file", name)
	}
	return fdFile(fd), u.Size, nil
}

// fdFile is an open regular file read with pread (O_NONBLOCK does not
// apply to regular files).
type fdFile int

// ReadAt reads len(p) bytes at off, or returns why not (io.EOF at the
// end), as io.ReaderAt.
func (f fdFile) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Pread(int(f), p[n:], off+int64(n))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return n, err
		case m == 0:
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// Close closes the file.
func (f fdFile) Close() error { return unix.Close(int(f)) }

// list returns the entries of the folder name, one path element, in d,
// each regular file with its size and modification time; with id, also
// the folder's inode and modification time (as the listing began). A
// name that is missing, not a folder or a link fails; the caller lists
// it again through the root, which says what is wrong.
func (d dirAt) list(name string, id bool) ([]entry, dirListing, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return nil, dirListing{}, fmt.Errorf("list %q: not a folder's name", name)
	}
	var ents []entry
	var dl dirListing
	var lerr error
	if err := d.rc.Control(func(fd uintptr) {
		var dfd int
		lerr = ignoringEINTR(func() (err error) {
			dfd, err = unix.Openat(int(fd), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			return err
		})
		if lerr != nil {
			return
		}
		defer unix.Close(dfd)
		if id {
			var u unix.Stat_t
			if lerr = ignoringEINTR(func() error { return unix.Fstat(dfd, &u) }); lerr != nil {
				return
			}
			dl = dirListing{ino: u.Ino, mtime: u.Mtim.Nano()}
		}
		ents, lerr = readEntries(dfd, true)
	}); err != nil {
		return nil, dirListing{}, err
	}
	return ents, dl, lerr
}

// known returns the size and time of each file of the folder name in d,
// by its listing kept, k (k.names): ok is false (list it) unless the
// folder is the one listed, unchanged since, and every file still a
// regular file.
func (d dirAt) known(name string, k dirListing) (stats []fileStat, ok bool) {
	err := d.rc.Control(func(fd uintptr) {
		var u unix.Stat_t
		err := ignoringEINTR(func() error { return unix.Fstatat(int(fd), name, &u, unix.AT_SYMLINK_NOFOLLOW) })
		if err != nil || u.Mode&unix.S_IFMT != unix.S_IFDIR || u.Ino != k.ino || u.Mtim.Nano() != k.mtime {
			return
		}
		stats = make([]fileStat, len(k.names))
		for i, n := range k.names {
			var found bool
			if stats[i], found, err = regularAt(int(fd), name+"/"+n); !found || err != nil {
				return
			}
		}
		ok = true
	})
	return stats, ok && err == nil
}

// entriesOf reads the entries of the open folder f (readEntries).
func entriesOf(f *os.File, stats bool) ([]entry, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var ents []entry
	var rerr error
	if err := rc.Control(func(fd uintptr) { ents, rerr = readEntries(int(fd), stats) }); err != nil {
		return nil, err
	}
	return ents, rerr
}

// direntBufs holds the buffers readEntries reads dirents into.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// readEntries reads the entries of the open folder fd (getdents64) but
// "." and "..", each with the type its dirent gives. An entry whose type
// the file system does not give (DT_UNKNOWN), and with stats each regular
// file, is stat'ed (fstatat, not following a link); an entry gone by
// then is left out, as os.File.ReadDir leaves it out.
func readEntries(fd int, stats bool) ([]entry, error) {
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	buf := *bp
	var out []entry
	for {
		var n int
		if err := ignoringEINTR(func() (err error) { n, err = unix.Getdents(fd, buf); return err }); err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		for rec := buf[:n]; len(rec) > 0; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			const nameOff = int(unsafe.Offsetof(unix.Dirent{}.Name))
			if len(rec) < nameOff {
				return nil, errors.New("getdents64: short record")
			}
			reclen := int(binary.NativeEndian.Uint16(rec[16:18]))
			if reclen < nameOff || reclen > len(rec) {
				return nil, errors.New("getdents64: bad record length")
			}
			ino, typ, name := binary.NativeEndian.Uint64(rec[:8]), rec[18], rec[nameOff:reclen]
			rec = rec[reclen:]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if ino == 0 || string(name) == "." || string(name) == ".." {
				continue
			}
			e := entry{name: string(name), typ: direntType(typ)}
			if typ == unix.DT_UNKNOWN || stats && typ == unix.DT_REG {
				var u unix.Stat_t
				err := ignoringEINTR(func() error { return unix.Fstatat(fd, e.name, &u, unix.AT_SYMLINK_NOFOLLOW) })
				if err == unix.ENOENT {
					continue
				}
				if err != nil {
					return nil, &fs.PathError{Op: "lstat", Path: e.name, Err: err}
				}
				e.typ = statType(u.Mode)
				if stats && e.typ.IsRegular() {
					e.st = fileStat{u.Size, u.Mtim.Nano(), true}
				}
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// direntType returns the type bits of a dirent's d_type.
func direntType(t uint8) fs.FileMode {
	switch t {
	case unix.DT_REG:
		return 0
	case unix.DT_DIR:
		return fs.ModeDir
	case unix.DT_LNK:
		return fs.ModeSymlink
	case unix.DT_FIFO:
		return fs.ModeNamedPipe
	case unix.DT_SOCK:
		return fs.ModeSocket
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.DT_BLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}

// statType returns the type bits of a stat's st_mode: the file type
// bits of st_mode are those of d_type shifted (IFTODT).
func statType(mode uint32) fs.FileMode {
	return direntType(uint8((mode & unix.S_IFMT) >> 12))
}

// ignoringEINTR calls fn until it does not fail with EINTR.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}
