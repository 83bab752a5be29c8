package render

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// layoutJS reports, as JSON, what does not fit the window: the document's
// width against the viewport's, the charts that end beyond it, and the host
// names (page heading, overview table) broken over more than one line.
const layoutJS = `JSON.stringify((function () {
  const vw = window.innerWidth;
  const out = {doc: document.documentElement.scrollWidth, vw: vw, charts: [], broken: []};
  for (const el of document.querySelectorAll('.chart')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5)) out.charts.push(el.id);
  }
  for (const el of document.querySelectorAll('.hostname, #hosts tbody td:first-child a')) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    if (tops.size > 1) out.broken.push(el.textContent);
  }
  return out;
})())`

// setWidth sets the tab's viewport to width × height CSS pixels, as a
// phone's (mobile) or a desktop's, and reloads the page so that it lays
// out and draws for that width from the start.
func (tb *tab) setWidth(t *testing.T, width, height int64, mobile bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageLoadTimeout)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height,
		func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
			p.Mobile = mobile
			p.DeviceScaleFactor = 1
		}))
	if err != nil {
		t.Fatalf("%s: set viewport %dx%d: %v", tb.url, width, height, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Reload())); err != nil {
		t.Fatalf("%s: reload: %v", tb.url, err)
	}
}

// TestBrowserPhone opens every page of the fixture site at 390 px (a
// phone) and checks that nothing is wider than the screen: the document,
// every chart; tables scroll in their own box; host names are not broken
// over lines. It saves screenshots of the main pages at 390 and 1400 px
// under testdata/artifacts.
func TestBrowserPhone(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), st, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	var pages []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".html") {
			rel, _ := filepath.Rel(out, p)
			pages = append(pages, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	web1 := "hosts/" + hostDir("web1") + "/"
	shots := map[string]bool{"index.html": true, "fleet.html": true, web1 + "index.html": true, web1 + "30d.html": true,
		web1 + "processes.html": true, web1 + "availability.html": true, web1 + "facts.html": true}
	for _, rel := range pages {
		t.Run(rel, func(t *testing.T) {
			tb := b.open(t, filepath.Join(out, rel))
			tb.setWidth(t, 390, 844, true)
			if n := tb.eval(t, `String(document.querySelectorAll('.chart').length)`); n != "0" {
				if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
					t.Fatal(err)
				}
			}
			var got struct {
				Doc, VW int
				Charts  []string
				Broken  []string
			}
			if err := json.Unmarshal([]byte(tb.eval(t, layoutJS)), &got); err != nil {
				t.Fatal(err)
			}
			if got.VW != 390 {
				t.Fatalf("viewport %d px wide, want 390", got.VW)
			}
			if got.Doc > got.VW {
				t.Errorf("document %d px wide at a %d px viewport", got.Doc, got.VW)
			}
			if len(got.Charts) > 0 {
				t.Errorf("charts wider than the screen: %v", got.Charts)
			}
			if len(got.Broken) > 0 {
				t.Errorf("host names broken over lines: %q", got.Broken)
			}
			if shots[rel] {
				tb.screenshot(t, "390")
				tb.setWidth(t, 1400, 900, false)
				if n := tb.eval(t, `String(document.querySelectorAll('.chart').length)`); n != "0" {
					if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
						t.Fatal(err)
					}
				}
				tb.screenshot(t, "1400")
			}
			tb.checkClean(t)
		})
	}
}

// sortCheckJS clicks every sortable column title of the page once and
// reports, as JSON, the columns whose rows did not come out in ascending
// order of their values, and the tables with a number or time column
// that cannot be sorted.
const sortCheckJS = `JSON.stringify((function () {
  const bad = [], unsortable = [];
  const val = c => c.getAttribute('data-v') === null ? c.textContent : c.getAttribute('data-v');
  document.querySelectorAll('table').forEach(function (table, ti) {
    const ths = Array.from(table.querySelectorAll('thead th'));
    if (!table.classList.contains('sortable')) {
      if (!table.classList.contains('avail-table') && table.querySelector('td.num, time')) unsortable.push(table.className || ('table ' + ti));
      return;
    }
    ths.forEach(function (th, col) {
      const type = th.getAttribute('data-type');
      const num = th.classList.contains('num');
      if (!type) { if (num) bad.push(th.textContent + ': numbers without a sort type'); return; }
      th.click();
      const vs = Array.from(table.tBodies[0].rows).map(r => val(r.cells[col]));
      for (let i = 1; i < vs.length; i++) {
        let d;
        if (type === 'num') d = (parseFloat(vs[i]) || 0) - (parseFloat(vs[i - 1]) || 0);
        else if (type === 'time') { const a = Date.parse(vs[i - 1]), b = Date.parse(vs[i]); d = (isNaN(b) ? Infinity : b) - (isNaN(a) ? Infinity : a); if (isNaN(d)) d = 0; }
        else d = vs[i].localeCompare(vs[i - 1]);
        if (d < 0) { bad.push(th.textContent + ': ' + vs[i - 1] + ' before ' + vs[i]); break; }
      }
    });
  });
  return {bad: bad, unsortable: unsortable};
})())`

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+$`)

// TestBrowserSortable clicks every sortable column of the main pages and
// checks the order, and that every table with numbers or times sorts.
func TestBrowserSortable(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), st, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	web1 := "hosts/" + hostDir("web1") + "/"
	for _, rel := range []string{"index.html", web1 + "index.html", web1 + "processes.html", web1 + "processes-7d.html",
		web1 + "availability.html", web1 + "facts.html"} {
		t.Run(rel, func(t *testing.T) {
			tb := b.open(t, filepath.Join(out, rel))
			var got struct{ Bad, Unsortable []string }
			if err := json.Unmarshal([]byte(tb.eval(t, sortCheckJS)), &got); err != nil {
				t.Fatal(err)
			}
			for _, s := range got.Bad {
				t.Errorf("column %s", s)
			}
			if len(got.Unsortable) > 0 {
				t.Errorf("tables with numbers or times that do not sort: %q", got.Unsortable)
			}
			// One date format on every page.
			var times []string
			if err := json.Unmarshal([]byte(tb.eval(t, `JSON.stringify(Array.from(document.querySelectorAll('time')).map(e => e.textContent))`)), &times); err != nil {
				t.Fatal(err)
			}
			for _, s := range times {
				if !dateRe.MatchString(s) {
					t.Errorf("time %q is not written YYYY-MM-DD hh:mm:ss zone", s)
				}
			}
			tb.checkClean(t)
		})
	}
}

// toolboxIconJS returns, as "x y", the page coordinates of the centre of
// the toolbox icon titled %q of the chart #%s.
const toolboxIconJS = `(function (title, id) {
  const el = document.getElementById(id);
  const inst = echarts.getInstanceByDom(el);
  const tb = inst.getModel().getComponent('toolbox', 0);
  const view = inst.getViewOfComponentModel(tb);
  const names = Object.keys(tb.get('feature')).filter(k => tb.get('feature')[k].show !== false);
  const feats = tb.get('feature');
  const i = names.findIndex(k => feats[k].title === title);
  const icon = view.group.childAt(i);
  if (!icon) return 'no icon ' + title;
  const r = icon.getBoundingRect().clone();
  r.applyTransform(icon.getComputedTransform());
  const box = el.getBoundingClientRect();
  return (box.left + r.x + r.width / 2) + ' ' + (box.top + r.y + r.height / 2);
})(%q, %q)`

// TestBrowserExport downloads a chart's data as CSV and its picture as a
// PNG from ECharts' toolbox, with no network request and no CSP error.
func TestBrowserExport(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), st, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	tb := b.open(t, filepath.Join(out, "hosts", hostDir("web1"), "index.html"))
	if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
		t.Fatal(err)
	}
	dl := t.TempDir()
	ctx, cancel := context.WithTimeout(tb.ctx, pageLoadTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior,
		cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ title, file string }{{"CSV", "load.csv"}, {"PNG", "load.png"}} {
		var x, y float64
		pos := tb.eval(t, fmt.Sprintf(toolboxIconJS, f.title, "load"))
		if _, err := fmt.Sscanf(pos, "%g %g", &x, &y); err != nil {
			t.Fatalf("%s icon: %s", f.title, pos)
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(x, y)); err != nil {
			t.Fatal(err)
		}
		var data []byte
		for deadline := time.Now().Add(chartTimeout); time.Now().Before(deadline); {
			if b, err := os.ReadFile(filepath.Join(dl, f.file)); err == nil && len(b) > 0 {
				data = b
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		switch {
		case data == nil:
			t.Errorf("%s: %s not downloaded", f.title, f.file)
		case f.title == "CSV":
			lines := strings.Split(strings.TrimSpace(string(data)), "\r\n")
			if lines[0] != "time,load 1 min,load 5 min,load 15 min" || len(lines) < 100 {
				t.Errorf("load.csv: header %q, %d lines", lines[0], len(lines))
			}
			if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z,[\d.]+,`).MatchString(lines[1]) {
				t.Errorf("load.csv: first row %q", lines[1])
			}
		case !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
			t.Errorf("load.png is not a PNG: % x", data[:min(8, len(data))])
		}
	}
	tb.checkClean(t)
}

// filterJS types %q into the process filter and returns, as JSON, the
// command, user and PID of the rows left visible and the number hidden.
const filterJS = `JSON.stringify((function (q) {
  const f = document.getElementById('procfilter');
  f.value = q;
  f.dispatchEvent(new Event('input'));
  const rows = Array.from(document.querySelectorAll('tr.proc'));
  return {
    shown: rows.filter(r => !r.hidden).map(r => [r.dataset.comm, r.dataset.user, r.dataset.pid]),
    hidden: rows.filter(r => r.hidden).length,
  };
})(%q))`

// TestBrowserProcessFilter filters the processes page by command, user and
// PID, hostile names included.
func TestBrowserProcessFilter(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), st, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	tb := b.open(t, filepath.Join(out, "hosts", hostDir("web1"), "processes.html"))
	type result struct {
		Shown  [][3]string
		Hidden int
	}
	run := func(q string) result {
		var r result
		if err := json.Unmarshal([]byte(tb.eval(t, fmt.Sprintf(filterJS, q))), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	all := run("")
	if len(all.Shown) < 4 || all.Hidden != 0 {
		t.Fatalf("no filter: %d rows shown, %d hidden", len(all.Shown), all.Hidden)
	}
	pid := all.Shown[len(all.Shown)-1][2]
	for _, q := range []string{hostileProc[:12], hostileUser, pid, "no such process"} {
		r := run(q)
		for _, row := range r.Shown {
			if !strings.Contains(strings.ToLower(row[0]), strings.ToLower(q)) && !strings.Contains(strings.ToLower(row[1]), strings.ToLower(q)) && !strings.HasPrefix(row[2], q) {
				t.Errorf("filter %q shows %q", q, row)
			}
		}
		if len(r.Shown)+r.Hidden != len(all.Shown) {
			t.Errorf("filter %q: %d shown + %d hidden, want %d rows", q, len(r.Shown), r.Hidden, len(all.Shown))
		}
		if (q == "no such process") != (len(r.Shown) == 0) {
			t.Errorf("filter %q shows %d rows", q, len(r.Shown))
		}
	}
	tb.checkClean(t)
}

// windowJS returns, as JSON, the x window (ms) of every time chart of the
// page and the URL's hash.
const windowJS = `JSON.stringify({hash: location.hash, windows: Array.from(document.querySelectorAll('.chart')).map(function (el) {
  const inst = echarts.getInstanceByDom(el);
  const x = inst.getModel().getComponent('xAxis', 0);
  if (!x || x.axis.type !== 'time') return null;
  return x.axis.scale.getExtent().map(Math.round);
}).filter(w => w)})`

// TestBrowserSharedZoom zooms one chart of a host page: every time chart
// follows, the URL keeps the window, and the URL opens on it.
func TestBrowserSharedZoom(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), st, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(out, "hosts", hostDir("web1"), "index.html")
	tb := b.open(t, page)
	if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
		t.Fatal(err)
	}
	from, to := browserNow.Add(-5*time.Hour).UnixMilli(), browserNow.Add(-3*time.Hour).UnixMilli()
	tb.eval(t, fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById('load')).dispatchAction({type: 'dataZoom', startValue: %d, endValue: %d}), '')`, from, to))
	type state struct {
		Hash    string
		Windows [][2]int64
	}
	check := func(tb *tab, what string) {
		var got state
		if err := json.Unmarshal([]byte(tb.eval(t, windowJS)), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Windows) < 10 {
			t.Fatalf("%s: %d time charts", what, len(got.Windows))
		}
		for i, w := range got.Windows {
			// ECharts' own rounding of a window: within a minute.
			if d0, d1 := w[0]-from, w[1]-to; d0 < -60000 || d0 > 60000 || d1 < -60000 || d1 > 60000 {
				t.Errorf("%s: time chart %d shows %v..%v, want %v..%v", what, i, w[0], w[1], from, to)
				break
			}
		}
		if want := "#from="; !strings.HasPrefix(got.Hash, want) {
			t.Errorf("%s: URL hash %q, want the window", what, got.Hash)
		}
	}
	check(tb, "after zooming #load")
	hash := tb.eval(t, `location.hash`)
	tb.checkClean(t)

	tb2 := b.open(t, page+hash)
	if _, err := tb2.waitCharts(".chart", chartTimeout); err != nil {
		t.Fatal(err)
	}
	check(tb2, "opened with "+hash)
	tb2.checkClean(t)
}

// TestBrowserPicker moves the zoom window of a host page earlier and
// later, and picks a day outside the 24 hours, which leads to the 7-day
// page zoomed on that day.
func TestBrowserPicker(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), st, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler), TZ: time.UTC}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, "hosts", hostDir("web1"))
	from, to := browserNow.Add(-5*time.Hour).UnixMilli(), browserNow.Add(-3*time.Hour).UnixMilli()
	tb := b.open(t, filepath.Join(dir, "index.html")+fmt.Sprintf("#from=%d&to=%d", from, to))
	if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
		t.Fatal(err)
	}
	window := func() [2]int64 {
		var got struct{ Windows [][2]int64 }
		if err := json.Unmarshal([]byte(tb.eval(t, windowJS)), &got); err != nil {
			t.Fatal(err)
		}
		return got.Windows[0]
	}
	near := func(a, b int64) bool { return a-b < 60000 && b-a < 60000 }
	tb.click(t, ".picker button.earlier")
	if w := window(); !near(w[0], from-7200000) || !near(w[1], to-7200000) {
		t.Errorf("earlier: window %v, want %v..%v", w, from-7200000, to-7200000)
	}
	tb.click(t, ".picker button.later")
	tb.click(t, ".picker button.later")
	if w := window(); !near(w[0], from+7200000) || !near(w[1], to+7200000) {
		t.Errorf("later twice: window %v, want %v..%v", w, from+7200000, to+7200000)
	}
	tb.checkClean(t)
	// A day three days back is not in the 24 hours: the 7-day page opens on
	// it. (Days are the viewer's: the browser's zone is set to UTC.)
	day := browserNow.AddDate(0, 0, -3).Truncate(24 * time.Hour)
	ctx, cancel := context.WithTimeout(tb.ctx, pageLoadTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[string](fmt.Sprintf(
		`(function () { const d = document.querySelector('.picker input.day'); d.value = %q; d.dispatchEvent(new Event('change')); return ''; })()`,
		day.Format(time.DateOnly))))); err != nil {
		t.Fatal(err)
	}
	if u := tb.eval(t, `location.pathname.split('/').pop() + location.hash`); !strings.HasPrefix(u, fmt.Sprintf("7d.html#from=%d", day.UnixMilli())) {
		t.Errorf("picking %s led to %s, want 7d.html zoomed on it", day.Format(time.DateOnly), u)
	}
}
