package site

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// PublishOptions tunes Publish.
type PublishOptions struct {
	Options
	// Delete removes remote files that the site no longer has, after every
	// upload succeeded.
	Delete bool
	// Force lets a directory publish replace an existing, non-empty
	// directory that almanac did not publish (it has no marker file).
	Force bool
	// Keep, with Delete, spares the remote files it returns true for
	// although the site lacks them: the files of a site that other
	// publishes own (a sharded render's other shards' host folders).
	Keep func(key string) bool
	// Last, if set, picks the files uploaded after every other one (S3
	// targets): a file that announces the others, such as a shard's
	// summary, which the index must not read before its pages are up.
	Last func(key string) bool
	// Marker, if set, is the name of a file (starting with ".almanac-")
	// that says an S3 prefix is a site almanac builds there: a prefix
	// holding objects but not Marker is refused, because a publish with
	// Delete would delete them; Marker is written on the first publish.
	// Directory targets have their own marker (see Publish).
	Marker string
}

// markerBody is the content of PublishOptions.Marker.
const markerBody = "a site almanac builds here: publishes replace these objects as a whole\n"

// markerName is the file a directory publish leaves in the target, so that
// a later publish knows the tree is almanac's to replace.
const markerName = internalPrefix + "published"

// Publish makes the target hold the regular files under dir (a built site).
//
// To S3 it uploads only what changed (size and MD5), with Content-Type and
// Cache-Control, assets first and HTML pages after them, then — with
// opts.Delete — deletes the stale objects.
//
// To a directory it builds the new tree in a sibling temporary directory
// (hard-linking unchanged files from the current tree, copying the rest) and
// puts it in place with Swap: on Linux at once, so a reader sees the old
// site or the new one and never a mix; the old tree is then removed.
// Without opts.Delete the stale files are carried over. A target that is
// the filesystem root, a symlink, the source, inside the source or around
// it is refused.
//
// A publish with nothing to change moves 0 bytes and touches nothing.
func Publish(ctx context.Context, t Target, dir string, opts PublishOptions) (Report, error) {
	r, err := publish(ctx, t, dir, &opts)
	if err != nil {
		return r, fmt.Errorf("site: publish %s to %s: %w", dir, t, err)
	}
	return r, nil
}

func publish(ctx context.Context, t Target, dir string, opts *PublishOptions) (Report, error) {
	src, err := os.OpenRoot(dir)
	if err != nil {
		return Report{}, err
	}
	defer src.Close()
	if t.Kind == Dir {
		return publishDir(ctx, src, dir, t.Path, opts)
	}
	local, err := scanDir(ctx, src, "")
	if err != nil {
		return Report{}, fmt.Errorf("scan: %w", err)
	}
	st, err := newS3Store(ctx, t, opts.S3, opts.Logger)
	if err != nil {
		return Report{}, err
	}
	remote, err := st.list(ctx, "")
	if err != nil {
		return Report{}, err
	}
	needMarker := false
	if opts.Marker != "" {
		if remote, needMarker, err = checkMarker(t, remote, opts.Marker); err != nil {
			return Report{}, err
		}
	}
	if err := resolveChecksums(ctx, st, opts.workers(), local, remote); err != nil {
		return Report{}, err
	}
	c := Plan(local, remote, PlanOptions{Delete: opts.Delete})
	c.Delete = spare(c.Delete, opts.Keep)
	if err := checkNoData(c); err != nil {
		return Report{}, err
	}
	r := Report{Changes: c, Unchanged: c.Unchanged, DryRun: opts.DryRun}
	if opts.DryRun {
		return r, nil
	}
	o := opts.Options
	if o.CacheControl == nil {
		o.CacheControl = DefaultCacheControl
	}
	if needMarker {
		// Before anything else: a publish cut short leaves a prefix that
		// the next one knows as almanac's.
		body := strings.NewReader(markerBody)
		sum := md5.Sum([]byte(markerBody))
		m := Object{Key: opts.Marker, Size: int64(len(markerBody)), MD5: hex.EncodeToString(sum[:])}
		if err := st.put(ctx, m, body, headers{contentType: ContentType(m.Key)}); err != nil {
			return r, err
		}
	}
	u := &uploader{st: st, src: src, opts: &o, log: o.logger()}
	err = u.uploadSite(ctx, c, opts.Last)
	u.report(&r)
	return r, err
}

// checkMarker refuses an S3 target that holds objects but not the marker
// file, and returns the remote objects less the marker, and whether the
// marker is to be written.
func checkMarker(t Target, remote []Object, marker string) ([]Object, bool, error) {
	if !isInternal(marker) || CheckKey(marker) != nil {
		return nil, false, fmt.Errorf("marker %q: want a name starting with %q", marker, internalPrefix)
	}
	out := make([]Object, 0, len(remote))
	found := false
	for _, o := range remote {
		if o.Key == marker {
			found = true
			continue
		}
		out = append(out, o)
	}
	if !found && len(out) > 0 {
		return nil, false, fmt.Errorf("%s holds %d objects (such as %s) but no %s: almanac did not build a site there, "+
			"and replacing it would delete them; give an empty prefix or one almanac built", t, len(out), out[0].Key, marker)
	}
	return out, !found, nil
}

// spare returns the objects of del that keep does not keep.
func spare(del []Object, keep func(string) bool) []Object {
	if keep == nil {
		return del
	}
	out := del[:0]
	for _, o := range del {
		if !keep(o.Key) {
			out = append(out, o)
		}
	}
	return out
}

// uploadSite uploads assets, then pages, then the files last picks (nil:
// none), then deletes the stale objects.
func (u *uploader) uploadSite(ctx context.Context, c Changes, last func(string) bool) error {
	var assets, pages, final []Object
	for _, obj := range c.Upload {
		switch {
		case last != nil && last(obj.Key):
			final = append(final, obj)
		case isPage(obj.Key):
			pages = append(pages, obj)
		default:
			assets = append(assets, obj)
		}
	}
	// Assets first: a new page must never refer to an asset not yet there.
	for _, batch := range [][]Object{assets, pages, final} {
		if err := u.upload(ctx, batch); err != nil {
			return err
		}
	}
	// Stale files last: an old page may still refer to them until the new
	// pages are up.
	return u.remove(ctx, c.Delete)
}

// isData reports whether the file name (or key) is a Parquet file's: a
// site has none, so one in a site's folder or prefix is data put there
// since (an archive kept or shipped there), which replacing the site must
// not delete.
func isData(name string) bool { return strings.HasSuffix(name, ".parquet") }

// checkNoData refuses a publish that would delete data files (isData).
func checkNoData(c Changes) error {
	var data []string
	for _, o := range c.Delete {
		if isData(o.Key) {
			data = append(data, o.Key)
		}
	}
	if len(data) == 0 {
		return nil
	}
	if len(data) == 1 {
		return fmt.Errorf("the target holds a Parquet file that the site does not, %s: an archive? Publishing replaces the site as a whole and would delete it; move it out of the target", data[0])
	}
	return fmt.Errorf("the target holds %d Parquet files that the site does not, such as %s: an archive? Publishing replaces the site as a whole and would delete them; move them out of the target", len(data), data[0])
}

// checkSourceTarget refuses a target that is the source, inside it, or
// contains it: the swap would move the source away or publish into itself.
func checkSourceTarget(src, dst string) error {
	s, err := Canonical(src)
	if err != nil {
		return err
	}
	d, err := Canonical(dst)
	if err != nil {
		return err
	}
	sep := string(filepath.Separator)
	switch {
	case s == d:
		return fmt.Errorf("target %s is the source directory", dst)
	case strings.HasPrefix(d, s+sep):
		return fmt.Errorf("target %s is inside the source %s", dst, src)
	case strings.HasPrefix(s, d+sep) || d == sep:
		return fmt.Errorf("target %s contains the source %s", dst, src)
	}
	return nil
}

// Canonical returns the absolute path of p with the symlinks of its
// existing part resolved: two names of one folder give the same path.
func Canonical(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for {
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return filepath.Join(abs, rest), nil
		}
		rest = filepath.Join(filepath.Base(abs), rest)
		abs = parent
	}
}

func publishDir(ctx context.Context, src *os.Root, srcPath, dst string, opts *PublishOptions) (Report, error) {
	if err := checkDirTarget(dst); err != nil {
		return Report{}, err
	}
	if err := checkSourceTarget(srcPath, dst); err != nil {
		return Report{}, err
	}
	dst, err := filepath.Abs(dst)
	if err != nil {
		return Report{}, err
	}
	local, err := scanDir(ctx, src, "")
	if err != nil {
		return Report{}, fmt.Errorf("scan: %w", err)
	}

	// The current tree, if any.
	var old *os.Root
	var remote []Object
	switch r, err := os.OpenRoot(dst); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return Report{}, err
	default:
		old = r
		defer old.Close()
		if remote, err = scanDir(ctx, old, ""); err != nil {
			return Report{}, fmt.Errorf("scan %s: %w", dst, err)
		}
		if err := checkOurs(old, dst, opts.Force); err != nil {
			return Report{}, err
		}
	}

	c := Plan(local, remote, PlanOptions{Delete: opts.Delete})
	c.Delete = spare(c.Delete, opts.Keep)
	if err := checkNoData(c); err != nil {
		return Report{}, err
	}
	r := Report{Changes: c, Unchanged: c.Unchanged, DryRun: opts.DryRun}
	if opts.DryRun || (len(c.Upload) == 0 && len(c.Delete) == 0 && old != nil) {
		return r, nil
	}

	// Build the new tree next to the target, on the same filesystem.
	tmp, err := tempDir(dst)
	if err != nil {
		return r, err
	}
	// The new tree, until it is swapped in, is ours to remove.
	defer os.RemoveAll(tmp)
	next, err := os.OpenRoot(tmp)
	if err != nil {
		return r, err
	}
	defer next.Close()

	upload := make(map[string]bool, len(c.Upload))
	for _, o := range c.Upload {
		upload[o.Key] = true
	}
	// Unchanged files, and stale ones kept without Delete, are hard links to
	// the current tree: no bytes move.
	var keep []Object
	for _, o := range local {
		if !upload[o.Key] {
			keep = append(keep, o)
		}
	}
	inLocal := make(map[string]bool, len(local))
	for _, o := range local {
		inLocal[o.Key] = true
	}
	for _, o := range remote {
		if !inLocal[o.Key] && (!opts.Delete || opts.Keep != nil && opts.Keep(o.Key)) {
			keep = append(keep, o)
		}
	}
	for _, o := range keep {
		if err := linkOrCopy(old, dst, next, tmp, o.Key); err != nil {
			return r, fmt.Errorf("keep %s: %w", o.Key, err)
		}
	}
	u := &uploader{st: &dirStore{root: next, path: tmp}, src: src, opts: &opts.Options, log: opts.logger()}
	err = u.upload(ctx, c.Upload)
	u.report(&r)
	if err != nil {
		return r, err
	}
	if err := next.WriteFile(markerName, []byte("published by almanac; the whole directory is replaced on each publish\n"), 0o644); err != nil {
		return r, err
	}
	// No handle may stay open in either tree: Windows cannot rename a
	// directory that is open.
	next.Close()
	if old != nil {
		old.Close()
	}
	if err := swap(dst, tmp); err != nil {
		return r, err
	}
	r.Deleted = len(c.Delete)
	return r, nil
}

// checkOurs refuses to replace a non-empty directory that carries no
// publish marker, unless force is set: it is likely not a site.
func checkOurs(root *os.Root, dst string, force bool) error {
	if force {
		return nil
	}
	if _, err := root.Stat(markerName); err == nil {
		return nil
	}
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("target %s is a non-empty directory that almanac did not publish "+
			"(no %s file): publishing replaces it whole; empty it or force", dst, markerName)
	}
	return nil
}

// linkOrCopy puts the current tree's file key into the new tree: a hard link
// when the filesystem allows it, else a copy.
func linkOrCopy(old *os.Root, oldPath string, next *os.Root, nextPath, key string) error {
	name := filepath.FromSlash(key)
	if dir := filepath.Dir(name); dir != "." {
		if err := next.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if fi, err := old.Lstat(name); err == nil && fi.Mode().IsRegular() {
		if os.Link(filepath.Join(oldPath, name), filepath.Join(nextPath, name)) == nil {
			return nil
		}
	}
	in, err := old.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := next.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
