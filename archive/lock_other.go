//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package archive

import (
	"errors"
	"os"
)

// errLocked says that another process holds the lock.
var errLocked = errors.New("locked")

// lockExclusive fails: this system has no file lock almanac knows, and a
// writer without one could corrupt a journal that another process writes.
func lockExclusive(f *os.File) error {
	return errors.ErrUnsupported
}
