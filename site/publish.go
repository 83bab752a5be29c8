package site

import (
	"context"
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
}

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
	if err := resolveChecksums(ctx, st, opts.workers(), local, remote); err != nil {
		return Report{}, err
	}
	c := Plan(local, remote, PlanOptions{Delete: opts.Delete})
	r := Report{Changes: c, Unchanged: c.Unchanged, DryRun: opts.DryRun}
	if opts.DryRun {
		return r, nil
	}
	o := opts.Options
	if o.CacheControl == nil {
		o.CacheControl = DefaultCacheControl
	}
	u := &uploader{st: st, src: src, opts: &o, log: o.logger()}
	err = u.uploadSite(ctx, c)
	u.report(&r)
	return r, err
}

// uploadSite uploads assets, then pages, then deletes the stale objects.
func (u *uploader) uploadSite(ctx context.Context, c Changes) error {
	var assets, pages []Object
	for _, obj := range c.Upload {
		if isPage(obj.Key) {
			pages = append(pages, obj)
		} else {
			assets = append(assets, obj)
		}
	}
	// Assets first: a new page must never refer to an asset not yet there.
	if err := u.upload(ctx, assets); err != nil {
		return err
	}
	if err := u.upload(ctx, pages); err != nil {
		return err
	}
	// Stale files last: an old page may still refer to them until the new
	// pages are up.
	return u.remove(ctx, c.Delete)
}

// checkSourceTarget refuses a target that is the source, inside it, or
// contains it: the swap would move the source away or publish into itself.
func checkSourceTarget(src, dst string) error {
	s, err := canonical(src)
	if err != nil {
		return err
	}
	d, err := canonical(dst)
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

// canonical returns the absolute path of p with the symlinks of its
// existing part resolved.
func canonical(p string) (string, error) {
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
	if !opts.Delete {
		inLocal := make(map[string]bool, len(local))
		for _, o := range local {
			inLocal[o.Key] = true
		}
		for _, o := range remote {
			if !inLocal[o.Key] {
				keep = append(keep, o)
			}
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
