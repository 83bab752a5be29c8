package render

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"almanac/archive"
	"almanac/templates"
)

// Options configure Build.
type Options struct {
	Out       string         // folder to write the site into: missing (it is created) or empty
	Now       time.Time      // the render's now (tests pass a fixed one; render never reads the clock)
	TZ        *time.Location // nil: times shown in the viewer's local time zone (browser); else this zone
	Templates fs.FS          // nil: templates.FS; else its *.html and assets/ override the built-in ones
	Log       *slog.Logger
	Progress  io.Writer // a terminal to draw a progress bar on, or nil
	Strict    bool      // skipped corrupt files or unexpected entries of the archive make Build return an error (the old site stays)
	Alerts    Alerting  // the rules (nil: the defaults) and silences: incidents pages, bands, fleet rules

	// Jobs is how many hosts are rendered at once (0: GOMAXPROCS). Memory
	// grows with Jobs, not with the number of hosts: a host's pages are
	// written as soon as they are built, and only its row of the overview
	// (an IndexEntry, about 2 KB) is kept.
	Jobs int
	// Shard, when N > 0, renders only the hosts of shard I of N (see
	// ShardOf) and, instead of the overview, writes their rows of it as
	// summaries/shard-<i>-of-<n>.json; BuildIndex then puts the shards together.
	Shard Shard
	// Cache, when not "", is the folder of the render cache (see
	// cache.go): the closed days a render reads are kept there (the day
	// memo) and added from there at later renders; with FixedNow, a host
	// whose files in the archive have not changed since a render at the
	// same Now is not read or rendered again, its pages are linked from
	// there. Build writes only there besides Out.
	Cache string
	// FixedNow says that Now was given (almanac render --now), not read
	// from the clock: only then does the render cache key, keep and reuse
	// a host's pages. They are drawn as of Now, so a render at the clock's
	// time could never find them again, and keying them (a listing of
	// every file of the host) and keeping them would be wasted work.
	FixedNow bool
}

// Report says what Build did.
type Report struct {
	Hosts, Pages int
	Bytes        int64    // bytes written, assets included
	Skipped      []string // the corrupt files that were skipped, one message each
	Cached       int      // hosts whose pages came from the render cache
	// Days of a table whose reduction came from the render cache's day
	// memo (DaysKept), and days of the same tables read from the archive
	// (DaysRead): a timer's render reads few (daymemo.go).
	DaysKept, DaysRead int
	// Spans (clock hours, cut at range starts) of the days read an hour at
	// a time (today, the days a range starts in) and of the processes
	// page's last 24 hours likewise (SpansKept, SpansRead).
	SpansKept, SpansRead int
	// Day folders taken from their listings kept by the render before,
	// not listed again (archive.Listings).
	FoldersKept int
	Index       string // path of the site's index.html
}

// ErrEmpty is returned by Build when the archive holds no host.
var ErrEmpty = errors.New("render: the archive holds no samples (run almanac sample first)")

// ErrSkipped is returned by Build with Options.Strict when corrupt files
// had to be skipped.
var ErrSkipped = errors.New("render: corrupt files were skipped")

// SiteMarker is the file Build writes at the top of every site. A folder
// holding it is a site almanac built, which a later render may replace as a
// whole (see site.CheckReplace).
const SiteMarker = ".almanac-site"

// maxPageBytes is the size above which a page is logged as too big.
const maxPageBytes = 2 << 20

// Build renders the site of every host in store into the folder opts.Out,
// which must be missing or empty: Build writes only there, never replaces
// or deletes anything else, and leaves Out as it found it (missing or
// empty) when it fails. To replace a live site, build into a site.TempDir
// next to it and site.Swap that in.
func Build(ctx context.Context, store *archive.Store, opts Options) (Report, error) {
	if store == nil {
		return Report{}, errors.New("render: no archive")
	}
	return build(ctx, store, opts)
}

// build is Build over any scanner.
func build(ctx context.Context, src scanner, opts Options) (Report, error) {
	var rep Report
	if opts.Out == "" {
		return rep, errors.New("render: no output folder")
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Now.IsZero() {
		return rep, errors.New("render: no render time (Options.Now)")
	}
	tmpl, err := Templates(opts.Templates)
	if err != nil {
		return rep, err
	}
	hosts, err := src.Hosts()
	if err != nil {
		return rep, fmt.Errorf("render: list hosts: %w", err)
	}
	if len(hosts) == 0 {
		return rep, ErrEmpty
	}
	out, w, finish, err := openOut(opts.Out, log)
	if err != nil {
		return rep, err
	}
	done := false
	defer func() { finish(done) }()

	if opts.Shard.N > 0 {
		if err := opts.Shard.check(); err != nil {
			return rep, err
		}
		hosts = opts.Shard.hosts(hosts)
	}
	var cache *renderCache
	if opts.Cache != "" {
		if cache, err = openCache(opts.Cache, opts); err != nil {
			return rep, err
		}
		defer cache.Close()
	}
	entries, err := renderHosts(ctx, src, w, tmpl, hosts, cache, opts)
	if err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if cache != nil {
		rep.Cached, rep.DaysKept, rep.DaysRead = cache.hits, cache.daysKept, cache.daysRead
		rep.SpansKept, rep.SpansRead, rep.FoldersKept = cache.spansKept, cache.spansRead, cache.foldersKept
		log.Debug("render cache", "hosts", rep.Cached, "days kept", rep.DaysKept, "days read", rep.DaysRead,
			"spans kept", rep.SpansKept, "spans read", rep.SpansRead, "folders kept", rep.FoldersKept)
		if opts.Shard.N == 0 {
			keep := make([]string, len(entries))
			for i, e := range entries {
				keep[i] = e.Dir
			}
			if err := cache.prune(keep); err != nil {
				log.Warn("render cache: cannot remove the entries of hosts gone", "err", err)
			}
		}
	}
	for _, e := range entries {
		rep.Skipped = append(rep.Skipped, e.Skipped...)
	}
	slices.Sort(rep.Skipped)
	rep.Skipped = slices.Compact(rep.Skipped)
	if opts.Shard.N > 0 {
		// A shard: its hosts' rows of the overview, for BuildIndex.
		if err := writeSummaries(w, entries, opts.Shard, opts.Now); err != nil {
			return rep, fmt.Errorf("render: %w", err)
		}
	} else if err := writeFleetPages(w, tmpl, src, entries, opts); err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if opts.Shard.N == 0 {
		if err := copyAssets(w, opts.Templates); err != nil {
			return rep, fmt.Errorf("render: %w", err)
		}
	}
	if err := w.write(SiteMarker, []byte("built by almanac render; this folder is replaced as a whole\n")); err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if w.err != nil {
		return rep, fmt.Errorf("render: %w", w.err)
	}
	if opts.Strict && len(rep.Skipped) > 0 {
		return rep, fmt.Errorf("%w: %s", ErrSkipped, strings.Join(rep.Skipped, "; "))
	}
	if u, ok := src.(interface{ Unexpected() []error }); ok && opts.Strict {
		if odd := u.Unexpected(); len(odd) > 0 {
			return rep, fmt.Errorf("render: %d unexpected entries of the archive were skipped (strict):\n%w", len(odd), errors.Join(odd...))
		}
	}
	done = true
	rep.Hosts, rep.Pages, rep.Bytes = len(hosts), w.pages, w.bytes
	rep.Index = filepath.Join(out, "index.html")
	log.Info("site rendered", "hosts", rep.Hosts, "pages", rep.Pages, "bytes", rep.Bytes, "skipped", len(rep.Skipped), "cached", rep.Cached)
	return rep, nil
}

// IndexEntry is what the fleet pages know of a host: its name, its folder
// in the site, its row of the overview and the corrupt files its render
// skipped. It is all Build keeps of a host once its pages are written, and
// what a shard writes for BuildIndex (as JSON).
type IndexEntry struct {
	Name      string
	Dir       string
	Summary   hostSummary
	Alerts    AlertSummary  // its open incidents, for the overview
	Incidents []IncidentRow `json:",omitempty"` // its incidents, for the fleet's incidents page
	Skipped   []string      `json:",omitempty"`
}

// renderHosts renders the pages of hosts, opts.Jobs at a time (hosts are
// handed out one by one, so a slow host does not hold up the others), and
// returns their index entries in the order of hosts. It stops at the first
// error.
func renderHosts(ctx context.Context, src scanner, w *writer, tmpl *template.Template, hosts []string, cache *renderCache, opts Options) ([]IndexEntry, error) {
	log := w.log
	entries := make([]IndexEntry, len(hosts))
	bar := newProgress(opts.Progress, len(hosts))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	for range min(jobs, len(hosts)) {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				start := time.Now()
				e, err := renderHost(src, w, tmpl, hosts[i], cache, opts)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				entries[i] = e
				bar.step()
				mu.Unlock()
				log.Debug("host rendered", "host", hosts[i], "duration_seconds", time.Since(start).Seconds())
			}
		})
	}
	for i := range hosts {
		next <- i
	}
	close(next)
	wg.Wait()
	bar.finish()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return entries, nil
}

// renderHost gathers host and writes its pages, or links them from the
// render cache when it holds them for the host's files as they are.
func renderHost(src scanner, w *writer, tmpl *template.Template, host string, cache *renderCache, opts Options) (IndexEntry, error) {
	var key string
	var memo *hostMemo
	if cache != nil {
		memo = cache.memo(hostDir(host), w.log)
	}
	if cache != nil && opts.FixedNow {
		// The key's look at the day folders is the readers' too.
		var err error
		if key, err = cache.key(host, memo.days(src, host, opts.Now)); err != nil {
			w.log.Warn("render cache: cannot key the host; rendering it", "host", host, "err", err)
		} else if e, ok := cache.load(w, host, key); ok {
			// The listings kept stay as the last render that read the
			// host left them (with the spans of its files).
			cache.mu.Lock()
			cache.hits++
			cache.mu.Unlock()
			return e, nil
		}
	}
	d, err := gatherMemo(src, w, tmpl, host, memo, opts)
	if errors.Is(err, errMemoFault) {
		w.log.Warn("render cache: a day memo file changed while it was read; rendering the host without it", "host", host, "err", err)
		d, err = gatherMemo(src, w, tmpl, host, nil, opts)
	}
	if err != nil {
		return IndexEntry{}, err
	}
	e := IndexEntry{Name: d.Name, Dir: d.Dir, Summary: d.sum, Alerts: d.alerts, Incidents: d.incidents, Skipped: d.skipped}
	if key != "" && len(e.Skipped) == 0 {
		if err := cache.store(w, e, key); err != nil {
			w.log.Warn("render cache: cannot keep the host's pages", "host", host, "err", err)
		}
	}
	return e, nil
}

// errMemoFault is gatherMemo's error for a fault reading a mapped memo
// file (mapMemoFile): one cut short while it was read.
var errMemoFault = errors.New("memory fault reading a mapped day memo file")

// gatherMemo gathers the host's page models with its day memo (nil: none)
// and writes its pages, then releases the memo's files. A memory fault
// while the memo's files are mapped is errMemoFault: the caller renders
// the host again without them.
func gatherMemo(src scanner, w *writer, tmpl *template.Template, host string, memo *hostMemo, opts Options) (d *hostData, err error) {
	if memo != nil {
		defer memo.release()
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if p := recover(); p != nil {
				f, ok := p.(interface{ Addr() uintptr })
				if !ok {
					panic(p)
				}
				d, err = nil, fmt.Errorf("%w at %#x: %v", errMemoFault, f.Addr(), p)
			}
		}()
	}
	d, err = gatherKept(src, host, hostDir(host), opts.Now, opts.TZ, memo, opts.Alerts.hostRules()...)
	if err != nil {
		return nil, err
	}
	if err := writeHost(w, tmpl, d, opts); err != nil {
		return nil, err
	}
	return d, nil
}

// writeFleetPages writes the pages about the whole fleet, from the hosts'
// index entries: the overview and the incidents page. (Fleet pages added
// later go here, so that a sharded render's BuildIndex writes them too.)
// src is the archive, for the fleet rules that count hosts; nil when
// BuildIndex puts shards together, which evaluates no such rule.
func writeFleetPages(w *writer, tmpl *template.Template, src scanner, entries []IndexEntry, opts Options) error {
	hosts := make([]*hostData, 0, len(entries))
	for _, e := range entries {
		hosts = append(hosts, &hostData{Name: e.Name, Dir: e.Dir, sum: e.Summary, alerts: e.Alerts, incidents: e.Incidents})
	}
	if err := writeFleetIncidents(w, tmpl, src, hosts, opts); err != nil {
		return err
	}
	if err := writeIndex(w, tmpl, hosts, opts); err != nil {
		return err
	}
	return writeFleet(w, tmpl, hosts, opts)
}

// openOut makes dir (missing or empty) the folder of a site and opens a
// writer on it. It returns dir's absolute path and finish, which closes
// the folder and, unless ok, puts it back as makeOut found it.
func openOut(dir string, log *slog.Logger) (out string, w *writer, finish func(ok bool), err error) {
	if out, err = filepath.Abs(dir); err != nil {
		return "", nil, nil, fmt.Errorf("render: %w", err)
	}
	created, err := makeOut(out)
	if err != nil {
		return "", nil, nil, fmt.Errorf("render: %w", err)
	}
	root, err := os.OpenRoot(out)
	if err != nil {
		clearOut(out, created)
		return "", nil, nil, fmt.Errorf("render: %w", err)
	}
	finish = func(ok bool) {
		root.Close()
		if !ok {
			clearOut(out, created)
		}
	}
	return out, &writer{root: root, log: log}, finish, nil
}

// makeOut makes out an empty folder to write a site into: it creates it
// (and its parents) when missing, and refuses anything but an empty
// folder, so that Build never mixes its files with others or deletes any.
// It reports whether it created out.
func makeOut(out string) (created bool, err error) {
	st, err := os.Lstat(out)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return false, err
		}
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s is not a folder", out)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return false, err
	}
	if len(ents) > 0 {
		return false, fmt.Errorf("%s is not empty: build into a new folder and swap it in (almanac render does)", out)
	}
	return false, nil
}

// clearOut puts out back as makeOut found it after a failed build:
// removed when Build created it, else emptied of what Build wrote.
func clearOut(out string, created bool) {
	if created {
		os.RemoveAll(out)
		return
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		os.RemoveAll(filepath.Join(out, e.Name()))
	}
}

// writer writes the files of a site under root and counts them.
type writer struct {
	root  *os.Root
	log   *slog.Logger
	mu    sync.Mutex
	pages int
	bytes int64
	err   error
}

// pageBytes writes the page name, already executed.
func (w *writer) pageBytes(name string, b []byte) error {
	if len(b) > maxPageBytes {
		w.log.Warn("page over 2 MB", "page", name, "bytes", len(b))
	}
	if err := w.write(name, b); err != nil {
		return err
	}
	w.mu.Lock()
	w.pages++
	w.mu.Unlock()
	return nil
}

// write writes name (a slash path under the site root) with data.
func (w *writer) write(name string, data []byte) error {
	if dir := path.Dir(name); dir != "." {
		if err := w.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := w.root.WriteFile(name, data, 0o644); err != nil {
		return err
	}
	w.mu.Lock()
	w.bytes += int64(len(data))
	w.mu.Unlock()
	return nil
}

// page executes the template tmpl with p and writes it as name.
func (w *writer) page(t *template.Template, tmpl, name string, p *pageModel) error {
	b := pageBufs.Get().(*pageBuf)
	defer pageBufs.Put(b)
	var err error
	if b.out, err = executePage(t, tmpl, p, &b.page, b.out[:0]); err != nil {
		return fmt.Errorf("execute %s for %s: %w", tmpl, name, err)
	}
	if len(b.out) > maxPageBytes {
		w.log.Warn("page over 2 MB", "page", name, "bytes", len(b.out))
	}
	if err := w.write(name, b.out); err != nil {
		return err
	}
	w.mu.Lock()
	w.pages++
	w.mu.Unlock()
	return nil
}

// executePage executes the template tmpl with p and appends the page,
// its data block filled in (fillData), to out; page holds the template's
// output.
func executePage(t *template.Template, tmpl string, p *pageModel, page *bytes.Buffer, out []byte) ([]byte, error) {
	page.Reset()
	if err := t.ExecuteTemplate(page, tmpl, p); err != nil {
		return out, err
	}
	return fillData(out, page.Bytes(), p.Data)
}

// pageBuf is what writing a page takes: the template's output and the
// page with its data block.
type pageBuf struct {
	page bytes.Buffer
	out  []byte
}

// pageBufs keeps the buffers of written pages for the next pages (a page
// is written before its buffers are put back).
var pageBufs = sync.Pool{New: func() any { return new(pageBuf) }}

// hostDir returns the folder of host in the site: a slug of the name
// (lower-case letters, digits and '-') and a short hash of the exact name,
// so that no host name is ever used as a path and no two hosts collide.
func hostDir(host string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(host) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if !ok {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		if b.Len() >= 40 {
			break
		}
		b.WriteRune(r)
		dash = false
	}
	slug := strings.TrimRight(b.String(), "-")
	if slug == "" {
		slug = "host"
	}
	sum := sha256.Sum256([]byte(host))
	return slug + "-" + hex.EncodeToString(sum[:4])
}

// Templates parses the built-in page templates and, when override is not
// nil, the *.html of override on top of them: a template of the same name
// replaces the built-in one.
func Templates(override fs.FS) (*template.Template, error) {
	t, err := template.New("").Funcs(funcs).ParseFS(templates.FS, "*.html")
	if err != nil {
		return nil, fmt.Errorf("render: parse templates: %w", err)
	}
	if override != nil {
		names, err := fs.Glob(override, "*.html")
		if err != nil {
			return nil, fmt.Errorf("render: parse templates: %w", err)
		}
		if len(names) > 0 {
			if t, err = t.ParseFS(override, names...); err != nil {
				return nil, fmt.Errorf("render: parse templates: %w", err)
			}
		}
	}
	return t, nil
}

// funcs are the template functions: layout helpers only.
var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	// cls turns a status ("no data") into a CSS class suffix ("no-data").
	"cls": func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else {
				b.WriteByte('-')
			}
		}
		return b.String()
	},
}

// copyAssets copies assets/ of the built-in templates, then of override,
// into the site.
func copyAssets(w *writer, override fs.FS) error {
	for _, fsys := range []fs.FS{templates.FS, override} {
		if fsys == nil {
			continue
		}
		err := fs.WalkDir(fsys, "assets", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == "assets" {
					return fs.SkipAll
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			return w.write(p, data)
		})
		if err != nil {
			return fmt.Errorf("copy assets: %w", err)
		}
	}
	return nil
}

// progress draws a bar of hosts done on a terminal.
type progress struct {
	w      io.Writer
	n, d   int
	drawn  bool
	blocks int
}

func newProgress(w io.Writer, n int) *progress { return &progress{w: w, n: n, blocks: 30} }

func (p *progress) step() {
	p.d++
	if p.w == nil {
		return
	}
	full := p.blocks * p.d / max(p.n, 1)
	fmt.Fprintf(p.w, "\rrendering [%s%s] %d/%d hosts", strings.Repeat("#", full), strings.Repeat(".", p.blocks-full), p.d, p.n)
	p.drawn = true
}

func (p *progress) finish() {
	if p.w != nil && p.drawn {
		fmt.Fprintln(p.w)
	}
}
