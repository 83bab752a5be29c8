package archive

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// blockFolder puts a file where the partition folder of table on day
// must go, so that every flush of the table fails (as root too).
func blockFolder(t testing.TB, dir, table, host string, day time.Time) (unblock func()) {
	t.Helper()
	p := filepath.Join(dir, Partition{Table: table, Host: host, Day: day}.Dir())
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFlushIsolatesTable: a table whose folder cannot be written does not
// stop the others, is retried with backoff, is recorded in the status
// file, and reaches Parquet once fixed, with no table written twice:
// neither by the retries nor by a replay of the journal after a restart,
// with or without the status file.
func TestFlushIsolatesTable(t *testing.T) {
	tests := []struct {
		name    string
		restart bool // fix the fault after a Close and a new Writer (a replay)
		lose    bool // and delete the status file before the replay
	}{
		{name: "fixed while running"},
		{name: "fixed, then replayed", restart: true},
		{name: "fixed, then replayed without status", restart: true, lose: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir)
			unblock := blockFolder(t, dir, "cpu", "web1", Day(t0))
			w, err := s.Writer("web1", WriterOptions{FlushEvery: time.Minute, NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			clock := time.Now()
			w.now = func() time.Time { return clock }
			bs := batches("web1", t0, 20, 10*time.Second)
			for i, b := range bs {
				if err := w.Append(b); err != nil {
					t.Fatalf("append %d: %v", i, err)
				}
				clock = clock.Add(10 * time.Second)
			}
			// 3 segments sealed (7+7+6 batches): every table but cpu
			// is in Parquet for the first two.
			if got := len(partFiles(t, dir, "memory")); got != 2 {
				t.Errorf("memory parts while cpu fails = %d, want 2", got)
			}
			if got := len(partFiles(t, dir, "cpu")); got != 0 {
				t.Errorf("cpu parts while its folder is a file = %d, want 0", got)
			}
			st, err := s.FlushStatus("web1")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(st.Cause, "table cpu:") || strings.Contains(st.Cause, "table memory") {
				t.Errorf("status cause %q: want table cpu only", st.Cause)
			}
			if !st.Failing(clock.Add(4*time.Minute)) || st.Failing(clock.Add(-time.Minute)) {
				t.Errorf("status %+v: want failing after 3 flush intervals only", st)
			}
			if tt.restart {
				if err := w.Close(); err == nil {
					t.Error("Close while cpu fails: no error")
				}
				if tt.lose {
					if err := os.Remove(filepath.Join(dir, statusName("web1"))); err != nil {
						t.Fatal(err)
					}
				}
				unblock()
				if w, err = s.Writer("web1", WriterOptions{FlushEvery: time.Minute, NoSync: true}); err != nil {
					t.Fatal(err)
				}
			} else {
				unblock()
				if err := w.Flush(); err != nil {
					t.Fatalf("flush after the fix: %v", err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			checkTables(t, dir, "web1", merged(bs))
			if st, err := s.FlushStatus("web1"); err != nil || !st.FailingSince.IsZero() || st.Pending != 0 {
				t.Errorf("status after the fix: %+v, %v; want not failing, nothing pending", st, err)
			}
			if segs, _ := filepath.Glob(filepath.Join(dir, journalDir, "*.seg")); len(segs) != 0 {
				t.Errorf("segments left: %v", segs)
			}
		})
	}
}

// TestFlushBackoff: a failing table is not retried with every sample but
// after FlushEvery/4, doubling up to FlushEvery.
func TestFlushBackoff(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	blockFolder(t, dir, "cpu", "web1", Day(t0))
	w, err := s.Writer("web1", WriterOptions{FlushEvery: time.Minute, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	clock := time.Now()
	w.now = func() time.Time { return clock }
	var waits []time.Duration
	for i, b := range batches("web1", t0, 60, 10*time.Second) {
		if err := w.Append(b); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if len(waits) == 0 || waits[len(waits)-1] != w.wait {
			waits = append(waits, w.wait)
		}
		clock = clock.Add(10 * time.Second)
	}
	want := []time.Duration{0, 15 * time.Second, 30 * time.Second, time.Minute}
	if len(waits) != len(want) {
		t.Fatalf("backoff steps %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("backoff steps %v, want %v", waits, want)
			break
		}
	}
}

func partFiles(t *testing.T, dir, table string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, table, "host=*", "date=*", "part-*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}
