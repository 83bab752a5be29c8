package render

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
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
