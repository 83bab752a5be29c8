//go:build !linux

package render

import (
	"errors"
	"io/fs"
	"os"
)

// swapDir puts the folder tmp in place of out (see swap_linux.go).
func swapDir(tmp, out string) error {
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, out)
	}
	return swapByRename(tmp, out)
}
