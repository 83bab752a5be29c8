package render

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
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
	tb.screenshot(t, "demo-24h")
	tb.click(t, `figure:has(#load) button.whole`)
	if err := tb.waitJS(`() => { const inst = echarts.getInstanceByDom(document.getElementById('load'));
  const ext = inst.getModel().getComponent('xAxis', 0).axis.scale.getExtent();
  return Math.round((ext[1] - ext[0]) / 60000) === 1440; }`, chartTimeout); err != nil {
		t.Errorf("the whole-range button did not show the 24 hours: %v (window %s)", err, tb.eval(t, windowJS))
	}
	tb.checkClean(t)
}
