package main

import (
	"context"
	"fmt"

	"almanac/site"
)

func runPublish(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "publish", "--site DIR --to TARGET [flags]",
		"Upload a rendered site to S3 or swap it into a web server's folder. Only what changed moves\n"+
			"(size and checksum), with Content-Type and Cache-Control set, assets before pages and stale\n"+
			"files deleted last; a folder target is replaced atomically.",
		"almanac publish --site /var/lib/almanac-site --to s3://www-bucket/almanac")
	dir := fs.String("site", "", "the rendered site (almanac render --out)")
	to := fs.String("to", "", "s3://bucket/prefix or a directory such as /srv/www/almanac")
	dry := fs.Bool("dry-run", false, "print what would be uploaded and deleted, change nothing")
	force := fs.Bool("force", false, "replace a non-empty target folder that almanac did not publish")
	var s3 s3Flags
	s3.register(fs)
	var lf logFlags
	lf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "almanac publish --help"}
	}
	if *dir == "" {
		return &usageError{msg: "--site is missing", hint: "almanac publish --site ./site --to /srv/www/almanac"}
	}
	target, err := parseTarget("publish", "to", *to, "/srv/www/almanac")
	if err != nil {
		return err
	}
	log, err := lf.logger(e.stderr, "publish")
	if err != nil {
		return err
	}
	rep, err := site.Publish(ctx, target, *dir, site.PublishOptions{
		Options: site.Options{S3: s3.options(), Logger: log, DryRun: *dry},
		Delete:  true, Force: *force,
	})
	printPlan(e, rep, *dry)
	if err != nil {
		return err
	}
	if *dry {
		return nil // the plan is the result
	}
	fmt.Fprintf(e.stdout, "published %s to %s: %d uploaded, %d deleted, %d unchanged, %d bytes\n",
		*dir, target, rep.Uploaded, rep.Deleted, rep.Unchanged, rep.Bytes)
	return nil
}
