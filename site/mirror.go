package site

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// manifestName is the file in a mirror's cache directory that records the
// ETag each cached file was downloaded with.
const manifestName = internalPrefix + "mirror.json"

// cached is one manifest entry: the remote ETag and size a file was
// downloaded with, and the local modification time it got, to notice a
// file changed behind our back.
type cached struct {
	ETag    string `json:"etag"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
}

// Mirror makes cacheDir hold a copy of the target's objects whose key
// starts with prefix: it downloads what the cache lacks or holds with
// another size or ETag, and deletes cached files (under prefix) that
// vanished remotely. All writes go through an os.Root on cacheDir; object
// keys that are not safe relative paths (CheckKey: "../x", "a/../../b",
// "/abs") are never written and are listed in Report.Rejected.
// A second run with nothing changed remotely downloads nothing.
//
// The cache directory also holds the file .almanac-mirror.json.
func Mirror(ctx context.Context, t Target, prefix, cacheDir string, opts Options) (Report, error) {
	r, err := mirror(ctx, t, prefix, cacheDir, &opts)
	if err != nil {
		return r, fmt.Errorf("site: mirror %s to %s: %w", t, cacheDir, err)
	}
	return r, nil
}

func mirror(ctx context.Context, t Target, prefix, cacheDir string, opts *Options) (Report, error) {
	if p := strings.Trim(prefix, "/"); p != "" {
		if err := CheckKey(p); err != nil {
			return Report{}, fmt.Errorf("prefix: %w", err)
		}
	}
	if t.Kind == Dir {
		if err := checkSourceTarget(t.Path, cacheDir); err != nil {
			return Report{}, err
		}
	}
	var st store
	var err error
	if t.Kind == S3 {
		st, err = newS3Store(ctx, t, opts.S3, opts.Logger)
	} else {
		st, err = openExistingDir(t.Path)
	}
	if err != nil {
		return Report{}, err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return Report{}, err
	}
	cache, err := os.OpenRoot(cacheDir)
	if err != nil {
		return Report{}, err
	}
	defer cache.Close()

	listed, err := st.list(ctx, prefix)
	if err != nil {
		return Report{}, err
	}
	var r Report
	var remote []Object
	for _, o := range listed {
		if err := CheckKey(o.Key); err != nil || isInternal(o.Key) {
			r.Rejected = append(r.Rejected, o.Key)
			opts.logger().Warn("remote key rejected", "key", o.Key, "reason", fmt.Sprint(err))
			continue
		}
		remote = append(remote, o)
	}
	if opts.Select != nil {
		remote = selectObjects(remote, opts.Select)
	}

	man := readManifest(cache)
	var fetch []Object
	for _, o := range remote {
		if upToDate(ctx, cache, man, o) {
			r.Unchanged++
			continue
		}
		fetch = append(fetch, o)
	}
	r.Changes = Changes{Upload: fetch, Unchanged: r.Unchanged}

	// What vanished remotely, under prefix.
	inRemote := make(map[string]bool, len(remote))
	for _, o := range remote {
		inRemote[o.Key] = true
	}
	var stale []Object
	err = fs.WalkDir(cache.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && isInternal(p) {
			// almanac's own folders in the cache (a render's staging
			// folder): not mirrored files.
			return fs.SkipDir
		}
		if d.Type().IsRegular() && !isInternal(p) && strings.HasPrefix(p, prefix) && !inRemote[p] {
			stale = append(stale, Object{Key: p})
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("scan cache: %w", err)
	}
	r.Changes.Delete = stale
	if opts.DryRun {
		r.DryRun = true
		return r, nil
	}

	var mu sync.Mutex
	ferr := forEach(ctx, opts.workers(), fetch, func(o Object) error {
		etag, err := download(ctx, st, cache, o)
		if err != nil {
			return err
		}
		fi, err := cache.Stat(filepath.FromSlash(o.Key))
		if err != nil {
			return err
		}
		mu.Lock()
		man[o.Key] = cached{ETag: etag, Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
		r.Downloaded++
		r.Bytes += fi.Size()
		mu.Unlock()
		if opts.OnTransfer != nil {
			opts.OnTransfer(o)
		}
		return nil
	})
	var derr []error
	if ferr == nil {
		for _, o := range stale {
			if err := cache.Remove(filepath.FromSlash(o.Key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				derr = append(derr, err)
				continue
			}
			delete(man, o.Key)
			r.Deleted++
		}
	}
	for k := range man {
		if !inRemote[k] && strings.HasPrefix(k, prefix) {
			if _, err := cache.Stat(filepath.FromSlash(k)); err != nil {
				delete(man, k)
			}
		}
	}
	werr := writeManifest(cache, man)
	return r, errors.Join(ferr, errors.Join(derr...), werr)
}

// openExistingDir opens a directory target for reading; unlike openStore it
// creates nothing.
func openExistingDir(p string) (store, error) {
	if err := checkDirTarget(p); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(p)
	if err != nil {
		return nil, err
	}
	return &dirStore{root: root, path: p}, nil
}

// upToDate reports whether the cached copy of o matches it: same size, and
// either the manifest's ETag for an untouched file, or the same MD5.
func upToDate(ctx context.Context, cache *os.Root, man map[string]cached, o Object) bool {
	fi, err := cache.Lstat(filepath.FromSlash(o.Key))
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != o.Size {
		return false
	}
	if m, ok := man[o.Key]; ok && m.Size == fi.Size() && m.ModTime == fi.ModTime().UnixNano() {
		return m.ETag == o.ETag
	}
	if o.MD5 == "" {
		return false
	}
	_, sum, err := sumFile(ctx, cache, o.Key)
	if err != nil || sum != o.MD5 {
		return false
	}
	man[o.Key] = cached{ETag: o.ETag, Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	return true
}

// download fetches o into the cache atomically and checks its size and,
// when the ETag is an MD5, its content.
func download(ctx context.Context, st store, cache *os.Root, o Object) (string, error) {
	var etag string
	err := writeAtomic(cache, o.Key, func(w io.Writer) error {
		h := md5.New()
		cw := &countWriter{w: io.MultiWriter(w, h)}
		var err error
		if etag, err = st.get(ctx, o.Key, cw); err != nil {
			return err
		}
		if sum := etagMD5(etag); sum != "" && sum != hex.EncodeToString(h.Sum(nil)) {
			return fmt.Errorf("get %s: content does not match its ETag", o.Key)
		}
		if etag == o.ETag && cw.n != o.Size {
			return fmt.Errorf("get %s: got %d bytes, want %d", o.Key, cw.n, o.Size)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("download %s: %w", o.Key, err)
	}
	return etag, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// readManifest returns the cache's manifest, or an empty one when it is
// missing or unreadable (every file is then checked by its MD5).
func readManifest(cache *os.Root) map[string]cached {
	man := map[string]cached{}
	b, err := cache.ReadFile(manifestName)
	if err != nil {
		return man
	}
	if json.Unmarshal(b, &man) != nil {
		return map[string]cached{}
	}
	return man
}

func writeManifest(cache *os.Root, man map[string]cached) error {
	b, err := json.Marshal(man) // encoding/json sorts map keys
	if err != nil {
		return err
	}
	return writeAtomic(cache, manifestName, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// selectObjects keeps the objects whose keys pick chooses.
func selectObjects(objs []Object, pick func([]string) []string) []Object {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	keep := map[string]bool{}
	for _, k := range pick(keys) {
		keep[k] = true
	}
	out := objs[:0]
	for _, o := range objs {
		if keep[o.Key] {
			out = append(out, o)
		}
	}
	return out
}
