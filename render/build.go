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
}

// Report says what Build did.
type Report struct {
	Hosts, Pages int
	Bytes        int64    // bytes written, assets included
	Skipped      []string // the corrupt files that were skipped, one message each
	Index        string   // path of the site's index.html
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
	out, err := filepath.Abs(opts.Out)
	if err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	created, err := makeOut(out)
	if err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	done := false
	defer func() {
		if !done {
			clearOut(out, created)
		}
	}()
	root, err := os.OpenRoot(out)
	if err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	defer root.Close()
	w := &writer{root: root, log: log}

	dirs := hostDirs(hosts)
	sums := make([]*hostData, len(hosts))
	bar := newProgress(opts.Progress, len(hosts))
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	jobs := make(chan int)
	workers := min(runtime.GOMAXPROCS(0), 4, len(hosts))
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				if ctx.Err() != nil {
					continue
				}
				hlog := log.With("host", hosts[i])
				start := time.Now()
				d, err := gather(src, hosts[i], dirs[i], opts.Now, opts.TZ, opts.Alerts.hostRules()...)
				if err == nil {
					err = writeHost(w, tmpl, d, opts)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if d != nil {
					d.ranges, d.procs, d.facts, d.avail = nil, nil, factsPage{}, availPage{}
					sums[i] = d
				}
				bar.step()
				mu.Unlock()
				hlog.Debug("host rendered", "duration_seconds", time.Since(start).Seconds())
			}
		})
	}
	for i := range hosts {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	bar.finish()
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if firstErr != nil {
		return rep, fmt.Errorf("render: %w", firstErr)
	}
	for _, d := range sums {
		rep.Skipped = append(rep.Skipped, d.skipped...)
	}
	slices.Sort(rep.Skipped)
	rep.Skipped = slices.Compact(rep.Skipped)
	if err := writeFleetIncidents(w, tmpl, src, sums, opts); err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if err := writeIndex(w, tmpl, sums, opts); err != nil {
		return rep, fmt.Errorf("render: %w", err)
	}
	if err := copyAssets(w, opts.Templates); err != nil {
		return rep, fmt.Errorf("render: %w", err)
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
	log.Info("site rendered", "hosts", rep.Hosts, "pages", rep.Pages, "bytes", rep.Bytes, "skipped", len(rep.Skipped))
	return rep, nil
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
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, tmpl, p); err != nil {
		return fmt.Errorf("execute %s for %s: %w", tmpl, name, err)
	}
	if b.Len() > maxPageBytes {
		w.log.Warn("page over 2 MB", "page", name, "bytes", b.Len())
	}
	if err := w.write(name, b.Bytes()); err != nil {
		return err
	}
	w.mu.Lock()
	w.pages++
	w.mu.Unlock()
	return nil
}

// hostDirs returns the folder of each host in the site: a slug of the name
// (lower-case letters, digits and '-') and a short hash of the exact name,
// so that no host name is ever used as a path and no two hosts collide.
func hostDirs(hosts []string) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = hostDir(h)
	}
	return out
}

// hostDir returns the folder name of host (see hostDirs).
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
