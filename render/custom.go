package render

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"almanac/schema"
)

// customMeta is what the site shows of a custom metric besides its
// values: the newest type, HELP text and unit its rows carry.
type customMeta struct {
	typ, help, unit string
}

// putCustomMeta and getCustomMeta encode a customMeta for the day memo.
func putCustomMeta(b *memoBuf, m customMeta) { b.strs([]string{m.typ, m.help, m.unit}) }

func getCustomMeta(r *memoReader) customMeta {
	s := r.strs()
	if len(s) != 3 {
		r.fail("custom metric")
		return customMeta{}
	}
	return customMeta{s[0], s[1], s[2]}
}

// putPrev and getPrev encode a series' last time and value (customRates).
func putPrev(b *memoBuf, p [2]float64) { b.float(p[0]); b.float(p[1]) }

func getPrev(r *memoReader) [2]float64 { return [2]float64{r.float(), r.float()} }

// customKey joins a custom metric's name and series into a series key.
func customKey(metric, series string) string { return metric + "\x00" + series }

// splitCustomKey splits a series key of customKey.
func splitCustomKey(k string) (metric, series string) {
	metric, series, _ = strings.Cut(k, "\x00")
	return metric, series
}

// customRates turns the cumulative values of counters into per-second
// rates between consecutive rows of each series, in place: v holds the
// values of the rows, whose series keys are keys and times ts (µs). A
// counter that went down (a reset) gives no rate at that row. prev keeps
// the last value of each series across chunks. From rollups, v is each
// bucket's highest value, which for a counter is its last.
func customRates(ts []int64, keys []string, v []float64, prev map[string][2]float64) []float64 {
	out := make([]float64, len(v))
	for i, k := range keys {
		out[i] = math.NaN()
		x := v[i]
		if math.IsNaN(x) {
			continue
		}
		p, ok := prev[k]
		t := float64(ts[i])
		if ok && t > p[0] && x >= p[1] {
			out[i] = (x - p[1]) / ((t - p[0]) / 1e6)
		}
		if !ok || t > p[0] {
			prev[k] = [2]float64{t, x}
		}
	}
	return out
}

// customUnit is the unit the site shows for a custom metric's unit (from
// its name's suffix), per second for a counter.
func customUnit(unit string, counter bool) string {
	u := map[string]string{"bytes": unitBytes, "seconds": "s", "celsius": unitCelsius,
		"percent": unitPct, "volts": "V", "amperes": "A", "joules": "J", "watts": "W", "hertz": "Hz",
		"meters": "m", "grams": "g", "bits": "bit"}[unit]
	if unit != "" && u == "" {
		u = unit
	}
	if !counter {
		return u
	}
	switch u {
	case unitBytes:
		return unitBytesPS
	case "bit":
		return unitBitsPS
	case "":
		return unitPerS
	}
	return u + "/s"
}

// customChartID returns a DOM id for the chart of metric, the i-th.
func customChartID(i int, metric string) string {
	b := []byte("custom-" + strconv.Itoa(i) + "-")
	for _, c := range []byte(metric) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			b = append(b, c)
		} else {
			b = append(b, '-')
		}
	}
	return string(b)
}

// custom draws the custom metrics (the custom table, from the textfile
// directory) on the host page, in a section of their own: a chart per
// metric name, a series per label set, titled with the metric's name and
// HELP text. A counter is drawn as its rate per second. A day's rates
// start from the last values of the days before (carried), so its day
// memo entry is keyed by them too.
func (g *gatherer) custom() error {
	set := g.newSet(1)
	meta := map[string]customMeta{}
	negative := map[string]bool{} // a value below zero: the axis does not start at 0
	prev := map[string][2]float64{}
	last := &carried[[2]float64]{m: &prev, put: putPrev, get: getPrev}
	accs := []dayAcc{set, &newestOf[customMeta]{m: &meta, put: putCustomMeta, get: getCustomMeta},
		&newestOf[bool]{m: &negative, put: (*memoBuf).bool, get: (*memoReader).bool}, last}
	err := g.eachCarried(schema.TableCustom, []string{"metric", "series", "type", "help", "unit", "value"}, accs, last.state, func(c chunk) {
		metric, series := c.str("metric"), c.str("series")
		typ, help, unit := c.str("type"), c.str("help"), c.str("unit")
		keys := make([]string, len(metric))
		for i := range metric {
			keys[i] = customKey(metric[i], series[i])
			meta[metric[i]] = customMeta{typ[i], help[i], unit[i]}
		}
		v := c.num("value")
		if rates := slices.ContainsFunc(metric, func(name string) bool { return meta[name].typ == "counter" }); rates {
			// Counters: the rate, from the samples or from each bucket's
			// last value (its highest).
			r := customRates(c.f.Time, keys, v.Hi, prev)
			for i := range metric {
				if meta[metric[i]].typ != "counter" {
					r[i] = math.NaN()
				}
			}
			gauge := vals{V: slices.Clone(v.V), Lo: slices.Clone(v.Lo), Hi: slices.Clone(v.Hi)}
			for i := range metric {
				if meta[metric[i]].typ == "counter" {
					gauge.V[i], gauge.Lo[i], gauge.Hi[i] = r[i], r[i], r[i]
				}
			}
			v = gauge
		}
		for i := range metric {
			if v.Lo[i] < 0 {
				negative[metric[i]] = true
			}
		}
		set.addChunk(c.f.Time, c.res, keys, v)
	})
	if err != nil {
		return err
	}
	byMetric := map[string][]string{}
	var metrics []string
	for _, k := range set.keys() {
		m, _ := splitCustomKey(k)
		if byMetric[m] == nil {
			metrics = append(metrics, m)
		}
		byMetric[m] = append(byMetric[m], k)
	}
	for r := range ranges {
		var charts []Chart
		for i, m := range metrics {
			keys := byMetric[m]
			if !set.grid(r, keys).hasValues() {
				continue
			}
			names := make([]string, len(keys))
			for j, k := range keys {
				if _, s := splitCustomKey(k); s != "" {
					names[j] = s
				} else {
					names[j] = m
				}
			}
			md := meta[m]
			title := m
			if md.help != "" {
				title += ": " + md.help
			}
			counter := md.typ == "counter"
			if counter {
				title += " (per second)"
			}
			c := g.line(r, customChartID(i, m), title, customUnit(md.unit, counter), set, keys, names, lineOpts{Signed: negative[m]})
			charts = append(charts, c)
		}
		g.add(r, Section{Title: "Custom metrics", Charts: charts})
	}
	return nil
}

// hasValues reports whether a grid holds a value that is not NaN.
func (gr grid) hasValues() bool {
	for _, c := range gr.Cols {
		for _, v := range c {
			if !math.IsNaN(v) {
				return true
			}
		}
	}
	return false
}
