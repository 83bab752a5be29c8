package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/testfs"
	"almanac/synth"
)

// compareSites fails when the sites at got and want differ in any file.
func compareSites(t *testing.T, what, got, want string) {
	t.Helper()
	g, w := testfs.ReadTree(t, got), testfs.ReadTree(t, want)
	for name, b := range w {
		if gb, ok := g[name]; !ok {
			t.Errorf("%s: lacks %s", what, name)
		} else if !bytes.Equal(gb, b) {
			t.Errorf("%s: %s differs from a full render's", what, name)
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			t.Errorf("%s: has %s, a full render does not", what, name)
		}
	}
}

func TestRenderCache(t *testing.T) {
	st := writeFixture(t, shardFleet()...)
	hosts, _ := st.Hosts()
	cache := filepath.Join(t.TempDir(), "render-cache")
	n := 0
	// render builds the site with the cache and without, checks they are
	// the same and returns how many hosts came from the cache.
	render := func(what string, now time.Time) int {
		t.Helper()
		n++
		dir := t.TempDir()
		with := Options{Out: filepath.Join(dir, "cached"), Now: now, FixedNow: true, Log: quietLog(), Cache: cache}
		rep, err := Build(context.Background(), st, with)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		full := Options{Out: filepath.Join(dir, "full"), Now: now, Log: quietLog()}
		frep, err := Build(context.Background(), st, full)
		if err != nil {
			t.Fatal(err)
		}
		compareSites(t, what, with.Out, full.Out)
		if rep.Pages != frep.Pages || rep.Bytes != frep.Bytes || rep.Hosts != frep.Hosts {
			t.Errorf("%s: report %+v, a full render's %+v", what, rep, frep)
		}
		return rep.Cached
	}
	if got := render("first render", fixedNow); got != 0 {
		t.Errorf("first render: %d hosts from an empty cache", got)
	}
	if got := render("same archive", fixedNow); got != len(hosts) {
		t.Errorf("same archive: %d of %d hosts from the cache", got, len(hosts))
	}
	if got := render("another time", fixedNow.Add(time.Minute)); got != 0 {
		t.Errorf("render at another time: %d hosts from the cache, want 0 (pages depend on the time)", got)
	}
	render("back", fixedNow)

	// History before the longest range: no page shows it, so it does not
	// change the key (a host kept for years is keyed as one kept for a
	// year); a day in the range does (a late part, below).
	old, err := st.Writer("app1", archive.WriterOptions{NoSync: true, FlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	gOld := synth.New(synth.Host{Name: "app1", Seed: 98})
	for k := range 3 {
		if err := old.Append(gOld.Batch(fixedNow.Add(-longest - 48*time.Hour + time.Duration(k)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if got := render("history before the range", fixedNow); got != len(hosts) {
		t.Errorf("after a day before the longest range was written: %d of %d hosts from the cache, want all", got, len(hosts))
	}

	// A late part: new samples of app1 (its sampler was off for the last hour).
	w, err := st.Writer("app1", archive.WriterOptions{NoSync: true, FlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	g := synth.New(synth.Host{Name: "app1", Seed: 99})
	for at := fixedNow.Add(-50 * time.Minute); at.Before(fixedNow.Add(-40 * time.Minute)); at = at.Add(5 * time.Minute) {
		if err := w.Append(g.Batch(at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := render("late part", fixedNow); got != len(hosts)-1 {
		t.Errorf("after a late part of one host: %d of %d hosts from the cache, want all but it", got, len(hosts))
	}

	// A compaction of the app hosts' closed day (yesterday).
	cs, err := st.Compact("app2", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Partitions == 0 {
		t.Fatal("the compaction compacted nothing: the fixture has no closed day")
	}
	if got := render("compaction", fixedNow); got != len(hosts)-1 {
		t.Errorf("after compacting one host: %d of %d hosts from the cache, want all but it", got, len(hosts))
	}

	// A day file replaced (same name and size, new modification time).
	parts, err := st.Partitions("cpu", "app2")
	if err != nil || len(parts) == 0 {
		t.Fatal(parts, err)
	}
	files, _ := filepath.Glob(filepath.Join(st.Dir(), parts[0].Dir(), "day-*.parquet"))
	if len(files) != 1 {
		t.Fatalf("day files of %s: %v", parts[0].Dir(), files)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(files[0], later, later); err != nil {
		t.Fatal(err)
	}
	if got := render("replaced day file", fixedNow); got != len(hosts)-1 {
		t.Errorf("after replacing a day file of one host: %d of %d hosts from the cache, want all but it", got, len(hosts))
	}

	// A cache entry that was tampered with is not used.
	entry := filepath.Join(cache, "hosts", hostDir("web1"), "pages", "facts.html")
	if err := os.Remove(entry); err != nil {
		t.Fatal(err)
	}
	render("damaged entry", fixedNow) // the pages must still equal a full render's
}

// TestRenderCacheAtClock renders twice at the same time with a render
// cache, as at the clock's time (no FixedNow): no host's pages are kept or
// reused, the day memo is, and the pages equal a render without a cache.
// With FixedNow the next two renders keep the pages, then reuse them.
func TestRenderCacheAtClock(t *testing.T) {
	st := memoFleet(t)
	cache := filepath.Join(t.TempDir(), "render-cache")
	render := func(fixed bool) Report {
		t.Helper()
		dir := t.TempDir()
		rep, err := Build(context.Background(), st, Options{Out: filepath.Join(dir, "cached"), Now: fixedNow, FixedNow: fixed, Log: quietLog(), Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Build(context.Background(), st, Options{Out: filepath.Join(dir, "full"), Now: fixedNow, Log: quietLog()}); err != nil {
			t.Fatal(err)
		}
		compareSites(t, fmt.Sprintf("fixed now %t", fixed), filepath.Join(dir, "cached"), filepath.Join(dir, "full"))
		return rep
	}
	render(false)
	rep := render(false)
	if rep.Cached != 0 {
		t.Errorf("at the clock's time: %d hosts' pages from the cache, want none", rep.Cached)
	}
	if rep.DaysKept == 0 {
		t.Error("at the clock's time: no day from the day memo")
	}
	if _, err := os.Stat(filepath.Join(cache, "hosts")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("at the clock's time, hosts' pages were kept: %v", err)
	}
	// The sample times and the facts are kept too.
	for _, memo := range []string{timesMemo + ".memo", "host.memo"} {
		if n := daysIn(t, filepath.Join(cache, "days", hostDir("bumpy"), memo)); n == 0 {
			t.Errorf("no day in %s", memo)
		}
	}
	if rep := render(true); rep.Cached != 0 {
		t.Errorf("first render at a given time: %d hosts from the cache", rep.Cached)
	}
	if rep := render(true); rep.Cached != rep.Hosts || rep.Hosts == 0 {
		t.Errorf("again at the same given time: %d of %d hosts from the cache", rep.Cached, rep.Hosts)
	}
}
