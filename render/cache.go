package render

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"

	"almanac/alert"
	"almanac/archive"
	"almanac/schema"
	"almanac/templates"
)

// The render cache (Options.Cache) keeps, per host, the pages Build wrote
// for it and its row of the overview, under the key of what they were
// made from: the name, size and modification time of every file of the
// host its render reads (the live files and current rollups of its days
// in the longest range: renderCache.key), the render time
// (Options.Now), the time zone, the templates and this almanac's build.
// A later Build with the same key links (or copies) the pages into the
// new site instead of reading the host's files and rendering them again;
// any other key renders the host and replaces its entry. A changed input
// (a replaced day file, a late part, a compaction, new rollups) changes
// the key. So does the render time: pages say how long ago a host was
// last seen, so they are only reused for a render at the same time, and
// only a render at a time it was given (Options.FixedNow) keys and keeps
// them: one at the clock's time is never at that time again. A render
// at another time still adds the host's closed days from its day memo
// (daymemo.go) instead of reading them.
//
//	<cache>/hosts/<dir>/key          the hex key
//	<cache>/hosts/<dir>/entry.json   the host's IndexEntry and the size of each page
//	<cache>/hosts/<dir>/pages/...    the files of hosts/<dir>/ in the site
//	<cache>/days/<dir>/...           the host's day memo (daymemo.go)
//
// Build writes nothing else there, and only through an *os.Root opened on
// the cache folder.
const cacheFormat = "almanac-render-cache-1"

// renderCache is an open render cache.
type renderCache struct {
	root    *os.Root
	base    []byte // the part of every key that is not the host's: options, templates, build
	dayBase []byte // the part of every day memo key that is not the day's (daymemo.go)
	mu      sync.Mutex
	hits    int // hosts whose pages came from the cache
	// days added from the day memo, and days of its tables read; spans of
	// days read an hour at a time likewise (daymemo.go)
	daysKept, daysRead, spansKept, spansRead int
	foldersKept                              int // day folders from their listings kept (archive.Listings)
}

// openCache opens (creating it) the render cache at dir for renders with
// opts.
func openCache(dir string, opts Options) (*renderCache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("render cache: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("render cache: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\nnow %d\ntz %s\n", cacheFormat, opts.Now.UnixMicro(), tzName(opts))
	// The rules and silences in force draw the incidents pages and bands.
	alerting, err := json.Marshal(struct {
		Rules    []alert.Rule
		Fleet    []alert.FleetRule
		Silences []alert.Silence
	}{opts.Alerts.hostRules(), opts.Alerts.file().EffectiveFleet(), opts.Alerts.Silences})
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("render cache: key the alerting rules: %w", err)
	}
	h.Write(alerting)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(h, "build %s %s\n", bi.Main.Version, bi.Main.Sum)
		for _, s := range bi.Settings {
			if strings.HasPrefix(s.Key, "vcs.") {
				fmt.Fprintf(h, "%s=%s\n", s.Key, s.Value)
			}
		}
	}
	for _, fsys := range []fs.FS{templates.FS, opts.Templates} {
		if fsys == nil {
			continue
		}
		if err := hashFS(h, fsys); err != nil {
			root.Close()
			return nil, fmt.Errorf("render cache: hash the templates: %w", err)
		}
	}
	return &renderCache{root: root, base: h.Sum(nil), dayBase: dayMemoBase()}, nil
}

func (c *renderCache) Close() error { return c.root.Close() }

// hashFS adds every file of fsys (name and content) to h.
func hashFS(h hash.Hash, fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "file %q\n", p)
		_, err = io.Copy(h, f)
		return err
	})
}

// key returns the cache key of host: the base key and the name, size and
// modification time of each file its render reads (archive.Store.Stamp):
// the live files and current rollups of the days of every table that end
// after the longest range's start, as lists lists them. Days before it do
// not change the pages, and are not looked at: keying a host kept for
// years costs what keying one kept for a year does. A closed day folder
// whose listing the render before kept is not listed again, but each of
// its files is looked at, as the day memo's keys do.
func (c *renderCache) key(host string, lists *dayLists) (string, error) {
	if err := archive.CheckHost(host); err != nil {
		return "", err
	}
	b := append([]byte(nil), c.base...)
	b = append(b, "host "...)
	b = strconv.AppendQuote(b, host)
	b = append(b, '\n')
	for _, table := range schema.Names() {
		days, err := lists.days(table)
		if err != nil {
			return "", err
		}
		for _, d := range days {
			for _, res := range append([]archive.Resolution{archive.Raw}, d.Current()...) {
				stamp, err := lists.src.Stamp(res, d)
				if err != nil {
					return "", err
				}
				b = append(b, stamp...)
			}
		}
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// cacheEntry is entry.json.
type cacheEntry struct {
	Entry IndexEntry
	Files map[string]int64 // the files under pages/ and their sizes
}

// listTree returns the size of each file under dir of r, by path relative
// to dir.
func listTree(r *os.Root, dir string) (map[string]int64, error) {
	files := map[string]int64{}
	err := fs.WalkDir(r.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		files[strings.TrimPrefix(p, dir+"/")] = fi.Size()
		return nil
	})
	return files, err
}

// load puts the cached pages of host into the site of w and returns its
// index entry, when the cache holds host under key, complete.
func (c *renderCache) load(w *writer, host, key string) (IndexEntry, bool) {
	dir := "hosts/" + hostDir(host)
	got, err := c.root.ReadFile(dir + "/key")
	if err != nil || string(got) != key {
		return IndexEntry{}, false
	}
	data, err := c.root.ReadFile(dir + "/entry.json")
	if err != nil {
		return IndexEntry{}, false
	}
	var ce cacheEntry
	e := &ce.Entry
	if json.Unmarshal(data, &ce) != nil || e.Name != host || e.Dir != hostDir(host) {
		return IndexEntry{}, false
	}
	files, err := listTree(c.root, dir+"/pages")
	if err != nil || !maps.Equal(files, ce.Files) {
		w.log.Warn("render cache: the host's entry is incomplete; rendering the host", "host", host)
		return IndexEntry{}, false
	}
	if err := copyTree(c.root, dir+"/pages", w, "hosts/"+e.Dir); err != nil {
		w.log.Warn("render cache: cannot use the cached pages; rendering the host", "host", host, "err", err)
		return IndexEntry{}, false
	}
	return *e, true
}

// store keeps the pages of host e (already in the site of w) and its entry
// under key, replacing what the cache held for the host.
func (c *renderCache) store(w *writer, e IndexEntry, key string) error {
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := "hosts/." + e.Dir + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	final := "hosts/" + e.Dir
	if err := c.root.MkdirAll(tmp+"/pages", 0o755); err != nil {
		return err
	}
	err := linkTree(w.root, "hosts/"+e.Dir, c.root, tmp+"/pages")
	var files map[string]int64
	if err == nil {
		files, err = listTree(c.root, tmp+"/pages")
	}
	var data []byte
	if err == nil {
		data, err = json.Marshal(cacheEntry{Entry: e, Files: files})
	}
	if err == nil {
		err = c.root.WriteFile(tmp+"/entry.json", data, 0o644)
	}
	if err == nil {
		err = c.root.WriteFile(tmp+"/key", []byte(key), 0o644)
	}
	if err == nil {
		if err = c.root.RemoveAll(final); err == nil {
			err = c.root.Rename(tmp, final)
		}
	}
	if err != nil {
		c.root.RemoveAll(tmp)
	}
	return err
}

// copyTree puts the files under dir of src into the site of w under to:
// hard links where it can, else copies. They are counted (pages and
// bytes) once all are in; on an error, to is removed from the site.
func copyTree(src *os.Root, dir string, w *writer, to string) error {
	var pages int
	var size int64
	err := fs.WalkDir(src.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		dst := path.Join(to, rel)
		if d.IsDir() {
			return w.root.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		if os.Link(filepath.Join(src.Name(), filepath.FromSlash(p)), filepath.Join(w.root.Name(), filepath.FromSlash(dst))) != nil {
			data, err := src.ReadFile(p)
			if err != nil {
				return err
			}
			if err := w.root.WriteFile(dst, data, 0o644); err != nil {
				return err
			}
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		size += fi.Size()
		if strings.HasSuffix(p, ".html") {
			pages++
		}
		return nil
	})
	if err != nil {
		w.root.RemoveAll(to)
		return err
	}
	w.mu.Lock()
	w.pages += pages
	w.bytes += size
	w.mu.Unlock()
	return nil
}

// linkTree puts the files under dir of src into dst under to: hard links
// where it can, else copies.
func linkTree(src *os.Root, dir string, dst *os.Root, to string) error {
	return fs.WalkDir(src.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		target := path.Join(to, rel)
		if d.IsDir() {
			return dst.MkdirAll(target, 0o755)
		}
		if os.Link(filepath.Join(src.Name(), filepath.FromSlash(p)), filepath.Join(dst.Name(), filepath.FromSlash(target))) == nil {
			return nil
		}
		data, err := src.ReadFile(p)
		if err != nil {
			return err
		}
		return dst.WriteFile(target, data, 0o644)
	})
}

// prune removes the entries and day memos of hosts not in keep (folder
// names).
func (c *renderCache) prune(keep []string) error {
	slices.Sort(keep)
	for _, top := range []string{"hosts", "days"} {
		ents, err := fs.ReadDir(c.root.FS(), top)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, e := range ents {
			if _, found := slices.BinarySearch(keep, e.Name()); !found {
				if err := c.root.RemoveAll(top + "/" + e.Name()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
