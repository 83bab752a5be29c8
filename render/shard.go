package render

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Shard is one share of a fleet's hosts, for rendering a fleet on several
// machines: shard I of N (0 ≤ I < N) renders the hosts h with
// ShardOf(h, N) == I. N == 0 means the whole fleet.
type Shard struct{ I, N int }

// ParseShard parses "i/n" (e.g. "0/3").
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want i/n, e.g. 0/3 (shard 0 of 3)", s)
	}
	sh := Shard{I: i, N: n}
	return sh, sh.check()
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// maxShards bounds n: more shards than hosts of the largest fleet makes
// no sense, and a summary from a bucket is not trusted with a loop bound.
const maxShards = 10000

func (s Shard) check() error {
	if s.N < 1 || s.I < 0 || s.I >= s.N || s.N > maxShards {
		return fmt.Errorf("shard %d/%d: want 0 ≤ i < n ≤ %d", s.I, s.N, maxShards)
	}
	return nil
}

// hosts returns the hosts of the shard, in their order.
func (s Shard) hosts(all []string) []string {
	var out []string
	for _, h := range all {
		if ShardOf(h, s.N) == s.I {
			out = append(out, h)
		}
	}
	return out
}

// ShardOf returns the shard (0 ≤ shard < n) of host: the first 8 bytes of
// the SHA-256 of its name, modulo n. It depends on the name only, so every
// machine of a sharded render agrees on it.
func ShardOf(host string, n int) int {
	if n <= 1 {
		return 0
	}
	sum := sha256.Sum256([]byte(host))
	return int(binary.BigEndian.Uint64(sum[:8]) % uint64(n))
}

// Where a shard keeps its hosts' rows of the overview: one file per shard,
// named for the shard and its n, so that the shards of one render can
// share a folder or an S3 prefix (each owns its file and its hosts'
// folders under hosts/).
const (
	summaryDir  = "summaries"
	shardHosts  = "hosts"
	shardFormat = 2
)

// SummaryName returns the name of shard sh's summary file in a shard's
// output: "summaries/shard-<i>-of-<n>.json".
func SummaryName(sh Shard) string {
	return fmt.Sprintf("%s/shard-%d-of-%d.json", summaryDir, sh.I, sh.N)
}

// ParseSummaryName returns the shard whose summary file name is (a name
// SummaryName returns), or false.
func ParseSummaryName(name string) (Shard, bool) {
	rest, ok := strings.CutPrefix(name, summaryDir+"/shard-")
	if !ok {
		return Shard{}, false
	}
	rest, ok = strings.CutSuffix(rest, ".json")
	if !ok {
		return Shard{}, false
	}
	a, b, ok := strings.Cut(rest, "-of-")
	if !ok {
		return Shard{}, false
	}
	sh, err := ParseShard(a + "/" + b)
	if err != nil || SummaryName(sh) != name {
		return Shard{}, false
	}
	return sh, true
}

// ShardSummary is what a shard leaves for the index (as JSON, in the file
// SummaryName names): which shard it is, its render time, and the index
// entries of its hosts.
type ShardSummary struct {
	Format int
	I, N   int
	Now    time.Time    // Options.Now of the shard's render
	Hosts  []IndexEntry // in name order

	// Source names where the summary was read from (a folder, an S3
	// key), for messages; not stored.
	Source string `json:"-"`
}

func (s ShardSummary) shard() Shard { return Shard{I: s.I, N: s.N} }

// writeSummaries writes the summary file of shard sh rendered at now,
// with the index entries of its hosts.
func writeSummaries(w *writer, entries []IndexEntry, sh Shard, now time.Time) error {
	sum := ShardSummary{Format: shardFormat, I: sh.I, N: sh.N, Now: now, Hosts: entries}
	if sum.Hosts == nil {
		sum.Hosts = []IndexEntry{}
	}
	data, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("summary of shard %s: %w", sh, err)
	}
	return w.write(SummaryName(sh), data)
}

// ParseSummary parses the shard summary file data read from source (a
// path or a key, for messages): it must be one this almanac writes, for
// the shard its name (the base of source) says, and each of its hosts must
// belong to that shard.
func ParseSummary(source string, data []byte) (ShardSummary, error) {
	var s ShardSummary
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || s.Format != shardFormat || s.shard().check() != nil || s.Now.IsZero() {
		return ShardSummary{}, fmt.Errorf("shard summary %s is not one this almanac writes: render the shard again with this almanac", source)
	}
	s.Source = source
	if want := path.Base(SummaryName(s.shard())); path.Base(filepath.ToSlash(source)) != want {
		return ShardSummary{}, fmt.Errorf("shard summary %s holds shard %s, whose file is %s", source, s.shard(), want)
	}
	for _, e := range s.Hosts {
		if e.Dir != hostDir(e.Name) {
			return ShardSummary{}, fmt.Errorf("shard summary %s: host %q has the folder %q, not its own", source, e.Name, e.Dir)
		}
		if ShardOf(e.Name, s.N) != s.I {
			return ShardSummary{}, fmt.Errorf("shard summary %s: host %q is not of shard %s", source, e.Name, s.shard())
		}
	}
	return s, nil
}

// Joined is the shards of one sharded render put together.
type Joined struct {
	N       int
	Now     time.Time    // the newest of the shards' render times
	Entries []IndexEntry // every host of every shard, in name order
}

// Dirs returns the hosts' folders (IndexEntry.Dir) of j.
func (j Joined) Dirs() []string {
	out := make([]string, len(j.Entries))
	for i, e := range j.Entries {
		out[i] = e.Dir
	}
	return out
}

// JoinShards checks that sums are the summaries of every shard of one
// sharded render: the same n, each shard once, no host twice, and render
// times at most maxSkew apart (0: the same time, as with one --now); the
// errors name the summaries and say what to do. It returns them put
// together.
func JoinShards(sums []ShardSummary, maxSkew time.Duration) (Joined, error) {
	var j Joined
	if len(sums) == 0 {
		return j, errors.New("no shard summaries: render the shards (almanac render --shard i/n) first")
	}
	byN := map[int][]string{}
	for _, s := range sums {
		byN[s.N] = append(byN[s.N], s.Source)
	}
	if len(byN) > 1 {
		var ns []int
		for n := range byN {
			ns = append(ns, n)
		}
		slices.Sort(ns)
		var parts []string
		for _, n := range ns {
			parts = append(parts, fmt.Sprintf("of %d (%s)", n, strings.Join(byN[n], ", ")))
		}
		return j, fmt.Errorf("shards of different n: %s: render every shard with the same n, and remove the summaries of the others", strings.Join(parts, " and "))
	}
	j.N = sums[0].N
	seen := map[int]string{}
	owner := map[string]string{}
	first, last := sums[0], sums[0]
	for _, s := range sums {
		if prev, ok := seen[s.I]; ok {
			return Joined{}, fmt.Errorf("%s and %s are both shard %s: give each shard once", prev, s.Source, s.shard())
		}
		seen[s.I] = s.Source
		if s.Now.Before(first.Now) {
			first = s
		}
		if s.Now.After(last.Now) {
			last = s
		}
		for _, e := range s.Hosts {
			if prev, ok := owner[e.Dir]; ok {
				return Joined{}, fmt.Errorf("host %q is in %s and in %s", e.Name, prev, s.Source)
			}
			owner[e.Dir] = s.Source
			j.Entries = append(j.Entries, e)
		}
	}
	if len(seen) != j.N {
		var missing []string
		for i := range j.N {
			if _, ok := seen[i]; !ok {
				missing = append(missing, Shard{I: i, N: j.N}.String())
			}
		}
		if len(missing) > 10 {
			missing = append(missing[:10], fmt.Sprintf("and %d more", len(missing)-10))
		}
		return Joined{}, fmt.Errorf("shards %s of %d are missing: render them (almanac render --shard i/%d), then build the index", strings.Join(missing, ", "), j.N, j.N)
	}
	if d := last.Now.Sub(first.Now); d > maxSkew {
		return Joined{}, fmt.Errorf("shard %s was rendered at %s and shard %s at %s, %s apart (at most %s allowed): "+
			"render every shard with the same --now, or allow the difference with --max-skew",
			first.shard(), first.Now.UTC().Format(time.RFC3339), last.shard(), last.Now.UTC().Format(time.RFC3339), d, maxSkew)
	}
	j.Now = last.Now
	slices.SortFunc(j.Entries, func(a, b IndexEntry) int { return strings.Compare(a.Name, b.Name) })
	return j, nil
}

// IndexOptions configure BuildIndex.
type IndexOptions struct {
	Options
	// MaxSkew is how far apart the shards' render times may be (0: they
	// must be the same, as with one --now for every shard).
	MaxSkew time.Duration
}

// BuildIndex puts the folders of a sharded render together into the site
// opts.Out (missing or empty, as for Build): the host pages of every shard
// (hard-linked when the shards are on the same filesystem, else copied),
// the fleet pages built from the shards' summaries, and the assets. The
// shards must be the N folders written by Build with Options.Shard 0/N to
// N-1/N (see JoinShards for what is checked); the site is then the one
// Build writes without shards, for the same archive and Options.Now. A
// zero Options.Now means the shards' (newest) render time.
func BuildIndex(ctx context.Context, shards []string, opts IndexOptions) (Report, error) {
	if len(shards) == 0 {
		return Report{}, errors.New("render: no shard folders to build the index from")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	var sums []ShardSummary
	for _, dir := range shards {
		if err := ctx.Err(); err != nil {
			return Report{}, fmt.Errorf("render: %w", err)
		}
		s, err := readShard(dir)
		if err != nil {
			return Report{}, fmt.Errorf("render: %w", err)
		}
		sums = append(sums, s)
	}
	j, err := JoinShards(sums, opts.MaxSkew)
	if err != nil {
		return Report{}, fmt.Errorf("render: %w", err)
	}
	folder := map[string]string{}
	for _, s := range sums {
		for _, e := range s.Hosts {
			folder[e.Dir] = filepath.Dir(filepath.Dir(s.Source))
		}
	}
	rep, err := buildJoined(ctx, j, opts.Options, func(w *writer) error {
		for _, e := range j.Entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := linkHost(w, folder[e.Dir], e.Dir); err != nil {
				return fmt.Errorf("shard folder %s: %w", folder[e.Dir], err)
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	opts.Log.Info("site index built", "shards", j.N, "hosts", rep.Hosts, "pages", rep.Pages, "bytes", rep.Bytes)
	return rep, nil
}

// BuildFleet writes into opts.Out (missing or empty, as for Build) the
// part of a sharded render's site that is not the hosts' pages: the fleet
// pages built from the joined shards, the assets and SiteMarker. With the
// shards' host folders beside it (in an S3 prefix the shards uploaded to),
// it makes the site Build writes without shards. A zero Options.Now means
// j.Now.
func BuildFleet(ctx context.Context, j Joined, opts Options) (Report, error) {
	return buildJoined(ctx, j, opts, nil)
}

// buildJoined writes the site of the joined shards j into opts.Out: what
// hosts puts there (the host pages; nil: none), then the fleet pages, the
// assets and the marker.
func buildJoined(ctx context.Context, j Joined, opts Options, hosts func(*writer) error) (Report, error) {
	var rep Report
	if opts.Out == "" {
		return rep, errors.New("render: no output folder")
	}
	if opts.Now.IsZero() {
		opts.Now = j.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if len(j.Entries) == 0 {
		return rep, ErrEmpty
	}
	tmpl, err := Templates(opts.Templates)
	if err != nil {
		return rep, err
	}
	out, w, finish, err := openOut(opts.Out, opts.Log)
	if err != nil {
		return rep, err
	}
	done := false
	defer func() { finish(done) }()
	if hosts != nil {
		if err := hosts(w); err != nil {
			return rep, fmt.Errorf("render: %w", err)
		}
	}
	for _, e := range j.Entries {
		rep.Skipped = append(rep.Skipped, e.Skipped...)
	}
	slices.Sort(rep.Skipped)
	rep.Skipped = slices.Compact(rep.Skipped)
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if err := writeFleetPages(w, tmpl, nil, j.Entries, opts); err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if err := copyAssets(w, opts.Templates); err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if err := w.write(SiteMarker, []byte("built by almanac render; this folder is replaced as a whole\n")); err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if opts.Strict && len(rep.Skipped) > 0 {
		return rep, fmt.Errorf("%w: %s", ErrSkipped, strings.Join(rep.Skipped, "; "))
	}
	done = true
	rep.Hosts, rep.Pages, rep.Bytes = len(j.Entries), w.pages, w.bytes
	rep.Index = filepath.Join(out, "index.html")
	return rep, nil
}

// WriteAssets copies the site's assets (those of the built-in templates,
// then those of override) into the folder dir, under assets/: for a
// shard whose pages go to a shared output before the index's.
func WriteAssets(dir string, override fs.FS) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	defer root.Close()
	if err := copyAssets(&writer{root: root, log: slog.New(slog.DiscardHandler)}, override); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

// readShard reads the summary of the shard folder dir: the one file
// summaries/shard-<i>-of-<n>.json.
func readShard(dir string) (ShardSummary, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return ShardSummary{}, fmt.Errorf("shard folder: %w", err)
	}
	defer r.Close()
	names, err := fs.Glob(r.FS(), summaryDir+"/shard-*-of-*.json")
	if err != nil {
		return ShardSummary{}, err
	}
	if len(names) != 1 {
		what := "no shard summary"
		if len(names) > 1 {
			what = fmt.Sprintf("%d shard summaries (%s)", len(names), strings.Join(names, ", "))
		}
		return ShardSummary{}, fmt.Errorf("shard folder %s holds %s (summaries/shard-<i>-of-<n>.json): give the --out of one almanac render --shard i/n, rendered with this almanac", dir, what)
	}
	data, err := r.ReadFile(names[0])
	if err != nil {
		return ShardSummary{}, fmt.Errorf("shard folder %s: %w", dir, err)
	}
	return ParseSummary(filepath.Join(dir, filepath.FromSlash(names[0])), data)
}

// linkHost puts the pages of host folder hdir of the shard folder shard
// into the site: hard links, or copies where links cannot be made.
func linkHost(w *writer, shard, hdir string) error {
	src, err := os.OpenRoot(shard)
	if err != nil {
		return err
	}
	defer src.Close()
	return copyTree(src, shardHosts+"/"+hdir, w, shardHosts+"/"+hdir)
}
