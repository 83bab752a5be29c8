package render

import (
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Hostile host text used by the browser tests: each tries to run script if
// it ever reaches the page unescaped, and the payloads set window.__pwned
// or open a dialog, both of which the harness reports.
const (
	hostileProc = `</script><script>alert(1)</script><img src=x onerror=window.__pwned=1>`
	hostileHost = `<b>x</b>`
)

// harnessJS draws the charts of the harness's own test page: each
// .chart[data-option] gets the JSON option of the element it names, drawn
// when its range panel is shown. The range tabs show one panel at a time.
const harnessJS = `'use strict';
function drawVisible() {
  document.querySelectorAll('.range-panel:not([hidden]) .chart').forEach(function (el) {
    if (echarts.getInstanceByDom(el)) return;
    var opt = JSON.parse(document.getElementById(el.dataset.option).textContent);
    echarts.init(el, null, {renderer: 'canvas'}).setOption(opt);
  });
}
document.querySelectorAll('.range-tab').forEach(function (b) {
  b.addEventListener('click', function () {
    document.querySelectorAll('.range-panel').forEach(function (p) {
      p.hidden = p.dataset.range !== b.dataset.range;
    });
    drawVisible();
  });
});
drawVisible();
`

const harnessCSS = `.chart { width: 600px; height: 300px; }`

// harnessPage is a page shaped like the site's: a strict CSP, scripts only
// from files, chart options as JSON data, host text escaped by html/template.
var harnessPage = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:">
<title>{{.Host}}</title>
<link rel="stylesheet" href="../assets/harness.css">
</head><body>
<h1 id="host">{{.Host}}</h1>
<p id="proc">{{.Proc}}</p>
<nav>{{range .Ranges}}<button class="range-tab" data-range="{{.}}">{{.}}</button>{{end}}</nav>
{{range $i, $r := .Ranges}}<section class="range-panel" data-range="{{$r}}"{{if $i}} hidden{{end}}>
<div class="chart" id="c-{{$r}}" data-option="opt-{{$r}}"></div>
<script type="application/json" id="opt-{{$r}}">{{$.Option}}</script>
</section>
{{end}}
<script src="../assets/echarts.min.js"></script>
<script src="../assets/harness.js"></script>
</body></html>
`))

// writeHarnessSite writes the harness's test page into a temporary site
// (page in host/, scripts in assets/, as the real site lays them out) and
// returns the page's path.
func writeHarnessSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	echartsJS, err := os.ReadFile(filepath.Join("..", "templates", "assets", "echarts.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"assets/echarts.min.js": echartsJS,
		"assets/harness.js":     []byte(harnessJS),
		"assets/harness.css":    []byte(harnessCSS),
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
	}
	option := map[string]any{
		"animation": false,
		"title":     map[string]any{"text": hostileHost},
		"legend":    map[string]any{},
		"xAxis":     map[string]any{"type": "category", "data": []string{"a", "b", "c", "d"}},
		"yAxis":     map[string]any{"type": "value"},
		"series": []map[string]any{
			{"name": hostileProc, "type": "line", "data": []any{1, 3, nil, 2}},
		},
	}
	var b strings.Builder
	err = harnessPage.Execute(&b, map[string]any{
		"Host": hostileHost, "Proc": hostileProc,
		"Ranges": []string{"day", "week"}, "Option": option,
	})
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "host", "index.html")
	writeFile(t, page, []byte(b.String()))
	return page
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// visibleChartsJS lists the ids of the visible chart containers.
const visibleChartsJS = `Array.from(document.querySelectorAll('.chart')).filter(e => e.getClientRects().length > 0).map(e => e.id).join(' ')`

// TestBrowserHarness proves the harness on pages made for it: a clean page
// passes every check, and each kind of breakage is caught.
func TestBrowserHarness(t *testing.T) {
	b := startBrowser(t)

	t.Run("clean page", func(t *testing.T) {
		tb := b.open(t, writeHarnessSite(t))
		n, err := tb.waitCharts(".chart", chartTimeout)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := n, 1; got != want {
			t.Errorf("drawn charts = %d, want %d", got, want)
		}
		if got, want := tb.eval(t, visibleChartsJS), "c-day"; got != want {
			t.Errorf("visible charts before the tab click = %q, want %q", got, want)
		}
		tb.click(t, `.range-tab[data-range="week"]`)
		if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
			t.Fatal(err)
		}
		if got, want := tb.eval(t, visibleChartsJS), "c-week"; got != want {
			t.Errorf("visible charts after the tab click = %q, want %q", got, want)
		}
		for _, c := range []struct{ id, want string }{{"host", hostileHost}, {"proc", hostileProc}} {
			if got := tb.eval(t, `document.getElementById('`+c.id+`').textContent`); got != c.want {
				t.Errorf("text of #%s = %q, want %q", c.id, got, c.want)
			}
		}
		if got := tb.eval(t, `String(document.querySelectorAll('b, #proc img, body > script:not([src])').length)`); got != "0" {
			t.Errorf("elements made from host text = %s, want 0", got)
		}
		tb.screenshot(t, "harness")
		tb.checkClean(t)
	})

	// Each broken page must give a failure containing want.
	broken := []struct {
		name string
		head string
		body string
		want string
	}{
		{"console error", "", `<script>console.error("harness-boom")</script>`, "console.error: harness-boom"},
		{"exception", "", `<script>null.harness()</script>`, "exception: Uncaught"},
		{"request to the network", "", `<img src="http://127.0.0.1:1/x">`, "network request: http://127.0.0.1:1/x"},
		{"stylesheet from the network", `<link rel="stylesheet" href="http://127.0.0.1:1/s.css">`, "", "network request: http://127.0.0.1:1/s.css"},
		{"inline script against CSP", `<meta http-equiv="Content-Security-Policy" content="script-src 'self'">`, `<script>window.ran = 1</script>`, "violates the following Content Security Policy directive"},
		{"CSP violation event", `<meta http-equiv="Content-Security-Policy" content="img-src 'none'">`, `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">`, "CSP violation: img-src blocked data"},
		{"CSP outside head", "", `<meta http-equiv="Content-Security-Policy" content="img-src 'none'">`, "The policy has been ignored"},
		{"injected handler", "", `<img src=x onerror=window.__pwned=1>`, "window.__pwned = 1"},
		{"injected alert", "", `<script>alert(1)</script>`, `javascript alert dialog: "1"`},
	}
	for _, tt := range broken {
		t.Run(tt.name, func(t *testing.T) {
			page := filepath.Join(t.TempDir(), "page.html")
			writeFile(t, page, []byte("<!doctype html><html><head><meta charset=utf-8>"+tt.head+
				"<title>x</title></head><body>"+tt.body+"</body></html>"))
			got := b.open(t, page).failures(t)
			if !containsSub(got, tt.want) {
				t.Errorf("failures = %q, want one containing %q", got, tt.want)
			}
			t.Logf("failures: %q", got)
		})
	}

	t.Run("chart never drawn", func(t *testing.T) {
		page := filepath.Join(t.TempDir(), "page.html")
		writeFile(t, page, []byte(`<!doctype html><html><head><meta charset=utf-8><title>x</title></head><body>`+
			`<div class="chart" id="never" style="width:300px;height:200px"></div></body></html>`))
		tb := b.open(t, page)
		_, err := tb.waitCharts(".chart", 500*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "#never") {
			t.Errorf("waitCharts = %v, want a timeout naming #never", err)
		}
	})
}

// containsSub reports whether one of list contains sub.
func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
