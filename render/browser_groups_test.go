package render

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"almanac/schema"
)

// groupProcsJS returns, as JSON, every process row of the page's process
// tables (pid, start as its <time> says, hidden), the group note and the
// groups picked.
const groupProcsJS = `JSON.stringify({note: (document.getElementById('groupnote') || {}).textContent || '',
  picked: Array.from(document.querySelectorAll('tr.group.picked')).map(r => r.dataset.by + '=' + r.dataset.name),
  rows: Array.from(document.querySelectorAll('tr.proc[data-pid]')).map(r => ({
    pid: Number(r.dataset.pid), start: r.querySelector('time').getAttribute('datetime'), hidden: r.hidden}))})`

type groupProcRow struct {
	PID    int
	Start  string
	Hidden bool
}

type groupProcState struct {
	Note   string
	Picked []string
	Rows   []groupProcRow
}

// TestBrowserGroupProcesses clicks, on the processes page of every range,
// the first unit and the first container of the group tables: the process
// tables then show exactly that group's processes (the archive's newest
// unit or container of each process, not the page's), a note names the
// group, and a second click shows every process again. The 7-day page's
// disk I/O table shows what its first process read over the week as the
// archive's raw rows say. No console error, no network request.
func TestBrowserGroupProcesses(t *testing.T) {
	b := startBrowser(t)
	st := writeProcRollupFixture(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	// The truth: each process's unit and container in its newest row.
	f, err := st.Scan(schema.TableProcess, "web1", fixedNow.AddDate(-1, 0, 0), fixedNow.Add(time.Second), "pid", "start_time", "unit", "container")
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		pid   int
		start string
	}
	group := map[key]map[string]string{}
	newest := map[key]int64{}
	for i, tm := range f.Time {
		k := key{int(f.Num["pid"][i]), time.UnixMicro(int64(f.Num["start_time"][i])).UTC().Format(time.RFC3339)}
		if tm >= newest[k] {
			newest[k] = tm
			group[k] = map[string]string{"unit": f.Str["unit"][i], "container": f.Str["container"][i]}
		}
	}
	for r := range ranges {
		t.Run(ranges[r].Name, func(t *testing.T) {
			tb := b.open(t, filepath.Join(out, "hosts", hostDir("web1"), procFile(r)))
			if _, err := tb.waitCharts(".chart", chartTimeout); err != nil {
				t.Fatal(err)
			}
			read := func() groupProcState {
				var s groupProcState
				if err := json.Unmarshal([]byte(tb.eval(t, groupProcsJS)), &s); err != nil {
					t.Fatal(err)
				}
				return s
			}
			all := read()
			if len(all.Rows) < 4 {
				t.Fatalf("%d process rows", len(all.Rows))
			}
			for _, by := range []string{"unit", "container"} {
				sel := fmt.Sprintf(`tr.group[data-by=%q]`, by)
				name := tb.eval(t, fmt.Sprintf(`(document.querySelector(%q) || {dataset: {}}).dataset.name || ''`, sel))
				if name == "" {
					t.Fatalf("no %s group on the page", by)
				}
				tb.click(t, sel+" a")
				got := read()
				if !strings.Contains(got.Note, name) || len(got.Picked) != 1 || got.Picked[0] != by+"="+name {
					t.Errorf("%s %q picked: note %q, picked %v", by, name, got.Note, got.Picked)
				}
				var shown, want []string
				for _, row := range got.Rows {
					k := key{row.PID, row.Start}
					g, ok := group[k]
					if !ok {
						t.Errorf("row pid %d started %s: not in the archive", row.PID, row.Start)
						continue
					}
					id := fmt.Sprint(row.PID, "@", row.Start)
					if !row.Hidden {
						shown = append(shown, id)
					}
					if g[by] == name {
						want = append(want, id)
					}
				}
				sort.Strings(shown)
				sort.Strings(want)
				if len(want) == 0 || strings.Join(shown, " ") != strings.Join(want, " ") {
					t.Errorf("%s %q: rows shown %v, want the group's %v", by, name, shown, want)
				}
				if len(shown) == len(got.Rows) {
					t.Errorf("%s %q: every row shown (%d): the filter hid nothing", by, name, len(shown))
				}
				// The same group again: every process.
				tb.click(t, sel+" a")
				again := read()
				for _, row := range again.Rows {
					if row.Hidden {
						t.Errorf("%s %q clicked twice: row %d hidden", by, name, row.PID)
					}
				}
				if again.Note != "" || len(again.Picked) != 0 {
					t.Errorf("%s %q clicked twice: note %q, picked %v", by, name, again.Note, again.Picked)
				}
			}
			if r == 1 {
				// The 7-day disk I/O table: its first row as the archive says.
				from := fixedNow.AddDate(0, 0, -7).UnixMicro()
				want := wantLongIO(t, st, from, fixedNow.UnixMicro()+1, 60, math.MinInt64)
				if len(want) == 0 {
					t.Fatal("no process with disk I/O in the archive")
				}
				var io struct {
					Heads []string
					PID   int
					Read  float64
					Text  string
				}
				js := `(function () {
				  const sec = Array.from(document.querySelectorAll('section')).find(s => (s.querySelector('h2') || {}).textContent.indexOf('disk I/O') >= 0);
				  if (!sec) return '{}';
				  const heads = Array.from(sec.querySelectorAll('thead th')).map(th => th.textContent);
				  const row = sec.querySelector('tbody tr');
				  const cell = row.children[heads.indexOf('Read')];
				  return JSON.stringify({heads: heads, pid: Number(row.dataset.pid), read: Number(cell.getAttribute('data-v')), text: cell.textContent});
				})()`
				if err := json.Unmarshal([]byte(tb.eval(t, js)), &io); err != nil {
					t.Fatal(err)
				}
				w := want[0]
				if io.PID != int(w.id.PID) || math.Abs(io.Read-w.read) > 1e-6*max(w.read, 1) || io.Text != fmtBytes(w.read) {
					t.Errorf("7-day I/O table: first row pid %d read %.0f (%q), the archive says pid %d read %.0f (%s); heads %v",
						io.PID, io.Read, io.Text, w.id.PID, w.read, fmtBytes(w.read), io.Heads)
				}
				if !strings.Contains(strings.Join(io.Heads, "|"), "I/O (peak hour)") {
					t.Errorf("7-day I/O table heads %v lack I/O (peak hour)", io.Heads)
				}
				if ok := tb.eval(t, `String(!!document.getElementById('top-io'))`); ok != "true" {
					t.Errorf("7-day page has no top-io chart")
				}
			}
			tb.checkClean(t)
		})
	}
}
