package archive

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A second open file cannot take the lock until the first one is closed,
// even in the same process (flock and LockFileEx work per open file).
func TestLockExclusive(t *testing.T) {
	name := filepath.Join(t.TempDir(), "journal")
	open := func() *os.File {
		t.Helper()
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	first, second := open(), open()
	if err := lockExclusive(first); err != nil {
		t.Fatalf("first lock: %v", err)
	}
	if err := lockExclusive(second); !errors.Is(err, errLocked) {
		t.Errorf("second lock while the first is held = %v, want errLocked", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lockExclusive(second); err != nil {
		t.Errorf("lock after the holder closed = %v, want nil", err)
	}
	// The lock does not stop a reader of the content.
	if _, err := os.ReadFile(name); err != nil {
		t.Errorf("read a locked file: %v", err)
	}
}
