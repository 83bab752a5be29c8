package testfs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMountTmpfsFillDisk(t *testing.T) {
	dir := MountTmpfs(t, "256k")
	free := FillDisk(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "more"), make([]byte, 64<<10), 0o644); err == nil {
		t.Error("wrote 64 KiB to a full tmpfs")
	}
	free()
	if err := os.WriteFile(filepath.Join(dir, "more"), make([]byte, 64<<10), 0o644); err != nil {
		t.Errorf("after freeing it: %v", err)
	}
}
