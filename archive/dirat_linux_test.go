package archive

import (
	"io/fs"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStatType checks the type bits of a stat's mode, which readEntries
// takes for an entry whose dirent has no type (DT_UNKNOWN), against the
// type bits os gives each kind of file.
func TestStatType(t *testing.T) {
	for _, tt := range []struct {
		mode uint32
		want fs.FileMode
	}{
		{unix.S_IFREG | 0o644, 0},
		{unix.S_IFDIR | 0o755, fs.ModeDir},
		{unix.S_IFLNK | 0o777, fs.ModeSymlink},
		{unix.S_IFIFO | 0o600, fs.ModeNamedPipe},
		{unix.S_IFSOCK | 0o600, fs.ModeSocket},
		{unix.S_IFCHR | 0o600, fs.ModeDevice | fs.ModeCharDevice},
		{unix.S_IFBLK | 0o600, fs.ModeDevice},
		{0, fs.ModeIrregular},
	} {
		if got := statType(tt.mode); got != tt.want {
			t.Errorf("statType(%#o) = %v, want %v", tt.mode, got, tt.want)
		}
	}
}
