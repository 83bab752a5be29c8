package archive

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// errLocked says that another process holds the lock.
var errLocked = errors.New("locked")

// lockExclusive takes an exclusive lock on f without waiting: errLocked
// when another open file holds it. Windows drops the lock when f is
// closed or the process dies.
//
// The lock covers one byte far past any end of file: Windows locks are
// mandatory, and a lock on the content would stop other processes (almanac
// health, say) from reading the journal.
func lockExclusive(f *os.File) error {
	ol := windows.Overlapped{Offset: 0xFFFFFFFE, OffsetHigh: 0x7FFFFFFF}
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}
