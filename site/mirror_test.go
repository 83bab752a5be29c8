package site

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

var archiveFiles = map[string]string{
	"cpu/host=web1/date=2026-08-20/day.parquet":  "cpu web1 20",
	"cpu/host=web2/date=2026-08-20/day.parquet":  "cpu web2 20",
	"cpu/host=web1/date=2026-08-21/p-1.parquet":  "cpu web1 21 part",
	"load/host=web1/date=2026-08-21/p-1.parquet": "load web1 21 part",
}

func shipAll(t *testing.T, tg Target, opts Options, files map[string]string) {
	t.Helper()
	dir := writeTree(t, files)
	var keys []string
	for k := range files {
		keys = append(keys, k)
	}
	if _, err := Ship(context.Background(), tg, dir, keys, ShipOptions{Options: opts}); err != nil {
		t.Fatal(err)
	}
}

func TestMirrorS3(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	ctx := context.Background()
	tg := s.bucket(t, "fleet")
	opts := s3Opts(s.endpoint())
	shipAll(t, tg, opts, archiveFiles)
	cache := filepath.Join(t.TempDir(), "cache")

	r, err := Mirror(ctx, tg, "", cache, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Downloaded != len(archiveFiles) {
		t.Errorf("first mirror downloaded %d, want %d", r.Downloaded, len(archiveFiles))
	}
	got := readTree(t, cache)
	delete(got, manifestName)
	if diff := cmp.Diff(archiveFiles, got); diff != "" {
		t.Errorf("cache (-want +got):\n%s", diff)
	}

	// Idempotent.
	r, err = Mirror(ctx, tg, "", cache, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Downloaded != 0 || r.Bytes != 0 || r.Deleted != 0 || r.Unchanged != len(archiveFiles) {
		t.Errorf("second mirror: %+v, want nothing moved", r)
	}

	// Remote changes: one object rewritten with the same size, one deleted,
	// one added; and a cached file damaged locally.
	c := s.client()
	put := func(key, body string) {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(tg.Bucket), Key: aws.String(tg.key(key)), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	put("cpu/host=web1/date=2026-08-21/p-1.parquet", "CPU WEB1 21 PART")
	put("cpu/host=web1/date=2026-08-21/p-2.parquet", "cpu web1 21 part 2")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(tg.Bucket), Key: aws.String(tg.key("cpu/host=web2/date=2026-08-20/day.parquet"))}); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(cache, "load/host=web1/date=2026-08-21/p-1.parquet")
	os.WriteFile(damaged, []byte("LOAD web1 21 part"), 0o644)
	os.Chtimes(damaged, time.Time{}, time.Now().Add(time.Hour)) // surely another mtime

	r, err = Mirror(ctx, tg, "", cache, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Downloaded != 3 || r.Deleted != 1 {
		t.Errorf("third mirror: downloaded %d deleted %d, want 3 and 1", r.Downloaded, r.Deleted)
	}
	want := map[string]string{
		"cpu/host=web1/date=2026-08-20/day.parquet":  "cpu web1 20",
		"cpu/host=web1/date=2026-08-21/p-1.parquet":  "CPU WEB1 21 PART",
		"cpu/host=web1/date=2026-08-21/p-2.parquet":  "cpu web1 21 part 2",
		"load/host=web1/date=2026-08-21/p-1.parquet": "load web1 21 part",
	}
	got = readTree(t, cache)
	delete(got, manifestName)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cache after remote changes (-want +got):\n%s", diff)
	}

	// A prefix mirrors, and prunes, only under itself.
	cache2 := filepath.Join(t.TempDir(), "cache")
	os.MkdirAll(filepath.Join(cache2, "mem"), 0o755)
	os.WriteFile(filepath.Join(cache2, "mem", "keep.parquet"), []byte("other table"), 0o644)
	r, err = Mirror(ctx, tg, "load/", cache2, opts)
	if err != nil {
		t.Fatal(err)
	}
	got = readTree(t, cache2)
	delete(got, manifestName)
	if diff := cmp.Diff(map[string]string{
		"load/host=web1/date=2026-08-21/p-1.parquet": "load web1 21 part",
		"mem/keep.parquet":                           "other table",
	}, got); diff != "" {
		t.Errorf("prefix mirror (-want +got):\n%s", diff)
	}
}

// Object keys are hostile: keys that would land outside the cache are
// rejected and nothing is written outside it.
func TestMirrorHostileKeys(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	ctx := context.Background()
	tg := s.bucket(t, "fleet")
	shipAll(t, tg, s3Opts(s.endpoint()), map[string]string{"cpu/ok.parquet": "fine"})

	// The proxy adds hostile keys to every listing, as a malicious or
	// broken store could.
	hostile := []string{
		"fleet/../../escape.parquet",
		"fleet/a/../../../escape2.parquet",
		"fleet//etc/escape3",
		"fleet/./x.parquet",
		"fleet/a\\..\\..\\escape4",
	}
	p := newProxy(t, s.endpoint())
	p.modifyList = func(b []byte) []byte {
		var add bytes.Buffer
		for _, k := range hostile {
			add.WriteString("<Contents><Key>" + k + "</Key><Size>4</Size><ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag></Contents>")
		}
		return bytes.Replace(b, []byte("</ListBucketResult>"), append(add.Bytes(), "</ListBucketResult>"...), 1)
	}
	base := t.TempDir()
	cache := filepath.Join(base, "deep", "cache")
	r, err := Mirror(ctx, tg, "", cache, s3Opts(p.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	var wantRejected []string
	for _, k := range hostile {
		wantRejected = append(wantRejected, strings.TrimPrefix(k, "fleet/"))
	}
	slices.Sort(wantRejected)
	slices.Sort(r.Rejected)
	if diff := cmp.Diff(wantRejected, r.Rejected); diff != "" {
		t.Errorf("rejected keys (-want +got):\n%s", diff)
	}
	if r.Downloaded != 1 {
		t.Errorf("downloaded %d, want the 1 good object", r.Downloaded)
	}
	got := readTree(t, base)
	delete(got, "deep/cache/"+manifestName)
	if diff := cmp.Diff(map[string]string{"deep/cache/cpu/ok.parquet": "fine"}, got); diff != "" {
		t.Errorf("files written (-want +got):\n%s", diff)
	}
}

// The cache root itself refuses paths that escape it, even when a key got
// past CheckKey (defence in depth).
func TestWriteAtomicEscape(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(filepath.Join(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	os.Symlink("/tmp", filepath.Join(dir, "link"))
	for _, key := range []string{"../escape", "a/../../escape", "link/escape"} {
		err := writeAtomic(root, key, func(io.Writer) error { return nil })
		if err == nil {
			t.Errorf("writeAtomic(%q) = nil, want an error", key)
		}
	}
}

func TestMirrorDir(t *testing.T) {
	ctx := context.Background()
	src := writeTree(t, archiveFiles)
	cache := filepath.Join(t.TempDir(), "cache")
	r, err := Mirror(ctx, Target{Kind: Dir, Path: src}, "cpu/", cache, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Downloaded != 3 {
		t.Errorf("downloaded %d, want 3", r.Downloaded)
	}
	r, err = Mirror(ctx, Target{Kind: Dir, Path: src}, "cpu/", cache, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Downloaded != 0 || r.Unchanged != 3 {
		t.Errorf("second mirror: %+v, want nothing downloaded", r)
	}
	if _, err := Mirror(ctx, Target{Kind: Dir, Path: src}, "../", cache, Options{}); err == nil {
		t.Error("mirror with prefix ../: nil error")
	}
	// almanac's own folders in the cache (a render's staging folder) are
	// not stale mirrored files.
	stage := filepath.Join(cache, ".almanac-stage-1", "hosts", "web1")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stage, "index.html"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err = Mirror(ctx, Target{Kind: Dir, Path: src}, "", cache, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(stage, "index.html")); err != nil || r.Deleted != 0 {
		t.Errorf("mirror deleted %d files, a staging folder's among them: %v", r.Deleted, err)
	}
}

// TestMirrorSelect checks that Mirror fetches only the keys Select picks
// and drops a cached copy of one it stops picking.
func TestMirrorSelect(t *testing.T) {
	ctx := context.Background()
	src := writeTree(t, archiveFiles)
	cache := filepath.Join(t.TempDir(), "cache")
	var keys []string
	for k := range archiveFiles {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	skip := keys[0]
	without := func(drop ...string) func([]string) []string {
		return func(keys []string) []string {
			var out []string
			for _, k := range keys {
				if !slices.Contains(drop, k) {
					out = append(out, k)
				}
			}
			return out
		}
	}
	opts := Options{Select: without(skip)}
	r, err := Mirror(ctx, Target{Kind: Dir, Path: src}, "", cache, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Downloaded != len(keys)-1 {
		t.Errorf("downloaded %d, want %d", r.Downloaded, len(keys)-1)
	}
	if _, err := os.Stat(filepath.Join(cache, filepath.FromSlash(skip))); err == nil {
		t.Errorf("%s was fetched though Select left it out", skip)
	}
	// Now refuse another key that is already cached: it goes.
	gone := keys[1]
	opts.Select = without(skip, gone)
	if r, err = Mirror(ctx, Target{Kind: Dir, Path: src}, "", cache, opts); err != nil {
		t.Fatal(err)
	}
	if r.Deleted != 1 {
		t.Errorf("deleted %d, want 1", r.Deleted)
	}
	if _, err := os.Stat(filepath.Join(cache, filepath.FromSlash(gone))); err == nil {
		t.Errorf("%s is still cached though Select leaves it out now", gone)
	}
}
