package render

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/alert"
	"almanac/archive"
	"almanac/schema"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Alerting is what render knows of the alerting rules: the rules file
// (nil: the built-in defaults) and the silences (almanac render --rules,
// --silences). Render keeps no alerting state: it reads the incidents the
// samplers recorded in the alert table and evaluates the fleet rules
// over the archive again on every run.
type Alerting struct {
	Rules    *alert.File
	Silences []alert.Silence
}

// file returns the rules file, or an empty one (the defaults).
func (a Alerting) file() *alert.File {
	if a.Rules == nil {
		return &alert.File{}
	}
	return a.Rules
}

// hostRules returns the host rules in force, whose incidents render
// draws as bands.
func (a Alerting) hostRules() []alert.Rule { return a.file().Effective() }

// AlertSummary is a host's open incidents on the overview: ongoing, and
// neither inhibited nor silenced.
type AlertSummary struct {
	Open  int
	Worst string  // "crit", "warn" or "" (none open)
	Sort  float64 // to sort by: crit before warn, then more before fewer
}

// SilenceRow is a silence shown on the incidents pages.
type SilenceRow struct {
	Rule, Host, Series string // globs; "" matches anything
	Until              Time
	Active             bool // not expired
	Comment, Source    string
}

// incidentsPage is the model of an incidents page: the fleet's
// (incidents.html) or a host's (hosts/<dir>/incidents.html).
type incidentsPage struct {
	Fleet     bool
	Timeline  *Chart
	Height    int // of the timeline, px
	Incidents []IncidentRow
	More      int // incidents left out of the table (over maxIncidents)
	Open      int
	Silences  []SilenceRow
	Rules     []string // the fleet rules in force, as rules show writes them
}

// incidentsFile is the incidents page of the fleet (site root) and of a
// host (its folder).
const incidentsFile = "incidents.html"

// recentSilence is how long an expired silence is still shown.
const recentSilence = 7 * 24 * time.Hour

// fleetWindow is how far back count rules are evaluated, and fleetStep
// the step they are evaluated at.
const (
	fleetWindow = 7 * 24 * time.Hour
	fleetStep   = time.Minute
)

// hostIncidents works out a host's incidents as its pages show them: the
// incidents of the alert table and those of the no_data fleet rules,
// newest first, inhibited where the host was down, silent or rebooting
// when one began (or is down or silent now, while it goes on), silenced
// where a silence matches; and its overview summary.
func hostIncidents(d *hostData, a Alerting, now time.Time, tz *time.Location) ([]IncidentRow, AlertSummary) {
	nowUS := now.UnixMicro()
	interval := time.Duration(d.tl.Interval) * time.Microsecond
	var trs []alert.Transition
	for _, r := range a.file().EffectiveFleet() {
		trs = append(trs, alert.NoData(r, d.Name, gapsOf(d.tl), interval, now)...)
	}
	rows := incidents(transitionFrame(trs), nowUS, tz)
	for i := range rows {
		rows[i].Fleet, rows[i].Peak = true, "–" // its duration says it
	}
	rows = append(rows, d.incidents...)
	ins := inhibitionsOf(d.tl)
	var downNow string
	if n := len(d.tl.Outages); n > 0 && d.tl.Outages[n-1].Ongoing {
		downNow = d.tl.Outages[n-1].Kind
	}
	var sum AlertSummary
	for i := range rows {
		r := &rows[i]
		r.Host = d.Name
		if !r.Fleet && !r.Event {
			if in, ok := alert.InhibitedBy(alert.Transition{Since: time.UnixMicro(r.From)}, ins); ok {
				r.Inhibited = in.Cause
			} else if r.Ongoing && downNow != "" {
				r.Inhibited = downNow
			}
		}
		r.Silenced = r.Silenced || silenced(a.Silences, r, now)
		if r.Ongoing && r.Inhibited == "" && !r.Silenced {
			sum.Open++
			if r.Severity == "crit" || sum.Worst == "" {
				sum.Worst = r.Severity
			}
		}
	}
	sortIncidents(rows)
	if sum.Open > 0 {
		sum.Sort = float64(sum.Open)
		if sum.Worst == "crit" {
			sum.Sort += 10000
		}
	}
	return rows, sum
}

// sortIncidents orders incidents newest first.
func sortIncidents(rows []IncidentRow) {
	slices.SortStableFunc(rows, func(a, b IncidentRow) int {
		return cmp.Or(cmp.Compare(b.From, a.From), cmp.Compare(a.Host, b.Host), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Series, b.Series))
	})
}

// silenced reports whether a silence of ss matches the incident r, at its
// start or, while it goes on, now.
func silenced(ss []alert.Silence, r *IncidentRow, now time.Time) bool {
	for _, s := range ss {
		if s.Matches(r.Host, r.Rule, r.Series, time.UnixMicro(r.From)) || r.Ongoing && s.Matches(r.Host, r.Rule, r.Series, now) {
			return true
		}
	}
	return false
}

// gapsOf returns the silences of a host's samples: its outages, a down
// span and the no-data span after it merged into one.
func gapsOf(tl timeline) []alert.Gap {
	var out []alert.Gap
	for _, o := range tl.Outages {
		g := alert.Gap{From: time.UnixMicro(o.Start)}
		if !o.Ongoing {
			g.To = time.UnixMicro(o.End)
		}
		if n := len(out); n > 0 && !out[n-1].To.IsZero() && out[n-1].To.Equal(g.From) {
			out[n-1].To = g.To
			continue
		}
		out = append(out, g)
	}
	return out
}

// inhibitionsOf returns the spans that inhibit a host's new incidents:
// its outages (down, no data) and alert.RebootGrace after each reboot.
func inhibitionsOf(tl timeline) []alert.Inhibition {
	var out []alert.Inhibition
	for _, o := range tl.Outages {
		in := alert.Inhibition{From: time.UnixMicro(o.Start), Cause: o.Kind}
		if !o.Ongoing {
			in.To = time.UnixMicro(o.End)
		}
		out = append(out, in)
	}
	for _, b := range tl.Reboots {
		out = append(out, alert.Inhibition{From: time.UnixMicro(b), To: time.UnixMicro(b).Add(alert.RebootGrace), Cause: "reboot"})
	}
	return out
}

// transitionFrame turns transitions into a frame of the alert table's
// columns (incidentColumns), so that incidents pairs them as it pairs
// the recorded ones.
func transitionFrame(trs []alert.Transition) *archive.Frame {
	f := &archive.Frame{Num: map[string][]float64{}, Str: map[string][]string{}}
	for _, r := range alert.Rows(trs) {
		f.Time = append(f.Time, r.Time)
		f.Str["rule"] = append(f.Str["rule"], r.Rule)
		f.Str["series"] = append(f.Str["series"], r.Series)
		f.Str["state"] = append(f.Str["state"], r.State)
		f.Str["severity"] = append(f.Str["severity"], r.Severity)
		f.Num["since"] = append(f.Num["since"], float64(r.Since))
		f.Num["peak"] = append(f.Num["peak"], r.Peak)
		f.Num["silenced"] = append(f.Num["silenced"], 0)
	}
	return f
}

// chartLink returns the page of a host's charts (relative to its folder)
// that covers the span [from, to] (µs) of an incident, zoomed on it with
// some time around (#from=<ms>&to=<ms>, which the site script reads):
// the shortest range that holds its start.
func chartLink(from, to, now int64) string {
	r := len(ranges) - 1
	for i, rd := range ranges {
		if now-rd.Dur.Microseconds() <= from {
			r = i
			break
		}
	}
	lo := now - ranges[r].Dur.Microseconds()
	pad := max((to-from)/4, 15*time.Minute.Microseconds())
	a, b := max(from-pad, lo), min(to+pad, now)
	if b <= a {
		return ranges[r].File
	}
	return ranges[r].File + "#from=" + strconv.FormatInt(a/1000, 10) + "&to=" + strconv.FormatInt(b/1000, 10)
}

// linked returns rows (a copy) with their links set for a page at prefix
// from the site root ("" at the root, "../../" in a host folder): the
// host's incidents page and its charts at the incident's time.
func linked(rows []IncidentRow, dirs map[string]string, prefix string, now int64) []IncidentRow {
	out := slices.Clone(rows)
	for i := range out {
		r := &out[i]
		dir, ok := dirs[r.Host]
		if !ok {
			continue
		}
		host := prefix + "hosts/" + dir + "/"
		r.HostHref = host + incidentsFile
		r.ChartHref = host + chartLink(r.From, max(r.To, r.From), now)
	}
	return out
}

// timelineChart draws incidents as bars over time, one row per category
// (cat of an incident): warn amber, crit red, inhibited or silenced grey,
// events as diamonds. At most maxRows categories, the most recent.
func timelineChart(id, title string, rows []IncidentRow, cat func(IncidentRow) string, now int64) (Chart, int) {
	const maxRows = 40
	var cats []string
	index := map[string]int{}
	from := now
	var series charts.MultiSeries
	for _, r := range rows { // newest first
		c := cat(r)
		j, ok := index[c]
		if !ok {
			if len(cats) == maxRows {
				continue
			}
			j = len(cats)
			index[c] = j
			cats = append(cats, c)
		}
		from = min(from, r.From)
		var color string
		switch {
		case r.Inhibited != "" || r.Silenced:
			color = "#9e9e9e"
		case r.Severity == "crit":
			color = "#e65100"
		default:
			color = "#ffb300"
		}
		name := r.Rule
		if r.Series != "" {
			name += " (" + r.Series + ")"
		}
		if r.Host != "" && cat(r) != r.Host {
			name = r.Host + ": " + name
		}
		name += " · " + r.Severity
		if r.Inhibited != "" {
			name += " · inhibited (" + r.Inhibited + ")"
		}
		if r.Silenced {
			name += " · silenced"
		}
		s := charts.SingleSeries{
			Type: "line", Name: name, Data: [][]any{{r.From / 1000, c}, {max(r.To, r.From) / 1000, c}},
			Symbol: "rect", SymbolSize: []int{2, 12}, ShowSymbol: opts.Bool(true),
			LineStyle: &opts.LineStyle{Width: 12, Color: color}, ItemStyle: &opts.ItemStyle{Color: color},
		}
		if r.Event {
			s.Data = [][]any{{r.From / 1000, c}}
			s.Symbol, s.SymbolSize = "diamond", 12
		}
		series = append(series, s)
	}
	from = max(from, now-longest.Microseconds())
	pad := max((now-from)/50, time.Minute.Microseconds())
	height := 70 + 26*len(cats)
	tl := charts.NewLine()
	tl.MultiSeries = series
	tl.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "item"}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "24", Top: "10", Bottom: "30", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "time", Min: (from - pad) / 1000, Max: now / 1000}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: cats, Inverse: opts.Bool(true),
			AxisLabel: &opts.AxisLabel{Width: 220, Overflow: "truncate"}}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside", FilterMode: "none"}),
	)
	return Chart{
		ID:     id,
		Title:  title,
		Kind:   "timeline",
		Option: newOption(&tl.RectChart, nil),
	}, height
}

// silenceRows returns the silences to show: those matching host ("" the
// fleet: all), active ones and those expired within recentSilence,
// active first, then by expiry.
func silenceRows(ss []alert.Silence, host string, now time.Time, tz *time.Location) []SilenceRow {
	var out []SilenceRow
	for _, s := range ss {
		if host != "" && s.Host != "" {
			if ok, _ := path.Match(s.Host, host); !ok {
				continue
			}
		}
		if s.Until.Before(now.Add(-recentSilence)) {
			continue
		}
		out = append(out, SilenceRow{Rule: s.Rule, Host: s.Host, Series: s.Series, Until: mkTime(s.Until.UnixMicro(), tz),
			Active: now.Before(s.Until), Comment: s.Comment, Source: s.Source})
	}
	slices.SortStableFunc(out, func(a, b SilenceRow) int {
		if a.Active != b.Active {
			if a.Active {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Until.ISO, b.Until.ISO)
	})
	return out
}

// page fills p (made like the host's other pages) as the incidents page
// of rows.
func (ip *incidentsPage) fill(p *pageModel, rows []IncidentRow, cat func(IncidentRow) string, now int64) {
	for _, r := range rows {
		if r.Ongoing && r.Inhibited == "" && !r.Silenced {
			ip.Open++
		}
	}
	if len(rows) > maxIncidents {
		ip.More = len(rows) - maxIncidents
		rows = rows[:maxIncidents]
	}
	ip.Incidents = rows
	if len(rows) > 0 {
		c, h := timelineChart("incident-timeline", "Incidents over time", rows, cat, now)
		ip.Timeline, ip.Height = &c, h
		p.Data.Charts = append(p.Data.Charts, c)
	}
	p.Incidents = ip
}

// writeHostIncidents works out the host's incidents (hostIncidents) into
// d, for the fleet page and the overview, and writes its incidents page
// with the model p (the host's page frame).
func writeHostIncidents(w *writer, t *template.Template, d *hostData, o Options, p *pageModel) error {
	d.incidents, d.alerts = hostIncidents(d, o.Alerts, o.Now, o.TZ)
	rows := linked(d.incidents, map[string]string{d.Name: d.Dir}, "../../", o.Now.UnixMicro())
	ip := &incidentsPage{Silences: silenceRows(o.Alerts.Silences, d.Name, o.Now, o.TZ)}
	ip.fill(p, rows, func(r IncidentRow) string {
		if r.Series != "" {
			return r.Rule + " · " + r.Series
		}
		return r.Rule
	}, o.Now.UnixMicro())
	return w.page(t, "incidents.html", "hosts/"+d.Dir+"/"+incidentsFile, p)
}

// writeFleetIncidents evaluates the count rules over the archive and
// writes the fleet's incidents page: every host's incidents (worked out
// by writeHostIncidents) and the fleet rules'.
func writeFleetIncidents(w *writer, t *template.Template, src scanner, hosts []*hostData, o Options) error {
	var rows []IncidentRow
	dirs := map[string]string{}
	for _, d := range hosts {
		if d == nil {
			continue
		}
		dirs[d.Name] = d.Dir
		rows = append(rows, d.incidents...)
	}
	fleet := o.Alerts.file().EffectiveFleet()
	var rules []string
	for _, r := range fleet {
		rules = append(rules, r.Name+": "+r.String())
		if r.NoData {
			continue
		}
		if src == nil {
			// BuildIndex: the shards' summaries hold no series to count.
			w.log.Warn("fleet rule not evaluated: a sharded render's index reads no archive", "rule", r.Name)
			continue
		}
		pts := map[string][]alert.Point{}
		for _, d := range hosts {
			if d == nil || !r.Watches(d.Name) {
				continue
			}
			p, err := fleetPoints(src, d.Name, r, o.Now)
			if err != nil {
				return err
			}
			pts[d.Name] = p
		}
		trs := alert.CountHosts(r, fleetStep, pts)
		for i := range trs {
			if r.Hosts != "" {
				trs[i].Series = "hosts=" + r.Hosts
			}
		}
		got := incidents(transitionFrame(trs), o.Now.UnixMicro(), o.TZ)
		for i := range got {
			got[i].Fleet = true
			got[i].Silenced = silenced(o.Alerts.Silences, &got[i], o.Now)
		}
		rows = append(rows, got...)
	}
	sortIncidents(rows)
	p := &pageModel{
		Title: "Incidents · almanac", Generated: mkTime(o.Now.UnixMicro(), o.TZ),
		Data: pageData{TZ: tzName(o), Charts: []Chart{}},
	}
	ip := &incidentsPage{Fleet: true, Silences: silenceRows(o.Alerts.Silences, "", o.Now, o.TZ), Rules: rules}
	ip.fill(p, linked(rows, dirs, "", o.Now.UnixMicro()), func(r IncidentRow) string {
		if r.Host == "" {
			return "(fleet) " + r.Rule
		}
		return r.Host
	}, o.Now.UnixMicro())
	return w.page(t, "incidents.html", incidentsFile, p)
}

// fleetPoints reads the value a count rule watches of host over the last
// fleetWindow (rollups for closed days, as the charts read them): per row
// its worst value in the rule's direction, per series in its scope.
func fleetPoints(src scanner, host string, r alert.FleetRule, now time.Time) ([]alert.Point, error) {
	g := &gatherer{src: src, host: host, now: now.UnixMicro(), d: &hostData{Name: host}, raw: make([]bool, len(ranges))}
	g.from = g.now - fleetWindow.Microseconds()
	table, column, _ := strings.Cut(r.Metric, ".")
	var cols []string
	switch r.Metric {
	case "cpu.busy_pct":
		cols = []string{"cpu", "idle_pct"}
	case "memory.available_pct":
		cols = []string{"available_bytes", "total_bytes"}
	case "filesystem.used_pct":
		cols = []string{"used_bytes", "avail_bytes"}
	default:
		cols = []string{column}
	}
	t, ok := schema.Lookup(table)
	if !ok {
		return nil, fmt.Errorf("fleet rule %q: no table %q", r.Name, table)
	}
	for k := range r.Scope {
		if c, ok := t.Column(k); ok && (c.Kind == schema.KindIdentity || c.Kind == schema.KindLabel) && !slices.Contains(cols, k) {
			cols = append(cols, k)
		}
	}
	above := r.Value.Above
	pick := func(v vals, i int) float64 {
		if above {
			return v.Hi[i]
		}
		return v.Lo[i]
	}
	var out []alert.Point
	err := g.each(table, cols, func(c chunk) {
		labels := map[string][]string{}
		for k := range r.Scope {
			labels[k] = c.str(k)
		}
		var v func(i int) float64
		switch r.Metric {
		case "cpu.busy_pct":
			idle, name := c.num("idle_pct"), c.str("cpu")
			v = func(i int) float64 {
				if name[i] != "all" {
					return math.NaN()
				}
				if above {
					return 100 - idle.Lo[i]
				}
				return 100 - idle.Hi[i]
			}
		case "memory.available_pct":
			a, tot := c.num("available_bytes"), c.num("total_bytes")
			v = func(i int) float64 { return pct(pick(a, i), tot.V[i]) }
		case "filesystem.used_pct":
			u, a := c.num("used_bytes"), c.num("avail_bytes")
			v = func(i int) float64 { return pct(pick(u, i), u.V[i]+a.V[i]) }
		default:
			x := c.num(column)
			v = func(i int) float64 { return pick(x, i) }
		}
	rows:
		for i, at := range c.f.Time {
			for k, glob := range r.Scope {
				if ok, _ := path.Match(glob, labels[k][i]); !ok {
					continue rows
				}
			}
			if x := v(i); !math.IsNaN(x) {
				out = append(out, alert.Point{T: at, V: x})
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("fleet rule %q of %s: %w", r.Name, host, err)
	}
	slices.SortStableFunc(out, func(a, b alert.Point) int { return cmp.Compare(a.T, b.T) }) // series by series in a rollup
	return out, nil
}
