package render

// This file is the harness of the browser tests: a headless Chromium driven
// through the DevTools protocol (github.com/chromedp/chromedp), which opens
// generated pages from file:// and reports everything that a reader of the
// site would call broken:
//
//   - console.error calls, uncaught exceptions, error entries of the browser
//     log (failed loads, Content-Security-Policy violations) and CSP
//     violation events;
//   - any request whose URL is not local (file:, data:, blob:, about:);
//   - JavaScript dialogs (alert, confirm, prompt), which only injected
//     script would open, and a window.__pwned that a test payload sets;
//   - chart containers that never get a drawn <canvas>.
//
// Chromium comes from scripts/test-deps.sh (Debian's package "chromium").
// Without it the tests skip, except under CI, where they fail.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Deadlines of the harness. They are generous because the machine running
// the tests may be small and busy; a healthy page needs a fraction of them.
const (
	pageLoadTimeout = 60 * time.Second // navigate + load of one page
	chartTimeout    = 30 * time.Second // every visible chart has drawn
)

// artifactDir is where screenshots go: git-ignored, kept after the test so
// CI can upload it.
const artifactDir = "testdata/artifacts"

// chromiumNames are the executables tried, in order, on PATH.
var chromiumNames = []string{"chromium", "chromium-browser"}

// findChromium returns the path of a Chromium executable. When there is none
// it skips the test, or fails it when the CI variable is set, so that a CI
// run never passes by skipping.
func findChromium(t testing.TB) string {
	t.Helper()
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("chromium not found on PATH (tried %s): run scripts/test-deps.sh as root, or apt-get install chromium",
		strings.Join(chromiumNames, ", "))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser is one headless Chromium with a fresh profile, stopped (and its
// process waited for) when the test ends.
type browser struct {
	ctx context.Context // the browser's first tab; new tabs derive from it
}

// startBrowser starts Chromium for t. The flags keep it from talking to
// anything: on a closed network the background services only produce
// refused connections, and a test must see only the page's own requests.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	exe := findChromium(t)
	profile := t.TempDir() // registered before the cancel below, so removed after the browser exits

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox, // tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.WindowSize(1280, 900),
	)
	var out lockedBuffer
	opts = append(opts, chromedp.CombinedOutput(&out))

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for the process
	})
	// Start it now, so that a broken browser fails here with its output.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v\nbrowser output:\n%s", exe, err, out.String())
	}
	return &browser{ctx: ctx}
}

// lockedBuffer collects the browser's output from its reader goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tab is one page opened in its own tab, with what it reported so far.
type tab struct {
	ctx context.Context
	url string

	mu       sync.Mutex
	problems []string // console errors, exceptions, error log entries, CSP violations, dialogs
	requests []string // non-local request URLs
	warnings []string // console warnings (logged, not failures)
}

// watchScript runs before any script of each document. It turns CSP
// violation events into console errors (the browser log reports most of
// them too, but not all, for example those of report-only policies).
const watchScript = `document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' at ' + e.sourceFile + ':' + e.lineNumber);
});`

// open loads the file at path (made absolute) in a new tab and waits for its
// load event. Everything the page reports from its first byte on is
// recorded; read it with failures.
func (b *browser) open(t *testing.T, path string) *tab {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	tb := &tab{url: "file://" + filepath.ToSlash(abs)}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(tb.record))
	t.Cleanup(cancel)
	tb.ctx = ctx

	// The first action on a chromedp context opens the tab, which then
	// lives as long as that action's context: so no timeout on this one.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab for %s: %v", tb.url, err)
	}
	lctx, lcancel := context.WithTimeout(ctx, pageLoadTimeout)
	defer lcancel()
	if _, err := chromedp.Call(lctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: watchScript}); err != nil {
		t.Fatalf("install watcher in %s: %v", tb.url, err)
	}
	if err := chromedp.Do(lctx, chromedp.Navigate(tb.url)); err != nil {
		t.Fatalf("load %s: %v", tb.url, err)
	}
	return tb
}

// record is the tab's event listener. It runs on chromedp's reader
// goroutine: it only appends under the lock, except for a dialog, which it
// dismisses from another goroutine (a dialog blocks the page).
func (tb *tab) record(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			tb.problems = append(tb.problems, "console."+string(ev.Type)+": "+remoteArgs(ev.Args))
		case runtime.ConsoleAPICalledTypeWarning:
			tb.warnings = append(tb.warnings, "console.warn: "+remoteArgs(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		tb.problems = append(tb.problems, fmt.Sprintf("exception: %s (%s:%d:%d)", msg, d.URL, d.LineNumber+1, d.ColumnNumber+1))
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError {
			tb.problems = append(tb.problems, fmt.Sprintf("log %s: %s %s", e.Source, e.Text, e.URL))
		}
	case *network.EventRequestWillBeSent:
		if u := ev.Request.URL; !localURL(u) {
			tb.requests = append(tb.requests, u)
		}
	case *page.EventJavascriptDialogOpening:
		tb.problems = append(tb.problems, fmt.Sprintf("javascript %s dialog: %q", ev.Type, ev.Message))
		go func() {
			// The tab may be closing; an error here changes nothing.
			_, _ = chromedp.Call(tb.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	}
}

// localURL reports whether u stays on this machine without the network.
func localURL(u string) bool {
	for _, scheme := range []string{"file:", "data:", "blob:", "about:"} {
		if strings.HasPrefix(u, scheme) {
			return true
		}
	}
	return false
}

// remoteArgs formats console arguments as the console would show them.
func remoteArgs(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a.Value != nil:
			var s string
			if err := json.Unmarshal([]byte(a.Value), &s); err == nil {
				parts = append(parts, s)
			} else {
				parts = append(parts, string(a.Value))
			}
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// failures returns everything wrong with the page so far: recorded
// problems, non-local requests, and a window.__pwned set by a payload. It
// makes a round trip to the page first, so that every event the page sent
// before it has been recorded.
func (tb *tab) failures(t *testing.T) []string {
	t.Helper()
	pwned := tb.eval(t, `typeof window.__pwned === 'undefined' ? '' : String(window.__pwned)`)
	tb.mu.Lock()
	defer tb.mu.Unlock()
	out := append([]string(nil), tb.problems...)
	for _, u := range tb.requests {
		out = append(out, "network request: "+u)
	}
	if pwned != "" {
		out = append(out, "window.__pwned = "+pwned+": an injected payload ran")
	}
	for _, w := range tb.warnings {
		t.Logf("%s: %s", tb.url, w)
	}
	tb.warnings = nil
	return out
}

// checkClean fails t for each failure of the page.
func (tb *tab) checkClean(t *testing.T) {
	t.Helper()
	for _, f := range tb.failures(t) {
		t.Errorf("%s: %s", tb.url, f)
	}
}

// eval evaluates a JavaScript expression whose value is a string.
func (tb *tab) eval(t *testing.T, expr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageLoadTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: evaluate %s: %v", tb.url, expr, err)
	}
	return s
}

// drawnChartsJS returns the number of visible elements matching the
// selector (args[0]) when each of them holds a <canvas> with a size and at
// least one painted pixel, and false otherwise. Hidden containers (an
// inactive tab) are not counted: a chart may be drawn only when shown.
const drawnChartsJS = `function (sel) {
  const els = Array.from(document.querySelectorAll(sel)).filter(e => e.getClientRects().length > 0);
  if (els.length === 0) return false;
  for (const el of els) {
    const c = el.querySelector('canvas');
    if (!c || c.width === 0 || c.height === 0) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = false;
    for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) { ink = true; break; } }
    if (!ink) return false;
  }
  return els.length;
}`

// undrawnChartsJS names the visible containers that drawnChartsJS waits
// for, for the error message of a timeout.
const undrawnChartsJS = `(function (sel) {
  const all = Array.from(document.querySelectorAll(sel));
  const vis = all.filter(e => e.getClientRects().length > 0);
  const bad = vis.filter(e => !e.querySelector('canvas')).map(e => '#' + (e.id || '?'));
  return all.length + ' containers, ' + vis.length + ' visible, without canvas: [' + bad.join(' ') + ']';
})(%q)`

// waitCharts waits until every visible element matching sel has drawn its
// canvas, and returns how many there are. It polls in the page, so it
// returns as soon as they are drawn.
func (tb *tab) waitCharts(sel string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(tb.ctx, timeout+5*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.PollFunction[int](drawnChartsJS,
		chromedp.WithPollingArgs(sel),
		chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		state := "?"
		if s, serr := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(undrawnChartsJS, sel))); serr == nil {
			state = s
		}
		return 0, fmt.Errorf("charts %q not drawn within %v: %w (%s)", sel, timeout, err, state)
	}
	return n, nil
}

// waitJS waits until the JavaScript function fn, called with args, returns
// a truthy value in the page.
func (tb *tab) waitJS(fn string, timeout time.Duration, args ...any) error {
	ctx, cancel := context.WithTimeout(tb.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[chromedp.Void](fn,
		chromedp.WithPollingArgs(args...),
		chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(timeout)))
	return err
}

// click clicks the first element matching the CSS selector sel.
func (tb *tab) click(t *testing.T, sel string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageLoadTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("%s: click %s: %v", tb.url, sel, err)
	}
}

// follow clicks the link matching the CSS selector sel, waits for the page
// it leads to to load, and returns that page's URL. Events of the new page
// keep going to the same tab.
func (tb *tab) follow(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageLoadTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		t.Fatalf("%s: follow %s: %v", tb.url, sel, err)
	}
	tb.url = tb.eval(t, `location.href`)
	return tb.url
}

// screenshot saves a PNG of the whole page under testdata/artifacts, named
// after the test, and logs its path.
func (tb *tab) screenshot(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageLoadTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		t.Fatalf("%s: screenshot: %v", tb.url, err)
	}
	if err := os.MkdirAll(artifactDir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(artifactDir, artifactName(t.Name()+"-"+name)+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(file)
	t.Logf("screenshot of %s: %s (%d bytes)", tb.url, abs, len(png))
	return abs
}

var artifactUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// artifactName makes a file name out of a test name.
func artifactName(s string) string { return artifactUnsafe.ReplaceAllString(s, "_") }
