package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// The site's chart options are built with go-echarts' typed charts
// (charts.Line, charts.HeatMap) and options (package opts, the dataset
// included). Only their JSON() map is used: encoding/json writes it, with
// everything from a host escaped, into the page's JSON data block
// (fillData, pagejson.go); go-echarts' Render, its templates and its
// asset host are never used, and chart ids are set by render
// (opts.Initialization.ChartID).
//
// What the site needs beyond go-echarts' option types is added through
// go-echarts' own extension point, a charts.ConfigurationVisitor
// (chartExt) that rewrites parts of the option as it is written, with
// small typed structs of ours that embed go-echarts' types:
//
//   - series: a series' z level (peaks over a stack), a heatmap's
//     progressive rendering, silent mark areas, and compact data that
//     leaves the dataset alone (series);
//   - time marks: markLine items with their own line style (timeMark);
//   - dataZoom: the window as values (startValue, endValue), the
//     slider's height and bottom, and its data shadow (dataZoom);
//   - visualMap: the piece labels and the bar's item height (visualMap);
//   - calendar: a cell size of two values (calendarExt);
//   - heatmap cells as [x, y, value] arrays rather than objects (heatCell);
//   - a dataset's dimension names (dataset);
//   - one x axis, y axis, grid and dataset written as an object, not a
//     one-element array, and the empty title, toolbox, legend and the
//     default palette left out (the site script adds the toolbox, and
//     ECharts' palette follows the light or dark theme).

// Option is a chart's ECharts option: a go-echarts chart, written as the
// map its JSON method returns.
type Option struct {
	*charts.RectChart
	ext *chartExt
}

// MarshalJSON writes the chart's option object. A line chart's dataset
// rows, most of its bytes, are written by appendRows straight into the
// result rather than through encoding/json, which would scan them once
// more. (A page's data block does not come through here for its rows:
// appendData writes them in place itself.)
func (o Option) MarshalJSON() ([]byte, error) {
	if o.RectChart == nil {
		return []byte("null"), nil
	}
	r := datasetRows(o)
	if r.T == nil {
		return json.Marshal(o.JSON())
	}
	o.DatasetList[0].Source = rowsMark
	m := o.JSON() // holds a copy of the dataset
	o.DatasetList[0].Source = r
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	// The dataset comes before the series (keys in order), so the first
	// match is the mark, never a host's text.
	i := bytes.Index(b, rowsMarkJSON)
	if i < 0 {
		return nil, errors.New("render: chart option without its dataset mark")
	}
	out := make([]byte, 0, len(b)+r.size())
	out = append(out, b[:i+len(rowsMarkKey)]...)
	out = appendRows(out, r)
	return append(out, b[i+len(rowsMarkJSON):]...), nil
}

// rowsMark stands for a dataset's rows while the rest of an option is
// encoded; rowsMarkJSON is how it comes out, after its key.
const rowsMark = "\x00almanac-rows"

var (
	rowsMarkKey  = []byte(`"dataset":{"source":`)
	rowsMarkJSON = []byte(`"dataset":{"source":"\u0000almanac-rows"`)
)

// newOption returns the option of chart c with the extensions ext.
func newOption(c *charts.RectChart, ext *chartExt) Option {
	if ext == nil {
		ext = &chartExt{}
	}
	c.Accept(ext)
	return Option{RectChart: c, ext: ext}
}

// chartExt is the charts.ConfigurationVisitor of every chart of the site:
// it adds the extensions (see above) when the option is written.
type chartExt struct {
	charts.BaseConfigurationVisitor
	series    []seriesExt // by series index
	zoom      []zoomExt   // by dataZoom index
	pieces    []piece     // the visualMap's pieces, labelled
	itemH     int         // the visualMap's item height
	cellSize  []any       // the calendar's cell size
	markAreas bool        // mark areas are silent (no hover)
	// the dataset's dimension names (a fleet chart: "time" and its hosts)
	dimensions []string
}

// dataset is a dataset with the names of its dimensions (go-echarts'
// Dataset has its source only).
type dataset struct {
	opts.Dataset
	Dimensions []string `json:"dimensions,omitempty"`
}

// seriesExt is what a series needs beyond charts.SingleSeries.
type seriesExt struct {
	Z           int  `json:"z,omitempty"`
	Progressive *int `json:"progressive,omitempty"`
}

// series is one series as written: go-echarts' series and ours.
type series struct {
	charts.SingleSeries
	seriesExt
	// Data shadows SingleSeries.Data: none for a series drawn from the
	// dataset (go-echarts writes null).
	Data any `json:"data,omitempty"`
	// Animation shadows SingleSeries.Animation: the chart's is enough.
	Animation *bool     `json:"animation,omitempty"`
	MarkArea  *markArea `json:"markArea,omitempty"`
}

// markArea is go-echarts' MarkAreas, silent: hovering an outage or an
// incident band does not highlight it.
type markArea struct {
	*opts.MarkAreas
	Silent bool `json:"silent"`
}

// timeMark is a markLine item at a time with its own line style (go-echarts'
// MarkLineNameXAxisItem has none).
type timeMark struct {
	XAxis     int64           `json:"xAxis"`
	Name      string          `json:"name"`
	LineStyle *opts.LineStyle `json:"lineStyle,omitempty"`
}

// zoomExt is what a dataZoom needs beyond opts.DataZoom.
type zoomExt struct {
	StartValue     *int64 `json:"startValue,omitempty"`
	EndValue       *int64 `json:"endValue,omitempty"`
	Height         int    `json:"height,omitempty"`
	Bottom         *int   `json:"bottom,omitempty"`
	ShowDataShadow *bool  `json:"showDataShadow,omitempty"`
}

// dataZoom is one dataZoom as written.
type dataZoom struct {
	opts.DataZoom
	zoomExt
}

// piece is a visualMap piece with its label (opts.Piece has none) and
// bounds that may be 0.
type piece struct {
	Gte   *float64 `json:"gte,omitempty"`
	Lt    *float64 `json:"lt,omitempty"`
	Label string   `json:"label,omitempty"`
	Color string   `json:"color,omitempty"`
}

// visualMap is one visualMap as written.
type visualMap struct {
	opts.VisualMap
	Calculable *bool   `json:"calculable,omitempty"`
	ItemHeight int     `json:"itemHeight,omitempty"`
	Pieces     []piece `json:"pieces,omitempty"`
}

// calendarExt is a calendar with a cell size of two values.
type calendarExt struct {
	*opts.Calendar
	CellSize []any `json:"cellSize,omitempty"`
}

// heatCell is one heatmap cell, written [x, y, value].
type heatCell struct {
	x, y int
	v    float64
}

// MarshalJSON writes the cell as an array.
func (c heatCell) MarshalJSON() ([]byte, error) {
	b := append([]byte{'['}, strconv.Itoa(c.x)...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(c.y), 10)
	b = append(b, ',')
	b = appendNum(b, c.v)
	return append(b, ']'), nil
}

// VisitSeriesOpt writes the series with their extensions.
func (e *chartExt) VisitSeriesOpt(ms charts.MultiSeries) any {
	out := make([]series, len(ms))
	for i, s := range ms {
		out[i].SingleSeries = s
		if i < len(e.series) {
			out[i].seriesExt = e.series[i]
		}
		if d, ok := s.Data.([]opts.LineData); !ok || d != nil {
			out[i].Data = s.Data
		}
		if s.MarkAreas != nil {
			out[i].MarkArea = &markArea{MarkAreas: s.MarkAreas, Silent: e.markAreas}
		}
	}
	return out
}

// VisitDataZooms writes the dataZooms with their extensions.
func (e *chartExt) VisitDataZooms(zs []opts.DataZoom) any {
	out := make([]dataZoom, len(zs))
	for i, z := range zs {
		out[i].DataZoom = z
		if i < len(e.zoom) {
			out[i].zoomExt = e.zoom[i]
		}
	}
	return out
}

// VisitVisualMaps writes the visualMap, one, as an object.
func (e *chartExt) VisitVisualMaps(vs []opts.VisualMap) any {
	if len(vs) != 1 {
		return vs
	}
	v := visualMap{VisualMap: vs[0], ItemHeight: e.itemH, Pieces: e.pieces}
	v.Calculable = vs[0].Calculable
	return v
}

// VisitCalendar writes the calendar, one, as an object.
func (e *chartExt) VisitCalendar(cs []*opts.Calendar) any {
	if len(cs) != 1 {
		return cs
	}
	return calendarExt{Calendar: cs[0], CellSize: e.cellSize}
}

// VisitXAxis writes one x axis as an object.
func (e *chartExt) VisitXAxis(xs []opts.XAxis) any { return one(xs) }

// VisitYAxis writes one y axis as an object.
func (e *chartExt) VisitYAxis(ys []opts.YAxis) any { return one(ys) }

// VisitGrid writes one grid as an object.
func (e *chartExt) VisitGrid(gs []opts.Grid) any { return one(gs) }

// VisitDatasets writes one dataset as an object, with its dimensions.
func (e *chartExt) VisitDatasets(ds ...opts.Dataset) any {
	if len(ds) == 1 && e.dimensions != nil {
		return dataset{Dataset: ds[0], Dimensions: e.dimensions}
	}
	return one(ds)
}

// VisitTitleOpt leaves an empty title out.
func (e *chartExt) VisitTitleOpt(t opts.Title) any { return nonZero(t) }

// VisitLegendOpt leaves an empty legend out.
func (e *chartExt) VisitLegendOpt(l opts.Legend) any { return nonZero(l) }

// VisitToolboxOpt leaves the toolbox out: the site script adds it.
func (e *chartExt) VisitToolbox(t opts.Toolbox) any { return nonZero(t) }

// Visit removes what was left out, and go-echarts' palette (ECharts
// chooses it by theme).
func (e *chartExt) Visit(m map[string]any) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
	delete(m, "color")
}

// one returns the only element of s, or s.
func one[T any](s []T) any {
	if len(s) == 1 {
		return s[0]
	}
	return s
}

// nonZero returns v, or nil when it is its type's zero value.
func nonZero(v any) any {
	if reflect.ValueOf(v).IsZero() {
		return nil
	}
	return v
}
