package site

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tree writes files (slash path -> content) under a new directory and
// returns its path.
func tree(t *testing.T, parent, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTempDir(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "parent", "www")
	tmp, err := TempDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := filepath.Dir(tmp), filepath.Dir(dst); got != want {
		t.Errorf("TempDir(%s) is in %s, want a sibling in %s", dst, got, want)
	}
	if !strings.HasPrefix(filepath.Base(tmp), "."+filepath.Base(dst)+internalPrefix) {
		t.Errorf("TempDir name %s, want a hidden name starting with .www%s", filepath.Base(tmp), internalPrefix)
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o755 {
		t.Errorf("TempDir mode %v, want 0755 (a web server must read the tree)", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("TempDir holds %d entries, want none", len(entries))
	}
}

func TestSwap(t *testing.T) {
	newSite := map[string]string{"index.html": "new", "assets/a.css": "css"}
	tests := []struct {
		name    string
		old     map[string]string // nil: dst missing
		wantErr string
	}{
		{name: "missing target", old: nil},
		{name: "empty target", old: map[string]string{}},
		{name: "old site", old: map[string]string{"index.html": "old", "stale.html": "stale", "hosts/a/index.html": "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dst := filepath.Join(parent, "www")
			if tt.old != nil {
				tree(t, parent, "www", tt.old)
			}
			built := tree(t, parent, ".www.almanac-new-1", newSite)
			if err := Swap(dst, built); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(newSite, readTree(t, dst)); diff != "" {
				t.Errorf("target after Swap (-want +got):\n%s", diff)
			}
			if left := siblings(t, parent, "www"); len(left) != 0 {
				t.Errorf("left next to the target: %v", left)
			}
		})
	}
}

func TestSwapRefuses(t *testing.T) {
	parent := t.TempDir()
	built := tree(t, parent, "built", map[string]string{"index.html": "new"})
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Swap(file, built); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Swap onto a file: error = %v, want not a directory", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "mine" {
		t.Errorf("refused Swap changed the file to %q", b)
	}
	if _, err := os.Stat(filepath.Join(built, "index.html")); err != nil {
		t.Errorf("refused Swap lost the built tree: %v", err)
	}
	dst := tree(t, parent, "www", map[string]string{"index.html": "old"})
	if err := Swap(dst, filepath.Join(parent, "missing")); err == nil {
		t.Error("Swap of a missing tree succeeded")
	}
	if got := readTree(t, dst)["index.html"]; got != "old" {
		t.Errorf("failed Swap left index.html = %q, want old", got)
	}
}

// renameAside is the swap of every system without RENAME_EXCHANGE; here it
// runs on any system.
func TestRenameAside(t *testing.T) {
	parent := t.TempDir()
	dst := tree(t, parent, "www", map[string]string{"index.html": "old"})
	built := tree(t, parent, "built", map[string]string{"index.html": "new"})
	old, err := renameAside(dst, built)
	if err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, dst)["index.html"]; got != "new" {
		t.Errorf("after renameAside index.html = %q, want new", got)
	}
	if got := readTree(t, old)["index.html"]; got != "old" {
		t.Errorf("renameAside returned %s holding %q, want the old tree", old, got)
	}
	if filepath.Dir(old) != parent || !strings.HasPrefix(filepath.Base(old), ".www"+internalPrefix+"old-") {
		t.Errorf("old tree moved to %s, want a hidden sibling of the target", old)
	}
	if _, err := os.Stat(built); !os.IsNotExist(err) {
		t.Errorf("built tree still at %s: %v", built, err)
	}

	// The second rename fails: the old tree goes back, nothing is left aside.
	if err := os.RemoveAll(old); err != nil {
		t.Fatal(err)
	}
	if _, err := renameAside(dst, filepath.Join(parent, "missing")); err == nil {
		t.Fatal("renameAside of a missing tree succeeded")
	}
	if got := readTree(t, dst)["index.html"]; got != "new" {
		t.Errorf("failed renameAside left index.html = %q, want the tree it found", got)
	}
	if left := siblings(t, parent, "www"); len(left) != 0 {
		t.Errorf("failed renameAside left next to the target: %v", left)
	}
}

func TestCheckReplace(t *testing.T) {
	const marker = ".almanac-site"
	parent := t.TempDir()
	site := tree(t, parent, "site", map[string]string{"index.html": "x", marker: ""})
	empty := tree(t, parent, "empty", nil)
	foreign := tree(t, parent, "home", map[string]string{"thesis.tex": "years of work"})
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	withData := tree(t, parent, "www", map[string]string{"index.html": "x", marker: "", "data/cpu/host=a/date=2026-08-21/day-1.parquet": "PAR1"})
	link := filepath.Join(parent, "link")
	if err := os.Symlink(site, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	tests := []struct {
		name, dst, wantErr string
	}{
		{"missing", filepath.Join(parent, "new"), ""},
		{"empty", empty, ""},
		{"a site", site, ""},
		{"someone's files", foreign, "not built by almanac"},
		{"a site with an archive put in it", withData, filepath.Join("data", "cpu", "host=a", "date=2026-08-21", "day-1.parquet") + ", a Parquet file that no site holds"},
		{"a file", file, "not a directory"},
		{"a symlink", link, "symlink"},
		{"the filesystem root", string(filepath.Separator), "filesystem root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckReplace(tt.dst, marker)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckReplace(%s) = %v, want nil", tt.dst, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("CheckReplace(%s) = %v, want an error containing %q", tt.dst, err, tt.wantErr)
			}
		})
	}
}
