package site

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readTree returns every regular file under dir, almanac's own included.
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func withMarker(files map[string]string) map[string]string {
	out := map[string]string{markerName: "published by almanac; the whole directory is replaced on each publish\n"}
	for k, v := range files {
		out[k] = v
	}
	return out
}

func inode(t testing.TB, p string) uint64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// siblings returns the names in dir other than keep: leftovers of a swap.
func siblings(t testing.TB, dir, keep string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != keep {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestPublishDir(t *testing.T) {
	ctx := context.Background()
	src := writeTree(t, siteFiles)
	parent := t.TempDir()
	dst := filepath.Join(parent, "www")
	tg := Target{Kind: Dir, Path: dst}
	opts := PublishOptions{Delete: true}

	r, err := Publish(ctx, tg, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != len(siteFiles) {
		t.Errorf("first publish copied %d files, want %d", r.Uploaded, len(siteFiles))
	}
	if diff := cmp.Diff(withMarker(siteFiles), readTree(t, dst)); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o755 {
		t.Errorf("target mode %v, want 0755 (a web server must read it)", fi.Mode().Perm())
	}

	// No change: 0 bytes, and the tree is not even swapped.
	before := inode(t, dst)
	r, err = Publish(ctx, tg, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Bytes != 0 || r.Uploaded != 0 || r.Deleted != 0 || r.Unchanged != len(siteFiles) {
		t.Errorf("no-change publish: %+v, want 0 bytes moved", r)
	}
	if inode(t, dst) != before {
		t.Error("no-change publish replaced the target")
	}

	// One page changes, one asset goes: swapped, stale file gone, only the
	// changed bytes copied, unchanged files hard-linked.
	os.WriteFile(filepath.Join(src, "index.html"), []byte("<h1>new</h1>"), 0o644)
	os.Remove(filepath.Join(src, "assets", "logo.svg"))
	cssBefore := inode(t, filepath.Join(dst, "assets", "style.css"))
	r, err = Publish(ctx, tg, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 1 || r.Deleted != 1 || r.Bytes != int64(len("<h1>new</h1>")) {
		t.Errorf("publish of one change: %+v, want 1 copied (%d bytes), 1 deleted", r, len("<h1>new</h1>"))
	}
	want := withMarker(siteFiles)
	want["index.html"] = "<h1>new</h1>"
	delete(want, "assets/logo.svg")
	if diff := cmp.Diff(want, readTree(t, dst)); diff != "" {
		t.Errorf("target after change (-want +got):\n%s", diff)
	}
	if inode(t, dst) == before {
		t.Error("target was changed in place, want a swapped tree")
	}
	if inode(t, filepath.Join(dst, "assets", "style.css")) != cssBefore {
		t.Error("unchanged file was copied, want a hard link")
	}
	if left := siblings(t, parent, "www"); len(left) != 0 {
		t.Errorf("left next to the target: %v", left)
	}

	// Without Delete, stale files stay.
	os.Remove(filepath.Join(src, "data", "hosts.json"))
	r, err = Publish(ctx, tg, src, PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Deleted != 0 {
		t.Errorf("publish without Delete deleted %d", r.Deleted)
	}
	if _, ok := readTree(t, dst)["data/hosts.json"]; !ok {
		t.Error("publish without Delete removed data/hosts.json")
	}

	// Dry run: the plan, nothing done.
	os.WriteFile(filepath.Join(src, "index.html"), []byte("<h1>newer</h1>"), 0o644)
	before = inode(t, dst)
	r, err = Publish(ctx, tg, src, PublishOptions{Delete: true, Options: Options{DryRun: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Changes.Upload) != 1 || len(r.Changes.Delete) != 1 || r.Bytes != 0 || inode(t, dst) != before {
		t.Errorf("dry run: %+v, want a plan of 1 upload and 1 delete and nothing done", r)
	}
}

// A reader of the target during many publishes always finds every file,
// whole, in one of the published versions.
func TestPublishDirAtomic(t *testing.T) {
	src := t.TempDir()
	dst := filepath.Join(t.TempDir(), "www")
	tg := Target{Kind: Dir, Path: dst}
	version := func(i int) string { return fmt.Sprintf("version %d %s", i, strings.Repeat("x", i*100)) }
	const rounds = 30
	valid := map[string]bool{} // written before the reader starts, then only read
	write := func(i int) {
		for _, k := range []string{"index.html", "assets/app.js"} {
			p := filepath.Join(src, filepath.FromSlash(k))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(version(i)), 0o644)
		}
	}
	for i := 0; i <= rounds; i++ {
		valid[version(i)] = true
	}
	write(0)
	if _, err := Publish(context.Background(), tg, src, PublishOptions{Delete: true}); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad []string
	var reads int
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, k := range []string{"index.html", "assets/app.js"} {
				b, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(k)))
				reads++
				if err != nil {
					bad = append(bad, err.Error())
				} else if !valid[string(b)] {
					bad = append(bad, fmt.Sprintf("%s: %.20q...", k, b))
				}
			}
		}
	})
	for i := 1; i <= rounds; i++ {
		write(i)
		if _, err := Publish(context.Background(), tg, src, PublishOptions{Delete: true}); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d reads during %d publishes", reads, rounds)
	if reads == 0 {
		t.Fatal("the reader never ran")
	}
	if len(bad) > 0 {
		t.Errorf("%d of %d reads saw a missing or torn file, e.g. %s", len(bad), reads, bad[0])
	}
}

func TestPublishDirRefuses(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	src := filepath.Join(base, "site")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "index.html"), []byte("x"), 0o644)
	real := filepath.Join(base, "real")
	os.MkdirAll(real, 0o755)
	os.WriteFile(filepath.Join(real, "keep.txt"), []byte("mine"), 0o644)
	link := filepath.Join(base, "link")
	os.Symlink(real, link)
	file := filepath.Join(base, "file")
	os.WriteFile(file, []byte("mine"), 0o644)
	baseLink := filepath.Join(t.TempDir(), "baselink")
	os.Symlink(base, baseLink)
	foreign := filepath.Join(base, "home")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644)

	tests := []struct {
		name, dst, want string
	}{
		{"filesystem root", "/", "filesystem root"},
		{"symlink", link, "symlink"},
		{"a file", file, "not a directory"},
		{"the source", src, "is the source"},
		{"the source via a symlinked parent", filepath.Join(baseLink, "site"), "is the source"},
		{"inside the source", filepath.Join(src, "sub", "out"), "inside the source"},
		{"around the source", base, "contains the source"},
		{"foreign non-empty directory", foreign, "did not publish"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Publish(ctx, Target{Kind: Dir, Path: tt.dst}, src, PublishOptions{Delete: true})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Publish to %s: error = %v, want one containing %q", tt.dst, err, tt.want)
			}
		})
	}
	// Nothing was touched.
	for _, p := range []string{filepath.Join(real, "keep.txt"), file, filepath.Join(foreign, "notes.txt"), filepath.Join(src, "index.html")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("refused publish touched %s: %v", p, err)
		}
	}
	// Force takes over a foreign directory.
	if _, err := Publish(ctx, Target{Kind: Dir, Path: foreign}, src, PublishOptions{Delete: true, Force: true}); err != nil {
		t.Fatalf("forced publish: %v", err)
	}
	if diff := cmp.Diff(withMarker(map[string]string{"index.html": "x"}), readTree(t, foreign)); diff != "" {
		t.Errorf("forced publish (-want +got):\n%s", diff)
	}
}

func TestShipDir(t *testing.T) {
	ctx := context.Background()
	files := map[string]string{
		"cpu/host=a/date=2026-08-21/p-1.parquet": "part one",
		"cpu/host=a/date=2026-08-21/p-2.parquet": "part two",
		"mem/host=a/date=2026-08-21/p-1.parquet": "mem one",
	}
	src := writeTree(t, files)
	dst := filepath.Join(t.TempDir(), "nfs", "archive")
	tg := Target{Kind: Dir, Path: dst}
	keys := []string{"cpu/host=a/date=2026-08-21/p-1.parquet", "cpu/host=a/date=2026-08-21/p-2.parquet", "mem/host=a/date=2026-08-21/p-1.parquet"}

	// A temporary file left by an interrupted run, and a foreign file: the
	// first is not an object, the second is never deleted.
	os.MkdirAll(filepath.Join(dst, "cpu"), 0o755)
	os.WriteFile(filepath.Join(dst, "cpu", internalPrefix+"tmp-0123-p-1.parquet"), []byte("half"), 0o644)
	os.WriteFile(filepath.Join(dst, "README"), []byte("not ours"), 0o644)

	r, err := Ship(ctx, tg, src, keys, ShipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 3 {
		t.Errorf("uploaded %d, want 3", r.Uploaded)
	}
	r, err = Ship(ctx, tg, src, keys, ShipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 0 || r.Bytes != 0 {
		t.Errorf("second ship: %+v, want nothing", r)
	}
	// Same size, other content: shipped again.
	os.WriteFile(filepath.Join(src, "mem/host=a/date=2026-08-21/p-1.parquet"), []byte("mem ONE"), 0o644)
	day := "cpu/host=a/date=2026-08-21/day.parquet"
	os.WriteFile(filepath.Join(src, filepath.FromSlash(day)), []byte("the day"), 0o644)
	r, err = Ship(ctx, tg, src, []string{day, "mem/host=a/date=2026-08-21/p-1.parquet"},
		ShipOptions{Superseded: []string{"cpu/host=a/date=2026-08-21/p-1.parquet", "cpu/host=a/date=2026-08-21/p-2.parquet"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 2 || r.Deleted != 2 {
		t.Errorf("compaction ship: %+v, want 2 uploaded, 2 deleted", r)
	}
	want := map[string]string{
		day:                                      "the day",
		"mem/host=a/date=2026-08-21/p-1.parquet": "mem ONE",
		"README":                                 "not ours",
		"cpu/" + internalPrefix + "tmp-0123-p-1.parquet": "half",
	}
	if diff := cmp.Diff(want, readTree(t, dst)); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
}

func TestShipDirRefusesSource(t *testing.T) {
	src := writeTree(t, map[string]string{"a.parquet": "x"})
	_, err := Ship(context.Background(), Target{Kind: Dir, Path: src}, src, []string{"a.parquet"}, ShipOptions{})
	if err == nil || !strings.Contains(err.Error(), "source") {
		t.Errorf("ship onto the source: error = %v, want a refusal", err)
	}
}

// TestShipCheck ships files of which Check refuses two and one vanishes
// before its upload, another before Ship reads it: the rest is shipped,
// the superseded key is kept (not everything is up), and the error counts
// each kind truly and names the refused files.
func TestShipCheck(t *testing.T) {
	ctx := context.Background()
	files := map[string]string{
		"cpu/host=a/date=2026-08-21/day-9.parquet":  "the day",
		"cpu/host=a/date=2026-08-22/part-1.parquet": "bad one",
		"cpu/host=a/date=2026-08-22/part-2.parquet": "bad two",
		"cpu/host=a/date=2026-08-22/part-3.parquet": "vanishes at its check",
		"mem/host=a/date=2026-08-22/part-1.parquet": "good",
	}
	src := writeTree(t, files)
	dst := t.TempDir()
	old := "cpu/host=a/date=2026-08-21/part-1.parquet"
	os.MkdirAll(filepath.Join(dst, "cpu/host=a/date=2026-08-21"), 0o755)
	os.WriteFile(filepath.Join(dst, old), []byte("old part"), 0o644)
	var keys []string
	for k := range files {
		keys = append(keys, k)
	}
	keys = append(keys, "mem/host=a/date=2026-08-22/part-2.parquet") // gone before Ship
	slices.Sort(keys)
	opts := ShipOptions{Superseded: []string{old}, Check: func(key string) error {
		switch {
		case strings.Contains(files[key], "bad"):
			return fmt.Errorf("%s: unreadable", key)
		case strings.Contains(files[key], "vanishes"):
			os.Remove(filepath.Join(src, key))
			return fmt.Errorf("open %s: %w", key, fs.ErrNotExist)
		}
		return nil
	}}
	r, err := Ship(ctx, Target{Kind: Dir, Path: dst}, src, keys, opts)
	if err == nil {
		t.Fatal("Ship with refused files: nil error")
	}
	t.Logf("error: %v", err)
	if r.Uploaded != 2 || len(r.Refused) != 2 || r.Vanished != 2 || r.Failed != 0 || r.NotAttempted != 0 || r.Deleted != 0 {
		t.Errorf("report %+v, want 2 uploaded, 2 refused, 2 vanished, nothing failed or deleted", r)
	}
	for _, want := range []string{"2 refused, 0 failed, 0 not attempted, 2 vanished; 2 uploaded, 0 unchanged, 0 deleted",
		"1 superseded keys kept until every file is up",
		"cpu/host=a/date=2026-08-22/part-1.parquet: unreadable", "cpu/host=a/date=2026-08-22/part-2.parquet: unreadable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q", want)
		}
	}
	want := map[string]string{
		old: "old part",
		"cpu/host=a/date=2026-08-21/day-9.parquet":  "the day",
		"mem/host=a/date=2026-08-22/part-1.parquet": "good",
	}
	if diff := cmp.Diff(want, readTree(t, dst)); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
	// With every file up, the superseded key goes.
	opts.Check = nil
	r, err = Ship(ctx, Target{Kind: Dir, Path: dst}, src, []string{"cpu/host=a/date=2026-08-21/day-9.parquet"}, opts)
	if err != nil || r.Deleted != 1 {
		t.Errorf("second ship: %+v, %v; want 1 deleted", r, err)
	}
}

// TestForEachTally: after an error that stops the work, what was not
// attempted is counted as such, not as failed.
func TestForEachTally(t *testing.T) {
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	tl, err := forEachTally(context.Background(), 1, items, func(i int) error {
		switch {
		case i == 3:
			return errors.New("one bad file")
		case i == 10:
			return fmt.Errorf("put: %w", ErrUnreachable)
		}
		return nil
	})
	if want := (tally{done: 9, failed: 2, notAttempted: 89}); tl != want {
		t.Errorf("tally = %+v, want %+v", tl, want)
	}
	if err == nil || !strings.Contains(err.Error(), "2 failed, 89 not attempted, 9 done; the first: one bad file") {
		t.Errorf("error = %v", err)
	}
}

// A dry run, and a listing, of a directory target that does not exist yet
// see it as empty and leave it missing; a ship creates it.
func TestShipDirMissingTarget(t *testing.T) {
	ctx := context.Background()
	keys := []string{"cpu/host=a/date=2026-08-21/p-1.parquet", "mem/host=a/date=2026-08-21/p-1.parquet"}
	src := writeTree(t, map[string]string{keys[0]: "cpu", keys[1]: "mem"})
	dst := filepath.Join(t.TempDir(), "nfs", "archive")
	tg := Target{Kind: Dir, Path: dst}
	missing := func(what string) {
		t.Helper()
		if _, err := os.Lstat(filepath.Dir(dst)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %s exists (%v), want it left missing", what, filepath.Dir(dst), err)
		}
	}
	got, err := ListKeys(ctx, tg, ListPrefixes(keys), Options{})
	if err != nil || len(got) != 0 {
		t.Errorf("ListKeys = %v, %v; want none", got, err)
	}
	missing("ListKeys")
	r, err := Ship(ctx, tg, src, keys, ShipOptions{Options: Options{DryRun: true}})
	if err != nil || len(r.Changes.Upload) != 2 || r.Uploaded != 0 {
		t.Errorf("dry run: %+v, %v; want 2 to upload, none uploaded", r.Changes, err)
	}
	missing("dry run")
	if r, err = Ship(ctx, tg, src, keys, ShipOptions{}); err != nil || r.Uploaded != 2 {
		t.Fatalf("ship: %+v, %v; want 2 uploaded", r, err)
	}
	if diff := cmp.Diff(map[string]string{keys[0]: "cpu", keys[1]: "mem"}, readTree(t, dst)); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
}
