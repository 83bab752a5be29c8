package site

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// ShipOptions tunes Ship.
type ShipOptions struct {
	Options
	// Superseded lists remote keys to delete once every upload succeeded:
	// the part files that a compacted day file, shipped in the same run or
	// before, replaces. Keys absent remotely or also shipped are left alone.
	Superseded []string
	// Supersede, if set, is called with keys and the keys the target holds
	// in their folders, as Ship lists them for its plan (an S3 target: a
	// directory target is not listed), and returns more keys to delete as
	// Superseded says: the caller need not list the target again.
	Supersede func(local, remote []string) []string
	// Check, if set, is called on each file just before its upload (not in
	// a dry run), from several goroutines at once. A file it returns an
	// error for is not uploaded: the error, which names the file, goes to
	// Report.Refused and the others are shipped. An error wrapping
	// fs.ErrNotExist means the file vanished: it counts in
	// Report.Vanished, like a file gone before Ship could read it.
	Check func(key string) error
}

// Ship uploads the files named by keys (slash-separated, relative to dir)
// that the target lacks or holds with another size or MD5, under the same
// keys, then deletes opts.Superseded. It never deletes anything else.
//
// A key whose file is missing (a compaction merged it since the keys were
// listed) is left out and counted in Report.Vanished. Files opts.Check
// refuses are not uploaded; the others are. The superseded keys are
// deleted only when every file to upload is up. When some were not, the
// error says how many were refused, failed or not attempted, names the
// refused ones, and gives the first upload error.
//
// It is idempotent (a second run uploads nothing) and resumable: each
// object appears whole or not at all (one PutObject to S3; a temporary
// file and a rename in a directory), so an interrupted run leaves nothing
// broken and the next run uploads what is missing. When the store cannot
// be reached the error says so and wraps ErrUnreachable: the local files
// are the queue, nothing is lost.
func Ship(ctx context.Context, t Target, dir string, keys []string, opts ShipOptions) (Report, error) {
	r, err := ship(ctx, t, dir, keys, &opts)
	if held := len(r.Refused) + r.Failed + r.NotAttempted + r.Vanished; err == nil && len(r.Refused) > 0 || err != nil && held > 0 {
		sum := fmt.Errorf("%d refused, %d failed, %d not attempted, %d vanished; %d uploaded, %d unchanged, %d deleted",
			len(r.Refused), r.Failed, r.NotAttempted, r.Vanished, r.Uploaded, r.Unchanged, r.Deleted)
		if len(r.Changes.Delete) > r.Deleted {
			sum = fmt.Errorf("%w (%d superseded keys kept until every file is up)", sum, len(r.Changes.Delete)-r.Deleted)
		}
		err = errors.Join(append([]error{sum}, append(r.Refused, err)...)...)
	}
	if err != nil {
		if errors.Is(err, ErrUnreachable) {
			err = fmt.Errorf("%w (nothing was lost: %d files shipped in this run, the rest stay in %s and the next run ships them)",
				err, r.Uploaded, dir)
		}
		return r, fmt.Errorf("site: ship %s to %s: %w", dir, t, err)
	}
	return r, nil
}

func ship(ctx context.Context, t Target, dir string, keys []string, opts *ShipOptions) (Report, error) {
	for _, k := range opts.Superseded {
		if err := CheckKey(k); err != nil {
			return Report{}, fmt.Errorf("superseded: %w", err)
		}
	}
	src, err := os.OpenRoot(dir)
	if err != nil {
		return Report{}, err
	}
	defer src.Close()
	local, gone, err := statKeys(ctx, src, keys)
	if err != nil {
		return Report{}, err
	}
	if t.Kind == Dir {
		if err := checkSourceTarget(dir, t.Path); err != nil {
			return Report{}, err
		}
	}
	st, err := openStore(ctx, t, opts.S3, opts.Logger, !opts.DryRun)
	if err != nil {
		return Report{}, err
	}
	if d, ok := st.(*dirStore); ok {
		defer d.root.Close()
	}
	remote, err := remoteOf(ctx, st, keys, opts.Superseded)
	if err != nil {
		return Report{}, err
	}
	if _, isDir := st.(*dirStore); opts.Supersede != nil && !isDir {
		have := make([]string, len(remote))
		for i, o := range remote {
			have[i] = o.Key
		}
		for _, k := range opts.Supersede(keys, have) {
			if CheckKey(k) == nil && !slices.Contains(opts.Superseded, k) {
				opts.Superseded = append(opts.Superseded, k)
			}
		}
	}
	if err := resolveChecksums(ctx, st, opts.workers(), local, remote); err != nil {
		return Report{}, err
	}
	c := Plan(local, remote, PlanOptions{Superseded: opts.Superseded})
	r := Report{Changes: c, Unchanged: c.Unchanged, DryRun: opts.DryRun, Vanished: gone}
	if opts.DryRun {
		return r, nil
	}
	u := &uploader{st: st, src: src, opts: &opts.Options, check: opts.Check, log: opts.logger(), goneBefore: gone}
	err = u.upload(ctx, c.Upload)
	u.report(&r)
	if err == nil && r.Uploaded == len(c.Upload) {
		// Only once every file is up: a superseded part may hold rows the
		// day file brings.
		err = u.remove(ctx, c.Delete)
		u.report(&r)
	}
	return r, err
}

// remoteOf returns what the store holds of keys and superseded. For S3 it
// lists the target (cheap, and it carries the ETags); for a directory it
// looks at those files only, rather than hashing the whole remote archive.
func remoteOf(ctx context.Context, st store, keys, superseded []string) ([]Object, error) {
	d, ok := st.(*dirStore)
	if !ok {
		// One listing per folder the keys live in (table/host=…/), not of
		// the whole bucket, which a fleet's other hosts share.
		var out []Object
		for _, p := range ListPrefixes(append(append([]string(nil), keys...), superseded...)) {
			objs, err := st.list(ctx, p)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	var present []Object
	for _, k := range append(append([]string(nil), keys...), superseded...) {
		fi, err := d.root.Lstat(k)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		present = append(present, Object{Key: k})
	}
	if err := sumFiles(ctx, d.root, present); err != nil {
		return nil, fmt.Errorf("read %s: %w", d.path, err)
	}
	return present, nil
}

// ListPrefixes returns the folders to list to see every key of keys and
// its neighbours, sorted and distinct: each key's path less its last two
// elements ("cpu/host=web1/" for "cpu/host=web1/date=2026-08-21/day-1.parquet",
// "rollup/1m/cpu/host=web1/" for a rollup), so that a host's ship lists its
// own folders, never the whole bucket a fleet shares. Keys of fewer than
// three elements need the bucket's root ("").
func ListPrefixes(keys []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range keys {
		p := ""
		if parts := strings.Split(k, "/"); len(parts) >= 3 {
			p = strings.Join(parts[:len(parts)-2], "/") + "/"
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// ListKeys returns the keys the target holds below each of prefixes,
// without reading the objects: for a caller that must decide what a ship
// supersedes. Keys that are not safe relative paths are left out.
func ListKeys(ctx context.Context, t Target, prefixes []string, opts Options) ([]string, error) {
	st, err := openStore(ctx, t, opts.S3, opts.Logger, false)
	if err != nil {
		return nil, fmt.Errorf("site: list %s: %w", t, err)
	}
	var out []string
	for _, p := range prefixes {
		var objs []Object
		if d, ok := st.(*dirStore); ok {
			objs, err = walkKeys(d.root, p)
		} else {
			objs, err = st.list(ctx, p)
		}
		if err != nil {
			return nil, fmt.Errorf("site: list %s: %w", t, err)
		}
		for _, o := range objs {
			if CheckKey(o.Key) == nil {
				out = append(out, o.Key)
			}
		}
	}
	if d, ok := st.(*dirStore); ok {
		d.root.Close()
	}
	return out, nil
}
