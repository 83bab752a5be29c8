package render

import (
	"fmt"
	"os"
)

// swapByRename replaces out with tmp by moving out aside first: a reader
// may find no site for the moment between the two renames.
func swapByRename(tmp, out string) error {
	old := tmp + ".old"
	if err := os.Rename(out, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		if rerr := os.Rename(old, out); rerr != nil {
			return fmt.Errorf("%w (and restoring the old site: %v)", err, rerr)
		}
		return err
	}
	return os.RemoveAll(old)
}
