package render

import (
	"bytes"
	"encoding/json"
	"html/template"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// appendNumFloat is appendNum as strconv writes it: the reference that
// appendNum's integer arithmetic must match byte for byte.
func appendNumFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return append(b, "null"...)
	case math.Abs(v) >= 1000:
		return strconv.AppendFloat(b, math.Round(v), 'f', -1, 64)
	default:
		return strconv.AppendFloat(b, math.Round(v*1000)/1000, 'f', -1, 64)
	}
}

// numEdges are values where appendNum's cases meet: zero of both signs,
// halves of the last decimal, the bound of 1000 and of exact integers
// (2^53), and what is not a number.
var numEdges = []float64{
	0, math.Copysign(0, -1), 0.0004, -0.0004, 0.0005, -0.0005, 0.0015, -0.0015, 0.001, -0.001,
	0.1 + 0.2, 1.0005, 2.675, 0.125, -0.125, 1, -1, 10.01, 99.999, 100.5,
	999.9994, 999.9995, -999.9995, 999.999, 1000, -1000, 1000.5, -1000.5, 1e6 + 0.5, 123456789.4,
	1<<53 - 1, 1 << 53, 1<<53 + 2, -(1 << 53), 1e20, 1.2345678901234567e22, -1e300, math.MaxFloat64,
	math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	math.NaN(), math.Inf(1), math.Inf(-1),
}

// TestAppendNum: appendNum writes the bytes strconv writes for the
// rounded value, at the edges and over random values of every
// magnitude a chart shows.
func TestAppendNum(t *testing.T) {
	check := func(v float64) {
		t.Helper()
		if got, want := appendNum(nil, v), appendNumFloat(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("appendNum(%v) = %s, want %s", v, got, want)
		}
	}
	for _, v := range numEdges {
		check(v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		v := rng.Float64() * math.Pow(10, float64(rng.IntN(24)-6))
		if rng.IntN(2) == 0 {
			v = -v
		}
		check(v)
		// Values on a decimal grid, as counts and percentages often are.
		check(float64(rng.IntN(2_000_000)-1_000_000) / 1000)
		check(math.Nextafter(v, math.Inf(1)))
	}
}

// FuzzAppendNum: appendNum matches strconv for any float64.
func FuzzAppendNum(f *testing.F) {
	for _, v := range numEdges {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if got, want := appendNum(nil, v), appendNumFloat(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("appendNum(%v) = %s, want %s", v, got, want)
		}
	})
}

// hostileNames are host-given texts that try to leave the data block or
// to spell the rows' mark.
var hostileNames = []string{
	"</script><script>alert(1)</script>",
	"<!--", "--></script>", "<![CDATA[ ]]>", "a & b > c",
	"line\u2028para\u2029", "bad \xff\xfe utf-8 \xc3",
	"\x00almanac-rows", `"dataset":{"source":"\u0000almanac-rows"`,
	"\"dataset\":{\"source\":\"\x00almanac-rows\"",
	"</SCRIPT >", "\u00e9t\u00e9 \U0001F600",
	dataSlot, "\\x00almanac-data\\x00",
}

// hostilePage returns a page's data with every kind of chart, each named
// with hostile texts: line charts (stacked with a peak, with marks and
// bands, with a fleet chart's dimensions), a heatmap, a calendar, a chart
// without rows, and one chart twice.
func hostilePage(names []string) pageData {
	n := len(names)
	g := grid{T: []int64{1_000_000, 2_000_000, 3_000_000}}
	for j := range n + 1 {
		g.Cols = append(g.Cols, []float64{float64(j) + 0.25, math.NaN(), -12.3456})
	}
	o := lineOpts{Stack: true, Peaks: 1, From: 0, To: 3_600_000_000, Reboots: []int64{1_500_000},
		OOMs: []int64{2_500_000}, Outages: []Outage{{Start: 1_000_000, End: 2_000_000, Kind: KindDown}}}
	line := lineChart(names[0], names[n-1], names[1%n], g, append(names[:n:n], "peak"), o)
	fleet := lineChart("fleet-"+names[0], "fleet", unitPct, grid{T: g.T, Cols: g.Cols[:n]}, names, lineOpts{From: 0, To: 3_600_000_000})
	fleet.Option.ext.dimensions = append([]string{"time"}, names...)
	fleet.All = n
	cells := make([][]float64, n)
	for j := range cells {
		cells[j] = []float64{float64(j), math.NaN(), 99.5}
	}
	heat := heatmapChart("heat", names[0], unitPct, []int64{0, 60_000_000, 120_000_000}, names, cells, 100)
	cal := calendarChart("cal", names[0], "2026-01-01", "2026-03-10", [][2]any{{"2026-01-02", 99.95}, {"2026-01-03", num(math.NaN())}})
	empty := lineChart("empty", names[0], unitPct, grid{Cols: [][]float64{nil}}, names[:1], lineOpts{})
	return pageData{TZ: names[n-1], Charts: []Chart{line, fleet, heat, cal, empty, line}}
}

// executeData executes the data block of base.html with the text between
// its tags (src) over d.
func executeData(t testing.TB, src string, d pageData) []byte {
	t.Helper()
	tm := template.Must(template.New("").Parse(`<script type="application/json" id="almanac-data">` + src + `</script>`))
	var b bytes.Buffer
	if err := tm.Execute(&b, d); err != nil {
		t.Fatal(err)
	}
	if src != "{{.Slot}}" {
		return b.Bytes()
	}
	out, err := fillData(nil, b.Bytes(), d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPageDataJSON: the data block that fillData writes for {{.Slot}} is
// byte for byte
// what html/template's escaper writes for {{.}}, with every host-given
// text escaped: nothing in it ends the script element or opens a comment,
// no line separators, valid UTF-8, and the texts read back as given (invalid
// UTF-8 as U+FFFD). Writing it leaves the charts as they were.
func TestPageDataJSON(t *testing.T) {
	for _, names := range append([][]string{hostileNames}, func() (out [][]string) {
		for _, s := range hostileNames {
			out = append(out, []string{s, "x"})
		}
		return out
	}()...) {
		d := hostilePage(names)
		want := executeData(t, "{{.}}", d)
		got := executeData(t, "{{.Slot}}", d)
		if !bytes.Equal(got, want) {
			t.Fatalf("names %q:\n got %s\nwant %s", names, got, want)
		}
		if again := executeData(t, "{{.Slot}}", d); !bytes.Equal(again, got) {
			t.Fatalf("a second write differs:\n%s\n%s", again, got)
		}
		body := bytes.TrimSuffix(bytes.TrimPrefix(got, []byte(`<script type="application/json" id="almanac-data">`)), []byte("</script>"))
		for _, bad := range []string{"<", ">", "&", "\u2028", "\u2029"} {
			if bytes.Contains(body, []byte(bad)) {
				t.Errorf("data block holds %+q: %s", bad, body)
			}
		}
		if !utf8.Valid(body) {
			t.Errorf("data block is not UTF-8: %q", body)
		}
		var back struct {
			TZ     string
			Charts []struct {
				ID     string
				Unit   string
				Option struct {
					Dataset struct {
						Source     [][]*float64
						Dimensions []string
					}
					Series []struct{ Name string }
				}
			}
		}
		if err := json.Unmarshal(body, &back); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		valid := func(s string) string { return string([]rune(s)) } // U+FFFD for each invalid byte
		if back.TZ != valid(names[len(names)-1]) || len(back.Charts) != 6 || back.Charts[0].ID != valid(names[0]) {
			t.Errorf("read back tz %q, charts %d, id %q", back.TZ, len(back.Charts), back.Charts[0].ID)
		}
		for _, k := range []int{0, 5} { // the line chart, written twice
			o := back.Charts[k].Option
			if len(o.Dataset.Source) != 3 || *o.Dataset.Source[0][1] != 0.25 || o.Dataset.Source[1][1] != nil ||
				*o.Dataset.Source[2][1] != -12.346 || len(o.Series) != len(names)+1 || o.Series[0].Name != valid(names[0]) {
				t.Errorf("chart %d read back as %+v", k, o)
			}
		}
		if dims := back.Charts[1].Option.Dataset.Dimensions; len(dims) != len(names)+1 || dims[1] != valid(names[0]) {
			t.Errorf("fleet dimensions read back as %q", dims)
		}
	}
}

// FuzzPageDataJSON: for any host-given name, {{.Slot}} filled writes what
// {{.}} did, and nothing in it can end the script element.
func FuzzPageDataJSON(f *testing.F) {
	for _, s := range hostileNames {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		d := hostilePage([]string{name, "x"})
		want := executeData(t, "{{.}}", d)
		got := executeData(t, "{{.Slot}}", d)
		if !bytes.Equal(got, want) {
			t.Fatalf("name %q:\n got %s\nwant %s", name, got, want)
		}
		if bytes.Count(bytes.ToLower(got), []byte("</script")) != 1 || bytes.Contains(got, []byte("<!--")) {
			t.Fatalf("name %q left the data block: %s", name, got)
		}
	})
}

// TestCheckScript: what a JSON data block must not hold is refused.
func TestCheckScript(t *testing.T) {
	if err := checkScript([]byte(`{"a":"\u003c/script\u003e","b":[1,null,-2.5],"c":"été \u2028"}`)); err != nil {
		t.Errorf("escaped JSON refused: %v", err)
	}
	for _, bad := range []string{`"</script>"`, `"<!--"`, `">"`, `"&"`, "\"\u2028\"", "\"\u2029\"", "\"\xff\""} {
		if err := checkScript([]byte(bad)); err == nil {
			t.Errorf("checkScript(%q) = nil, want an error", bad)
		}
	}
}

// BenchmarkPageDataJSON writes the data block of a page of charts at the
// page budget: {{.Slot}} filled (now) against {{.}} (html/template's
// escaper).
func BenchmarkPageDataJSON(b *testing.B) {
	const cols, n = 8, pageBudget / 9
	g := grid{}
	for i := range n {
		g.T = append(g.T, int64(i)*10_000_000)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range cols {
		c := make([]float64, n)
		for i := range c {
			c[i] = rng.Float64() * 100
		}
		g.Cols = append(g.Cols, c)
	}
	d := pageData{Charts: []Chart{lineChart("cpu", "CPU", unitPct, g, strings.Fields("a b c d e f g h"), lineOpts{})}}
	for _, src := range []string{"{{.Slot}}", "{{.}}"} {
		b.Run(src, func(b *testing.B) {
			tm := template.Must(template.New("").Parse(`<script type="application/json">` + src + `</script>`))
			var buf bytes.Buffer
			var out, filled []byte
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := tm.Execute(&buf, d); err != nil {
					b.Fatal(err)
				}
				out = buf.Bytes()
				if src == "{{.Slot}}" {
					var err error
					if filled, err = fillData(filled[:0], buf.Bytes(), d); err != nil {
						b.Fatal(err)
					}
					out = filled
				}
			}
			b.SetBytes(int64(len(out)))
		})
	}
}

// TestFillData: the data block goes where base.html put its one mark, a
// page without one is left as it is, and one with two is refused; a
// host's texts that spell the mark, in the page's title, a host's name and
// the data, do not move it. A base.html that writes {{.Data.JSON}}, as it
// did before the mark, still writes the same block.
func TestFillData(t *testing.T) {
	d := pageData{TZ: "UTC", Charts: []Chart{}}
	want := `{"tz":"UTC","charts":[]}`
	for _, tc := range []struct {
		page, want, err string
	}{
		{"a" + dataSlot + "b", "a" + want + "b", ""},
		{dataSlot, want, ""},
		{"no mark", "no mark", ""},
		{dataSlot + dataSlot, "", "two"},
	} {
		got, err := fillData([]byte("prefix:"), []byte(tc.page), d)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("page %q: error %v, want one saying %q", tc.page, err, tc.err)
		case tc.err == "" && (err != nil || string(got) != "prefix:"+tc.want):
			t.Errorf("page %q: %q, %v; want %q", tc.page, got, err, "prefix:"+tc.want)
		}
	}
	tmpl, err := Templates(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range hostileNames {
		d := hostilePage([]string{name, "x"})
		if a, b := executeData(t, "{{.JSON}}", d), executeData(t, "{{.Slot}}", d); !bytes.Equal(a, b) {
			t.Errorf("name %q: {{.JSON}} wrote\n%s\nwhere the mark filled is\n%s", name, a, b)
		}
		p := &pageModel{Title: name, Host: name, Data: pageData{TZ: name, Charts: []Chart{}},
			Hosts: []IndexRow{{Name: name, Href: "x/"}}}
		var b bytes.Buffer
		page, err := executePage(tmpl, "index.html", p, &b, nil)
		if err != nil {
			t.Fatalf("name %q: %v", name, err)
		}
		if bytes.IndexByte(page, 0) >= 0 {
			t.Errorf("name %q: a NUL byte in the page", name)
		}
		if !bytes.Contains(page, []byte(`<script type="application/json" id="almanac-data">{"tz":`)) {
			t.Errorf("name %q: the data block is not in its element", name)
		}
	}
}
