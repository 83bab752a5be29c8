package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeFleet returns n hosts whose fleet data are made-up peaks over the
// 24 hours of now, each host with its own level.
func fakeFleet(n int) []*hostData {
	hosts := make([]*hostData, n)
	for i := range hosts {
		f := make(fleetSeries, len(fleetMetrics))
		for m := range f {
			s := make(fleetValues, fleetBuckets)
			for k := range s {
				v := float64(i%97) + 10*math.Sin(float64(k+i)/7)
				if m == len(f)-1 {
					v *= 12_345_678 // network: bits/s
				}
				s[k] = float32(math.Abs(v))
			}
			f[m] = s
		}
		hosts[i] = &hostData{Name: fmt.Sprintf("host-%04d.example.org", i), sum: hostSummary{Fleet: f}}
	}
	return hosts
}

// TestFleetCharts: the fleet charts draw the hosts with the highest mean,
// keep every host in their dataset, and merge buckets so that 1,000 hosts
// fit the page budget; the index and fleet pages of 1,000 hosts stay
// under 2 MB.
func TestFleetCharts(t *testing.T) {
	now := fixedNow.UnixMicro()
	from, to := now-ranges[0].Dur.Microseconds(), now+1
	t.Run("ranked", func(t *testing.T) {
		hosts := fakeFleet(12)
		charts, width := fleetCharts(hosts, from, to)
		if len(charts) != len(fleetMetrics) || width != 15*time.Minute {
			t.Fatalf("%d charts of %v points, want %d of 15m", len(charts), width, len(fleetMetrics))
		}
		c := charts[0]
		if c.All != 12 || len(c.Option.MultiSeries) != fleetTop {
			t.Errorf("all = %d, %d series; want 12 and %d", c.All, len(c.Option.MultiSeries), fleetTop)
		}
		// host i has level i: the highest first.
		if got, want := c.Option.MultiSeries[0].Name, "host-0011.example.org"; got != want {
			t.Errorf("first series %q, want %q", got, want)
		}
		if dims := c.Option.ext.dimensions; len(dims) != 13 || dims[0] != "time" {
			t.Errorf("dimensions %q", dims)
		}
	})
	t.Run("1000 hosts", func(t *testing.T) {
		hosts := fakeFleet(1000)
		charts, width := fleetCharts(hosts, from, to)
		if width != 45*time.Minute {
			t.Errorf("points of %v at 1,000 hosts, want 45m", width)
		}
		tmpl, err := Templates(nil)
		if err != nil {
			t.Fatal(err)
		}
		page := func(name string, p *pageModel) int {
			var b bytes.Buffer
			page, err := executePage(tmpl, name, p, &b, nil)
			if err != nil {
				t.Fatal(err)
			}
			return len(page)
		}
		fleet := page("fleet.html", &pageModel{Title: "fleet", Data: pageData{Charts: charts}, Fleet: &fleetPage{Hosts: 1000, Buckets: fmtWidth(width), Top: fleetTop}})
		idx := &pageModel{Title: "almanac", Data: pageData{Charts: []Chart{}}}
		for _, d := range hosts {
			s := d.sum
			s.Status, s.CPU, s.Mem, s.FullestFS, s.Kernel, s.Uptime = "up", "12.3 %", "45.6 %", "/var 67.8 %", "6.12.38+deb13-amd64", "3d 4h"
			s.CPU7, s.Mem7, s.Load7 = "23.9 % / 30.6 %", "41.5 % / 42.9 %", "1.89 / 2.72"
			s.Avail = [3]string{"99.9 %", "99.9 %", "99.9 %"}
			s.Cost, s.CostSort = "0.4 % · 12.3 MB/d", 0.4
			pts := make([]string, 96)
			for k := range pts {
				pts[k] = fmt.Sprintf("%d,%.1f", k, 10+float64(k%7))
			}
			s.Spark = []sparkLine{{Points: strings.Join(pts, " ")}}
			idx.Hosts = append(idx.Hosts, IndexRow{Name: d.Name, Href: "hosts/" + hostDir(d.Name) + "/index.html",
				AvHref: "hosts/" + hostDir(d.Name) + "/availability.html", Summary: s})
		}
		index := page("index.html", idx)
		t.Logf("1,000 hosts: fleet.html %d bytes (%.2f MiB), index.html %d bytes (%.2f MiB)", fleet, float64(fleet)/(1<<20), index, float64(index)/(1<<20))
		if fleet > maxPageBytes {
			t.Errorf("fleet.html of 1,000 hosts is %d bytes, over %d", fleet, maxPageBytes)
		}
		if index > maxPageBytes {
			t.Errorf("index.html of 1,000 hosts is %d bytes, over %d", index, maxPageBytes)
		}
	})
}

// TestFleetValuesJSON: a host's fleet data survives the JSON of the render
// cache and of shards, its gaps (-1) included.
func TestFleetValuesJSON(t *testing.T) {
	in := fleetSeries{{1.5, -1, 1234567.9, 30.194098}, nil}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out fleetSeries
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("read back %v from %s, want %v", out, b, in)
	}
}

// The fleet page's hint counts the hosts in words and says that only the
// top hosts are drawn only when there are more of them.
func TestFleetHint(t *testing.T) {
	tmpl, err := Templates(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		hosts     int
		want, not string
	}{
		{1, "1 host; each point is the peak of 15 minutes.</span>", "hosts with the highest mean"},
		{2, "2 hosts; each point is the peak of 15 minutes.</span>", "hosts with the highest mean"},
		{fleetTop + 1, "11 hosts; each point is the peak of 15 minutes. The 10 hosts with the highest mean are drawn", "1 host;"},
	} {
		var b bytes.Buffer
		page, err := executePage(tmpl, "fleet.html", &pageModel{Title: "fleet", Data: pageData{Charts: []Chart{}},
			Fleet: &fleetPage{Hosts: c.hosts, Buckets: fmtWidth(15 * time.Minute), Top: fleetTop}}, &b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(page, []byte(c.want)) || bytes.Contains(page, []byte(c.not)) {
			i := bytes.Index(page, []byte(`class="hint"`))
			t.Errorf("%d hosts: hint %q, want %q and not %q", c.hosts, page[i:min(len(page), i+240)], c.want, c.not)
		}
	}
}
