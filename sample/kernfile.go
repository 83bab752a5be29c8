package sample

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxKernelFile bounds what a kernelFile reads: the small text files it is
// used for are a few kilobytes, and a hostile or broken tree must not make
// the sampler allocate without limit.
const maxKernelFile = 1 << 20

// A kernelFile reads one small kernel text file (/proc/meminfo,
// /proc/pressure/io) again at every sample. It keeps the file open and
// reads it from offset 0 each time: procfs builds the text afresh on every
// read from the start, and the open and close it saves cost more than the
// read itself. It also keeps its buffer, so a reading allocates nothing.
//
// The zero value is ready to use. A kernelFile is not safe for concurrent
// use; the descriptor lives as long as the collector that owns it.
type kernelFile struct {
	dir, name string // what path was built from
	path      string
	f         *os.File
	buf       []byte
}

// read returns the content of dir/name. The slice is valid until the next
// call. Errors from opening the file are returned unwrapped (so that
// errors.Is(err, fs.ErrNotExist) works); a read error closes the file, and
// the next call opens it again.
func (k *kernelFile) read(dir, name string) ([]byte, error) {
	if k.f == nil || k.dir != dir || k.name != name {
		k.close()
		k.dir, k.name, k.path = dir, name, filepath.Join(dir, name)
		f, err := os.Open(k.path)
		if err != nil {
			return nil, err
		}
		k.f = f
	}
	if k.buf == nil {
		k.buf = make([]byte, 4096)
	}
	for {
		n, err := k.f.ReadAt(k.buf, 0)
		switch {
		case errors.Is(err, io.EOF):
			return k.buf[:n], nil
		case err != nil:
			k.close()
			return nil, err
		case len(k.buf) >= maxKernelFile:
			return nil, fmt.Errorf("read %s: larger than %d bytes", k.path, maxKernelFile)
		}
		k.buf = make([]byte, 2*len(k.buf)) // full: the file may be longer
	}
}

// close closes the open descriptor, if any.
func (k *kernelFile) close() {
	if k.f != nil {
		k.f.Close()
		k.f = nil
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

// bytesToUint parses a decimal unsigned integer; false when b is empty,
// holds anything but digits, or overflows uint64.
func bytesToUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (^uint64(0)-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// bytesToCenti parses a non-negative decimal number such as "12.34", "7"
// or "0.125" into hundredths, rounding half up from the third decimal;
// false when b is not such a number or is too large.
func bytesToCenti(b []byte) (Centi, bool) {
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
	w, ok := bytesToUint(whole)
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
	return Centi(w*100 + hundredths), true
}
