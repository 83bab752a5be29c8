//go:build !linux

package archive

import "os"

// datasync makes the data of f durable. Only Linux has fdatasync, which
// skips the times; elsewhere this is f.Sync (on macOS an F_FULLFSYNC).
func datasync(f *os.File) error {
	return f.Sync()
}
