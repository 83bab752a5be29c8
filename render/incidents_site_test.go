package render

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"almanac/alert"
	"almanac/internal/testfs"
	"almanac/schema"
)

// smallFleetAlerting are the rules and silences the incidents tests render
// the small fleet with: a count rule that both hosts' CPU breaches while
// both sample, an active silence of web1's OOM kills and an expired one.
func smallFleetAlerting(t testing.TB) Alerting {
	t.Helper()
	const rules = `fleet:
  - name: fleet busy
    metric: cpu.busy_pct
    value: "> 0"
    warn: 2
    for: 5m
`
	f, err := alert.ParseRules("rules.yaml", strings.NewReader(rules), func(string, string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	const silences = `silences:
  - rule: oom kill
    host: "web*"
    until: 2026-03-11T00:00:00Z
    comment: a known leak, fixed Thursday
  - rule: hot
    until: 2026-03-09T00:00:00Z
`
	ss, err := alert.ParseSilences("silences.yaml", strings.NewReader(silences))
	if err != nil {
		t.Fatal(err)
	}
	return Alerting{Rules: f, Silences: ss}
}

// TestBuildIncidents: the fleet and host incidents pages list the recorded
// incidents, the no-data and count rules' ones, mark inhibited and
// silenced ones, link each to the host's charts at its time; the overview
// counts open incidents; the charts shade them.
func TestBuildIncidents(t *testing.T) {
	st := writeFixture(t, smallFleet()...)
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: fixedNow, Log: quietLog(), Alerts: smallFleetAlerting(t)}); err != nil {
		t.Fatal(err)
	}
	files := testfs.ReadTree(t, out)
	web, db := "hosts/"+hostDir("web1")+"/", "hosts/"+hostDir("db1")+"/"
	fleet := string(files["incidents.html"])
	ms := func(m int) string {
		return strconv.FormatInt(fixedNow.Add(time.Duration(m)*time.Minute).UnixMilli(), 10)
	}
	for _, want := range []string{
		// db1 silent for 30 minutes: no data (5 intervals of 1m), ongoing, crit.
		`<a href="` + db + `incidents.html">db1</a></td>` + "\n" + `<td data-v="no data">no data <small>(fleet rule)</small>`,
		// db1's filesystem incident goes on while it is silent (for
		// longer than 15 minutes: down): inhibited.
		`<td data-v="down">inhibited (down)</td>`,
		// web1's load incident began 3 minutes after the reboot.
		`inhibited (reboot)`,
		// The count rule: both hosts busy while both sampled.
		`<td data-v="">(fleet)</td>` + "\n" + `<td data-v="fleet busy">fleet busy <small>(fleet rule)</small>`,
		// The silenced OOM kill, and the silences.
		`>silenced</td>`, `a known leak, fixed Thursday`, `<td>active</td>`, `<td>expired</td>`,
		// A link to web1's 24h charts around its memory incident (from -30m, ongoing).
		`href="` + web + `index.html#from=` + ms(-45) + `&amp;to=` + ms(0) + `"`,
		// The timeline chart.
		`"id":"incident-timeline"`, `"kind":"timeline"`,
		"no data: no data for auto (5 sampling intervals)",
	} {
		if !strings.Contains(fleet, want) {
			t.Errorf("incidents.html lacks %q", want)
		}
	}
	host := string(files[web+"incidents.html"])
	for _, want := range []string{`<a href="index.html">Charts</a>`, `class="active" aria-current="page">Incidents</a>`,
		`href="../../` + web + `index.html#from=`, `memory low`, `1 open`} {
		if !strings.Contains(host, want) {
			t.Errorf("web1 incidents.html lacks %q", want)
		}
	}
	if strings.Contains(host, "fleet busy") || strings.Contains(host, ">db1<") {
		t.Errorf("web1 incidents.html lists the fleet's or db1's incidents")
	}
	// The overview: web1 has memory low open (warn; load is inhibited,
	// the OOM kill an event); db1 has no data (crit; its filesystem
	// incident is inhibited).
	index := string(files["index.html"])
	for _, want := range []string{`class="sev sev-warn" href="` + web + `incidents.html">1 warn</a>`,
		`class="sev sev-crit" href="` + db + `incidents.html">1 crit</a>`} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	// Shaded bands: the memory incident on web1's memory chart, the
	// filesystem incident (crit) on its filesystem chart.
	page := string(files[web+"index.html"])
	for _, want := range []string{`{"name":"memory low","xAxis":` + ms(-30) + `,"label":{"show":false},"itemStyle":{"color":"rgba(255,179,0,0.18)"}}`,
		`"name":"filesystem full (fstype=ext4,mountpoint=/)","xAxis":` + ms(-175) + `,"label":{"show":false}`} {
		if !strings.Contains(page, want) {
			t.Errorf("web1 24h page lacks the band %s", want)
		}
	}
	if n := len(regexp.MustCompile(`"name":"memory low"`).FindAllString(page, -1)); n != 1 {
		t.Errorf("memory low band drawn %d times on the 24h page, want once (on the memory chart)", n)
	}
}

func TestChartLink(t *testing.T) {
	now := fixedNow.UnixMicro()
	h := func(d time.Duration) int64 { return now - d.Microseconds() }
	ms := func(us int64) string { return strconv.FormatInt(us/1000, 10) }
	tests := []struct {
		name     string
		from, to int64
		want     string
	}{
		{"an hour ago, 10 minutes", h(time.Hour), h(50 * time.Minute), "index.html#from=" + ms(h(75*time.Minute)) + "&to=" + ms(h(35*time.Minute))},
		{"three days ago", h(72 * time.Hour), h(70 * time.Hour), "7d.html#from=" + ms(h(72*time.Hour+30*time.Minute)) + "&to=" + ms(h(70*time.Hour-30*time.Minute))},
		{"near the edge of 24h", h(24*time.Hour - time.Minute), h(23 * time.Hour), "index.html#from=" + ms(h(24*time.Hour)) + "&to=" + ms(h(23*time.Hour-15*time.Minute))},
		{"two years ago", h(2 * 365 * 24 * time.Hour), h(2*365*24*time.Hour - time.Hour), "365d.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chartLink(tt.from, tt.to, now); got != tt.want {
				t.Errorf("chartLink = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBuildIncidentsBudget: a host with more incidents than a page lists
// keeps its incidents pages under 2 MB and says how many are left out.
func TestBuildIncidentsBudget(t *testing.T) {
	n := fixedNow
	var rows []schema.AlertRow
	for m := range 180 {
		at := n.Add(time.Duration(m-180) * time.Minute).UnixMicro()
		for i := range 8 {
			series := "mountpoint=/srv/" + evilProc + strconv.Itoa(i)
			rows = append(rows,
				schema.AlertRow{Time: at, Rule: "filesystem full", Series: series, State: "firing", Severity: "crit", Since: at, Value: 99, Peak: 99},
				schema.AlertRow{Time: at, Rule: "filesystem full", Series: series, State: "resolved", Severity: "crit", Since: at, Value: 50, Peak: 99})
		}
	}
	st := writeFixture(t, fixtureHost{Name: "busy1", Every: time.Minute, Seed: 3, Alerts: rows,
		Spans: []span{{From: n.Add(-3 * time.Hour), To: n}}})
	out := filepath.Join(t.TempDir(), "site")
	if _, err := Build(context.Background(), st, Options{Out: out, Now: n, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	files := testfs.ReadTree(t, out)
	for _, page := range []string{"incidents.html", "hosts/" + hostDir("busy1") + "/incidents.html", "hosts/" + hostDir("busy1") + "/index.html"} {
		b := files[page]
		if len(b) > maxPageBytes || len(b) == 0 {
			t.Errorf("%s is %d bytes, want some and at most 2 MB", page, len(b))
		}
		if strings.Contains(string(b), "<script>alert(1)") {
			t.Errorf("%s holds a series name unescaped", page)
		}
		t.Logf("%s: %d bytes", page, len(b))
	}
	if !strings.Contains(string(files["incidents.html"]), "940 older incidents are left out.") {
		t.Errorf("incidents.html does not say how many incidents it leaves out")
	}
}
