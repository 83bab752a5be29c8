package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"almanac/archive"
	"almanac/render"
	"almanac/site"
)

// A sharded render into an S3 prefix. Each shard renders its hosts into a
// staging folder inside --cache and publishes it to the prefix: the
// assets, then its hosts' pages (hosts/<dir>/…), then its summary
// (summaries/shard-<i>-of-<n>.json) last, so that an index never reads of
// a host whose pages are not up; it deletes only stale files of its own
// hosts' folders and summaries of another n. The index reads the
// summaries, checks the shards agree, writes the fleet pages and assets
// into a staging folder and publishes them (index.html last), then deletes
// what no shard owns any more: the folders of hosts gone from every shard,
// fleet pages no longer written. The prefix must be empty or hold
// render.SiteMarker, which the first upload writes.

// stageDir makes a new staging folder inside cache for an output bound for
// S3. Its name starts with ".almanac-", which the archive and Mirror leave
// alone when cache is also where an s3:// archive is fetched to.
func stageDir(cache string) (string, error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("cache %s: %w", cache, err)
	}
	dir, err := os.MkdirTemp(cache, ".almanac-stage-")
	if err != nil {
		return "", fmt.Errorf("cache %s: %w", cache, err)
	}
	return dir, nil
}

// renderShardS3 renders shard opts.Shard of store into a staging folder in
// cache and publishes it to t.
func renderShardS3(ctx context.Context, store *archive.Store, t site.Target, cache string, opts render.Options, so site.Options) (render.Report, site.Report, error) {
	stage, err := stageDir(cache)
	if err != nil {
		return render.Report{}, site.Report{}, err
	}
	defer os.RemoveAll(stage)
	opts.Out = filepath.Join(stage, "site")
	rep, err := render.Build(ctx, store, opts)
	if err != nil {
		return rep, site.Report{}, spaceHint(err, cache)
	}
	if err := render.WriteAssets(opts.Out, opts.Templates); err != nil {
		return rep, site.Report{}, spaceHint(err, cache)
	}
	mine, err := hostDirs(opts.Out)
	if err != nil {
		return rep, site.Report{}, err
	}
	summary := render.SummaryName(opts.Shard)
	pub, err := site.Publish(ctx, t, opts.Out, site.PublishOptions{
		Options: so, Delete: true, Marker: render.SiteMarker,
		Keep: shardKeeps(opts.Shard, mine),
		Last: func(key string) bool { return key == summary },
	})
	return rep, pub, err
}

// hostDirs returns the host folders (the names under hosts/) of the site
// or shard folder dir.
func hostDirs(dir string) (map[string]bool, error) {
	ents, err := os.ReadDir(filepath.Join(dir, "hosts"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	out := make(map[string]bool, len(ents))
	for _, e := range ents {
		if e.IsDir() {
			out[e.Name()] = true
		}
	}
	return out, nil
}

// hostOf returns the host folder a key of a site lies in ("web1-1a2b3c4d"
// for "hosts/web1-1a2b3c4d/index.html"), or "".
func hostOf(key string) string {
	rest, ok := strings.CutPrefix(key, "hosts/")
	if !ok {
		return ""
	}
	dir, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return dir
}

// shardKeeps returns which remote files shard sh, whose hosts' folders are
// mine, leaves alone although it did not write them: all but the stale
// files in its own hosts' folders and the summaries of shards of another
// n (the shards were re-split: those are stale).
func shardKeeps(sh render.Shard, mine map[string]bool) func(key string) bool {
	return func(key string) bool {
		if mine[hostOf(key)] {
			return false
		}
		if other, ok := render.ParseSummaryName(key); ok && other.N != sh.N {
			return false
		}
		return true
	}
}

// indexKeeps returns which remote files the index leaves alone although it
// did not write them: the folders of the joined hosts and the summaries of
// the joined shards (of n). Everything else that the index did not write
// is stale: hosts no shard renders any more, old fleet pages.
func indexKeeps(n int, dirs []string) func(key string) bool {
	hosts := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		hosts[d] = true
	}
	return func(key string) bool {
		if hosts[hostOf(key)] {
			return true
		}
		sh, ok := render.ParseSummaryName(key)
		return ok && sh.N == n
	}
}

// buildIndexS3 reads the shards' summaries from t, builds the fleet pages
// in a staging folder in cache and publishes them to t. It returns the
// number of shards too.
func buildIndexS3(ctx context.Context, t site.Target, cache string, opts render.IndexOptions, so site.Options) (render.Report, site.Report, int, error) {
	stage, err := stageDir(cache)
	if err != nil {
		return render.Report{}, site.Report{}, 0, err
	}
	defer os.RemoveAll(stage)
	in := filepath.Join(stage, "in")
	if _, err := site.Mirror(ctx, t, "summaries/", in, so); err != nil {
		return render.Report{}, site.Report{}, 0, err
	}
	sums, err := readSummaries(t, in)
	if err != nil {
		return render.Report{}, site.Report{}, 0, err
	}
	j, err := render.JoinShards(sums, opts.MaxSkew)
	if err != nil {
		return render.Report{}, site.Report{}, 0, fmt.Errorf("render: index of %s: %w", t, err)
	}
	opts.Out = filepath.Join(stage, "site")
	rep, err := render.BuildFleet(ctx, j, opts.Options)
	if err != nil {
		return rep, site.Report{}, j.N, spaceHint(err, cache)
	}
	pub, err := site.Publish(ctx, t, opts.Out, site.PublishOptions{
		Options: so, Delete: true, Marker: render.SiteMarker,
		Keep: indexKeeps(j.N, j.Dirs()),
		Last: func(key string) bool { return key == "index.html" },
	})
	if err == nil {
		opts.Log.Info("site index built", "to", t.String(), "shards", j.N, "hosts", rep.Hosts, "uploaded", pub.Uploaded, "deleted", pub.Deleted)
	}
	return rep, pub, j.N, err
}

// readSummaries reads the shard summaries Mirror fetched from t into in.
func readSummaries(t site.Target, in string) ([]render.ShardSummary, error) {
	ents, err := os.ReadDir(filepath.Join(in, "summaries"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var sums []render.ShardSummary
	for _, e := range ents {
		key := path.Join("summaries", e.Name())
		if _, ok := render.ParseSummaryName(key); !ok || !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(in, "summaries", e.Name()))
		if err != nil {
			return nil, err
		}
		s, err := render.ParseSummary(t.String()+"/"+key, data)
		if err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		sums = append(sums, s)
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("render: no shard summaries under %s/summaries/: render the shards first (almanac render --shard i/n --out %s)", t, t)
	}
	return sums, nil
}
