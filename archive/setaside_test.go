package archive

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestSetAsideConcurrent sets two files of one host aside at once, as
// ship's workers do: neither may be refused for the other's lock.
func TestSetAsideConcurrent(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	keys := []string{"cpu/host=web1/date=2026-08-21/part-1.parquet", "disk/host=web1/date=2026-08-21/part-2.parquet",
		"memory/host=web1/date=2026-08-21/part-3.parquet", "network/host=web1/date=2026-08-21/part-4.parquet"}
	for _, k := range keys {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not parquet"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.SetAside(k)
		}()
	}
	wg.Wait()
	for i, k := range keys {
		if errs[i] != nil {
			t.Errorf("SetAside(%s): %v", k, errs[i])
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(QuarantineKey(k)))); err != nil {
			t.Errorf("%s not set aside: %v", k, err)
		}
	}
}
