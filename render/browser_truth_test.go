package render

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// stackSharesJS reads what a stacked chart draws: for each series, the
// lowest and highest height of its band (its stacked top minus the top of
// the series under it), and the highest stacked top of the chart, as
// JSON {"bands": {name: [min, max]}, "top": max}.
const stackSharesJS = `JSON.stringify((function (id) {
  const inst = echarts.getInstanceByDom(document.getElementById(id));
  const model = inst.getModel();
  const out = {bands: {}, top: 0};
  model.eachSeries(function (s) {
    const d = s.getData();
    const top = d.getCalculationInfo('stackResultDimension');
    const under = d.getCalculationInfo('stackedOverDimension');
    if (!s.get('stack')) return; // a line over the stack (the peak)
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < d.count(); i++) {
      const t = d.get(top, i), u = under ? d.get(under, i) : 0;
      if (t == null || isNaN(t)) continue;
      const band = t - (u == null || isNaN(u) ? 0 : u);
      lo = Math.min(lo, band); hi = Math.max(hi, band);
      out.top = Math.max(out.top, t);
    }
    out.bands[s.name] = [lo, hi];
  });
  return out;
})(%q))`

// TestBrowserStackedShares opens the 7, 30 and 365 day pages of a host
// whose older days are read from rollups and checks, in what ECharts
// draws, that the stacked CPU modes add up to at most 100 % and that the
// guest band (guest is 0 in every sample) has no height.
func TestBrowserStackedShares(t *testing.T) {
	b := startBrowser(t)
	st := writeRollupFixture(t, t.TempDir(), true)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"index.html", "7d.html", "30d.html", "365d.html"} {
		t.Run(page, func(t *testing.T) {
			tb := b.open(t, filepath.Join(out, "hosts", hostDir("web1"), page))
			if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
				t.Fatal(err)
			}
			var got struct {
				Bands map[string][2]float64
				Top   float64
			}
			if err := json.Unmarshal([]byte(tb.eval(t, fmt.Sprintf(stackSharesJS, "cpu"))), &got); err != nil {
				t.Fatal(err)
			}
			if g := got.Bands["guest"]; g[0] != 0 || g[1] != 0 {
				t.Errorf("guest band drawn %v..%v high, want 0 (guest is 0 in every sample)", g[0], g[1])
			}
			if got.Top > 100.01 {
				t.Errorf("stacked CPU modes reach %v %%, want at most 100", got.Top)
			}
			if u := got.Bands["user"]; !(u[1] > 0) {
				t.Errorf("user band %v, want some height", u)
			}
			tb.checkClean(t)
		})
	}
}

// TestBrowserShortArchive renders an archive of 30 seconds (the demo) and
// checks that its 24-hour charts open zoomed on the data, with a button
// that shows the whole range, and that the slider draws no preview spread
// over its width.
func TestBrowserShortArchive(t *testing.T) {
	b := startBrowser(t)
	st := writeFixture(t, fixtureHost{Name: "demo", Every: time.Second, Processes: 4, Seed: 5,
		Spans: []span{{From: fixedNow.Add(-30 * time.Second), To: fixedNow.Add(time.Second)}}})
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	tb := b.open(t, filepath.Join(out, "hosts", hostDir("demo"), "index.html"))
	if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
		t.Fatal(err)
	}
	// The load chart's visible window, in minutes, and its slider's preview.
	const windowJS = `(function () {
  const inst = echarts.getInstanceByDom(document.getElementById('load'));
  const ext = inst.getModel().getComponent('xAxis', 0).axis.scale.getExtent();
  const z = inst.getOption().dataZoom[1];
  return Math.round((ext[1] - ext[0]) / 1000) + ' s, shadow ' + z.showDataShadow;
})()`
	if got, want := tb.eval(t, windowJS), "120 s, shadow false"; got != want {
		t.Errorf("load chart opens on %s, want %s (two minutes around 30 s of data)", got, want)
	}
	// Ticks seconds apart are labelled with their seconds, each once.
	checkTimeLabels(t, tb, "load", `^\d{2}:\d{2}:\d{2}$`, true)
	tb.screenshot(t, "demo-24h")
	tb.click(t, `figure:has(#load) button.whole`)
	if err := tb.waitJS(`() => { const inst = echarts.getInstanceByDom(document.getElementById('load'));
  const ext = inst.getModel().getComponent('xAxis', 0).axis.scale.getExtent();
  return Math.round((ext[1] - ext[0]) / 60000) === 1440; }`, chartTimeout); err != nil {
		t.Errorf("the whole-range button did not show the 24 hours: %v (window %s)", err, tb.eval(t, windowJS))
	}
	// The whole 24 hours: hours and minutes (noon, say, at both ends).
	checkTimeLabels(t, tb, "load", `^\d{2}:\d{2}$`, false)
	// 30 samples a line joins: no dots.
	if got, want := tb.eval(t, loneDotsJS("load")), "30 values, 0 dots"; got != want {
		t.Errorf("load chart: %s, want %s", got, want)
	}
	tb.checkClean(t)

	// The fleet charts have one point of 15 minutes, which no line can
	// draw: it gets a dot.
	tb = b.open(t, filepath.Join(out, "fleet.html"))
	if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
		t.Fatal(err)
	}
	if got, want := tb.eval(t, loneDotsJS("fleet-cpu")), "1 values, 1 dots"; got != want {
		t.Errorf("fleet CPU chart of a host with 30 s of samples: %s, want %s", got, want)
	}
	tb.screenshot(t, "demo-fleet")
	tb.checkClean(t)
}

// loneDotsJS counts the values of the first series of the chart with the
// given id, and the dots drawn on them (symbols with a graphic element).
func loneDotsJS(id string) string {
	return `(function () {
  const inst = echarts.getInstanceByDom(document.getElementById('` + id + `'));
  const data = inst.getModel().getSeriesByIndex(0).getData();
  const y = data.mapDimension('y');
  let values = 0, dots = 0;
  for (let i = 0; i < data.count(); i++) {
    const v = data.get(y, i);
    if (v !== null && v !== undefined && !isNaN(v)) values++;
    const el = data.getItemGraphicEl(i);
    if (el && !el.ignore && !el.invisible && data.getItemVisual(i, 'symbol') !== 'none' && data.getItemVisual(i, 'symbolSize') > 0) dots++;
  }
  return values + ' values, ' + dots + ' dots';
})()`
}

// checkTimeLabels checks the time labels the chart with the given id
// draws (those its axis does not hide as overlapping): at least two, each
// matching pattern and, if distinct, none twice.
func checkTimeLabels(t *testing.T, tb *tab, id, pattern string, distinct bool) {
	t.Helper()
	var labels []string
	js := `(function () {
  const inst = echarts.getInstanceByDom(document.getElementById('` + id + `'));
  const view = inst.getViewOfComponentModel(inst.getModel().getComponent('xAxis', 0));
  const out = [];
  view.group.traverse(el => { if (el.type === 'text' && !el.ignore && el.style && el.style.text) out.push(el.style.text); });
  return JSON.stringify(out);
})()`
	if err := json.Unmarshal([]byte(tb.eval(t, js)), &labels); err != nil {
		t.Fatal(err)
	}
	if len(labels) < 2 {
		t.Errorf("#%s: time labels %q, want at least two", id, labels)
	}
	re := regexp.MustCompile(pattern)
	seen := map[string]bool{}
	for _, l := range labels {
		if !re.MatchString(l) {
			t.Errorf("#%s: time label %q does not match %s (labels %q)", id, l, pattern, labels)
		}
		if distinct && seen[l] {
			t.Errorf("#%s: time label %q shown twice (labels %q)", id, l, labels)
		}
		seen[l] = true
	}
}

// axesJS describes every chart of a page as JSON: its id, the labels of
// its value axis and their step, its time labels, and whether its legend
// ends above the plot.
const axesJS = `JSON.stringify(Array.from(document.querySelectorAll('.chart')).map(function (el) {
  const inst = echarts.getInstanceByDom(el);
  const model = inst.getModel();
  const out = {id: el.id, y: [], step: 0, x: [], legendFits: true, legendType: ''};
  const ya = model.getComponent('yAxis', 0), xa = model.getComponent('xAxis', 0);
  if (ya && ya.axis.type === 'value') {
    out.y = ya.axis.getViewLabels().map(l => l.formattedLabel);
    out.step = ya.axis.scale.getInterval();
  }
  if (xa) out.x = xa.axis.getViewLabels().map(l => l.formattedLabel);
  const lg = model.getComponent('legend', 0);
  if (lg) {
    out.legendType = lg.get('type');
    const view = inst.getViewOfComponentModel(lg);
    const r = view.group.getBoundingRect();
    const grid = model.getComponent('grid', 0).coordinateSystem.getRect();
    out.legendFits = view.group.y + r.y + r.height <= grid.y;
  }
  return out;
}))`

// chartAxes is what axesJS reports of a chart.
type chartAxes struct {
	ID         string
	Y          []string
	Step       float64
	X          []string
	LegendFits bool
	LegendType string
}

var (
	decimalsRe = regexp.MustCompile(`^-?\d+(?:\.(\d+))?`)
	monthRe    = regexp.MustCompile(`^\d{2}-\d{2}`)
)

// TestBrowserAxes checks the axes of the host and processes pages of every
// range: one precision per value axis, whole numbers on counts, byte steps
// that are powers of two of a binary unit, network in bits per second,
// time labels of the heatmap formatted like those of the line charts, and
// legends that are not paged and end above the plot.
func TestBrowserAxes(t *testing.T) {
	b := startBrowser(t)
	st := writeRollupFixture(t, t.TempDir(), true)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	counts := map[string]bool{"procs": true, "oom": true, "proc-states": true, "proc-threads": true, "user-procs": true}
	bytesCharts := map[string]bool{"memory": true, "swap": true, "disk-bytes": true, "user-rss": true, "top-rss": true}
	for _, page := range []string{"index.html", "7d.html", "30d.html", "365d.html", "processes.html", "processes-30d.html"} {
		t.Run(page, func(t *testing.T) {
			tb := b.open(t, filepath.Join(out, "hosts", hostDir("web1"), page))
			if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
				t.Fatal(err)
			}
			var charts []chartAxes
			if err := json.Unmarshal([]byte(tb.eval(t, axesJS)), &charts); err != nil {
				t.Fatal(err)
			}
			var lineX, heatX string
			for _, c := range charts {
				prec := -1
				for _, l := range c.Y {
					m := decimalsRe.FindStringSubmatch(l)
					if m == nil {
						t.Errorf("#%s: label %q is not a number", c.ID, l)
						continue
					}
					if prec >= 0 && len(m[1]) != prec {
						t.Errorf("#%s: labels of mixed precision %q", c.ID, c.Y)
						break
					}
					prec = len(m[1])
				}
				if counts[c.ID] && prec > 0 {
					t.Errorf("#%s: fractions on a count axis %q", c.ID, c.Y)
				}
				if bytesCharts[c.ID] && c.Step > 0 {
					u := c.Step
					for u >= 1024 {
						u /= 1024
					}
					if u != math.Trunc(u) || int(u)&(int(u)-1) != 0 {
						t.Errorf("#%s: byte step %v is not a power of two of a binary unit (%q)", c.ID, c.Step, c.Y)
					}
				}
				if c.ID == "net-bytes" && (len(c.Y) == 0 || !strings.HasSuffix(c.Y[len(c.Y)-1], "bit/s")) {
					t.Errorf("#%s: network axis %q, want bits per second", c.ID, c.Y)
				}
				if c.LegendType != "" && (c.LegendType != "plain" || !c.LegendFits) {
					t.Errorf("#%s: legend %s, fits above the plot: %v", c.ID, c.LegendType, c.LegendFits)
				}
				if len(c.X) > 0 {
					if c.ID == "cpu-cores" {
						heatX = c.X[0]
					} else if lineX == "" && c.Y != nil {
						lineX = c.X[0]
					}
				}
			}
			if heatX != "" && monthRe.MatchString(heatX) != monthRe.MatchString(lineX) {
				t.Errorf("heatmap time label %q and line chart label %q differ in form", heatX, lineX)
			}
			if page != "index.html" && !strings.HasPrefix(page, "processes") && !monthRe.MatchString(heatX) {
				t.Errorf("heatmap time label %q on a long range has no date", heatX)
			}
			tb.checkClean(t)
		})
	}
}

// TestBrowserLonePoint draws a host's 24 hours with a sample between two
// gaps: that sample, which no line reaches, gets a dot, and the samples
// the lines join get none.
func TestBrowserLonePoint(t *testing.T) {
	b := startBrowser(t)
	st := writeFixture(t, fixtureHost{Name: "gappy", Every: time.Second, Processes: 2, Seed: 7,
		Spans: []span{
			{From: fixedNow.Add(-60 * time.Second), To: fixedNow.Add(-40 * time.Second)},
			{From: fixedNow.Add(-20 * time.Second), To: fixedNow.Add(-19 * time.Second)},
			{From: fixedNow.Add(-10 * time.Second), To: fixedNow.Add(time.Second)},
		}})
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	tb := b.open(t, filepath.Join(out, "hosts", hostDir("gappy"), "index.html"))
	if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
		t.Fatal(err)
	}
	if got, want := tb.eval(t, loneDotsJS("load")), "31 values, 1 dots"; got != want {
		t.Errorf("load chart of 20 samples, a gap, 1 sample, a gap and 10 samples: %s, want %s", got, want)
	}
	tb.checkClean(t)
}
