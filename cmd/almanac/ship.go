package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"almanac/archive"
	"almanac/site"
)

func runShip(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "ship", "--to TARGET [flags]",
		"Upload every closed Parquet file of --archive that TARGET lacks, under the same keys, so the\n"+
			"bucket (or folder) is one Hive-partitioned dataset for the whole fleet. Idempotent and\n"+
			"resumable: when the store is unreachable nothing is lost, the next run catches up. Parts of\n"+
			"a compacted day are deleted from TARGET once the day file is up. Every file is read whole\n"+
			"before it leaves (footer, schema, page checksums): one that cannot be read is set aside as\n"+
			".<name>.corrupt in its folder, never uploaded, and makes ship exit 1 once the rest is shipped. Credentials\n"+
			"come from the standard AWS environment variables and shared files.",
		"almanac ship --archive /var/lib/almanac --to s3://metrics/almanac")
	dir := fs.String("archive", "/var/lib/almanac", "directory of the Parquet archive")
	to := fs.String("to", "", "s3://bucket/prefix or a directory (e.g. an NFS mount)")
	dry := fs.Bool("dry-run", false, "print what would be uploaded and deleted, change nothing")
	strict := fs.Bool("strict", false, "fail when an unexpected entry of the archive (a dangling symlink, a folder named like a file) was skipped")
	var s3 s3Flags
	s3.register(fs)
	var lf logFlags
	lf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "almanac ship --help"}
	}
	target, err := parseTarget("ship", "to", *to, "s3://metrics/almanac")
	if err != nil {
		return err
	}
	log, err := lf.logger(e.stderr, "ship")
	if err != nil {
		return err
	}
	store, err := openExisting(*dir, log)
	if err != nil {
		return err
	}
	defer store.Close()
	keys, err := store.ClosedFiles()
	if err != nil {
		return err
	}
	opts := site.Options{S3: s3.options(), Logger: log, DryRun: *dry}
	sopts := site.ShipOptions{Options: opts, Check: func(key string) error { return verifyOrSetAside(store, key) }}
	if target.Kind == site.Dir {
		remote, err := site.ListKeys(ctx, target, site.ListPrefixes(keys), opts)
		if err != nil {
			return err
		}
		sopts.Superseded = supersededRemote(keys, remote)
	} else {
		// From the listing Ship makes for its plan: one LIST per folder.
		sopts.Supersede = supersededRemote
	}
	rep, err := site.Ship(ctx, target, *dir, keys, sopts)
	printPlan(e, rep, *dry)
	if err != nil {
		return err
	}
	if odd := store.Unexpected(); *strict && len(odd) > 0 {
		return fmt.Errorf("--strict: %d unexpected entries of the archive were skipped (the rest was shipped: %d uploaded, %d deleted, %d unchanged):\n%w",
			len(odd), rep.Uploaded, rep.Deleted, rep.Unchanged, errors.Join(odd...))
	}
	if *dry {
		return nil // the plan is the result
	}
	fmt.Fprintf(e.stdout, "shipped %s to %s: %d uploaded, %d deleted, %d unchanged, %d bytes\n",
		*dir, target, rep.Uploaded, rep.Deleted, rep.Unchanged, rep.Bytes)
	return nil
}

// verifyOrSetAside checks a file before it leaves the host: one that cannot
// be read whole is set aside as .<name>.corrupt in its folder (as
// compaction does: no dataset reader looks at it) and
// never uploaded, so that the bucket holds readable files only.
func verifyOrSetAside(store *archive.Store, key string) error {
	err := store.Verify(key)
	if !errors.Is(err, archive.ErrCorrupt) {
		return err // nil, vanished (fs.ErrNotExist) or unreadable (permissions): left in place
	}
	if serr := store.SetAside(key); serr != nil {
		return fmt.Errorf("%w; not set aside: %w", err, serr)
	}
	return fmt.Errorf("%w; set aside as %s", err, archive.QuarantineKey(key))
}

// supersededRemote returns the remote keys that the local closed files
// (once shipped) supersede.
func supersededRemote(local, remote []string) []string {
	all := append(append([]string(nil), local...), remote...)
	slices.Sort(all)
	all = slices.Compact(all)
	have := map[string]bool{}
	for _, k := range remote {
		have[k] = true
	}
	var out []string
	for _, k := range archive.Superseded(all) {
		if have[k] {
			out = append(out, k)
		}
	}
	return out
}

// printPlan prints a dry run's plan: one line per upload and deletion.
func printPlan(e *env, rep site.Report, dry bool) {
	if !dry {
		return
	}
	for _, o := range rep.Changes.Upload {
		fmt.Fprintf(e.stdout, "upload %s (%d bytes)\n", o.Key, o.Size)
	}
	for _, o := range rep.Changes.Delete {
		fmt.Fprintf(e.stdout, "delete %s\n", o.Key)
	}
	fmt.Fprintf(e.stdout, "dry run: %d to upload (%d bytes), %d to delete, %d unchanged\n",
		len(rep.Changes.Upload), rep.Changes.Bytes(), len(rep.Changes.Delete), rep.Changes.Unchanged)
}
