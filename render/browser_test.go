package render

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// Hostile host text used by the browser tests: each tries to run script if
// it ever reaches the page unescaped, and the payloads set window.__pwned
// or open a dialog, both of which the harness reports.
const (
	hostileProc = `</script><script>alert(1)</script><img src=x onerror=window.__pwned=1>`
	hostileHost = `<b>x</b>`
)

// harnessJS draws the charts of the harness's own test page: each
// .chart[data-option] gets the JSON option of the element it names, drawn
// when its range panel is shown. The range tabs show one panel at a time.
const harnessJS = `'use strict';
function drawVisible() {
  document.querySelectorAll('.range-panel:not([hidden]) .chart').forEach(function (el) {
    if (echarts.getInstanceByDom(el)) return;
    var opt = JSON.parse(document.getElementById(el.dataset.option).textContent);
    echarts.init(el, null, {renderer: 'canvas'}).setOption(opt);
  });
}
document.querySelectorAll('.range-tab').forEach(function (b) {
  b.addEventListener('click', function () {
    document.querySelectorAll('.range-panel').forEach(function (p) {
      p.hidden = p.dataset.range !== b.dataset.range;
    });
    drawVisible();
  });
});
drawVisible();
`

const harnessCSS = `.chart { width: 600px; height: 300px; }`

// harnessPage is a page shaped like the site's: a strict CSP, scripts only
// from files, chart options as JSON data, host text escaped by html/template.
var harnessPage = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:">
<title>{{.Host}}</title>
<link rel="stylesheet" href="../assets/harness.css">
</head><body>
<h1 id="host">{{.Host}}</h1>
<p id="proc">{{.Proc}}</p>
<nav>{{range .Ranges}}<button class="range-tab" data-range="{{.}}">{{.}}</button>{{end}}</nav>
{{range $i, $r := .Ranges}}<section class="range-panel" data-range="{{$r}}"{{if $i}} hidden{{end}}>
<div class="chart" id="c-{{$r}}" data-option="opt-{{$r}}"></div>
<script type="application/json" id="opt-{{$r}}">{{$.Option}}</script>
</section>
{{end}}
<script src="../assets/echarts.min.js"></script>
<script src="../assets/harness.js"></script>
</body></html>
`))

// writeHarnessSite writes the harness's test page into a temporary site
// (page in host/, scripts in assets/, as the real site lays them out) and
// returns the page's path.
func writeHarnessSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	echartsJS, err := os.ReadFile(filepath.Join("..", "templates", "assets", "echarts.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"assets/echarts.min.js": echartsJS,
		"assets/harness.js":     []byte(harnessJS),
		"assets/harness.css":    []byte(harnessCSS),
	}
	for name, data := range files {
		writeTestFile(t, filepath.Join(dir, name), data)
	}
	option := map[string]any{
		"animation": false,
		"title":     map[string]any{"text": hostileHost},
		"legend":    map[string]any{},
		"xAxis":     map[string]any{"type": "category", "data": []string{"a", "b", "c", "d"}},
		"yAxis":     map[string]any{"type": "value"},
		"series": []map[string]any{
			{"name": hostileProc, "type": "line", "data": []any{1, 3, nil, 2}},
		},
	}
	var b strings.Builder
	err = harnessPage.Execute(&b, map[string]any{
		"Host": hostileHost, "Proc": hostileProc,
		"Ranges": []string{"day", "week"}, "Option": option,
	})
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "host", "index.html")
	writeTestFile(t, page, []byte(b.String()))
	return page
}

// writeTestFile writes data to name, making its folder.
func writeTestFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// visibleChartsJS lists the ids of the visible chart containers.
const visibleChartsJS = `Array.from(document.querySelectorAll('.chart')).filter(e => e.getClientRects().length > 0).map(e => e.id).join(' ')`

// TestBrowserHarness proves the harness on pages made for it: a clean page
// passes every check, and each kind of breakage is caught.
func TestBrowserHarness(t *testing.T) {
	b := startBrowser(t)

	t.Run("clean page", func(t *testing.T) {
		tb := b.open(t, writeHarnessSite(t))
		n, err := tb.waitCharts(".chart", chartTimeout)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := n, 1; got != want {
			t.Errorf("drawn charts = %d, want %d", got, want)
		}
		if got, want := tb.eval(t, visibleChartsJS), "c-day"; got != want {
			t.Errorf("visible charts before the tab click = %q, want %q", got, want)
		}
		tb.click(t, `.range-tab[data-range="week"]`)
		if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
			t.Fatal(err)
		}
		if got, want := tb.eval(t, visibleChartsJS), "c-week"; got != want {
			t.Errorf("visible charts after the tab click = %q, want %q", got, want)
		}
		for _, c := range []struct{ id, want string }{{"host", hostileHost}, {"proc", hostileProc}} {
			if got := tb.eval(t, `document.getElementById('`+c.id+`').textContent`); got != c.want {
				t.Errorf("text of #%s = %q, want %q", c.id, got, c.want)
			}
		}
		if got := tb.eval(t, `String(document.querySelectorAll('b, #proc img, body > script:not([src])').length)`); got != "0" {
			t.Errorf("elements made from host text = %s, want 0", got)
		}
		tb.screenshot(t, "harness")
		tb.checkClean(t)
	})

	// Each broken page must give a failure containing want.
	broken := []struct {
		name string
		head string
		body string
		want string
	}{
		{"console error", "", `<script>console.error("harness-boom")</script>`, "console.error: harness-boom"},
		{"exception", "", `<script>null.harness()</script>`, "exception: Uncaught"},
		{"request to the network", "", `<img src="http://127.0.0.1:1/x">`, "network request: http://127.0.0.1:1/x"},
		{"stylesheet from the network", `<link rel="stylesheet" href="http://127.0.0.1:1/s.css">`, "", "network request: http://127.0.0.1:1/s.css"},
		{"inline script against CSP", `<meta http-equiv="Content-Security-Policy" content="script-src 'self'">`, `<script>window.ran = 1</script>`, "violates the following Content Security Policy directive"},
		{"CSP violation event", `<meta http-equiv="Content-Security-Policy" content="img-src 'none'">`, `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">`, "CSP violation: img-src blocked data"},
		{"CSP outside head", "", `<meta http-equiv="Content-Security-Policy" content="img-src 'none'">`, "The policy has been ignored"},
		{"injected handler", "", `<img src=x onerror=window.__pwned=1>`, "window.__pwned = 1"},
		{"injected alert", "", `<script>alert(1)</script>`, `javascript alert dialog: "1"`},
	}
	for _, tt := range broken {
		t.Run(tt.name, func(t *testing.T) {
			page := filepath.Join(t.TempDir(), "page.html")
			writeTestFile(t, page, []byte("<!doctype html><html><head><meta charset=utf-8>"+tt.head+
				"<title>x</title></head><body>"+tt.body+"</body></html>"))
			got := b.open(t, page).failures(t)
			if !anyContains(got, tt.want) {
				t.Errorf("failures = %q, want one containing %q", got, tt.want)
			}
			t.Logf("failures: %q", got)
		})
	}

	t.Run("chart never drawn", func(t *testing.T) {
		page := filepath.Join(t.TempDir(), "page.html")
		writeTestFile(t, page, []byte(`<!doctype html><html><head><meta charset=utf-8><title>x</title></head><body>`+
			`<div class="chart" id="never" style="width:300px;height:200px"></div></body></html>`))
		tb := b.open(t, page)
		_, err := tb.waitCharts(".chart", 500*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "#never") {
			t.Errorf("waitCharts = %v, want a timeout naming #never", err)
		}
	})
}

// anyContains reports whether one of list contains sub.
func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// More hostile host text for the site test, each setting window.__pwned to
// its own value if it ever runs.
const (
	hostileUser  = `<img src=x onerror=window.__pwned='user'>`
	hostileMount = `/srv/<img src=x onerror=window.__pwned='mount'>`
)

// browserNow is the render's now in the site test.
var browserNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// writeBrowserFixture writes a small fleet with synth and the archive
// writer: web1 sampled every minute for 30 hours, with a sampler gap and a
// reboot, its first process, its user, a mount and its hostname fact named
// with hostile text; db1 every 5 minutes, silent for the last 40 minutes.
func writeBrowserFixture(t *testing.T) *archive.Store {
	t.Helper()
	st, err := archive.Open(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n := browserNow
	type span struct{ from, to, boot time.Time }
	hosts := []struct {
		name    string
		every   time.Duration
		procs   int
		hostile bool
		spans   []span
	}{
		{"web1", time.Minute, 8, true, []span{
			{from: n.Add(-30 * time.Hour), to: n.Add(-6 * time.Hour)},
			// sampler off for an hour: no data
			{from: n.Add(-5 * time.Hour), to: n.Add(-3*time.Hour - 10*time.Minute)},
			// down for 10 minutes, rebooted
			{from: n.Add(-3 * time.Hour), to: n.Add(time.Second), boot: n.Add(-3*time.Hour - time.Minute)},
		}},
		{"db1", 5 * time.Minute, 4, false, []span{{from: n.Add(-30 * time.Hour), to: n.Add(-40 * time.Minute)}}},
	}
	for i, h := range hosts {
		w, err := st.Writer(h.name, archive.WriterOptions{NoSync: true, FlushEvery: 1000 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		g := synth.New(synth.Host{Name: h.name, Processes: h.procs, Seed: uint64(i + 1), Boot: n.Add(-10 * 24 * time.Hour)})
		for _, s := range h.spans {
			for at := s.from; at.Before(s.to); at = at.Add(h.every) {
				b := g.Batch(at)
				if !s.boot.IsZero() {
					for i := range b.System {
						b.System[i].BootTime = s.boot.UnixMicro()
					}
					for i := range b.Host {
						b.Host[i].BootTime = s.boot.UnixMicro()
					}
				}
				if h.hostile {
					makeHostile(b)
				}
				if err := w.Append(b); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// makeHostile puts the hostile names into a batch: the hostname fact, the
// first process (made the busiest, so it is in every top list) and its
// user, and the last filesystem.
func makeHostile(b *schema.Batch) {
	for i := range b.Host {
		b.Host[i].Hostname = hostileHost
	}
	if len(b.Process) > 0 {
		p := &b.Process[0]
		p.Comm, p.User = hostileProc, hostileUser
		p.CPUUserPct = schema.ToCenti(90)
	}
	if len(b.ProcUser) > 0 {
		b.ProcUser[0].User = hostileUser
	}
	if k := len(b.Filesystem); k > 0 {
		b.Filesystem[k-1].Mountpoint = hostileMount
	}
}

// aliasHosts shows an archive's hosts under other names: the archive
// refuses names like <b>x</b> as folder names, but the renderer must
// still be safe with any name a scanner gives it.
type aliasHosts struct {
	*archive.Store
	names map[string]string // shown name -> archive name
}

func (a aliasHosts) Hosts() ([]string, error) {
	return slices.Sorted(maps.Keys(a.names)), nil
}

func (a aliasHosts) Scan(table, host string, from, to time.Time, cols ...string) (*archive.Frame, error) {
	return a.Store.Scan(table, a.names[host], from, to, cols...)
}

func (a aliasHosts) Partitions(table, host string) ([]archive.Partition, error) {
	return a.Store.Partitions(table, a.names[host])
}

func (a aliasHosts) DaysCached(table, host string, from time.Time, l *archive.Listings) ([]archive.DayFiles, error) {
	return a.Store.DaysCached(table, a.names[host], from, l)
}

// TestBrowserSite renders a fixture fleet with Build's code and opens
// every page in Chromium from file://: no console error, no exception, no
// CSP violation, no network request; every chart drawn; the range tabs
// switch the host page's range; hostile host text shows as text and never
// runs. It saves a screenshot of a host page.
func TestBrowserSite(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	// web1 is also shown under a hostile host name.
	src := aliasHosts{Store: st, names: map[string]string{"web1": "web1", "db1": "db1", hostileHost: "web1"}}
	out := filepath.Join(t.TempDir(), "site")
	rep, err := build(context.Background(), src, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".html") {
			rel, _ := filepath.Rel(out, p)
			pages = append(pages, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != rep.Pages || len(pages) < 1+3*10 {
		t.Fatalf("site has %d pages %v, report says %d, want at least 31", len(pages), pages, rep.Pages)
	}

	// Where the hostile names must show, as text.
	web1, evil := "hosts/"+hostDir("web1")+"/", "hosts/"+hostDir(hostileHost)+"/"
	shows := map[string][]string{
		"index.html":            {hostileHost, hostileMount},
		evil + "index.html":     {hostileHost, hostileMount},
		web1 + "index.html":     {hostileMount},
		web1 + "processes.html": {hostileProc, hostileUser},
		web1 + "facts.html":     {hostileHost, hostileMount},
		evil + "processes.html": {hostileProc, hostileUser},
	}
	for rel := range shows {
		if !slices.Contains(pages, rel) {
			t.Errorf("site has no page %s", rel)
		}
	}
	for _, rel := range pages {
		t.Run(rel, func(t *testing.T) {
			tb := b.open(t, filepath.Join(out, rel))
			if n := tb.eval(t, `String(document.querySelectorAll('.chart').length)`); n != "0" {
				drawn, err := tb.waitCharts(".chart", chartTimeout)
				if err != nil {
					t.Error(err)
				} else if fmt.Sprint(drawn) != n {
					t.Errorf("%d of %s charts drawn", drawn, n)
				}
			}
			if want := shows[rel]; len(want) > 0 {
				text := tb.eval(t, `document.body.innerText`)
				for _, w := range want {
					if !strings.Contains(text, w) {
						t.Errorf("page text does not show %q", w)
					}
				}
			}
			tb.checkClean(t) // window.__pwned and dialogs included
		})
	}

	// Tooltips are HTML that the site script builds from series names: show
	// the tooltip of each series named with hostile text.
	t.Run("tooltips", func(t *testing.T) {
		for _, page := range []string{web1 + "processes.html", web1 + "index.html"} {
			tb := b.open(t, filepath.Join(out, page))
			if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
				t.Fatal(err)
			}
			var tips []struct {
				Chart       string
				Series, Idx int
				Name        string
			}
			needles, err := json.Marshal([]string{hostileProc, hostileUser, hostileMount})
			if err != nil {
				t.Fatal(err)
			}
			js := fmt.Sprintf(findHostileSeriesJS, needles)
			if err := json.Unmarshal([]byte(tb.eval(t, js)), &tips); err != nil {
				t.Fatal(err)
			}
			if len(tips) == 0 {
				t.Errorf("%s: no chart has a series named with hostile text", page)
			}
			for _, tip := range tips {
				tb.eval(t, fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById(%q)).dispatchAction({type: 'showTip', seriesIndex: %d, dataIndex: %d}), '')`,
					tip.Chart, tip.Series, tip.Idx))
				if err := tb.waitJS(`(id, name) => document.getElementById(id).innerText.includes(name)`, chartTimeout, tip.Chart, tip.Name); err != nil {
					t.Errorf("%s: tooltip of #%s does not show %q as text: %v", page, tip.Chart, tip.Name, err)
				}
			}
			t.Logf("%s: %d tooltips shown", page, len(tips))
			tb.checkClean(t)
		}
	})

	t.Run("range tabs", func(t *testing.T) {
		tb := b.open(t, filepath.Join(out, web1, "index.html"))
		if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
			t.Fatal(err)
		}
		tb.screenshot(t, "web1-24h")
		// The tabs in the order clicked, ending back on the day view.
		for _, tab := range []struct {
			href, label, heading string
			hours                int
		}{
			{"7d.html", "7d", "last 7 days", 7 * 24},
			{"30d.html", "30d", "last 30 days", 30 * 24},
			{"365d.html", "365d", "last 365 days", 365 * 24},
			{"index.html", "24h", "last 24 hours", 24},
		} {
			url := tb.follow(t, `nav.tabs a[href="`+tab.href+`"]`)
			if !strings.HasSuffix(url, "/"+web1+tab.href) {
				t.Errorf("tab %s led to %s", tab.label, url)
				continue
			}
			if got := tb.eval(t, `document.querySelector('nav.tabs a.active').textContent`); got != tab.label {
				t.Errorf("%s: active tab = %q, want %q", tab.href, got, tab.label)
			}
			if got := tb.eval(t, `document.querySelector('h1 small').textContent`); got != tab.heading {
				t.Errorf("%s: heading = %q, want %q", tab.href, got, tab.heading)
			}
			if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
				t.Fatal(err)
			}
			// The charts show the tab's range: the x axis of the first
			// time chart spans it.
			got := tb.eval(t, `(function () {
  for (const el of document.querySelectorAll('.chart')) {
    const x = echarts.getInstanceByDom(el).getOption().xAxis[0];
    if (x.type === 'time') return String(Math.round((x.max - x.min) / 3600000));
  }
  return 'no time axis';
})()`)
			if want := fmt.Sprint(tab.hours); got != want {
				t.Errorf("%s: x axis spans %s hours, want %s", tab.href, got, want)
			}
		}
		tb.checkClean(t)
	})

	t.Run("processes range tabs", func(t *testing.T) {
		tb := b.open(t, filepath.Join(out, web1, "processes.html"))
		if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
			t.Fatal(err)
		}
		for _, tab := range []struct {
			href, label, heading string
			hours                int
		}{
			{"processes-7d.html", "7d", "processes, last 7 days", 7 * 24},
			{"processes-30d.html", "30d", "processes, last 30 days", 30 * 24},
			{"processes-365d.html", "365d", "processes, last 365 days", 365 * 24},
			{"processes.html", "24h", "processes, last 24 hours", 24},
		} {
			url := tb.follow(t, `nav.tabs a[href="`+tab.href+`"]`)
			if !strings.HasSuffix(url, "/"+web1+tab.href) {
				t.Errorf("tab %s led to %s", tab.label, url)
				continue
			}
			if got := tb.eval(t, `document.querySelector('nav.tabs a.active').textContent`); got != tab.label {
				t.Errorf("%s: active tab = %q, want %q", tab.href, got, tab.label)
			}
			if got := tb.eval(t, `document.querySelector('h1 small').textContent`); got != tab.heading {
				t.Errorf("%s: heading = %q, want %q", tab.href, got, tab.heading)
			}
			if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
				t.Fatal(err)
			}
			// The process counts show the tab's range.
			got := tb.eval(t, `(function () {
  const el = document.getElementById('proc-states');
  if (!el) return 'no proc-states chart';
  const x = echarts.getInstanceByDom(el).getOption().xAxis[0];
  return String(Math.round((x.max - x.min) / 3600000));
})()`)
			if want := fmt.Sprint(tab.hours); got != want {
				t.Errorf("%s: proc-states x axis spans %s hours, want %s", tab.href, got, want)
			}
		}
		tb.checkClean(t)
	})
}

// TestBrowserSiteMutant proves that the site test can fail: the same site
// built with a site script that draws nothing and logs an error is caught
// on both counts.
func TestBrowserSiteMutant(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	out := filepath.Join(t.TempDir(), "site")
	mutant := fstest.MapFS{"assets/almanac.js": {Data: []byte(`console.error('mutant script');`)}}
	if _, err := Build(context.Background(), st, Options{Out: out, Now: browserNow, Templates: mutant, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	tb := b.open(t, filepath.Join(out, "hosts", hostDir("web1"), "index.html"))
	if _, err := tb.waitCharts(".chart", time.Second); err == nil {
		t.Error("waitCharts found charts drawn by a script that draws none")
	}
	if got := tb.failures(t); !anyContains(got, "console.error: mutant script") {
		t.Errorf("failures = %q, want the mutant's console error", got)
	}
}

// findHostileSeriesJS lists, as JSON, the charts and series whose name
// holds one of the strings of the JSON array put in for its %s, each with
// the index of a point of the series that has a value.
const findHostileSeriesJS = `JSON.stringify((function (needles) {
  const out = [];
  for (const el of document.querySelectorAll('.chart')) {
    const inst = echarts.getInstanceByDom(el);
    if (!inst) continue;
    const opt = inst.getOption();
    (opt.series || []).forEach(function (s, si) {
      const name = String(s.name);
      const hit = needles.find(n => name.includes(n));
      if (!hit) return;
      // The points are the series' data, or its dataset's rows with the
      // value in the column that encode.y names.
      let rows = s.data, col = 1;
      if (!rows) {
        const ds = (opt.dataset || [])[s.datasetIndex || 0];
        rows = (ds && ds.source) || [];
        if (s.encode && s.encode.y !== undefined) col = [].concat(s.encode.y)[0];
      }
      const idx = rows.findIndex(v => v !== null && v !== undefined && !(Array.isArray(v) && v[col] == null));
      if (idx >= 0) out.push({Chart: el.id, Series: si, Idx: idx, Name: hit});
    });
  }
  return out;
})(%s))`
