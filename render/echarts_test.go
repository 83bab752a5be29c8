package render

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestOptionJSON: a line chart's option, written through go-echarts and
// the site's extensions, is valid JSON with its dataset rows in place,
// its extensions written, and series names as given, also a name that
// spells the mark used to splice the rows in.
func TestOptionJSON(t *testing.T) {
	hostile := "\x00almanac-rows\"dataset\":{\"source\":</script><script>alert(1)</script>"
	g := grid{T: []int64{1_000_000, 2_000_000}, Cols: [][]float64{{1.5, math.NaN()}, {2, 3}}}
	c := lineChart("x", "X", unitPct, g, []string{hostile, "peak"}, lineOpts{Stack: true, Peaks: 1, From: 0, To: 3_600_000_000,
		OOMs: []int64{1_500_000}, Outages: []Outage{{Start: 1_000_000, End: 2_000_000, Kind: KindDown}}})
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "<script>") {
		t.Errorf("unescaped: %s", b)
	}
	var got struct {
		Option struct {
			Dataset struct{ Source [][]any }
			Series  []struct {
				Name     string
				Z        int
				Stack    string
				MarkLine *struct{ Data []struct{ Name string } }
				MarkArea *struct {
					Silent bool
					Data   [][]map[string]any
				}
			}
			DataZoom []struct{ StartValue, EndValue int64 }
			XAxis    struct{ Min, Max int64 }
			Title    *struct{}
			Color    []string
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	o := got.Option
	if len(o.Dataset.Source) != 2 || o.Dataset.Source[0][0] != 1000.0 || o.Dataset.Source[1][1] != nil || o.Dataset.Source[1][2] != 3.0 {
		t.Errorf("dataset %v, want the two rows, the gap null", o.Dataset.Source)
	}
	if len(o.Series) != 2 || o.Series[0].Name != hostile || o.Series[0].Stack != "total" || o.Series[1].Z != 3 {
		t.Errorf("series %+v", o.Series)
	}
	if s := o.Series[0]; s.MarkLine == nil || len(s.MarkLine.Data) != 1 || s.MarkLine.Data[0].Name != "OOM kill" ||
		s.MarkArea == nil || !s.MarkArea.Silent || len(s.MarkArea.Data) != 1 {
		t.Errorf("marks %+v %+v", s.MarkLine, s.MarkArea)
	}
	if !strings.Contains(string(b), `"startValue":0,`) {
		t.Errorf("a window from 0 lost its start: %s", b)
	}
	if len(o.DataZoom) != 2 || o.DataZoom[0].EndValue != 120_000 || o.DataZoom[1].EndValue <= o.DataZoom[1].StartValue {
		t.Errorf("dataZoom %+v, want the window on the data", o.DataZoom)
	}
	if o.XAxis.Max != 3_600_000 || o.Title != nil || o.Color != nil {
		t.Errorf("xAxis %+v, title %v, color %v", o.XAxis, o.Title, o.Color)
	}
}
