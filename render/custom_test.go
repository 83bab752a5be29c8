package render

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/testfs"
	"almanac/schema"
	"almanac/synth"
)

// customFrom is when the custom fixture starts: four days of samples, one
// a minute, of a host with custom metrics and two GPUs.
var customFrom = fixedNow.AddDate(0, 0, -4)

// writeCustomFixture writes the custom fixture into dir, with a custom
// metric that has a hostile label value and HELP text and one that goes
// below zero; with compact, it compacts the closed days (their rollups).
func writeCustomFixture(t *testing.T, dir string, compact bool) *archive.Store {
	t.Helper()
	st, w := web1Writer(t, dir)
	g := synth.New(synth.Host{Name: "web1", Seed: 5, Custom: true, GPUs: 2, Boot: customFrom.Add(-time.Hour)})
	for at := customFrom; !at.After(fixedNow); at = at.Add(time.Minute) {
		b := g.Batch(at)
		us := at.UnixMicro()
		b.Custom = append(b.Custom,
			schema.CustomRow{Time: us, Metric: "evil", Series: `{x="<b>x</b>"}`, Labels: []schema.Label{{Name: "x", Value: "<b>x</b>"}},
				Type: "gauge", Help: "</script><script>alert(1)</script>", Value: 1, File: "evil.prom"},
			schema.CustomRow{Time: us, Metric: "outside_celsius", Type: "gauge", Unit: "celsius",
				Value: -5 + float64(at.Minute())/10, File: "weather.prom"})
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if compact {
		if _, err := st.Compact("web1", fixedNow); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestCustomAndGPUCharts(t *testing.T) {
	for _, compact := range []bool{false, true} {
		name := "raw"
		if compact {
			name = "rollups"
		}
		t.Run(name, func(t *testing.T) {
			st := writeCustomFixture(t, t.TempDir(), compact)
			d, err := gather(st, "web1", hostDir("web1"), fixedNow, nil)
			if err != nil {
				t.Fatal(err)
			}
			for r := range ranges {
				var custom, gpu *Section
				for i := range d.ranges[r] {
					switch s := &d.ranges[r][i]; s.Title {
					case "Custom metrics":
						custom = s
					case "GPUs":
						gpu = s
					}
				}
				if custom == nil || gpu == nil {
					t.Fatalf("%s: custom section %v, gpu section %v", ranges[r].Name, custom != nil, gpu != nil)
				}
				titles := map[string]Chart{}
				for _, c := range custom.Charts {
					titles[c.Title] = c
				}
				age, ok := titles["backup_age_seconds: Seconds since the last backup finished."]
				if !ok || age.Unit != "s" || len(age.data.Cols) != 2 {
					t.Errorf("%s: backup age chart %+v (charts %v)", ranges[r].Name, ok, keysOf(titles))
				}
				runs, ok := titles["job_runs_total: Runs of the nightly job. (per second)"]
				if !ok {
					t.Fatalf("%s: no chart of the counter (charts %v)", ranges[r].Name, keysOf(titles))
				}
				// ok runs once a minute: 1/60 per second, whatever the
				// resolution (series sorted: failed, ok).
				lo, hi := extremes(runs.data)
				if math.Abs(lo[1]-1.0/60) > 1e-9 || math.Abs(hi[1]-1.0/60) > 1e-9 || runs.Unit != unitPerS {
					t.Errorf("%s: rate of job_runs_total{outcome=ok} from %v to %v %s, want 1/60 /s", ranges[r].Name, lo[1], hi[1], runs.Unit)
				}
				if size := titles["backup_size_bytes: Size of the last backup."]; size.Unit != unitBytes {
					t.Errorf("%s: backup size unit %q", ranges[r].Name, size.Unit)
				}
				cold := titles["outside_celsius"]
				if y := optionMap(t, cold)["yAxis"].(map[string]any); y["min"] != nil || cold.Unit != unitCelsius {
					t.Errorf("%s: a metric below zero has y axis %v, unit %q", ranges[r].Name, y, cold.Unit)
				}
				var ids []string
				for _, c := range gpu.Charts {
					ids = append(ids, c.ID)
				}
				if got := strings.Join(ids, " "); got != "gpu-busy gpu-memory gpu-temperature gpu-power gpu-clocks" {
					t.Errorf("%s: gpu charts %s", ranges[r].Name, got)
				}
				busy := optionMap(t, gpu.Charts[0])["series"].([]any)
				if n := busy[0].(map[string]any)["name"]; n != "card0 amdgpu 0000:03:00.0" {
					t.Errorf("%s: gpu series name %q", ranges[r].Name, n)
				}
			}
		})
	}
}

// optionMap returns a chart's option as the page's JSON holds it.
func optionMap(t *testing.T, c Chart) map[string]any {
	t.Helper()
	b, err := json.Marshal(c.Option)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func keysOf(m map[string]Chart) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCustomRates(t *testing.T) {
	prev := map[string][2]float64{}
	ts := []int64{0, 10e6, 20e6, 0, 10e6, 30e6}
	keys := []string{"a", "a", "a", "b", "b", "b"}
	v := []float64{100, 150, 10, 5, math.NaN(), 11}
	got := customRates(ts, keys, v, prev)
	want := []float64{math.NaN(), 5, math.NaN(), math.NaN(), math.NaN(), 0.2}
	for i := range want {
		if !(got[i] == want[i] || math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Errorf("rate %d = %v, want %v", i, got[i], want[i])
		}
	}
	// The next chunk goes on from the last value of each series.
	if r := customRates([]int64{40e6}, []string{"a"}, []float64{30}, prev); r[0] != 1 {
		t.Errorf("rate across chunks = %v, want 1", r[0])
	}
}

// TestBuildCustomEscaped builds the site of the custom fixture: the
// hostile label value and HELP text reach the host page escaped.
func TestBuildCustomEscaped(t *testing.T) {
	st := writeCustomFixture(t, t.TempDir(), false)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	files := testfs.ReadTree(t, out)
	page := files["hosts/"+hostDir("web1")+"/index.html"]
	for _, want := range []string{"Custom metrics", "GPUs", `evil: &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;`, `"name":"{x=\"\u003cb\u003ex\u003c/b\u003e\"}"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("host page lacks %s", want)
		}
	}
	for p, b := range files {
		if strings.HasSuffix(p, ".html") {
			checkInert(t, p, b)
		}
	}
}

// TestDayMemoCustom renders the custom fixture with a render cache at
// later times: its closed days come from the day memo, and pages equal a
// render without a cache, also after late rows: one inside a day (that
// day is read again), and a counter's value at the end of a day, which
// the next day's first rate starts from (the next day is read again too).
func TestDayMemoCustom(t *testing.T) {
	st := writeCustomFixture(t, t.TempDir(), true)
	src := &dayScans{Store: st, table: schema.TableCustom, reads: map[time.Time]int{}}
	cache := filepath.Join(t.TempDir(), "render-cache")
	now := fixedNow
	render := func(what string) map[time.Time]int {
		t.Helper()
		now = now.Add(5 * time.Minute)
		clear(src.reads)
		dir := t.TempDir()
		if _, err := build(context.Background(), src, Options{Out: filepath.Join(dir, "cached"), Now: now, Log: quietLog(), Cache: cache}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		reads := maps.Clone(src.reads)
		if _, err := Build(context.Background(), st, Options{Out: filepath.Join(dir, "full"), Now: now, Log: quietLog()}); err != nil {
			t.Fatal(err)
		}
		compareSites(t, what, filepath.Join(dir, "cached"), filepath.Join(dir, "full"))
		return reads
	}
	day := func(n int) time.Time { return fixedNow.Truncate(24*time.Hour).AddDate(0, 0, -n) }
	render("first render")
	// The days before yesterday (yesterday holds the 24-hour range's
	// start, and is read an hour at a time).
	closed := []time.Time{day(4), day(3), day(2)}
	reads := render("five minutes later")
	for _, d := range closed {
		if reads[d] != 0 {
			t.Errorf("five minutes later: the custom rows of %s read %d times, want none (from the memo)", d.Format(time.DateOnly), reads[d])
		}
	}
	late := func(at time.Time, value float64) {
		appendLate(t, st, "web1", &schema.Batch{Time: at, Custom: []schema.CustomRow{{Time: at.UnixMicro(),
			Metric: "job_runs_total", Series: `{outcome="ok"}`, Labels: []schema.Label{{Name: "outcome", Value: "ok"}},
			Type: "counter", Help: "Runs of the nightly job.", Value: value, File: "job.prom"}}})
	}
	// Inside a day: the day is read again, the next day not.
	late(day(3).Add(6*time.Hour+30*time.Second), float64(day(3).Add(6*time.Hour).Unix()/60))
	reads = render("a late row inside a day")
	if reads[day(3)] == 0 || reads[day(2)] != 0 || reads[day(4)] != 0 {
		t.Errorf("a late row of %s: reads %v, want that day's only", day(3).Format(time.DateOnly), reads)
	}
	// At the end of a day: a counter's last value, which the next day's
	// first rate starts from.
	late(day(3).Add(24*time.Hour-20*time.Second), float64(day(2).Unix()/60)-0.5)
	reads = render("a late row at the end of a day")
	if reads[day(3)] == 0 || reads[day(2)] == 0 || reads[day(4)] != 0 {
		t.Errorf("a late last value of %s: reads %v, want that day's and the next's", day(3).Format(time.DateOnly), reads)
	}
	if reads = render("after the late rows"); reads[day(3)] != 0 || reads[day(2)] != 0 {
		t.Errorf("the render after: reads %v, want none of the closed days", reads)
	}
}
