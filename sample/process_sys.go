//go:build linux

package sample

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The process table reads three small files for every process at every
// sample, so the system calls below take their paths as NUL-terminated
// byte slices relative to an open /proc descriptor: no path string is
// built, nothing is allocated, and the kernel resolves two path components
// instead of four.

// procOpenat opens path (NUL-terminated) below dirfd for reading.
func procOpenat(dirfd int, path []byte) (int, error) {
	for {
		fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&path[0])),
			unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0, 0, 0)
		switch e {
		case 0:
			return int(fd), nil
		case unix.EINTR:
			continue
		default:
			return -1, e
		}
	}
}

// procReadFile reads the file path (NUL-terminated) below dirfd into buf,
// growing it up to limit bytes, and returns the content and the buffer to
// keep. Kernel files built in one piece (stat, io) end with a newline: one
// read that returns such a line is all there is, which saves the read that
// would return 0. Other files are read until end of file or limit.
func procReadFile(dirfd int, path, buf []byte, limit int) (data, keep []byte, err error) {
	fd, err := procOpenat(dirfd, path)
	if err != nil {
		return nil, buf, err
	}
	n := 0
	for {
		if n >= min(len(buf), limit) {
			if n >= limit {
				break
			}
			grown := make([]byte, min(2*len(buf)+512, limit))
			copy(grown, buf[:n])
			buf = grown
		}
		m, err := unix.Read(fd, buf[n:min(len(buf), limit)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return nil, buf, err
		}
		if m == 0 {
			break
		}
		n += m
		if n == m && n < len(buf) && buf[n-1] == '\n' {
			break
		}
	}
	unix.Close(fd)
	return buf[:n], buf, nil
}

// procOwner returns the owner uid of path (NUL-terminated) below dirfd.
// For a /proc/<pid> directory that is the process's effective uid: the
// kernel sets it so that ps(1) and top(1) can learn it without reading
// status (task_dump_owner in fs/proc/base.c). st is scratch space.
func procOwner(dirfd int, path []byte, st *unix.Statx_t) (uint32, error) {
	for {
		_, _, e := unix.Syscall6(unix.SYS_STATX, uintptr(dirfd), uintptr(unsafe.Pointer(&path[0])),
			0, unix.STATX_UID, uintptr(unsafe.Pointer(st)), 0)
		switch e {
		case 0:
			return st.Uid, nil
		case unix.EINTR:
			continue
		case unix.ENOSYS: // before Linux 4.11
			var s unix.Stat_t
			if err := unix.Fstatat(dirfd, string(path[:len(path)-1]), &s, 0); err != nil {
				return 0, err
			}
			return s.Uid, nil
		default:
			return 0, e
		}
	}
}

// procPIDs lists the process folders of the open /proc directory fd into
// pids, reusing buf for getdents(2). Entries whose name is not a positive
// decimal number (self, stat, sys, …) are skipped.
func procPIDs(fd int, buf []byte, pids []int32) ([]int32, error) {
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return pids, err
		}
		if n <= 0 {
			return pids, nil
		}
		pids = appendDirentPIDs(buf[:n], pids)
	}
}

// appendDirentPIDs appends the pids named by the linux_dirent64 records in
// b: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), then the name
// ending with NUL.
func appendDirentPIDs(b []byte, pids []int32) []int32 {
	for len(b) >= 19 {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < 19 || reclen > len(b) {
			break
		}
		name := b[19:reclen]
		var pid int64
		i := 0
		for ; i < len(name) && name[i] >= '0' && name[i] <= '9' && pid <= 1<<31-1; i++ {
			pid = pid*10 + int64(name[i]-'0')
		}
		if i > 0 && (i == len(name) || name[i] == 0) && pid > 0 && pid <= 1<<31-1 {
			pids = append(pids, int32(pid))
		}
		b = b[reclen:]
	}
	return pids
}
