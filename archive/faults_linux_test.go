package archive

import (
	"almanac/internal/testfs"
	"almanac/schema"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestAppendQueuesWhenDiskFull: with a full disk Append holds batches in
// memory, drops the oldest beyond QueueLen and says how many, and writes
// the rest to the journal, then to Parquet, once space is back.
func TestAppendQueuesWhenDiskFull(t *testing.T) {
	dir := testfs.MountTmpfs(t, "2m")
	s := openStore(t, filepath.Join(dir, "archive"))
	w, err := s.Writer("web1", WriterOptions{FlushEvery: time.Minute, NoSync: true, QueueLen: 5})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	w.now = func() time.Time { return clock }
	bs := batches("web1", t0, 16, 10*time.Second)
	appendAll(t, w, bs[:4])
	free := testfs.FillDisk(t, dir)
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
