package archive

import (
	"almanac/schema"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of size bytes at a new folder, for tests of a
// full disk. It needs root.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test mounts a tmpfs and needs root (uid %d): run it as root", os.Geteuid())
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillDisk writes a file until the filesystem of dir is full.
func fillDisk(t *testing.T, dir string) (free func()) {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	return func() {
		t.Helper()
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAppendQueuesWhenDiskFull: with a full disk Append holds batches in
// memory, drops the oldest beyond QueueLen and says how many, and writes
// the rest to the journal, then to Parquet, once space is back.
func TestAppendQueuesWhenDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "2m")
	s := openStore(t, filepath.Join(dir, "archive"))
	w, err := s.Writer("web1", WriterOptions{FlushEvery: time.Minute, NoSync: true, QueueLen: 5})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	w.now = func() time.Time { return clock }
	bs := batches("web1", t0, 16, 10*time.Second)
	appendAll(t, w, bs[:4])
	free := fillDisk(t, dir)
	// The open segment's last page may take a batch or two more.
	kept := bs[:4:4]
	var qe *QueueError
	var queued []*schema.Batch
	for i, b := range bs[4:12] {
		err := w.Append(b)
		clock = clock.Add(10 * time.Second)
		if err == nil && qe == nil {
			kept = append(kept, b)
			continue
		}
		if !errors.As(err, &qe) || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("append %d on a full disk: %v, want a QueueError of ENOSPC", i, err)
		}
		queued = append(queued, b)
	}
	if len(queued) < 6 {
		t.Fatalf("only %d of 8 batches were queued on a full disk", len(queued))
	}
	if qe.Queued != 5 || qe.Dropped != len(queued)-5 || qe.Limit != 5 || qe.Bytes == 0 {
		t.Errorf("queue after %d batches on a full disk: %+v, want 5 queued, %d dropped", len(queued), qe, len(queued)-5)
	}
	free()
	clock = clock.Add(time.Minute)
	appendAll(t, w, bs[12:])
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	kept = append(append(kept, queued[len(queued)-5:]...), bs[12:]...)
	checkTables(t, s.Dir(), "web1", merged(kept))
}
