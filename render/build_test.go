package render

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"almanac/archive"
	"almanac/internal/testfs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func htmlPages(files map[string][]byte) []string {
	var out []string
	for name := range files {
		if strings.HasSuffix(name, ".html") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func TestBuildSmallFleet(t *testing.T) {
	st := writeFixture(t, smallFleet()...)
	out := filepath.Join(t.TempDir(), "site")
	rep, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	files := testfs.ReadTree(t, out)
	pages := htmlPages(files)
	// index + incidents + fleet + 2 hosts x (4 ranges + 4 processes ranges + availability + incidents + facts)
	if got, want := len(pages), 3+2*11; got != want {
		t.Errorf("pages = %d %v, want %d", got, pages, want)
	}
	if rep.Pages != len(pages) || rep.Hosts != 2 {
		t.Errorf("report = %+v, want %d pages and 2 hosts", rep, len(pages))
	}
	if rep.Index != filepath.Join(out, "index.html") {
		t.Errorf("report index = %q", rep.Index)
	}
	for _, a := range []string{"assets/almanac.js", "assets/almanac.css", "assets/echarts.min.js", SiteMarker} {
		if _, ok := files[a]; !ok {
			t.Errorf("site lacks %s", a)
		}
	}
	scriptSrc := regexp.MustCompile(`<script[^>]*\ssrc="([^"]*)"`)
	for _, p := range pages {
		b := files[p]
		if len(b) > maxPageBytes {
			t.Errorf("%s is %d bytes, over 2 MB", p, len(b))
		}
		for _, m := range scriptSrc.FindAllSubmatch(b, -1) {
			if !strings.HasPrefix(string(m[1]), "assets/") && !strings.HasPrefix(string(m[1]), "../../assets/") {
				t.Errorf("%s loads script %q, want only the site's own assets", p, m[1])
			}
		}
		if bytes.Contains(b, []byte("https://")) || bytes.Contains(b, []byte("http://")) {
			t.Errorf("%s mentions an http(s) URL", p)
		}
		if !bytes.Contains(b, []byte(`http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self';`)) {
			t.Errorf("%s has no strict Content-Security-Policy", p)
		}
		// Inline scripts would be blocked by the CSP: only JSON data blocks.
		for _, m := range regexp.MustCompile(`<script([^>]*)>`).FindAllSubmatch(b, -1) {
			attrs := string(m[1])
			if !strings.Contains(attrs, "src=") && !strings.Contains(attrs, `type="application/json"`) {
				t.Errorf("%s has an inline script <script%s>", p, attrs)
			}
		}
		checkInert(t, p, b)
	}
	// The hostile process and host fact reached the pages, escaped.
	web := "hosts/" + hostDir("web1") + "/"
	if !bytes.Contains(files[web+"processes.html"], []byte(`&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;`)) {
		t.Errorf("processes page does not list the hostile process, escaped")
	}
	if !bytes.Contains(files[web+"facts.html"], []byte(`&lt;b&gt;x&lt;/b&gt;`)) {
		t.Errorf("facts page does not show the hostile hostname, escaped")
	}
	if !bytes.Contains(files[web+"processes.html"], []byte(`\u003c/script\u003e\u003cscript\u003ealert(1)`)) {
		t.Errorf("processes page chart data does not hold the hostile process, JSON-escaped")
	}
}

// checkInert fails when host text reached page b unescaped.
func checkInert(t *testing.T, name string, b []byte) {
	t.Helper()
	for _, bad := range []string{"<script>alert(1)", "alert(1)</script>", "<b>x</b>", "<b>x"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Errorf("%s holds host text unescaped: %q", name, bad)
		}
	}
}

func TestBuildHostileHostName(t *testing.T) {
	st := writeFixture(t, smallFleet()[:1]...)
	src := renamedHosts{Store: st, names: map[string]string{evilHost: "web1", "../../etc": "web1"}}
	out := filepath.Join(t.TempDir(), "site")
	rep, err := build(context.Background(), src, Options{Out: out, Now: fixedNow, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hosts != 2 {
		t.Errorf("hosts = %d, want 2", rep.Hosts)
	}
	files := testfs.ReadTree(t, out)
	for name, b := range files {
		if strings.Contains(name, "<") || strings.Contains(name, "..") || strings.Contains(name, "etc/") {
			t.Errorf("file name %q derived from a host name unsafely", name)
		}
		if strings.HasSuffix(name, ".html") {
			checkInert(t, name, b)
		}
	}
	if !bytes.Contains(files["index.html"], []byte(`&lt;b&gt;x&lt;/b&gt;`)) {
		t.Errorf("index does not show the hostile host name escaped")
	}
	// Nothing was written next to the site but the site.
	ents, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "site" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("folder of the site holds %v, want only site", names)
	}
}

func TestHostDir(t *testing.T) {
	tests := []struct{ host, prefix string }{
		{"web1", "web1-"},
		{"Web.Example.COM", "web-example-com-"},
		{"<b>x</b>", "b-x-b-"},
		{"../../etc/passwd", "etc-passwd-"},
		{"", "host-"},
		{"..", "host-"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := hostDir(tt.host)
		if !strings.HasPrefix(got, tt.prefix) || !regexp.MustCompile(`^[a-z0-9-]+-[0-9a-f]{8}$`).MatchString(got) {
			t.Errorf("hostDir(%q) = %q, want %q + 8 hex digits", tt.host, got, tt.prefix)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("hostDir(%q) = hostDir(%q) = %q", tt.host, other, got)
		}
		seen[got] = tt.host
	}
	if hostDir("web1") != hostDir("web1") {
		t.Error("hostDir is not deterministic")
	}
}

func TestBuildEmptyArchive(t *testing.T) {
	st, err := archive.Open(t.TempDir(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := filepath.Join(t.TempDir(), "site")
	_, err = Build(context.Background(), st, Options{Out: out, Now: fixedNow})
	if !errors.Is(err, ErrEmpty) {
		t.Errorf("Build(empty archive) = %v, want ErrEmpty", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an empty archive left a site behind: %v", err)
	}
}

// Build writes into a missing or empty folder only, and never deletes a
// file it did not write: replacing a site is site.Swap's job.
func TestBuildNeedsAnEmptyFolder(t *testing.T) {
	st := writeFixture(t, smallFleet()[1:]...)
	empty := t.TempDir()
	opts := Options{Out: empty, Now: fixedNow, Log: quietLog()}
	if _, err := Build(context.Background(), st, opts); err != nil {
		t.Fatalf("Build into an empty folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(empty, "index.html")); err != nil {
		t.Errorf("Build into an empty folder wrote no index.html: %v", err)
	}

	// A built site, or anyone's folder, is refused and left alone.
	mine := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(mine, "thesis.tex")
	if err := os.WriteFile(precious, []byte("years of work"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{empty, mine, file} {
		before := testfs.ReadTree(t, out)
		opts.Out = out
		if _, err := Build(context.Background(), st, opts); err == nil {
			t.Errorf("Build into %s succeeded, want a refusal", out)
		}
		if diff := cmp.Diff(before, testfs.ReadTree(t, out)); diff != "" {
			t.Errorf("refused Build changed %s (-before +after):\n%s", out, diff)
		}
	}
}

func TestBuildGolden(t *testing.T) {
	st := writeFixture(t, smallFleet()...)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog(), Alerts: smallFleetAlerting(t)}); err != nil {
		t.Fatal(err)
	}
	files := testfs.ReadTree(t, out)
	web := "hosts/" + hostDir("web1") + "/"
	golden := map[string]string{
		"index.html":              "index.html",
		"fleet.html":              "fleet.html",
		web + "index.html":        "web1-24h.html",
		web + "availability.html": "web1-availability.html",
		web + "processes.html":    "web1-processes.html",
		web + "processes-7d.html": "web1-processes-7d.html",
		web + "facts.html":        "web1-facts.html",
		web + "incidents.html":    "web1-incidents.html",
		"incidents.html":          "incidents.html",
	}
	for page, gold := range golden {
		got := files[page]
		path := filepath.Join("testdata", "golden", gold)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run: go test ./render -run TestBuildGolden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; run go test ./render -run TestBuildGolden -update and review git diff", page, path)
		}
	}
}

func TestBuildDeterministic(t *testing.T) {
	st := writeFixture(t, smallFleet()...)
	var sites []map[string][]byte
	for range 2 {
		out := filepath.Join(t.TempDir(), "site")
		if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()}); err != nil {
			t.Fatal(err)
		}
		sites = append(sites, testfs.ReadTree(t, out))
	}
	for name, a := range sites[0] {
		if !bytes.Equal(a, sites[1][name]) {
			t.Errorf("%s differs between two renders of the same archive", name)
		}
	}
}

var _ = time.Second

func TestBuildSkipsCorruptFile(t *testing.T) {
	st := writeFixture(t, smallFleet()...)
	var victim string
	err := filepath.WalkDir(filepath.Join(st.Dir(), "memory"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && victim == "" && strings.HasSuffix(p, ".parquet") && strings.Contains(p, "host=web1") {
			victim = p
		}
		return err
	})
	if err != nil || victim == "" {
		t.Fatalf("no memory file of web1 to corrupt: %v", err)
	}
	b, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "site")
	rep, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()})
	if err != nil {
		t.Fatalf("Build with a corrupt file = %v, want the rest of the site", err)
	}
	if len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0], filepath.Base(victim)) {
		t.Errorf("Skipped = %q, want one entry naming %s", rep.Skipped, filepath.Base(victim))
	}
	if rep.Pages != 3+2*11 {
		t.Errorf("pages = %d, want %d", rep.Pages, 3+2*11)
	}
	// The CPU chart of web1 is still there; its memory chart is not.
	page, err := os.ReadFile(filepath.Join(out, "hosts", hostDir("web1"), "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`id="cpu"`)) || bytes.Contains(page, []byte(`id="memory"`)) {
		t.Errorf("web1 page: want the CPU chart and no memory chart")
	}

	out2 := filepath.Join(t.TempDir(), "site")
	_, err = Build(context.Background(), st, Options{Out: out2, Now: fixedNow, Log: quietLog(), Strict: true})
	if !errors.Is(err, ErrSkipped) || !strings.Contains(err.Error(), filepath.Base(victim)) {
		t.Errorf("strict Build = %v, want ErrSkipped naming %s", err, filepath.Base(victim))
	}
	if _, err := os.Stat(out2); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("strict Build left a site behind: %v", err)
	}
}

func TestBuildTimeZone(t *testing.T) {
	st := writeFixture(t, smallFleet()[1:]...)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("no tz database: %v", err)
	}
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, TZ: paris, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "hosts", hostDir("db1"), "availability.html"))
	if err != nil {
		t.Fatal(err)
	}
	// db1 went silent at 11:29 UTC: 12:29 in Paris in March. The datetime
	// attribute stays in UTC; the script shows it in the zone of the data.
	for _, want := range []string{`"tz":"Europe/Paris"`, `datetime="2026-03-10T11:29:00Z"`, `2026-03-10 12:29:00 CET`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("availability page lacks %s:\n%s", want, b)
		}
	}
}

func TestBuildTemplateOverride(t *testing.T) {
	st := writeFixture(t, smallFleet()[1:]...)
	override := fstest.MapFS{
		"facts.html":         {Data: []byte(`{{template "head" .}}<p id="mine">facts of {{.Host}}</p>{{template "foot" .}}`)},
		"assets/extra.css":   {Data: []byte("p { color: red }")},
		"assets/almanac.css": {Data: []byte("/* mine */")},
	}
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Templates: override, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	files := testfs.ReadTree(t, out)
	if got := files["hosts/"+hostDir("db1")+"/facts.html"]; !bytes.Contains(got, []byte(`<p id="mine">facts of db1</p>`)) {
		t.Errorf("facts page does not use the override:\n%s", got)
	}
	if got := files["hosts/"+hostDir("db1")+"/availability.html"]; !bytes.Contains(got, []byte("Uptime per day")) {
		t.Errorf("availability page lost its built-in template")
	}
	if string(files["assets/almanac.css"]) != "/* mine */" || string(files["assets/extra.css"]) != "p { color: red }" {
		t.Errorf("assets not overridden: almanac.css %q, extra.css %q", files["assets/almanac.css"], files["assets/extra.css"])
	}
	if _, ok := files["assets/echarts.min.js"]; !ok {
		t.Errorf("built-in assets missing with an override")
	}

	// A failed Build leaves its folder as it found it: missing, or empty.
	bad := fstest.MapFS{"index.html": {Data: []byte(`{{template "nope" .}}`)}}
	missing, empty := filepath.Join(t.TempDir(), "site"), t.TempDir()
	for _, out := range []string{missing, empty} {
		if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Templates: bad, Log: quietLog()}); err == nil {
			t.Error("Build with a broken template override succeeded")
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed Build left %s behind: %v", missing, err)
	}
	if ents, err := os.ReadDir(empty); err != nil || len(ents) != 0 {
		t.Errorf("a failed Build left %d entries in %s: %v", len(ents), empty, err)
	}
}

// A host with many network interfaces (a container host) still gets pages
// under 2 MB: the charts of a page share a budget of points.
func TestBuildPageBudget(t *testing.T) {
	var ifs []string
	for i := range 40 {
		ifs = append(ifs, fmt.Sprintf("veth%02d", i))
	}
	st := writeFixture(t, fixtureHost{Name: "docker1", Every: 10 * time.Second, Interfaces: ifs, Seed: 5,
		Spans: []span{{From: fixedNow.Add(-26 * time.Hour), To: fixedNow}}})
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	files := testfs.ReadTree(t, out)
	page := files["hosts/"+hostDir("docker1")+"/index.html"]
	if len(page) > maxPageBytes {
		t.Errorf("24h page of a host with 40 interfaces is %d bytes, over 2 MB", len(page))
	}
	if !bytes.Contains(page, []byte(`"name":"veth39 sent"`)) {
		t.Errorf("24h page lacks the series of the last interface")
	}
}

// TestBuildDownHost: a host silent for three days says on its 24-hour
// pages when it was last seen and links to the 7-day pages, which have its
// data; its processes page has no empty section.
func TestBuildDownHost(t *testing.T) {
	n := fixedNow
	st := writeFixture(t, fixtureHost{Name: "old1", Every: time.Minute, Processes: 3, Seed: 4,
		Spans: []span{{From: n.Add(-4 * 24 * time.Hour), To: n.Add(-3 * 24 * time.Hour)}}})
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: n, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	files := testfs.ReadTree(t, out)
	dir := "hosts/" + hostDir("old1") + "/"
	last := n.Add(-3*24*time.Hour - time.Minute).UTC().Format(time.RFC3339)
	for page, link := range map[string]string{"index.html": "7d.html", "processes.html": "processes-7d.html"} {
		b := string(files[dir+page])
		for _, want := range []string{"No samples in the last 24 hours.", `Last seen <time datetime="` + last + `"`,
			`<a href="` + link + `">See the last 7 days</a>`} {
			if !strings.Contains(b, want) {
				t.Errorf("%s lacks %q", page, want)
			}
		}
		if strings.Contains(b, "<h2>") {
			t.Errorf("%s has a section heading though the range has no samples", page)
		}
	}
	if b := string(files[dir+"processes-7d.html"]); !strings.Contains(b, "<h2>Top processes by CPU") || strings.Contains(b, "No samples") {
		t.Errorf("processes-7d.html lacks the top processes")
	}
}
