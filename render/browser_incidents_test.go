package render

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBrowserIncidents opens the fleet's and a host's incidents pages and
// a host's charts in headless Chromium: they draw (the timeline, the
// shaded bands) with no console error and no request off the machine,
// and the link of an incident opens the host's charts zoomed on its time.
func TestBrowserIncidents(t *testing.T) {
	b := startBrowser(t)
	st := writeFixture(t, smallFleet()...)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog(), Alerts: smallFleetAlerting(t)}); err != nil {
		t.Fatal(err)
	}
	web := "hosts/" + hostDir("web1") + "/"
	for _, page := range []string{"incidents.html", web + "incidents.html", "hosts/" + hostDir("db1") + "/incidents.html", "index.html"} {
		t.Run(page, func(t *testing.T) {
			tb := b.open(t, filepath.Join(out, page))
			if page != "index.html" {
				if _, err := tb.waitCharts("#incident-timeline", chartTimeout); err != nil {
					t.Error(err)
				}
				if n := tb.eval(t, `String(document.querySelectorAll('table.incidents tbody tr').length)`); n == "0" {
					t.Errorf("no incident rows")
				}
			}
			tb.checkClean(t)
		})
	}

	t.Run("bands", func(t *testing.T) {
		tb := b.open(t, filepath.Join(out, web+"index.html"))
		if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
			t.Fatal(err)
		}
		// The bands ECharts holds after drawing: memory low on the memory
		// chart, the filesystem incident on the filesystem chart.
		for id, want := range map[string]string{"memory": "memory low", "fs-space": "filesystem full (fstype=ext4,mountpoint=/)"} {
			got := tb.eval(t, `JSON.stringify(echarts.getInstanceByDom(document.getElementById('`+id+`')).getOption().series[0].markArea.data.map(a => a[0].name || ''))`)
			if !strings.Contains(got, `"`+want+`"`) {
				t.Errorf("chart %s has bands %s, want %q", id, got, want)
			}
		}
		tb.screenshot(t, "web1-bands")
		tb.checkClean(t)
	})

	t.Run("link to the charts", func(t *testing.T) {
		tb := b.open(t, filepath.Join(out, "incidents.html"))
		if _, err := tb.waitCharts("#incident-timeline", chartTimeout); err != nil {
			t.Fatal(err)
		}
		tb.screenshot(t, "fleet-incidents")
		// The memory low incident of web1 began 30 minutes before now.
		from := fixedNow.Add(-45 * time.Minute).UnixMilli()
		sel := `tr:has(td[data-v="memory low"]) a.chart-link`
		url := tb.follow(t, sel)
		if !strings.Contains(url, "/"+web+"index.html#from="+strconv.FormatInt(from, 10)+"&to=") {
			t.Fatalf("the incident's link opened %s", url)
		}
		if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
			t.Fatal(err)
		}
		got := tb.eval(t, `String(echarts.getInstanceByDom(document.getElementById('memory')).getOption().dataZoom[0].startValue)`)
		if got != strconv.FormatInt(from, 10) {
			t.Errorf("memory chart zoomed from %s, want %d (the incident's start, less 15 minutes)", got, from)
		}
		tb.checkClean(t)
	})
}
