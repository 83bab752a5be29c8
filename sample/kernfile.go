//go:build linux

package sample

import (
	"almanac/schema"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// maxKernelFile bounds what a kernelFile reads: the small text files it is
// used for are a few kilobytes, and a hostile or broken tree must not make
// the sampler allocate without limit.
const maxKernelFile = 1 << 20

// A kernelFile reads small kernel text files (/proc/meminfo,
// /proc/pressure/io, a hwmon temp*_input) into a buffer it keeps, so a
// reading allocates nothing once the buffer has grown to fit. Kernel files
// report a size of 0, so it reads until end of file, up to maxKernelFile.
//
// read keeps the file open and reads it from offset 0 each time: procfs
// builds the text afresh on every read from the start, and the open and
// close it saves cost more than the read itself. readPath opens, reads and
// closes (for many files read through one buffer); readFD reads a
// descriptor the caller keeps.
//
// The zero value is ready to use. A kernelFile is not safe for concurrent
// use; the kept descriptor lives as long as the collector that owns it.
type kernelFile struct {
	dir, name string // what the kept descriptor was opened from
	path      string
	fd        int
	open      bool
	cleanup   runtime.Cleanup // closes fd if the owner is dropped unclosed
	buf       []byte
}

// read returns the content of dir/name. The slice is valid until the next
// call. Errors from opening the file are returned unwrapped (so that
// errors.Is(err, fs.ErrNotExist) works); a read error closes the file, and
// the next call opens it again.
func (k *kernelFile) read(dir, name string) ([]byte, error) {
	if !k.open || k.dir != dir || k.name != name {
		k.close()
		k.dir, k.name, k.path = dir, name, filepath.Join(dir, name)
		fd, err := openRetry(k.path)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: k.path, Err: err}
		}
		k.fd, k.open = fd, true
		k.cleanup = runtime.AddCleanup(k, func(fd int) { unix.Close(fd) }, fd)
	}
	data, err := k.readFD(k.fd)
	if err != nil {
		k.close()
		return nil, fmt.Errorf("read %s: %w", k.path, err)
	}
	return data, nil
}

// readPath returns the content of the file at path, which it opens and
// closes again. The slice is valid until the next call.
func (k *kernelFile) readPath(path string) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	return k.readFD(fd)
}

// readFD returns the content of the open file fd, read from its start.
// The slice is valid until the next call.
func (k *kernelFile) readFD(fd int) ([]byte, error) {
	if cap(k.buf) == 0 {
		k.buf = make([]byte, 0, 4096)
	}
	b := k.buf[:0]
	for {
		if len(b) == cap(b) {
			if len(b) >= maxKernelFile {
				return nil, fmt.Errorf("larger than %d bytes", maxKernelFile)
			}
			b = append(b, 0)[:len(b)] // grow
		}
		n, err := unix.Pread(fd, b[len(b):cap(b)], int64(len(b)))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			k.buf = b[:0]
			return nil, err
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
	}
	k.buf = b[:0]
	return b, nil
}

// close closes the kept descriptor, if any.
func (k *kernelFile) close() {
	if k.open {
		// Cancel the cleanup first: run later, it would close whatever
		// file has been given this descriptor number by then.
		k.cleanup.Stop()
		unix.Close(k.fd)
		k.open = false
	}
}

func openRetry(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// nextLine splits data at the first newline: the line without it, and the
// rest after it.
func nextLine(data []byte) (line, rest []byte) {
	for i, c := range data {
		if c == '\n' {
			return data[:i], data[i+1:]
		}
	}
	return data, nil
}

// cutField skips leading blanks (spaces, tabs and newlines) in s and
// returns the first run of other bytes and what follows it.
func cutField(s []byte) (field, rest []byte) {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isBlank(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// bytesToCenti parses a non-negative decimal number such as "12.34", "7"
// or "0.125" into hundredths, rounding half up from the third decimal;
// false when b is not such a number or is too large.
func bytesToCenti(b []byte) (schema.Centi, bool) {
	whole, frac := b, []byte(nil)
	for i, c := range b {
		if c == '.' {
			whole, frac = b[:i], b[i+1:]
			break
		}
	}
	if len(whole) == 0 || len(whole) > 15 {
		return 0, false
	}
	w, ok := parseUint(whole)
	if !ok {
		return 0, false
	}
	var hundredths uint64
	for i, c := range frac {
		if c < '0' || c > '9' {
			return 0, false
		}
		switch i {
		case 0:
			hundredths += uint64(c-'0') * 10
		case 1:
			hundredths += uint64(c - '0')
		case 2:
			if c >= '5' {
				hundredths++
			}
		}
	}
	return schema.Centi(w*100 + hundredths), true
}
