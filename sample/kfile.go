package sample

import (
	"strconv"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// kfile reads small kernel files (procfs, sysfs) into a buffer that is
// reused from one read to the next, so a collector reading the same file
// every sample allocates nothing once the buffer has grown to fit.
// Kernel files report a size of 0, so it reads until end of file.
type kfile struct {
	buf     []byte
	name    string // the file's path, built once per tree
	nameFor string // the tree name was built for
}

// path returns the file's path below the tree root, calling build only
// when the root changed since the last call: building a path allocates.
func (k *kfile) path(root string, build func() string) string {
	if k.name == "" || k.nameFor != root {
		k.name, k.nameFor = build(), root
	}
	return k.name
}

// read returns the content of the file at path. The result is valid until
// the next call to read.
func (k *kfile) read(path string) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return k.readAt0(fd)
}

// readAt0 returns the content of the open file fd, read from its start.
// The result is valid until the next read.
func (k *kfile) readAt0(fd int) ([]byte, error) {
	if cap(k.buf) == 0 {
		k.buf = make([]byte, 0, 4096)
	}
	b := k.buf[:0]
	for {
		if len(b) == cap(b) {
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

func openRetry(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// interner hands out one string per distinct name (a device, an
// interface), so a name seen every sample is converted from bytes once.
type interner map[string]string

// get returns b as a string, allocating only for a name not seen before.
func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok { // no allocation: the compiler optimises this lookup
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// trim drops names no longer in use once the table is much larger than
// what is in use, so names that come and go (veth interfaces, loop devices)
// do not grow it without bound.
func (in interner) trim(inUse int, keep func(string) bool) {
	if len(in) <= 2*inUse+64 {
		return
	}
	for k := range in {
		if !keep(k) {
			delete(in, k)
		}
	}
}

// validName returns s unchanged when it is valid UTF-8, else s with every
// invalid byte written as \xNN. Device, interface and mount names are bytes
// to the kernel but strings to Parquet and DuckDB, which reject invalid
// UTF-8; escaping keeps the name readable and distinct.
func validName(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			out = append(out, '\\', 'x')
			out = strconv.AppendUint(out, uint64(s[i])>>4, 16)
			out = strconv.AppendUint(out, uint64(s[i])&0xf, 16)
			i++
			continue
		}
		out = append(out, s[i:i+size]...)
		i += size
	}
	return string(out)
}

// nextField returns the next field of b separated by spaces or tabs,
// starting at i, and the index after it; the field is empty at the end.
func nextField(b []byte, i int) (field []byte, next int) {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return b[i:j], j
}

// parseUint parses a decimal unsigned integer without allocating.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
