package testfs

import (
	"os"
	"syscall"
	"testing"
)

// NeedRoot fails the test, saying why, when it does not run as root:
// tests of real faults (a full tmpfs) need it, and are never skipped.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test mounts a tmpfs and needs root (uid %d): run it as root", os.Geteuid())
	}
}

// MountTmpfs mounts a tmpfs of size (as mount(8) takes it: "3m", "512k")
// on a new folder for the test, unmounted when it ends, and returns the
// folder. It needs root.
func MountTmpfs(t testing.TB, size string) string {
	t.Helper()
	NeedRoot(t)
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Fatalf("mount a %s tmpfs on %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
