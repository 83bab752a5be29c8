package render

import (
	"cmp"
	"html/template"
	"math"
	"slices"
	"strconv"
	"time"
)

// The fleet page (fleet.html, linked from the overview) draws one metric
// of every host on one chart, for each of a few metrics, over the last 24
// hours: the fleetTop hosts with the highest mean are drawn, the others
// are in the chart's dataset and drawn by the site script on "All hosts".
// Each host keeps fleetBuckets peaks per metric in its summary (taken from
// its 24-hour charts once they are built); the page merges adjacent
// buckets until the page's numbers fit fleetBudget (1,000 hosts: 32
// buckets of 45 minutes).

// fleetBuckets is how many peaks per metric a host keeps for the fleet
// page: 15 minutes each over 24 hours.
const fleetBuckets = 96

// fleetTop is how many hosts a fleet chart draws before "All hosts".
const fleetTop = 10

// fleetBudget is the most numbers the fleet page's datasets hold
// together (about 1 MB of JSON).
const fleetBudget = 200_000

// fleetMetric is one metric of the fleet page, taken from a host's
// 24-hour charts.
type fleetMetric struct {
	id, title, unit string
	of              func(d *hostData) grid // one column; nil T when the host lacks it
}

// fleetMetrics are the metrics of the fleet page, in its order.
var fleetMetrics = []fleetMetric{
	{"fleet-cpu", "CPU busy", unitPct, fleetCPU},
	{"fleet-mem", "Memory used", unitPct, fleetMem},
	{"fleet-load", "Load per core (1 min)", unitCount, fleetLoad},
	{"fleet-fs", "Fullest filesystem", unitPct, fleetFS},
	{"fleet-net", "Network traffic (received + sent)", unitBitsPS, fleetNet},
}

// fleetSeries is a host's fleet data: per metric of fleetMetrics, the
// peaks of fleetBuckets buckets over the 24 hours, or nil. A host's index
// entry is kept as JSON (render cache, shards), which has no NaN: a
// bucket without data is -1 (every metric is 0 or more).
type fleetSeries []fleetValues

// fleetValues are the peaks of one metric, -1 where there is no data.
type fleetValues []float32

// fleetOf returns the fleet data of host d from its 24-hour charts, over
// [from, to) (µs).
func fleetOf(d *hostData, from, to int64) fleetSeries {
	out := make(fleetSeries, len(fleetMetrics))
	for m, fm := range fleetMetrics {
		g := fm.of(d)
		if len(g.T) == 0 {
			continue
		}
		_, cells := bucketMax(g, from, to, fleetBuckets)
		if len(cells) == 0 {
			continue
		}
		s := make(fleetValues, fleetBuckets)
		any := false
		for i, v := range cells[0] {
			s[i] = -1
			if !math.IsNaN(v) {
				s[i], any = float32(max(v, 0)), true
			}
		}
		if any {
			out[m] = s
		}
	}
	return out
}

// chart24 returns the 24-hour chart id of d, or nil.
func chart24(d *hostData, id string) *Chart {
	if len(d.ranges) == 0 {
		return nil
	}
	for i := range d.ranges[0] {
		for j := range d.ranges[0][i].Charts {
			if c := &d.ranges[0][i].Charts[j]; c.ID == id {
				return c
			}
		}
	}
	return nil
}

// fold returns one column of c's data: f of each row's values (the
// columns of c's data up to n, or all when n is 0), NaN when they all are.
func fold(c *Chart, n int, f func(vs []float64) float64) grid {
	if c == nil || len(c.data.T) == 0 {
		return grid{}
	}
	cs := c.data.Cols
	if n > 0 && n < len(cs) {
		cs = cs[:n]
	}
	out := make([]float64, len(c.data.T))
	vs := make([]float64, len(cs))
	for i := range c.data.T {
		ok := false
		for j, col := range cs {
			vs[j] = col[i]
			ok = ok || !math.IsNaN(col[i])
		}
		if !ok {
			out[i] = math.NaN()
			continue
		}
		out[i] = f(vs)
	}
	return grid{T: c.data.T, Cols: [][]float64{out}}
}

// sum adds the values of vs that are not NaN.
func sum(vs []float64) float64 {
	s := 0.0
	for _, v := range vs {
		s += nz(v)
	}
	return s
}

// fleetCPU is the busy CPU %: the sum of the CPU chart's modes.
func fleetCPU(d *hostData) grid { return fold(chart24(d, "cpu"), len(cpuModes), sum) }

// fleetMem is the used memory %: used over used, buffers, cache and free.
func fleetMem(d *hostData) grid {
	return fold(chart24(d, "memory"), 4, func(vs []float64) float64 {
		if t := sum(vs); t > 0 {
			return nz(vs[0]) / t * 100
		}
		return math.NaN()
	})
}

// fleetLoad is the 1-minute load over the number of cores (the rows of
// the per-core heatmap; the load itself without it).
func fleetLoad(d *hostData) grid {
	cores := 1.0
	if h := chart24(d, "cpu-cores"); h != nil {
		if names, ok := h.Option.YAxisList[0].Data.([]string); ok && len(names) > 0 {
			cores = float64(len(names))
		}
	}
	return fold(chart24(d, "load"), 1, func(vs []float64) float64 { return vs[0] / cores })
}

// fleetFS is the use % of the fullest filesystem.
func fleetFS(d *hostData) grid {
	return fold(chart24(d, "fs-space"), 0, func(vs []float64) float64 {
		m := math.NaN()
		for _, v := range vs {
			if !math.IsNaN(v) && (math.IsNaN(m) || v > m) {
				m = v
			}
		}
		return m
	})
}

// fleetNet is the traffic of every interface, received and sent.
func fleetNet(d *hostData) grid { return fold(chart24(d, "net-bytes"), 0, sum) }

// fleetPage is the model of the fleet page.
type fleetPage struct {
	Hosts   int    // hosts in the site
	Buckets string // the width of a point ("45 minutes")
	Top     int    // hosts drawn before "All hosts"
}

// fleetCharts builds the charts of the fleet page from the summaries of
// hosts, over [from, to) (µs), and returns them with the bucket width.
func fleetCharts(hosts []*hostData, from, to int64) ([]Chart, time.Duration) {
	var ds []*hostData
	for _, d := range hosts {
		if d != nil {
			ds = append(ds, d)
		}
	}
	slices.SortFunc(ds, func(a, b *hostData) int { return cmp.Compare(a.Name, b.Name) })
	// Merge k buckets into one until every metric of every host fits.
	k := 1
	for _, n := range []int{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 96} {
		k = n
		if len(fleetMetrics)*(fleetBuckets/n)*(len(ds)+1) <= fleetBudget {
			break
		}
	}
	nb := fleetBuckets / k
	width := (to - from) / fleetBuckets * int64(k)
	times := make([]int64, nb)
	for i := range times {
		times[i] = from + int64(i)*width
	}
	var out []Chart
	for m, fm := range fleetMetrics {
		type col struct {
			name string
			vs   []float64
			mean float64
		}
		var cols []col
		for _, d := range ds {
			if m >= len(d.sum.Fleet) || d.sum.Fleet[m] == nil {
				continue
			}
			vs := make([]float64, nb)
			total, n := 0.0, 0
			for i := range vs {
				v := math.NaN()
				for _, x := range d.sum.Fleet[m][i*k : (i+1)*k] {
					if x := float64(x); x >= 0 && (math.IsNaN(v) || x > v) {
						v = x
					}
				}
				vs[i] = v
				if !math.IsNaN(v) {
					total += v
					n++
				}
			}
			c := col{name: d.Name, vs: vs}
			if n > 0 {
				c.mean = total / float64(n)
			}
			cols = append(cols, c)
		}
		if len(cols) == 0 {
			continue
		}
		slices.SortStableFunc(cols, func(a, b col) int { return cmp.Compare(b.mean, a.mean) })
		g := grid{T: times}
		names := []string{"time"}
		for _, c := range cols {
			g.Cols = append(g.Cols, c.vs)
			names = append(names, c.name)
		}
		c := lineChart(fm.id, fm.title, fm.unit, g, names[1:], lineOpts{From: from, To: to})
		c.Option.ext.dimensions = names
		if len(cols) > fleetTop {
			c.Option.MultiSeries = c.Option.MultiSeries[:fleetTop]
			c.All = len(cols)
		}
		c.data = grid{} // never reduced further: fleetBudget holds it
		out = append(out, c)
	}
	return out, time.Duration(width) * time.Microsecond
}

// writeFleet writes the fleet page.
func writeFleet(w *writer, t *template.Template, hosts []*hostData, o Options) error {
	now := o.Now.UnixMicro()
	from, to := now-ranges[0].Dur.Microseconds(), now+1
	charts, width := fleetCharts(hosts, from, to)
	n := 0
	for _, d := range hosts {
		if d != nil {
			n++
		}
	}
	p := &pageModel{
		Title: "Fleet charts · almanac", Generated: mkTime(now, o.TZ),
		Data:  pageData{TZ: tzName(o), Charts: charts},
		Fleet: &fleetPage{Hosts: n, Buckets: fmtWidth(width), Top: fleetTop},
	}
	if p.Data.Charts == nil {
		p.Data.Charts = []Chart{}
	}
	return w.page(t, "fleet.html", fleetFile, p)
}

// fleetFile is the fleet page's file at the site's top.
const fleetFile = "fleet.html"

// fmtWidth writes the width of a fleet chart's point: "15 minutes",
// "1 hour", "3 hours".
func fmtWidth(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d == time.Hour:
		return "1 hour"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	default:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
}
