package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/render"
)

// almanac render builds next to --out and swaps the new site in: a reader
// of --out always finds a whole site, a failed render keeps the old one,
// a folder that is not a site is refused, and nothing is left next to
// --out.
func TestRenderReplacesOut(t *testing.T) {
	dir := t.TempDir()
	if err := writeFleetHost(dir, fleetHost{name: "web1"}, time.Now().UTC().Truncate(time.Minute), 1); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "www")
	renderOut := func() (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"render", "--archive", dir, "--out", out, "--log-level", "warn"}, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	left := func() []string {
		t.Helper()
		ents, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			if e.Name() != "www" {
				names = append(names, e.Name())
			}
		}
		return names
	}

	if code, msg := renderOut(); code != 0 || !strings.Contains(msg, "site written to "+filepath.Join(out, "index.html")+" (1 host, ") {
		t.Fatalf("first render: exit %d: %s", code, msg)
	}
	for _, f := range []string{"index.html", render.SiteMarker} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("first render: %v", err)
		}
	}
	stale := filepath.Join(out, "stale.html")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Re-render while a reader reads --out: on Linux the swap is one
	// atomic exchange, so the reader never misses a file.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, misses int
	if runtime.GOOS == "linux" {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, f := range []string{"index.html", "assets/almanac.css"} {
					reads++
					if _, err := os.ReadFile(filepath.Join(out, f)); err != nil {
						misses++
					}
				}
			}
		})
	}
	for range 3 {
		if code, msg := renderOut(); code != 0 {
			t.Errorf("re-render: exit %d: %s", code, msg)
		}
	}
	close(stop)
	wg.Wait()
	if runtime.GOOS == "linux" && reads == 0 {
		t.Error("the reader never ran")
	}
	if misses > 0 {
		t.Errorf("%d of %d reads during re-renders found no file: the swap was not atomic", misses, reads)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("re-render kept %s (want the site replaced whole): %v", stale, err)
	}
	if l := left(); len(l) != 0 {
		t.Errorf("left next to --out: %v", l)
	}

	// A failed render (a broken template) keeps the old site and leaves
	// nothing behind.
	before, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "index.html"), []byte(`{{template "nope" .}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"render", "--archive", dir, "--out", out, "--templates", bad}, &stdout, &stderr); code != 1 {
		t.Errorf("render with a broken template: exit %d, want 1\n%s%s", code, &stdout, &stderr)
	}
	if after, err := os.ReadFile(filepath.Join(out, "index.html")); err != nil || !bytes.Equal(after, before) {
		t.Errorf("a failed render changed the old site: %v", err)
	}
	if l := left(); len(l) != 0 {
		t.Errorf("a failed render left next to --out: %v", l)
	}

	// A folder that is not a site is refused before any work, untouched.
	mine := filepath.Join(parent, "home")
	if err := os.MkdirAll(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mine, "thesis.tex"), []byte("years of work"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	code := run(context.Background(), []string{"render", "--archive", dir, "--out", mine}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "not built by almanac") {
		t.Errorf("render into a foreign folder: exit %d, stderr %q; want 1 and a refusal", code, &stderr)
	}
	if b, err := os.ReadFile(filepath.Join(mine, "thesis.tex")); err != nil || string(b) != "years of work" {
		t.Errorf("refused render touched the folder: %q, %v", b, err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 2 {
		t.Errorf("refused render left files next to --out: %d entries in %s, want 2", len(ents), parent)
	}
}

// A fleet rendered in shards (render --shard i/n, then render --index)
// is the site render writes in one go, for the same --now; a render with
// --render-cache is too, and a second one takes every host from the cache.
func TestRenderShardsAndCache(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Minute)
	for i, h := range []string{"web1", "web2", "db1", "db2", "cache1"} {
		if err := writeFleetHost(dir, fleetHost{name: h}, now, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	at := now.Format(time.RFC3339)
	renderArgs := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append([]string{"render", "--archive", dir, "--now", at, "--log-level", "warn"}, args...)
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("almanac %s: exit %d: %s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	renderArgs("--out", filepath.Join(tmp, "whole"), "--jobs", "1")
	var shards []string
	for i := range 3 {
		s := filepath.Join(tmp, "shards", fmt.Sprint(i))
		renderArgs("--shard", fmt.Sprintf("%d/3", i), "--out", s)
		shards = append(shards, s)
	}
	renderArgs(append([]string{"--index", "--out", filepath.Join(tmp, "joined")}, shards...)...)
	sameTree(t, filepath.Join(tmp, "joined"), filepath.Join(tmp, "whole"))

	rc := filepath.Join(tmp, "render-cache")
	renderArgs("--render-cache", rc, "--out", filepath.Join(tmp, "cached"))
	renderArgs("--render-cache", rc, "--out", filepath.Join(tmp, "cached"), "--log-level", "info")
	sameTree(t, filepath.Join(tmp, "cached"), filepath.Join(tmp, "whole"))
	if _, err := os.Stat(filepath.Join(rc, "hosts")); err != nil {
		t.Errorf("with --now, the render cache kept no host's pages: %v", err)
	}
	// Without --now (the current time) it keeps no pages, only closed days:
	// no render is at that time again.
	rc = filepath.Join(tmp, "render-cache-now")
	args := []string{"render", "--archive", dir, "--render-cache", rc, "--out", filepath.Join(tmp, "now"), "--log-level", "warn"}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("almanac %s: exit %d: %s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	if _, err := os.Stat(filepath.Join(rc, "hosts")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("without --now, the render cache kept hosts' pages: %v", err)
	}
	if _, err := os.Stat(filepath.Join(rc, "days")); err != nil {
		t.Errorf("without --now, the render cache kept no day memo: %v", err)
	}

	for _, args := range [][]string{
		{"render", "--archive", dir, "--shard", "3/3", "--out", filepath.Join(tmp, "x")},
		{"render", "--archive", dir, "--shard", "1", "--out", filepath.Join(tmp, "x")},
		{"render", "--index", "--out", filepath.Join(tmp, "x")},
		{"render", "--index", "--shard", "0/3", "--out", filepath.Join(tmp, "x"), shards[0]},
		{"render", "--archive", dir, "--jobs", "0", "--out", filepath.Join(tmp, "x")},
		{"render", "--archive", dir, "--now", "yesterday", "--out", filepath.Join(tmp, "x")},
		{"render", "--archive", dir, "--render-cache", filepath.Join(tmp, "x", "rc"), "--out", filepath.Join(tmp, "x")},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "try:") {
			t.Errorf("almanac %s: exit %d, want 2 with a try: line: %s", strings.Join(args[1:], " "), code, stderr.String())
		}
	}
}

// sameTree fails when the folders got and want differ in any file.
func sameTree(t *testing.T, got, want string) {
	t.Helper()
	read := func(dir string) map[string][]byte {
		files := map[string][]byte{}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			b, err := os.ReadFile(p)
			files[rel] = b
			return err
		})
		return files
	}
	g, w := read(got), read(want)
	if len(w) == 0 {
		t.Fatalf("%s is empty", want)
	}
	for name, b := range w {
		if !bytes.Equal(g[name], b) {
			t.Errorf("%s: %s differs from %s's", got, name, want)
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			t.Errorf("%s has %s, %s does not", got, name, want)
		}
	}
}

// The render's summary counts in words: one host, several pages, and the
// corrupt files it skipped, if any.
func TestRenderCounts(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 pages"}, {1, "1 page"}, {2, "2 pages"}, {1000, "1000 pages"}} {
		if got := counted(c.n, "page"); got != c.want {
			t.Errorf("counted(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		skipped []string
		want    string
	}{
		{nil, ""},
		{[]string{"a"}, "1 corrupt file was skipped (see the warning above)\n"},
		{[]string{"a", "b"}, "2 corrupt files were skipped (see the warnings above)\n"},
	} {
		var b bytes.Buffer
		reportSkipped(&b, c.skipped)
		if b.String() != c.want {
			t.Errorf("reportSkipped(%q) wrote %q, want %q", c.skipped, b.String(), c.want)
		}
	}
}

// An --out that holds a folder the render reads, or lies in one, is
// refused before anything is written: each render replaces --out whole,
// so an archive kept inside the site's folder would be deleted by the
// swap, and a site written into the archive would sit among its tables.
// A symbolic link to the folder is the folder.
func TestRenderOutApart(t *testing.T) {
	tmp := t.TempDir()
	www := filepath.Join(tmp, "www")
	arch := filepath.Join(www, "data") // the archive inside a site's folder
	if err := writeFleetHost(arch, fleetHost{name: "web1"}, time.Now().UTC().Truncate(time.Minute), 1); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(www, render.SiteMarker), nil, 0o644); err != nil {
		t.Fatal(err) // --out is a site almanac built: CheckReplace alone would let it go
	}
	if err := os.Symlink(www, filepath.Join(tmp, "alias")); err != nil {
		t.Fatal(err)
	}
	shard := filepath.Join(www, "shard0")
	if err := os.Mkdir(shard, 0o755); err != nil {
		t.Fatal(err)
	}
	files := func() []string {
		var out []string
		filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
			if err == nil {
				out = append(out, p)
			}
			return err
		})
		return out
	}
	before := files()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"archive inside out", []string{"--archive", arch, "--out", www},
			"--archive " + arch + " is inside --out " + www + ": each render replaces --out whole, and would delete it"},
		{"archive is out", []string{"--archive", arch, "--out", arch}, "--archive " + arch + " is inside --out " + arch},
		{"archive through a link", []string{"--archive", filepath.Join(tmp, "alias", "data"), "--out", www},
			"--archive " + filepath.Join(tmp, "alias", "data") + " is inside --out " + www},
		{"out inside archive", []string{"--archive", arch, "--out", filepath.Join(arch, "site")},
			"--out " + filepath.Join(arch, "site") + " is inside --archive " + arch + ": the site would be written into it"},
		{"s3 cache inside out", []string{"--archive", "s3://metrics/almanac", "--cache", filepath.Join(www, "cache"), "--out", www},
			"--cache " + filepath.Join(www, "cache") + " is inside --out " + www},
		{"shard inside out", []string{"--index", "--out", www, shard}, "shard folder " + shard + " is inside --out " + www},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"render", "--log-level", "warn"}, c.args...), &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), "almanac render: "+c.want) || !strings.Contains(stderr.String(), "try: ") {
				t.Errorf("exit %d, want 2 with %q and a try: line; stderr: %s", code, c.want, &stderr)
			}
			if after := files(); !slices.Equal(after, before) {
				t.Errorf("files changed: %d before, %d after", len(before), len(after))
			}
		})
	}
	// Apart, it renders.
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"render", "--log-level", "warn", "--archive", arch, "--out", filepath.Join(tmp, "site")}, &stdout, &stderr); code != 0 {
		t.Errorf("render to a folder apart: exit %d: %s", code, &stderr)
	}
}
