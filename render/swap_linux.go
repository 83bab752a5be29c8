package render

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// swapDir puts the folder tmp in place of out. When out exists, the two are
// exchanged in one atomic step (renameat2 RENAME_EXCHANGE), so a web server
// sees either the old site or the new one, and the old one is then removed
// from tmp; where the file system cannot exchange, it falls back to two
// renames.
func swapDir(tmp, out string) error {
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, out)
	}
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, out, unix.RENAME_EXCHANGE)
	if err == nil {
		return os.RemoveAll(tmp) // now the old site
	}
	return swapByRename(tmp, out)
}
