package site

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ShipOptions tunes Ship.
type ShipOptions struct {
	Options
	// Superseded lists remote keys to delete once every upload succeeded:
	// the part files that a compacted day file, shipped in the same run or
	// before, replaces. Keys absent remotely or also shipped are left alone.
	Superseded []string
}

// Ship uploads the files named by keys (slash-separated, relative to dir)
// that the target lacks or holds with another size or MD5, under the same
// keys, then deletes opts.Superseded. It never deletes anything else.
//
// It is idempotent (a second run uploads nothing) and resumable: each
// object appears whole or not at all (one PutObject to S3; a temporary
// file and a rename in a directory), so an interrupted run leaves nothing
// broken and the next run uploads what is missing. When the store cannot
// be reached the error says so and wraps ErrUnreachable: the local files
// are the queue, nothing is lost.
func Ship(ctx context.Context, t Target, dir string, keys []string, opts ShipOptions) (Report, error) {
	r, err := ship(ctx, t, dir, keys, &opts)
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
	local, err := statKeys(ctx, src, keys)
	if err != nil {
		return Report{}, err
	}
	if t.Kind == Dir {
		if err := checkSourceTarget(dir, t.Path); err != nil {
			return Report{}, err
		}
	}
	st, err := openStore(ctx, t, opts.S3)
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
	if err := resolveChecksums(ctx, st, opts.workers(), local, remote); err != nil {
		return Report{}, err
	}
	c := Plan(local, remote, PlanOptions{Superseded: opts.Superseded})
	r := Report{Changes: c, Unchanged: c.Unchanged, DryRun: opts.DryRun}
	if opts.DryRun {
		return r, nil
	}
	u := &uploader{st: st, src: src, opts: &opts.Options, log: opts.logger()}
	err = u.upload(ctx, c.Upload)
	if err == nil {
		// Only once every file is up: a superseded part may hold rows the
		// day file brings.
		err = u.remove(ctx, c.Delete)
	}
	u.report(&r)
	return r, err
}

// remoteOf returns what the store holds of keys and superseded. For S3 it
// lists the target (cheap, and it carries the ETags); for a directory it
// looks at those files only, rather than hashing the whole remote archive.
func remoteOf(ctx context.Context, st store, keys, superseded []string) ([]Object, error) {
	d, ok := st.(*dirStore)
	if !ok {
		return st.list(ctx, "")
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
