//go:build !unix

package render

import "os"

// mapMemoFile returns the bytes of the memo file name of root, read, and
// a function that releases them (nothing to do here; on Unix systems the
// file is mapped).
func mapMemoFile(root *os.Root, name string) ([]byte, func(), error) {
	data, err := root.ReadFile(name)
	return data, func() {}, err
}
