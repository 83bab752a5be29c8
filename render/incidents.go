package render

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// IncidentRow is one incident of a host: the alert table's rows of one
// rule, series and start, in the availability page's incident table.
type IncidentRow struct {
	Rule, Series string
	Severity     string // the worst it reached: warn or crit
	Start, End   Time
	Ongoing      bool    // not resolved by the newest row
	Event        bool    // an event rule's incident of one instant
	Duration     string  // to its end, or to now while ongoing
	Seconds      float64 // the duration, to sort by
	Peak         string
	Silenced     bool // a silence muted its notifications (recorded, or one of Options.Silences)
	// Set on the incidents pages (incidents_site.go):
	Host      string // the host ("" for a fleet rule's incident)
	HostHref  string // the host's incidents page, from the page
	ChartHref string // the host's charts zoomed on the incident, from the page
	Inhibited string // what inhibits it: "no data", "down" or "reboot"; "" when nothing does
	Fleet     bool   // a fleet rule's incident (no data, a count of hosts)

	From, To int64 `json:",omitempty"` // µs; To is now while it goes on, From for an event
}

// maxIncidents is the most incidents a page lists.
const maxIncidents = 500

// incidentColumns are the columns of the alert table the page reads.
var incidentColumns = []string{"rule", "series", "state", "severity", "since", "peak", "silenced"}

// incidents pairs the rows of the alert table f (of incidentColumns) into
// incidents, newest first: the rows of one rule, series and start are one
// incident, whose severity and peak are those of its newest row and which
// ends at its resolved row. Pending and cancelled rows (a hold-down) make
// no incident.
func incidents(f *archive.Frame, now int64, tz *time.Location) []IncidentRow {
	type key struct {
		rule, series string
		since        int64
	}
	type acc struct {
		last, end int64
		sev       string
		peak      float64
		event     bool
		silenced  bool
	}
	byKey := map[key]*acc{}
	var keys []key
	rule, series, state, sev := strCol(f, "rule"), strCol(f, "series"), strCol(f, "state"), strCol(f, "severity")
	since, peak, silenced := col(f, "since"), col(f, "peak"), col(f, "silenced")
	for i, t := range f.Time {
		switch state[i] {
		case "firing", "escalated", "repeat", "resolved", "event":
		default:
			continue
		}
		if math.IsNaN(since[i]) {
			continue
		}
		k := key{rule[i], series[i], int64(since[i])}
		a := byKey[k]
		if a == nil {
			a = &acc{}
			byKey[k] = a
			keys = append(keys, k)
		}
		if t >= a.last {
			a.last, a.sev, a.peak = t, sev[i], peak[i]
		}
		a.event = a.event || state[i] == "event"
		a.silenced = a.silenced || silenced[i] == 1
		if state[i] == "resolved" {
			a.end = t
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(b.since, a.since), cmp.Compare(a.rule, b.rule), cmp.Compare(a.series, b.series))
	})
	var out []IncidentRow
	for _, k := range keys {
		a := byKey[k]
		r := IncidentRow{Rule: k.rule, Series: k.series, Severity: a.sev, Start: mkTime(k.since, tz),
			Event: a.event, Silenced: a.silenced, Peak: strconv.FormatFloat(a.peak, 'g', 4, 64)}
		end := a.end
		switch {
		case a.event:
			end = k.since
		case end == 0:
			r.Ongoing, end = true, now
		}
		if !r.Ongoing {
			r.End = mkTime(end, tz)
		}
		r.From, r.To = k.since, end
		d := time.Duration(end-k.since) * time.Microsecond
		r.Duration, r.Seconds = fmtDuration(d), d.Seconds()
		out = append(out, r)
	}
	return out
}

// incidents reads the host's alert table over the longest range, for the
// availability and incidents pages, and the bands of the charts (before
// the charts are built).
func (g *gatherer) incidents() error {
	f, err := g.scan(schema.TableAlert, incidentColumns...)
	if err != nil {
		return err
	}
	g.d.incidents = incidents(f, g.now, g.tz)
	g.d.avail.Incidents = g.d.incidents[:min(len(g.d.incidents), maxIncidents)]
	g.bands = bandsOf(g.d.incidents, g.rules)
	return nil
}
