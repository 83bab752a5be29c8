package render

import (
	"math"
	"strconv"
	"time"
)

// Chart is one ECharts chart ready for a template: a stable DOM id, a title,
// the unit of its values (for tooltips and axis labels) and the ECharts
// option object. Templates write the option into a JSON data block through
// html/template, which escapes it; the site's own script (assets/almanac.js)
// reads the block and draws the chart.
type Chart struct {
	ID     string         `json:"id"`
	Title  string         `json:"-"`
	Unit   string         `json:"unit"`
	Kind   string         `json:"kind"` // "line", "heatmap" (time categories on x) or "calendar"
	Option map[string]any `json:"option"`

	data     grid // a line chart's rows, to reduce further for the page budget
	from, to int64
	gap      int64
	stacked  bool // reduce data to means (downsampleMean), not extremes
	peaks    int  // of a stacked chart: its last columns are peaks
}

// values returns how many numbers the chart's data holds.
func (c *Chart) values() int {
	return len(c.data.T) * (len(c.data.Cols) + 1)
}

// shrink reduces a line chart to about rows rows per series (keeping each
// bucket's minimum and maximum).
func (c *Chart) shrink(n int) {
	if c.Kind != "line" || len(c.data.T) <= n {
		return
	}
	if c.stacked {
		c.data = downsampleMean(c.data, c.from, c.to, n, c.gap, c.peaks)
	} else {
		c.data = downsample(c.data, c.from, c.to, n, c.gap)
	}
	c.Option["dataset"] = map[string]any{"source": rows(c.data)}
}

// pageBudget is the most numbers the charts of one page hold together:
// about 1.3 MB of JSON, keeping every page under 2 MB.
const pageBudget = 160_000

// fitBudget shrinks the line charts of a page, in proportion, until their
// data fits pageBudget.
func fitBudget(charts []Chart) {
	total := 0
	for i := range charts {
		total += charts[i].values()
	}
	if total <= pageBudget {
		return
	}
	f := float64(pageBudget) / float64(total)
	for i := range charts {
		c := &charts[i]
		if c.Kind == "line" {
			c.shrink(max(100, int(float64(len(c.data.T))*f)))
		}
	}
}

// Units of chart values. The site script formats values with them.
const (
	unitPct     = "%"
	unitBytes   = "B"
	unitBytesPS = "B/s"
	unitBitsPS  = "bit/s" // SI multiples (kbit/s, Mbit/s), as network people read
	unitPerS    = "/s"
	unitMs      = "ms"
	unitCelsius = "°C"
	unitCount   = ""
)

// maxPoints is the most points a chart series holds.
const maxPoints = 2000

// rows is a grid written as an ECharts dataset source: one array per row,
// the time in milliseconds first, then the values, null where missing.
type rows grid

// MarshalJSON writes the rows compactly, rounding values for display.
func (r rows) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(r.T)*(16+8*len(r.Cols)))
	b = append(b, '[')
	for i, t := range r.T {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, t/1000, 10)
		for _, c := range r.Cols {
			b = append(b, ',')
			b = appendNum(b, c[i])
		}
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// num is a float64 that is written as null when it is NaN or infinite.
type num float64

// MarshalJSON writes n rounded for display, or null.
func (n num) MarshalJSON() ([]byte, error) { return appendNum(nil, float64(n)), nil }

// appendNum appends v rounded to what a chart can show: integers above
// 1000, else at most three decimals; NaN and infinities become null.
func appendNum(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return append(b, "null"...)
	case math.Abs(v) >= 1000:
		return strconv.AppendFloat(b, math.Round(v), 'f', -1, 64)
	default:
		return strconv.AppendFloat(b, math.Round(v*1000)/1000, 'f', -1, 64)
	}
}

// lineOpts shape a line chart.
type lineOpts struct {
	Stack   bool     // stack the series as areas (CPU modes, memory)
	Peaks   int      // with Stack: the last Peaks series are lines over the stack (a peak)
	Integer bool     // values are counts: axis steps are whole numbers
	Area    bool     // fill under each line
	Reboots []int64  // boot times (µs) to mark on the time axis
	OOMs    []int64  // times (µs) of samples that counted OOM kills, marked too
	Outages []Outage // shaded: down in red, no data in grey
	Bands   []Band   // incidents, shaded on the charts they concern (bands.go)
	Max     float64  // a fixed maximum of the value axis (0: automatic)
	From    int64    // the start of the range (µs), so every chart of a page spans it
	To      int64    // the end of the range (µs)
	Gap     int64    // the gap threshold (µs), for further reduction
	// The first and last sample of the page's host in the range (µs), so
	// that every chart of a page opens on the same window (0: the chart's
	// own data).
	DataFrom, DataTo int64
}

// lineChart builds a time-series line chart from a downsampled grid: one
// series per column of g, named by names.
func lineChart(id, title, unit string, g grid, names []string, o lineOpts) Chart {
	if o.Stack {
		zeroAbsent(grid{T: g.T, Cols: g.Cols[:len(g.Cols)-o.Peaks]})
	}
	series := make([]any, 0, len(g.Cols))
	for j := range g.Cols {
		s := map[string]any{
			"type":       "line",
			"name":       names[j],
			"showSymbol": false,
			"encode":     map[string]any{"x": 0, "y": j + 1},
			"lineStyle":  map[string]any{"width": 1},
		}
		if o.Stack && j >= len(g.Cols)-o.Peaks {
			s["lineStyle"] = map[string]any{"width": 1, "type": "dashed", "color": "#888"}
			s["itemStyle"] = map[string]any{"color": "#888"}
			s["z"] = 3
		} else if o.Stack {
			s["stack"] = "total"
			s["areaStyle"] = map[string]any{}
		} else if o.Area {
			s["areaStyle"] = map[string]any{"opacity": 0.15}
		}
		if j == 0 {
			if marks := timeMarks(o); len(marks) > 0 {
				s["markLine"] = markLine(marks)
			}
			if areas := append(outageAreas(o), bandAreas(o, id)...); len(areas) > 0 {
				s["markArea"] = map[string]any{"silent": true, "data": areas}
			}
		}
		series = append(series, s)
	}
	yAxis := map[string]any{"type": "value"}
	if o.Max > 0 {
		yAxis["max"] = o.Max
	}
	yAxis["min"] = 0
	if o.Integer {
		yAxis["minInterval"] = 1
	}
	xAxis := map[string]any{"type": "time"}
	if o.To > o.From {
		xAxis["min"] = o.From / 1000
		xAxis["max"] = o.To / 1000
	}
	zoom := []any{
		map[string]any{"type": "inside"},
		map[string]any{"type": "slider", "height": 16, "bottom": 6},
	}
	extent := g
	if o.DataTo > 0 {
		extent = grid{T: []int64{o.DataFrom, o.DataTo}, Cols: [][]float64{{0, 0}}}
	}
	if lo, hi, ok := zoomWindow(extent, o.From, o.To); ok {
		// Open on the data; the slider (or the page's "whole range"
		// button) shows the rest. The slider's preview spreads the points
		// evenly over its width whatever their times: off for a sliver.
		for _, z := range zoom {
			z := z.(map[string]any)
			z["startValue"], z["endValue"] = lo/1000, hi/1000
		}
		zoom[1].(map[string]any)["showDataShadow"] = false
	}
	return Chart{
		data:    g,
		stacked: o.Stack,
		peaks:   o.Peaks,
		from:    o.From,
		to:      o.To,
		gap:     o.Gap,
		ID:      id,
		Title:   title,
		Unit:    unit,
		Kind:    "line",
		Option: map[string]any{
			"animation": false,
			"tooltip":   map[string]any{"trigger": "axis"},
			"legend":    map[string]any{"type": "scroll", "top": 0},
			"grid":      map[string]any{"left": 8, "right": 16, "top": 36, "bottom": 48, "containLabel": true},
			"xAxis":     xAxis,
			"yAxis":     yAxis,
			"dataZoom":  zoom,
			"dataset":   map[string]any{"source": rows(g)},
			"series":    series,
		},
	}
}

// timeMarks returns the marks of the time axis in the range of o:
// reboots (red) and OOM kills (orange), as markLine data.
func timeMarks(o lineOpts) []any {
	var marks []any
	add := func(ts []int64, name, color string) {
		for _, t := range ts {
			if t >= o.From && t < o.To {
				marks = append(marks, map[string]any{"xAxis": t / 1000, "name": name,
					"lineStyle": map[string]any{"type": "dashed", "color": color}})
			}
		}
	}
	add(o.Reboots, "reboot", "#d9534f")
	add(o.OOMs, "OOM kill", "#e08a00")
	return marks
}

// markLine is the markLine option of a series drawing marks (timeMarks).
func markLine(marks []any) map[string]any {
	return map[string]any{
		"silent": true,
		"symbol": []string{"none", "none"},
		"label":  map[string]any{"formatter": "{b}", "position": "insideEndTop"},
		"data":   marks,
	}
}

// outageAreas returns the outages of o within its range as markArea data:
// down in red, no data in grey.
func outageAreas(o lineOpts) []any {
	var areas []any
	for _, out := range o.Outages {
		from, to := max(out.Start, o.From), min(out.End, o.To)
		if to <= from {
			continue
		}
		color := "rgba(128,128,128,0.12)"
		if out.Kind == KindDown {
			color = "rgba(211,47,47,0.12)"
		}
		areas = append(areas, []any{
			map[string]any{"xAxis": from / 1000, "itemStyle": map[string]any{"color": color}},
			map[string]any{"xAxis": to / 1000},
		})
	}
	return areas
}

// zoomWindow returns the window (µs) a chart of the range [from, to)
// opens on when its data (the rows of g with a value) covers less than
// half of it: the data's extent widened by a tenth on each side, and to
// at least two minutes, moved inside the range. ok is false when the chart
// should open on the whole range.
func zoomWindow(g grid, from, to int64) (lo, hi int64, ok bool) {
	first, last := int64(-1), int64(-1)
	for i, t := range g.T {
		for _, c := range g.Cols {
			if !math.IsNaN(c[i]) {
				if first < 0 {
					first = t
				}
				last = t
				break
			}
		}
	}
	if first < 0 || to <= from {
		return 0, 0, false
	}
	ext := last - first
	w := max(ext+ext/5, 2*time.Minute.Microseconds())
	if 2*w >= to-from {
		return 0, 0, false
	}
	lo = first - (w-ext)/2
	lo = min(max(lo, from), to-w)
	return lo, lo + w, true
}

// zeroAbsent sets to 0, in place, the NaN values of g's rows that have a
// value in another column: in a stack of shares, a key missing from a row
// (a user without processes then) holds none of the whole, and a null
// would break the stack above it. Rows with no value stay gaps.
func zeroAbsent(g grid) {
	for i := range g.T {
		any := false
		for _, c := range g.Cols {
			if !math.IsNaN(c[i]) {
				any = true
				break
			}
		}
		if !any {
			continue
		}
		for _, c := range g.Cols {
			if math.IsNaN(c[i]) {
				c[i] = 0
			}
		}
	}
}

// heatmapChart builds a heatmap with time buckets across and names down:
// cells[j][i] is the value of row j in bucket i (NaN: no cell).
func heatmapChart(id, title, unit string, times []int64, names []string, cells [][]float64, maxVal float64) Chart {
	xs := make([]int64, len(times))
	for i, t := range times {
		xs[i] = t / 1000
	}
	var data []any
	for j, row := range cells {
		for i, v := range row {
			if math.IsNaN(v) {
				continue
			}
			data = append(data, []any{i, j, num(v)})
		}
	}
	return Chart{
		ID:    id,
		Title: title,
		Unit:  unit,
		Kind:  "heatmap",
		Option: map[string]any{
			"animation": false,
			"tooltip":   map[string]any{"position": "top"},
			"grid":      map[string]any{"left": 8, "right": 16, "top": 10, "bottom": 56, "containLabel": true},
			"xAxis":     map[string]any{"type": "category", "data": xs, "splitArea": map[string]any{"show": false}},
			"yAxis":     map[string]any{"type": "category", "data": names},
			"visualMap": map[string]any{
				"min": 0, "max": maxVal, "calculable": true, "orient": "horizontal",
				"left": "center", "bottom": 0, "itemHeight": 120,
			},
			"dataZoom": []any{map[string]any{"type": "inside"}},
			"series":   []any{map[string]any{"type": "heatmap", "data": data, "progressive": 0}},
		},
	}
}

// bucketMax cuts [from, to) into n buckets and returns their start times
// and, for each column of g, the largest value in each bucket (NaN when
// the bucket is empty). The largest value keeps short peaks visible.
func bucketMax(g grid, from, to int64, n int) ([]int64, [][]float64) {
	if n < 1 || to <= from {
		return nil, nil
	}
	width := (to - from + int64(n) - 1) / int64(n)
	times := make([]int64, n)
	for i := range times {
		times[i] = from + int64(i)*width
	}
	cells := make([][]float64, len(g.Cols))
	for j := range cells {
		c := make([]float64, n)
		for i := range c {
			c[i] = math.NaN()
		}
		cells[j] = c
	}
	lo, hi := window(g.T, from, to)
	for i := lo; i < hi; i++ {
		b := int((g.T[i] - from) / width)
		if b >= n {
			b = n - 1
		}
		for j, col := range g.Cols {
			v := col[i]
			if math.IsNaN(v) {
				continue
			}
			if c := cells[j][b]; math.IsNaN(c) || v > c {
				cells[j][b] = v
			}
		}
	}
	return times, cells
}

// calendarChart builds a calendar heatmap of daily uptime percentages
// between the days first and last ("2006-01-02"). Days missing from days
// are drawn empty: no data is neither up nor down.
func calendarChart(id, title, first, last string, days [][2]any) Chart {
	data := make([]any, len(days))
	for i, d := range days {
		data[i] = []any{d[0], d[1]}
	}
	return Chart{
		ID:    id,
		Title: title,
		Unit:  unitPct,
		Kind:  "calendar",
		Option: map[string]any{
			"animation": false,
			"tooltip":   map[string]any{},
			"visualMap": map[string]any{
				"type": "piecewise", "orient": "horizontal", "left": "center", "bottom": 0,
				"pieces": []any{
					map[string]any{"gte": 99.9, "label": "≥ 99.9 %", "color": "#2e7d32"},
					map[string]any{"gte": 99, "lt": 99.9, "label": "99–99.9 %", "color": "#9ccc65"},
					map[string]any{"gte": 95, "lt": 99, "label": "95–99 %", "color": "#ffb300"},
					map[string]any{"lt": 95, "label": "< 95 %", "color": "#d32f2f"},
				},
			},
			"calendar": map[string]any{
				"range":     []string{first, last},
				"cellSize":  []any{"auto", 14},
				"top":       30,
				"left":      40,
				"right":     10,
				"itemStyle": map[string]any{"borderWidth": 1},
				"yearLabel": map[string]any{"show": false},
			},
			"series": []any{map[string]any{
				"type": "heatmap", "coordinateSystem": "calendar", "data": data,
			}},
		},
	}
}
