package site

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// store is where objects live: an S3 bucket prefix or a directory.
// Keys are relative to the target root.
type store interface {
	list(ctx context.Context, prefix string) ([]Object, error)
	resolve(ctx context.Context, o *Object) error
	put(ctx context.Context, o Object, body io.ReadSeeker, h headers) error
	get(ctx context.Context, key string, w io.Writer) (etag string, err error)
	remove(ctx context.Context, key string) error
	String() string
}

// headers are the HTTP headers an uploaded object is served with.
type headers struct {
	contentType  string
	cacheControl string
}

// internalPrefix starts the names of almanac's own files in a directory
// target or cache (temporary files, the publish marker, the mirror
// manifest). Listings skip them.
const internalPrefix = ".almanac-"

func isInternal(key string) bool { return strings.HasPrefix(path.Base(key), internalPrefix) }

// openStore returns the store of t. A missing directory target is
// created, or with create false (a dry run, a listing) seen as empty and
// left missing.
func openStore(ctx context.Context, t Target, o S3Options, log *slog.Logger, create bool) (store, error) {
	if t.Kind == S3 {
		return newS3Store(ctx, t, o, log)
	}
	if err := checkDirTarget(t.Path); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(t.Path); !create && errors.Is(err, fs.ErrNotExist) {
		return missingDir(t.Path), nil
	}
	if err := os.MkdirAll(t.Path, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", t.Path, err)
	}
	root, err := os.OpenRoot(t.Path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", t.Path, err)
	}
	return &dirStore{root: root, path: t.Path}, nil
}

// checkDirTarget refuses directory targets that are surely a mistake: the
// filesystem root, a symlink, or a file.
func checkDirTarget(p string) error {
	abs, err := filepath.Abs(p)
	if err != nil {
		return fmt.Errorf("target %s: %w", p, err)
	}
	if abs == string(filepath.Separator) {
		return fmt.Errorf("target %s: refusing the filesystem root", p)
	}
	fi, err := os.Lstat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("target %s: %w", p, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("target %s: refusing a symlink: give the directory it points to", p)
	case !fi.IsDir():
		return fmt.Errorf("target %s: not a directory", p)
	}
	return nil
}

// missingDir is a directory target that does not exist, as a dry run or
// a listing sees it: empty. Nothing is written to it.
type missingDir string

func (m missingDir) String() string { return string(m) }

func (missingDir) list(context.Context, string) ([]Object, error) { return nil, nil }

func (missingDir) resolve(context.Context, *Object) error { return nil }

func (m missingDir) put(context.Context, Object, io.ReadSeeker, headers) error {
	return fmt.Errorf("%s was not created", string(m))
}

func (m missingDir) get(_ context.Context, key string, _ io.Writer) (string, error) {
	return "", fmt.Errorf("%s: %w", path.Join(string(m), key), fs.ErrNotExist)
}

func (m missingDir) remove(context.Context, string) error { return nil }

// dirStore is a directory target. Every access goes through an os.Root.
type dirStore struct {
	root *os.Root
	path string
}

func (d *dirStore) String() string { return d.path }

func (d *dirStore) list(ctx context.Context, prefix string) ([]Object, error) {
	objs, err := scanDir(ctx, d.root, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.path, err)
	}
	for i := range objs {
		objs[i].ETag = objs[i].MD5
	}
	return objs, nil
}

func (d *dirStore) resolve(context.Context, *Object) error { return nil }

// put writes the file as a temporary sibling, syncs it and renames it into
// place, so a reader never sees half a file.
func (d *dirStore) put(ctx context.Context, o Object, body io.ReadSeeker, _ headers) error {
	if err := writeAtomic(d.root, o.Key, func(w io.Writer) error {
		_, err := io.Copy(w, readerCtx{ctx, body})
		return err
	}); err != nil {
		return fmt.Errorf("write %s: %w", o.Key, err)
	}
	return nil
}

func (d *dirStore) get(ctx context.Context, key string, w io.Writer) (string, error) {
	f, err := d.root.Open(filepath.FromSlash(key))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(io.MultiWriter(w, h), readerCtx{ctx, f}); err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (d *dirStore) remove(_ context.Context, key string) error {
	if err := d.root.Remove(filepath.FromSlash(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// writeAtomic writes key under root through fill: into a temporary file in
// the same directory, synced, then renamed over key. The temporary file is
// removed on error.
func writeAtomic(root *os.Root, key string, fill func(io.Writer) error) (err error) {
	name := filepath.FromSlash(key)
	if dir := filepath.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := filepath.Join(filepath.Dir(name), internalPrefix+"tmp-"+randomSuffix()+"-"+filepath.Base(name))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			root.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return root.Rename(tmp, name)
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// readerCtx stops a copy when ctx is done.
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// scanDir lists the regular files under root whose key starts with prefix,
// with their size and MD5. Symlinks, other non-regular files and almanac's
// internal files are skipped.
func scanDir(ctx context.Context, root *os.Root, prefix string) ([]Object, error) {
	objs, err := walkKeys(root, prefix)
	if err != nil {
		return nil, err
	}
	return objs, sumFiles(ctx, root, objs)
}

// walkKeys lists the regular files below root whose key starts with
// prefix, without reading them.
func walkKeys(root *os.Root, prefix string) ([]Object, error) {
	var objs []Object
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && prefix != "" && !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || isInternal(p) || !strings.HasPrefix(p, prefix) {
			return nil
		}
		objs = append(objs, Object{Key: p})
		return nil
	})
	return objs, err
}

// statKeys returns the local files named by keys (checked with CheckKey),
// with size and MD5. The files that do not exist (a compaction merged them
// since the keys were listed) are left out and counted.
func statKeys(ctx context.Context, root *os.Root, keys []string) ([]Object, int, error) {
	seen := make(map[string]bool, len(keys))
	objs := make([]Object, 0, len(keys))
	for _, k := range keys {
		if err := CheckKey(k); err != nil {
			return nil, 0, err
		}
		if seen[k] {
			return nil, 0, fmt.Errorf("key %q: given twice", k)
		}
		seen[k] = true
		objs = append(objs, Object{Key: k})
	}
	if err := sumFilesGone(ctx, root, objs); err != nil {
		return nil, 0, err
	}
	out := objs[:0]
	for _, o := range objs {
		if o.Size >= 0 {
			out = append(out, o)
		}
	}
	return out, len(objs) - len(out), nil
}

// sumFiles fills Size and MD5 of objs from the files under root, a few at
// a time.
func sumFiles(ctx context.Context, root *os.Root, objs []Object) error {
	return sumFilesOf(ctx, root, objs, false)
}

// sumFilesGone is sumFiles, except that a file that does not exist gets
// Size -1 instead of an error.
func sumFilesGone(ctx context.Context, root *os.Root, objs []Object) error {
	return sumFilesOf(ctx, root, objs, true)
}

func sumFilesOf(ctx context.Context, root *os.Root, objs []Object, skipGone bool) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range min(4, len(objs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(objs) || ctx.Err() != nil {
					return
				}
				size, sum, err := sumFile(ctx, root, objs[i].Key)
				if skipGone && errors.Is(err, fs.ErrNotExist) {
					objs[i].Size = -1
					continue
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					continue
				}
				objs[i].Size, objs[i].MD5 = size, sum
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

func sumFile(ctx context.Context, root *os.Root, key string) (int64, string, error) {
	f, err := root.Open(filepath.FromSlash(key))
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, "", err
	}
	if !fi.Mode().IsRegular() {
		return 0, "", fmt.Errorf("%s: not a regular file", key)
	}
	h := md5.New()
	n, err := io.Copy(h, readerCtx{ctx, f})
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", key, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
