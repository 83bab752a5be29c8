package render

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// procTableJS returns, as JSON, the rows of the top process tables of a
// processes page: which table, pid, command, first and last seen (ms),
// the CPU time cell's value and text, and whether the row is hidden; and
// the zoom note.
const procTableJS = `JSON.stringify({note: (document.getElementById('zoomnote') || {}).textContent || '',
  rows: Array.from(document.querySelectorAll('section tr.proc[data-first]')).map(function (r) {
    const sec = r.closest('section');
    const cell = r.querySelector('td.cputime');
    return {cpuTable: sec.getAttribute('data-rank') === 'cpu', pid: Number(r.dataset.pid), comm: r.dataset.comm,
      first: Number(r.dataset.first), last: Number(r.dataset.last), cpu: Number(cell.getAttribute('data-v')),
      text: cell.textContent, hidden: r.hidden};
  })})`

type procTableRow struct {
	CPUTable    bool
	PID         int
	Comm        string
	First, Last int64
	CPU         float64
	Text        string
	Hidden      bool
}

type procTableState struct {
	Note string
	Rows []procTableRow
}

func readProcTables(t *testing.T, tb *tab) procTableState {
	t.Helper()
	var s procTableState
	if err := json.Unmarshal([]byte(tb.eval(t, procTableJS)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBrowserProcessZoom zooms the 24-hour processes page on one hour:
// the top tables keep only the processes seen in it, the CPU time of each
// is the one inside the window (checked against the archive's rows), the
// CPU table is ranked by it, and the whole range restores the tables. The
// page also shows the processes' disk I/O (columns, table and chart).
func TestBrowserProcessZoom(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), st, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	tb := b.open(t, filepath.Join(out, "hosts", hostDir("web1"), "processes.html"))
	if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
		t.Fatal(err)
	}
	before := readProcTables(t, tb)
	if len(before.Rows) < 8 {
		t.Fatalf("%d process rows", len(before.Rows))
	}
	for _, r := range before.Rows {
		if r.Hidden {
			t.Errorf("whole range: row %d %q hidden", r.PID, r.Comm)
		}
	}
	// One hour, on bucket (10-minute) boundaries, in the last span of
	// samples (after the reboot).
	a, z := browserNow.Add(-2*time.Hour), browserNow.Add(-time.Hour)
	tb.eval(t, fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById('top-cpu')).dispatchAction({type: 'dataZoom', startValue: %d, endValue: %d}), '')`,
		a.UnixMilli(), z.UnixMilli()))
	if err := tb.waitJS(`function () { return (document.getElementById('zoomnote') || {}).textContent; }`, 10*time.Second); err != nil {
		t.Fatalf("no zoom note after zooming: %v", err)
	}
	after := readProcTables(t, tb)
	if !strings.Contains(after.Note, "processes seen from") {
		t.Errorf("zoom note %q", after.Note)
	}
	// The window as the charts show it (ECharts may round it a little).
	var ext [2]float64
	if err := json.Unmarshal([]byte(tb.eval(t, `JSON.stringify(echarts.getInstanceByDom(document.getElementById('top-cpu')).getModel().getComponent('xAxis', 0).axis.scale.getExtent())`)), &ext); err != nil {
		t.Fatal(err)
	}
	wa, wz := ext[0], ext[1]
	// The truth from the archive: each process's CPU seconds per
	// 10-minute bucket, counted in the window as the share of the bucket
	// inside it.
	f, err := st.Scan(schema.TableProcess, "web1", a.Add(-time.Hour), z.Add(time.Hour), "pid", "cpu_user_pct", "cpu_system_pct")
	if err != nil {
		t.Fatal(err)
	}
	const bw = 600_000.0
	truth := map[int]float64{}
	for i, ts := range f.Time {
		ms := float64(ts / 1000)
		b0 := math.Floor(ms/bw) * bw
		over := math.Min(b0+bw, wz) - math.Max(b0, wa)
		if over <= 0 {
			continue
		}
		truth[int(f.Num["pid"][i])] += (nz(f.Num["cpu_user_pct"][i]) + nz(f.Num["cpu_system_pct"][i])) / 100 * 60 * over / bw
	}
	shown, hidden := 0, 0
	var last float64 = math.Inf(1)
	for _, r := range after.Rows {
		out := float64(r.Last) < wa || float64(r.First) > wz
		if r.Hidden != out {
			t.Errorf("row %d %q seen %d..%d: hidden %v in window %.0f..%.0f", r.PID, r.Comm, r.First, r.Last, r.Hidden, wa, wz)
		}
		if r.Hidden {
			hidden++
			continue
		}
		shown++
		// Whole seconds per 10-minute bucket: within 0.5 s a bucket.
		if want := truth[r.PID]; math.Abs(r.CPU-want) > 4 {
			t.Errorf("row %d %q: CPU time in the window %.1f s (%s), the archive says %.1f s", r.PID, r.Comm, r.CPU, r.Text, want)
		}
		// Written as the server writes CPU time.
		if want := fmtCPUTime(time.Duration(r.CPU * float64(time.Second))); r.Text != want {
			t.Errorf("row %d %q: CPU time in the window written %q, want %q (%.3f s)", r.PID, r.Comm, r.Text, want, r.CPU)
		}
		if r.CPUTable {
			if r.CPU > last {
				t.Errorf("CPU table not ranked by the window's CPU time: %d %q (%.1f) after %.1f", r.PID, r.Comm, r.CPU, last)
			}
			last = r.CPU
		}
	}
	if shown == 0 {
		t.Errorf("no row in the window")
	}
	t.Logf("zoomed on %v..%v: %d rows shown, %d hidden", a, z, shown, hidden)

	// The whole range again: every row, the range's CPU times.
	tb.eval(t, `(echarts.getInstanceByDom(document.getElementById('top-cpu')).dispatchAction({type: 'dataZoom', start: 0, end: 100}), '')`)
	if err := tb.waitJS(`function () { return !(document.getElementById('zoomnote') || {}).textContent; }`, 10*time.Second); err != nil {
		t.Fatalf("zoom note stays on the whole range: %v", err)
	}
	restored := readProcTables(t, tb)
	texts := map[string]string{}
	for _, r := range before.Rows {
		texts[fmt.Sprint(r.CPUTable, r.PID, r.First)] = r.Text
	}
	for _, r := range restored.Rows {
		if r.Hidden {
			t.Errorf("whole range again: row %d %q hidden", r.PID, r.Comm)
		}
		if want := texts[fmt.Sprint(r.CPUTable, r.PID, r.First)]; r.Text != want {
			t.Errorf("whole range again: row %d %q CPU time %q, want %q", r.PID, r.Comm, r.Text, want)
		}
	}

	// Disk I/O: the columns, the table and the chart.
	io := tb.eval(t, `JSON.stringify({heads: Array.from(document.querySelectorAll('section[data-rank="cpu"] thead th')).map(th => th.textContent),
	  ioTable: Array.from(document.querySelectorAll('h2')).some(h => h.textContent.indexOf('disk I/O') >= 0),
	  chart: !!document.getElementById('top-io')})`)
	for _, want := range []string{`"Read"`, `"Written"`, `"I/O (peak)"`, `"ioTable":true`, `"chart":true`} {
		if !strings.Contains(io, want) {
			t.Errorf("processes page: %s lacks %s", io, want)
		}
	}
	tb.checkClean(t)
}

// writeOOMFixture writes web1 sampled every minute for six hours before
// browserNow, with an OOM kill counted in the sample at oom.
func writeOOMFixture(t *testing.T, oom time.Time) *archive.Store {
	t.Helper()
	st, w := web1Writer(t, t.TempDir())
	g := synth.New(synth.Host{Name: "web1", Processes: 6, Seed: 7, Boot: browserNow.Add(-10 * 24 * time.Hour)})
	for at := browserNow.Add(-6 * time.Hour); !at.After(browserNow); at = at.Add(time.Minute) {
		b := g.Batch(at)
		for i := range b.Memory {
			b.Memory[i].OOMKills = 0
			if at.Equal(oom) {
				b.Memory[i].OOMKills = 1
			}
		}
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return st
}

// clickAtJS scrolls the chart with id args[0] into view and returns, as
// JSON, the viewport point of time args[1] (ms) halfway up its plot.
const clickAtJS = `(function (id, t) {
  const el = document.getElementById(id);
  el.scrollIntoView({block: 'center'});
  const inst = echarts.getInstanceByDom(el);
  const rect = el.getBoundingClientRect();
  const grid = inst.getModel().getComponent('grid', 0).coordinateSystem.getRect();
  const x = inst.convertToPixel({xAxisIndex: 0}, t);
  return JSON.stringify({x: rect.left + x, y: rect.top + grid.y + grid.height / 2});
})(%q, %d)`

// clickChartAt clicks the chart id at time at, waits for the page it
// leads to, and returns that page's URL.
func clickChartAt(t *testing.T, tb *tab, id string, at time.Time) string {
	t.Helper()
	var pt struct{ X, Y float64 }
	if err := json.Unmarshal([]byte(tb.eval(t, fmt.Sprintf(clickAtJS, id, at.UnixMilli()))), &pt); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tb.ctx, pageLoadTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.MouseClickXY(pt.X, pt.Y))); err != nil {
		t.Fatalf("%s: click #%s at %v (%.0f, %.0f): %v", tb.url, id, at, pt.X, pt.Y, err)
	}
	tb.url = tb.eval(t, `location.href`)
	return tb.url
}

// hashRange returns the #from=…&to=… window of url (ms).
func hashRange(t *testing.T, url string) (int64, int64) {
	t.Helper()
	_, h, ok := strings.Cut(url, "#from=")
	if !ok {
		t.Fatalf("URL %s has no window", url)
	}
	a, b, _ := strings.Cut(h, "&to=")
	from, err1 := strconv.ParseInt(a, 10, 64)
	to, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("URL %s: bad window", url)
	}
	return from, to
}

// TestBrowserWhoDidIt clicks an OOM kill mark on the memory chart and a
// time on the load chart of a host's 24-hour page: each leads to the
// processes page zoomed on ten minutes around that time, whose charts and
// tables show that window.
func TestBrowserWhoDidIt(t *testing.T) {
	b := startBrowser(t)
	oom := browserNow.Add(-2 * time.Hour)
	st := writeOOMFixture(t, oom)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), st, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(out, "hosts", hostDir("web1"), "index.html")
	cases := []struct {
		name, chart string
		at          time.Time // where the click lands
		want        time.Time // the time it opens
		slack       time.Duration
	}{
		// Two minutes (about 3 px) off the mark: it takes the mark's time.
		{"OOM mark", "memory", oom.Add(2 * time.Minute), oom, 0},
		{"spike", "load", browserNow.Add(-4 * time.Hour), browserNow.Add(-4 * time.Hour), 3 * time.Minute},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			tb := b.open(t, page)
			if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
				t.Fatal(err)
			}
			url := clickChartAt(t, tb, tt.chart, tt.at)
			if !strings.Contains(url, "/processes.html#from=") {
				t.Fatalf("click led to %s, want the processes page with a window", url)
			}
			from, to := hashRange(t, url)
			mid := time.UnixMilli((from + to) / 2)
			if d := mid.Sub(tt.want); d < -tt.slack || d > tt.slack {
				t.Errorf("window centred on %v, want %v (±%v)", mid.UTC(), tt.want.UTC(), tt.slack)
			}
			if w := time.Duration(to-from) * time.Millisecond; w != 10*time.Minute {
				t.Errorf("window %v, want 10 minutes", w)
			}
			if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
				t.Fatal(err)
			}
			var got struct {
				Windows [][2]int64
			}
			if err := json.Unmarshal([]byte(tb.eval(t, windowJS)), &got); err != nil {
				t.Fatal(err)
			}
			for i, w := range got.Windows {
				if d0, d1 := w[0]-from, w[1]-to; d0 < -60000 || d0 > 60000 || d1 < -60000 || d1 > 60000 {
					t.Errorf("processes chart %d shows %v..%v, want %v..%v", i, w[0], w[1], from, to)
				}
			}
			s := readProcTables(t, tb)
			if s.Note == "" {
				t.Errorf("processes tables not narrowed to the window")
			}
			shown := 0
			for _, r := range s.Rows {
				if r.Hidden != (r.Last < from || r.First > to) {
					t.Errorf("row %d %q seen %d..%d: hidden %v in %d..%d", r.PID, r.Comm, r.First, r.Last, r.Hidden, from, to)
				}
				if !r.Hidden {
					shown++
				}
			}
			if shown == 0 {
				t.Errorf("no process of that moment shown")
			}
			tb.checkClean(t)
		})
	}
}

// TestBrowserFleet opens the fleet page of twelve hosts: a chart per
// metric with the ten highest drawn, "All hosts" draws the twelve, and
// the page stays clean.
func TestBrowserFleet(t *testing.T) {
	b := startBrowser(t)
	st := writeBrowserFixture(t)
	names := map[string]string{}
	for i := range 12 {
		names[fmt.Sprintf("host%02d", i)] = []string{"web1", "db1"}[i%2]
	}
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), aliasHosts{st, names}, Options{Out: out, Now: browserNow, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	idx, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(idx), `href="fleet.html"`) {
		t.Errorf("the overview does not link to the fleet page")
	}
	tb := b.open(t, filepath.Join(out, "fleet.html"))
	n, err := tb.waitCharts(".chart", chartTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(fleetMetrics) {
		t.Errorf("%d fleet charts, want %d", n, len(fleetMetrics))
	}
	seriesJS := `String(echarts.getInstanceByDom(document.getElementById('fleet-cpu')).getOption().series.length)`
	if got := tb.eval(t, seriesJS); got != strconv.Itoa(fleetTop) {
		t.Errorf("fleet-cpu draws %s hosts, want %d", got, fleetTop)
	}
	tb.click(t, "figure:has(#fleet-cpu) button.allhosts")
	if err := tb.waitJS(`function () { return echarts.getInstanceByDom(document.getElementById('fleet-cpu')).getOption().series.length === 12; }`, 10*time.Second); err != nil {
		t.Errorf("after All hosts, fleet-cpu draws %s hosts, want 12", tb.eval(t, seriesJS))
	}
	if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
		t.Fatal(err)
	}
	tb.screenshot(t, "fleet")
	tb.checkClean(t)
}
