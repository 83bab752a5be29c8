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

func (s Shard) check() error {
	if s.N < 1 || s.I < 0 || s.I >= s.N {
		return fmt.Errorf("shard %d/%d: want 0 ≤ i < n", s.I, s.N)
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

// Where a shard keeps its hosts' rows of the overview.
const (
	summaryDir  = "summaries"
	shardFile   = summaryDir + "/shard.json"
	summaryExt  = ".json"
	shardHosts  = "hosts"
	shardFormat = 1
)

// shardInfo is summaries/shard.json: which shard a folder holds.
type shardInfo struct {
	Format int
	I, N   int
	Hosts  int
}

// writeSummaries writes the index entries of a shard's hosts, one file
// each, and summaries/shard.json.
func writeSummaries(w *writer, entries []IndexEntry, sh Shard) error {
	for _, e := range entries {
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("summary of host %s: %w", e.Name, err)
		}
		if err := w.write(summaryDir+"/"+e.Dir+summaryExt, data); err != nil {
			return err
		}
	}
	data, _ := json.Marshal(shardInfo{Format: shardFormat, I: sh.I, N: sh.N, Hosts: len(entries)})
	return w.write(shardFile, data)
}

// BuildIndex puts the folders of a sharded render together into the site
// opts.Out (missing or empty, as for Build): the host pages of every shard
// (hard-linked when the shards are on the same filesystem, else copied),
// the fleet pages built from the shards' summaries, and the assets. The
// shards must be the N folders written by Build with Options.Shard 0/N to
// N-1/N; the site is then the one Build writes without shards, for the
// same archive and Options.Now.
func BuildIndex(ctx context.Context, shards []string, opts Options) (Report, error) {
	var rep Report
	if opts.Out == "" {
		return rep, errors.New("render: no output folder")
	}
	if opts.Now.IsZero() {
		return rep, errors.New("render: no render time (Options.Now)")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if len(shards) == 0 {
		return rep, errors.New("render: no shard folders to build the index from")
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

	var (
		entries []IndexEntry
		seen    = map[int]string{}
		n       = -1
		owner   = map[string]string{}
	)
	for _, dir := range shards {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("render: %w", err)
		}
		info, es, err := readShard(dir)
		if err != nil {
			return rep, fmt.Errorf("render: %w", err)
		}
		if n >= 0 && info.N != n {
			return rep, fmt.Errorf("render: shard folder %s is shard %d/%d, others are of %d shards: render every shard with the same n", dir, info.I, info.N, n)
		}
		n = info.N
		if prev, ok := seen[info.I]; ok {
			return rep, fmt.Errorf("render: shard folders %s and %s are both shard %d/%d", prev, dir, info.I, info.N)
		}
		seen[info.I] = dir
		for _, e := range es {
			if prev, ok := owner[e.Dir]; ok {
				return rep, fmt.Errorf("render: host %s is in shard folders %s and %s", e.Name, prev, dir)
			}
			owner[e.Dir] = dir
			if err := linkHost(w, dir, e.Dir); err != nil {
				return rep, fmt.Errorf("render: shard folder %s: %w", dir, err)
			}
		}
		entries = append(entries, es...)
	}
	if len(seen) != n {
		var missing []string
		for i := range n {
			if _, ok := seen[i]; !ok {
				missing = append(missing, fmt.Sprintf("%d/%d", i, n))
			}
		}
		return rep, fmt.Errorf("render: shards %s are missing: render them, then build the index from all %d folders", strings.Join(missing, ", "), n)
	}
	if len(entries) == 0 {
		return rep, ErrEmpty
	}
	for _, e := range entries {
		rep.Skipped = append(rep.Skipped, e.Skipped...)
	}
	slices.Sort(rep.Skipped)
	rep.Skipped = slices.Compact(rep.Skipped)
	if err := writeFleetPages(w, tmpl, nil, entries, opts); err != nil {
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
	rep.Hosts, rep.Pages, rep.Bytes = len(entries), w.pages, w.bytes
	rep.Index = filepath.Join(out, "index.html")
	opts.Log.Info("site index built", "shards", n, "hosts", rep.Hosts, "pages", rep.Pages, "bytes", rep.Bytes)
	return rep, nil
}

// readShard reads the shard info and index entries of the shard folder dir.
func readShard(dir string) (shardInfo, []IndexEntry, error) {
	var info shardInfo
	r, err := os.OpenRoot(dir)
	if err != nil {
		return info, nil, fmt.Errorf("shard folder: %w", err)
	}
	defer r.Close()
	data, err := r.ReadFile(shardFile)
	if err != nil {
		return info, nil, fmt.Errorf("shard folder %s: %w (is it the --out of almanac render --shard?)", dir, err)
	}
	if err := json.Unmarshal(data, &info); err != nil || info.Format != shardFormat || (Shard{info.I, info.N}).check() != nil {
		return info, nil, fmt.Errorf("shard folder %s: %s is not one this almanac writes: render the shard again", dir, shardFile)
	}
	names, err := fs.Glob(r.FS(), summaryDir+"/*"+summaryExt)
	if err != nil {
		return info, nil, err
	}
	var es []IndexEntry
	for _, name := range names {
		if name == shardFile {
			continue
		}
		data, err := r.ReadFile(name)
		if err != nil {
			return info, nil, fmt.Errorf("shard folder %s: %w", dir, err)
		}
		var e IndexEntry
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return info, nil, fmt.Errorf("shard folder %s: %s: %w (render the shard again with this almanac)", dir, name, err)
		}
		if e.Dir != hostDir(e.Name) || path.Base(name) != e.Dir+summaryExt {
			return info, nil, fmt.Errorf("shard folder %s: %s names host %q of another folder", dir, name, e.Name)
		}
		if ShardOf(e.Name, info.N) != info.I {
			return info, nil, fmt.Errorf("shard folder %s: host %q is not of shard %d/%d", dir, e.Name, info.I, info.N)
		}
		es = append(es, e)
	}
	if len(es) != info.Hosts {
		return info, nil, fmt.Errorf("shard folder %s: %d host summaries, %s says %d: render the shard again", dir, len(es), shardFile, info.Hosts)
	}
	return info, es, nil
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
