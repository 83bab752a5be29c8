package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"almanac/archive"
	"almanac/render"
	"almanac/site"
)

func runRender(ctx context.Context, e *env, args []string) error {
	fset := newFlagSet(e, "render", "[flags]",
		"Build the static HTML site of every host in --archive into --out. The new site is built next\n"+
			"to --out and swapped in, so a web server never serves half a site (on Linux at once; elsewhere\n"+
			"--out is missing for an instant). It opens from disk too. A fleet too big for one machine renders\n"+
			"in shards (--shard i/n on each machine, then --index) into shared folders or one S3 prefix.",
		"almanac render --archive /var/lib/almanac --out /var/www/almanac")
	dir := fset.String("archive", "/var/lib/almanac", "directory of the Parquet archive, or s3://bucket/prefix")
	cache := fset.String("cache", "/var/cache/almanac", "with an s3:// archive: where fetched files are kept between runs; with an s3:// --out: where the output is staged")
	out := fset.String("out", "/var/www/almanac", "directory to write the site to (replaced as a whole); with --shard or --index also s3://bucket/prefix, shared by the shards")
	tz := fset.String("tz", "", "show times in this IANA time zone (default: the viewer's local time)")
	tmpl := fset.String("templates", "", "directory of templates overriding the built-in ones")
	rulesFile := fset.String("rules", "", "alerting rules file: its fleet rules are evaluated, its rules' incidents shaded on the charts (default: the built-in rules)")
	silencesFile := fset.String("silences", "", "silences file: shown on the incidents pages, and the incidents it matches marked silenced")
	strict := fset.Bool("strict", false, "fail (and keep the old site) when a corrupt file or an unexpected entry of the archive had to be skipped")
	// Scale: workers, and a fleet rendered on several machines.
	jobs := fset.Int("jobs", runtime.GOMAXPROCS(0), "hosts rendered at once (memory grows with it, not with the number of hosts)")
	shard := fset.String("shard", "", "render only shard i/n of the hosts (by a hash of the name) into --out, with their summaries; join the shards with --index")
	index := fset.Bool("index", false, "build the site in --out from the shard folders given as arguments (written by render --shard i/n, every i of n), or from the shards' summaries in an s3:// --out")
	maxSkew := fset.Duration("max-skew", 0, "with --index: how far apart the shards' render times may be (default 0: the same, as with one --now)")
	renderCache := fset.String("render-cache", "", "folder of the render cache: the closed days a render read are taken from there by later renders, not read again; with --now, a host whose archive files are unchanged since a render at the same --now is linked from there, not rendered again (default: none)")
	now := fset.String("now", "", "render as of this time, RFC 3339 (default: the current time; with --index, the shards' render time); give every shard the same one")
	var s3 s3Flags
	s3.register(fset)
	var lf logFlags
	lf.register(fset)
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 && !*index {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", fset.Arg(0)), hint: "almanac render --help"}
	}
	if *index && *shard != "" {
		return &usageError{msg: "--index and --shard are two steps: render each shard, then build the index", hint: "almanac render --index --out /var/www/almanac /srv/shards/*"}
	}
	if *jobs < 1 {
		return &usageError{msg: fmt.Sprintf("--jobs %d: want at least 1", *jobs), hint: "almanac render --jobs 4"}
	}
	if *maxSkew < 0 || *maxSkew > 0 && !*index {
		return &usageError{msg: fmt.Sprintf("--max-skew %v: want a duration of 0 or more, with --index", *maxSkew), hint: "almanac render --index --max-skew 2m --out /var/www/almanac /srv/shards/*"}
	}
	if *out == "" {
		return &usageError{msg: "--out is empty", hint: "almanac render --out /var/www/almanac"}
	}
	var outS3 *site.Target
	if isS3(*out) {
		t, err := parseTarget("render", "out", *out, "s3://www-bucket/almanac")
		if err != nil {
			return err
		}
		if !*index && *shard == "" {
			return &usageError{msg: "--out " + *out + ": an s3:// output is for a sharded render (--shard i/n, then --index); render one site to a folder and publish it",
				hint: "almanac publish --site /var/www/almanac --to " + *out}
		}
		if *index && fset.NArg() > 0 {
			return &usageError{msg: "--index with an s3:// --out reads the shards' summaries there: give no shard folders",
				hint: "almanac render --index --out " + *out}
		}
		if *cache == "" {
			return &usageError{msg: "--cache is empty: an s3:// --out is staged there", hint: "almanac render --cache /var/cache/almanac --out " + *out}
		}
		outS3 = &t
	} else {
		if *index && fset.NArg() == 0 {
			return &usageError{msg: "--index needs the shard folders as arguments", hint: "almanac render --index --out /var/www/almanac /srv/shards/*"}
		}
		// Refuse a wrong --out before any work: one that holds what the
		// render reads, or lies in it; and only a site almanac built (or
		// an empty folder) is replaced.
		var others []flagPath
		switch {
		case *index:
			for _, s := range fset.Args() {
				others = append(others, flagPath{"shard folder", s})
			}
		case isS3(*dir):
			others = append(others, flagPath{"--cache", *cache})
		default:
			others = append(others, flagPath{"--archive", *dir})
		}
		if err := checkApart(*out, others); err != nil {
			return err
		}
		if err := site.CheckReplace(*out, render.SiteMarker); err != nil {
			return err
		}
	}
	opts := render.Options{Now: time.Now(), Strict: *strict, Jobs: *jobs}
	if *index {
		opts.Now = time.Time{} // the shards' render time
	}
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return &usageError{msg: fmt.Sprintf("--now %q is not an RFC 3339 time", *now), hint: "almanac render --now 2026-03-10T12:00:00Z"}
		}
		opts.Now = t
		opts.FixedNow = true // a render cache may then reuse whole pages
	}
	if *renderCache != "" {
		if *index {
			return &usageError{msg: "--render-cache is for rendering hosts, not for --index", hint: "almanac render --shard 0/3 --render-cache /var/cache/almanac-render --out /srv/shards/0"}
		}
		abs, err := filepath.Abs(*renderCache)
		if err != nil {
			return err
		}
		opts.Cache = abs
	}
	if *shard != "" {
		sh, err := render.ParseShard(*shard)
		if err != nil {
			return &usageError{msg: "--" + err.Error(), hint: "almanac render --shard 0/3 --out /srv/shards/0"}
		}
		opts.Shard = sh
	}
	if *tz != "" {
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return &usageError{msg: fmt.Sprintf("--tz %q is not a time zone: %v", *tz, err), hint: "almanac render --tz Europe/Paris"}
		}
		opts.TZ = loc
	}
	if *rulesFile != "" {
		f, err := loadRules(*rulesFile)
		if err != nil {
			return err
		}
		opts.Alerts.Rules = f
	}
	if *silencesFile != "" {
		ss, err := loadSilences(*silencesFile)
		if err != nil {
			return err
		}
		opts.Alerts.Silences = ss
	}
	if *tmpl != "" {
		if st, err := os.Stat(*tmpl); err != nil || !st.IsDir() {
			return &usageError{msg: fmt.Sprintf("--templates %q is not a directory", *tmpl), hint: "almanac render --templates ./my-templates"}
		}
		opts.Templates = os.DirFS(*tmpl).(fs.FS)
	}
	log, err := lf.logger(e.stderr, "render")
	if err != nil {
		return err
	}
	opts.Log = log
	if isTerminal(e.stderr) {
		opts.Progress = e.stderr
	}
	if *index && outS3 != nil {
		rep, pub, n, err := buildIndexS3(ctx, *outS3, *cache, render.IndexOptions{Options: opts, MaxSkew: *maxSkew}, site.Options{S3: s3.options(), Logger: log})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "site written to %s/index.html (%s from %s; %s, %d bytes; %d files uploaded, %d deleted, %d unchanged)\n",
			outS3, counted(rep.Hosts, "host"), counted(n, "shard"), counted(rep.Pages, "fleet page"), rep.Bytes, pub.Uploaded, pub.Deleted, pub.Unchanged)
		return nil
	}
	if *index {
		rep, err := buildIndex(ctx, fset.Args(), *out, render.IndexOptions{Options: opts, MaxSkew: *maxSkew})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "site written to %s (%s, %s, %d bytes, from %s)\n", filepath.Join(*out, "index.html"),
			counted(rep.Hosts, "host"), counted(rep.Pages, "page"), rep.Bytes, counted(fset.NArg(), "shard"))
		return nil
	}
	if isS3(*dir) {
		t, err := parseTarget("render", "archive", *dir, "s3://metrics/almanac")
		if err != nil {
			return err
		}
		if *cache == "" {
			return &usageError{msg: "--cache is empty", hint: "almanac render --cache /var/cache/almanac"}
		}
		if err := os.MkdirAll(*cache, 0o755); err != nil {
			return fmt.Errorf("cache %s: %w", *cache, err)
		}
		// Fetch what this render reads: old days' raw rows are left in the
		// bucket where their rollups serve the long ranges.
		rep, err := site.Mirror(ctx, t, "", *cache, site.Options{S3: s3.options(), Logger: log,
			Select: func(keys []string) []string { return archive.RenderKeys(keys, opts.Now) }})
		if err != nil {
			return err
		}
		log.Info("archive fetched", "from", t.String(), "cache", *cache, "downloaded", rep.Downloaded, "bytes", rep.Bytes, "deleted", rep.Deleted)
		*dir = *cache
	}
	if opts.Cache != "" {
		// The render cache must survive the swap of --out and the mirror
		// into --cache, and must not add entries to the archive.
		others := []string{*dir}
		if outS3 == nil {
			others = append(others, *out)
		}
		for _, other := range others {
			if within(opts.Cache, other) {
				return &usageError{msg: fmt.Sprintf("--render-cache %s is inside %s", opts.Cache, other), hint: "almanac render --render-cache /var/cache/almanac-render"}
			}
		}
	}
	store, err := openExisting(*dir, log)
	if err != nil {
		return err
	}
	defer store.Close()
	if outS3 != nil {
		rep, pub, err := renderShardS3(ctx, store, *outS3, *cache, opts, site.Options{S3: s3.options(), Logger: log})
		if err != nil {
			return err
		}
		for _, s := range rep.Skipped {
			log.Warn("skipped", "file", s)
		}
		fmt.Fprintf(e.stdout, "shard %s written to %s (%s, %s, %d bytes; %d files uploaded, %d deleted, %d unchanged)\n",
			opts.Shard, outS3, counted(rep.Hosts, "host"), counted(rep.Pages, "page"), rep.Bytes, pub.Uploaded, pub.Deleted, pub.Unchanged)
		reportSkipped(e.stdout, rep.Skipped)
		return nil
	}
	rep, err := buildSite(ctx, store, *out, opts)
	if err != nil {
		return err
	}
	for _, s := range rep.Skipped {
		log.Warn("skipped", "file", s)
	}
	fmt.Fprintf(e.stdout, "site written to %s (%s, %s, %d bytes)\n", filepath.Join(*out, "index.html"),
		counted(rep.Hosts, "host"), counted(rep.Pages, "page"), rep.Bytes)
	reportSkipped(e.stdout, rep.Skipped)
	return nil
}

// counted returns n and noun, plural unless n is 1: "1 host", "3 hosts".
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// reportSkipped says how many corrupt files a render skipped, if any.
func reportSkipped(w io.Writer, skipped []string) {
	switch len(skipped) {
	case 0:
	case 1:
		fmt.Fprintln(w, "1 corrupt file was skipped (see the warning above)")
	default:
		fmt.Fprintf(w, "%d corrupt files were skipped (see the warnings above)\n", len(skipped))
	}
}

// buildSite renders the site into a new folder next to out and swaps it
// in place of out: a failed render leaves the old site as it was, and no
// temporary folder behind.
func buildSite(ctx context.Context, store *archive.Store, out string, opts render.Options) (render.Report, error) {
	tmp, err := site.TempDir(out)
	if err != nil {
		return render.Report{}, err
	}
	defer os.RemoveAll(tmp) // gone already once swapped in
	opts.Out = tmp
	rep, err := render.Build(ctx, store, opts)
	if err != nil {
		return rep, spaceHint(err, out)
	}
	if err := site.Swap(out, tmp); err != nil {
		return rep, spaceHint(err, out)
	}
	return rep, nil
}

// within reports whether the folder path is dir or inside it, the
// symbolic links of their existing parts resolved.
func within(path, dir string) bool {
	p, err := site.Canonical(path)
	if err != nil {
		return false
	}
	d, err := site.Canonical(dir)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && (filepath.IsLocal(rel) || rel == ".")
}

// flagPath is a folder given by a flag (or an argument), as messages name
// it.
type flagPath struct{ flag, path string }

// checkApart refuses an --out that is, or holds, a folder the render reads
// (each render replaces --out whole, and would delete it), or that lies
// in one (the site would be written into it).
func checkApart(out string, others []flagPath) error {
	const hint = "almanac render --archive /var/lib/almanac --out /var/www/almanac"
	for _, o := range others {
		switch {
		case within(o.path, out):
			return &usageError{msg: fmt.Sprintf("%s %s is inside --out %s: each render replaces --out whole, and would delete it", o.flag, o.path, out), hint: hint}
		case within(out, o.path):
			return &usageError{msg: fmt.Sprintf("--out %s is inside %s %s: the site would be written into it", out, o.flag, o.path), hint: hint}
		}
	}
	return nil
}

// buildIndex joins the shard folders into a new folder next to out and
// swaps it in place of out, as buildSite does.
func buildIndex(ctx context.Context, shards []string, out string, opts render.IndexOptions) (render.Report, error) {
	tmp, err := site.TempDir(out)
	if err != nil {
		return render.Report{}, err
	}
	defer os.RemoveAll(tmp)
	opts.Out = tmp
	rep, err := render.BuildIndex(ctx, shards, opts)
	if err != nil {
		return rep, spaceHint(err, out)
	}
	if err := site.Swap(out, tmp); err != nil {
		return rep, spaceHint(err, out)
	}
	return rep, nil
}

// spaceHint adds to err, when it says the disk is full, where to free
// space; the old site at out is kept.
func spaceHint(err error, out string) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w (free space on the filesystem of %s and render again; the old site is kept)", err, out)
	}
	return err
}

// isTerminal reports whether w is a terminal (a character device), to draw
// a progress bar on.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
