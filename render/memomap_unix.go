//go:build unix

package render

import (
	"io"
	"os"
	"syscall"
)

// mapMemoFile returns the bytes of the memo file name of root, mapped
// into memory rather than read (a timer's render reads some ten MB of
// memo files a host; a copy of each, and the collections it makes, cost
// more than the page faults of a mapping), and a function that releases
// them. Nothing may use the bytes after release. A memo file is only ever
// replaced by a rename, never written in place, so the mapped file does
// not change; if it is cut short all the same, reading past its end
// faults (see renderHost, which renders the host again without the memo).
func mapMemoFile(root *os.Root, name string) ([]byte, func(), error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Mode().IsRegular() && fi.Size() > 0 && fi.Size() <= 1<<40 {
		if data, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED); err == nil {
			return data, func() { syscall.Munmap(data) }, nil
		}
	}
	// Empty, not a regular file, or not mapped: read.
	data, err := io.ReadAll(f)
	return data, func() {}, err
}
