package render

import (
	"math"
	"strconv"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Chart is one ECharts chart ready for a template: a stable DOM id, a title,
// the unit of its values (for tooltips and axis labels) and the ECharts
// option object. A page's charts are written into its JSON data block
// (fillData, which escapes everything from a host); the site's own
// script (assets/almanac.js) reads the block and draws the chart.
type Chart struct {
	ID     string `json:"id"`
	Title  string `json:"-"`
	Unit   string `json:"unit"`
	Kind   string `json:"kind"` // "line", "heatmap" (time categories on x) or "calendar"
	Option Option `json:"option"`
	// All is, for a chart drawing the first of its dataset's columns only
	// (the fleet charts), how many columns there are: the site script
	// draws them all on demand. 0 otherwise.
	All int `json:"all,omitempty"`

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
	c.Option.DatasetList[0].Source = rows(c.data)
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
	return appendRows(make([]byte, 0, r.size()), r), nil
}

// size returns about how many bytes the rows take as JSON.
func (r rows) size() int { return 2 + len(r.T)*(16+8*len(r.Cols)) }

// appendRows appends r as JSON: an array of rows, each the time in
// milliseconds, then the values rounded for display (appendNum), null
// where missing. Only digits, '-', '.', ',', brackets and null: nothing
// that needs escaping anywhere.
func appendRows(b []byte, r rows) []byte {
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
	return append(b, ']')
}

// num is a float64 that is written as null when it is NaN or infinite.
type num float64

// MarshalJSON writes n rounded for display, or null.
func (n num) MarshalJSON() ([]byte, error) { return appendNum(nil, float64(n)), nil }

// appendNum appends v rounded to what a chart can show: integers above
// 1000, else at most three decimals; NaN and infinities become null.
//
// The bytes are those of strconv.AppendFloat(b, x, 'f', -1, 64) of the
// rounded value x (math.Round(v) above 1000, math.Round(v*1000)/1000
// below), written with integer arithmetic: x is the double nearest to
// n/1000 for the integer n = math.Round(v*1000), |n| <= 10^6, and two
// decimals of at most 15 significant digits never share a double, so the
// shortest decimal that reads back as x is n/1000 itself, without its
// trailing zeros. Likewise a whole x under 2^53 is its integer digits.
// TestAppendNum and FuzzAppendNum compare the two.
func appendNum(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return append(b, "null"...)
	case math.Abs(v) >= 1000:
		r := math.Round(v)
		if math.Abs(r) >= 1<<53 {
			return strconv.AppendFloat(b, r, 'f', -1, 64)
		}
		return strconv.AppendInt(b, int64(r), 10)
	}
	r := math.Round(v * 1000)
	if r == 0 {
		if math.Signbit(r) {
			return append(b, "-0"...) // as AppendFloat writes -0
		}
		return append(b, '0')
	}
	n := int64(r)
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/1000, 10)
	if f := n % 1000; f != 0 {
		b = append(b, '.', byte('0'+f/100))
		if f %= 100; f != 0 {
			b = append(b, byte('0'+f/10))
			if f %= 10; f != 0 {
				b = append(b, byte('0'+f))
			}
		}
	}
	return b
}

// lineOpts shape a line chart.
type lineOpts struct {
	Stack   bool     // stack the series as areas (CPU modes, memory)
	Peaks   int      // with Stack: the last Peaks series are lines over the stack (a peak)
	Integer bool     // values are counts: axis steps are whole numbers
	Signed  bool     // values may be negative: the value axis has no floor at zero
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
	ext := &chartExt{series: make([]seriesExt, len(g.Cols)), markAreas: true}
	line := charts.NewLine()
	line.AddDataset(opts.Dataset{Source: rows(g)})
	for j := range g.Cols {
		s := charts.SingleSeries{
			Name:       names[j],
			Type:       "line",
			ShowSymbol: opts.Bool(false),
			Encode:     &opts.Encode{X: 0, Y: j + 1},
			LineStyle:  &opts.LineStyle{Width: 1},
		}
		if o.Stack && j >= len(g.Cols)-o.Peaks {
			s.LineStyle = &opts.LineStyle{Width: 1, Type: "dashed", Color: "#888"}
			s.ItemStyle = &opts.ItemStyle{Color: "#888"}
			ext.series[j].Z = 3
		} else if o.Stack {
			s.Stack = "total"
			s.AreaStyle = &opts.AreaStyle{}
		} else if o.Area {
			s.AreaStyle = &opts.AreaStyle{Opacity: opts.Float(0.15)}
		}
		if j == 0 {
			s.MarkLines = markLine(timeMarks(o))
			if areas := markAreaData(o, id); len(areas) > 0 {
				s.MarkAreas = &opts.MarkAreas{Data: areas}
			}
		}
		line.MultiSeries = append(line.MultiSeries, s)
	}
	yAxis := opts.YAxis{Type: "value", Min: 0}
	if o.Signed {
		yAxis.Min = nil
	}
	if o.Max > 0 {
		yAxis.Max = o.Max
	}
	if o.Integer {
		yAxis.MinInterval = 1
	}
	xAxis := opts.XAxis{Type: "time"}
	if o.To > o.From {
		xAxis.Min, xAxis.Max = o.From/1000, o.To/1000
	}
	ext.zoom = []zoomExt{{}, {Height: 16, Bottom: ptr(6)}}
	extent := g
	if o.DataTo > 0 {
		extent = grid{T: []int64{o.DataFrom, o.DataTo}, Cols: [][]float64{{0, 0}}}
	}
	if lo, hi, ok := zoomWindow(extent, o.From, o.To); ok {
		// Open on the data; the slider (or the page's "whole range"
		// button) shows the rest. The slider's preview spreads the points
		// evenly over its width whatever their times: off for a sliver.
		for i := range ext.zoom {
			ext.zoom[i].StartValue, ext.zoom[i].EndValue = ptr(lo/1000), ptr(hi/1000)
		}
		ext.zoom[1].ShowDataShadow = ptr(false)
	}
	line.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Type: "scroll", Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "16", Top: "36", Bottom: "48", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(xAxis),
		charts.WithYAxisOpts(yAxis),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside"}, opts.DataZoom{Type: "slider"}),
	)
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
		Option:  newOption(&line.RectChart, ext),
	}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// timeMarks returns the marks of the time axis in the range of o:
// reboots (red) and OOM kills (orange), as markLine data.
func timeMarks(o lineOpts) []any {
	var marks []any
	add := func(ts []int64, name, color string) {
		for _, t := range ts {
			if t >= o.From && t < o.To {
				marks = append(marks, timeMark{XAxis: t / 1000, Name: name,
					LineStyle: &opts.LineStyle{Type: "dashed", Color: color}})
			}
		}
	}
	add(o.Reboots, "reboot", "#d9534f")
	add(o.OOMs, "OOM kill", "#e08a00")
	return marks
}

// markLine is the markLine option of a series drawing marks (timeMarks),
// or nil without marks. The marks answer a click (the site script opens
// the top processes of that time).
func markLine(marks []any) *opts.MarkLines {
	if len(marks) == 0 {
		return nil
	}
	return &opts.MarkLines{
		Data: marks,
		MarkLineStyle: opts.MarkLineStyle{
			Symbol: []string{"none", "none"},
			Label:  &opts.Label{Formatter: "{b}", Position: "insideEndTop"},
		},
	}
}

// markAreaData returns the shaded bands of line chart id in the range of
// o, as markArea data: its outages and its incidents (bands.go).
func markAreaData(o lineOpts, id string) []any {
	return append(outageAreas(o), bandAreas(o, id)...)
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
		areas = append(areas, []opts.MarkAreaData{
			{XAxis: from / 1000, MarkAreaStyle: opts.MarkAreaStyle{ItemStyle: &opts.ItemStyle{Color: color}}},
			{XAxis: to / 1000},
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
	var data []heatCell
	for j, row := range cells {
		for i, v := range row {
			if math.IsNaN(v) {
				continue
			}
			data = append(data, heatCell{i, j, v})
		}
	}
	hm := charts.NewHeatMap()
	hm.MultiSeries = append(hm.MultiSeries, charts.SingleSeries{Type: "heatmap", Data: data})
	hm.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Position: "top"}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "16", Top: "10", Bottom: "56", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: xs, SplitArea: &opts.SplitArea{Show: opts.Bool(false)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: names}),
		charts.WithVisualMapOpts(opts.VisualMap{Max: float32(maxVal), Calculable: opts.Bool(true),
			Orient: "horizontal", Left: "center", Bottom: "0"}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside"}),
	)
	ext := &chartExt{series: []seriesExt{{Progressive: ptr(0)}}, itemH: 120}
	return Chart{
		ID:     id,
		Title:  title,
		Unit:   unit,
		Kind:   "heatmap",
		Option: newOption(&hm.RectChart, ext),
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
	hm := charts.NewHeatMap()
	hm.AddCalendar(&opts.Calendar{
		Range:     []string{first, last},
		Top:       "30",
		Left:      "40",
		Right:     "10",
		ItemStyle: &opts.ItemStyle{BorderWidth: 1},
		YearLabel: &opts.CalendarLabel{Show: opts.Bool(false)},
	})
	hm.MultiSeries = append(hm.MultiSeries, charts.SingleSeries{Type: "heatmap", CoordSystem: "calendar", Data: days})
	hm.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithVisualMapOpts(opts.VisualMap{Type: "piecewise", Orient: "horizontal", Left: "center", Bottom: "0"}),
	)
	ext := &chartExt{
		cellSize: []any{"auto", 14},
		pieces: []piece{
			{Gte: ptr(99.9), Label: "≥ 99.9 %", Color: "#2e7d32"},
			{Gte: ptr(99.0), Lt: ptr(99.9), Label: "99–99.9 %", Color: "#9ccc65"},
			{Gte: ptr(95.0), Lt: ptr(99.0), Label: "95–99 %", Color: "#ffb300"},
			{Lt: ptr(95.0), Label: "< 95 %", Color: "#d32f2f"},
		},
	}
	return Chart{
		ID:     id,
		Title:  title,
		Unit:   unitPct,
		Kind:   "calendar",
		Option: newOption(&hm.RectChart, ext),
	}
}
