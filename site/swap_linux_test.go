package site

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Without RENAME_EXCHANGE, the fallback still publishes and leaves nothing.
func TestPublishDirFallback(t *testing.T) {
	orig := renameExchange
	t.Cleanup(func() { renameExchange = orig })
	renameExchange = func(string, string) error { return unix.EINVAL }

	src := writeTree(t, siteFiles)
	parent := t.TempDir()
	dst := filepath.Join(parent, "www")
	tg := Target{Kind: Dir, Path: dst}
	for i := range 3 {
		os.WriteFile(filepath.Join(src, "index.html"), []byte(fmt.Sprint("v", i)), 0o644)
		if _, err := Publish(context.Background(), tg, src, PublishOptions{Delete: true}); err != nil {
			t.Fatal(err)
		}
	}
	if got := readTree(t, dst)["index.html"]; got != "v2" {
		t.Errorf("index.html = %q, want v2", got)
	}
	if left := siblings(t, parent, "www"); len(left) != 0 {
		t.Errorf("left next to the target: %v", left)
	}
}

// An exchange that fails for another reason than a missing
// RENAME_EXCHANGE is an error, and the old tree stays.
func TestSwapExchangeError(t *testing.T) {
	orig := renameExchange
	t.Cleanup(func() { renameExchange = orig })
	renameExchange = func(string, string) error { return unix.EPERM }

	parent := t.TempDir()
	dst := tree(t, parent, "www", map[string]string{"index.html": "old"})
	built := tree(t, parent, "built", map[string]string{"index.html": "new"})
	if err := Swap(dst, built); err == nil {
		t.Fatal("Swap with a failing exchange succeeded")
	}
	if got := readTree(t, dst)["index.html"]; got != "old" {
		t.Errorf("failed Swap left index.html = %q, want old", got)
	}
	if got := readTree(t, built)["index.html"]; got != "new" {
		t.Errorf("failed Swap left the built tree with %q, want it for the caller to remove", got)
	}
}
