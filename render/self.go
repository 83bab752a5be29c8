package render

import (
	"math"
	"strconv"
	"time"

	"almanac/schema"
)

// The sampler's own cost (the self table): charts on the facts page and
// the overview's "cost" column, so that a user can check the README's
// overhead figures on their own hosts.

// selfWindow is how far back the facts page charts the sampler's cost.
const selfWindow = 7 * 24 * time.Hour

// costWindow is what the overview's cost column averages: the last day.
const costWindow = 24 * time.Hour

// selfPoints is the most points of a cost chart.
const selfPoints = 700

// self reads the self table of the last selfWindow: the facts page's cost
// charts, and the overview's cost of the last costWindow.
func (g *gatherer) self() error {
	g.d.sum.CostSort = -1 // no data: sorts below every host that has some
	from := g.now - selfWindow.Microseconds()
	f, err := g.scanWindow(schema.TableSelf, from, g.now+1, "cpu_pct", "rss_bytes", "written_bytes", "sample_ms")
	if err != nil || f.Len() == 0 {
		return err
	}
	cpu, rss, written, ms := col(f, "cpu_pct"), col(f, "rss_bytes"), col(f, "written_bytes"), col(f, "sample_ms")
	// Bytes written per second of the interval before each row.
	rate := make([]float64, f.Len())
	for i := range rate {
		rate[i] = math.NaN()
		if i > 0 && f.Time[i] > f.Time[i-1] {
			rate[i] = written[i] / (float64(f.Time[i]-f.Time[i-1]) / 1e6)
		}
	}
	gap := gapThreshold(medianInterval(f.Time))
	o := lineOpts{From: from, To: g.now, Gap: gap, Reboots: g.d.tl.Reboots, Outages: g.d.tl.Outages}
	line := func(id, title, unit string, c []float64, name string) Chart {
		return lineChart(id, title, unit, downsample(grid{T: f.Time, Cols: [][]float64{c}}, from, g.now, selfPoints, gap), []string{name}, o)
	}
	g.d.facts.Self = []Chart{
		line("self-cpu", "almanac sample: CPU (% of one core)", unitPct, cpu, "CPU"),
		line("self-rss", "almanac sample: resident memory", unitBytes, rss, "RSS"),
		line("self-written", "almanac sample: written to the archive", unitBytesPS, rate, "written"),
		line("self-ms", "almanac sample: time to take a reading", unitMs, ms, "reading"),
	}
	// The cost column: mean CPU % and bytes written per day, over the last
	// costWindow (or what of it has rows).
	cut := g.now - costWindow.Microseconds()
	var sum, n, bytes float64
	var first, last int64
	for i, t := range f.Time {
		if t < cut {
			continue
		}
		if first == 0 {
			first = t
		}
		last = t
		if !math.IsNaN(cpu[i]) {
			sum += cpu[i]
			n++
		}
		if !math.IsNaN(written[i]) {
			bytes += written[i]
		}
	}
	if n == 0 {
		return nil
	}
	s := &g.d.sum
	s.CostSort = sum / n
	s.Cost = strconv.FormatFloat(sum/n, 'f', 2, 64) + " %"
	// Bytes per day: what was written over the time the rows cover (one
	// interval each), scaled to a day.
	if span := float64(last-first) / 1e6; span > 0 && n > 1 {
		perRow := span / (n - 1)
		s.Cost += " · " + strconv.FormatFloat(bytes/(perRow*n)*86400/1e6, 'f', 1, 64) + " MB/d"
	}
	return nil
}
