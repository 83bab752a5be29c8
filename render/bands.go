package render

import (
	"strings"

	"almanac/alert"

	"github.com/go-echarts/go-echarts/v2/opts"
)

// Band is an incident drawn as a shaded band on the line charts of a
// host's pages that show what its rule watches: a filesystem rule on the
// filesystem chart, a memory rule on the memory chart, and so on.
type Band struct {
	Chart    string // the id of the chart it is drawn on ("fs-space")
	From, To int64  // µs; To is now while the incident goes on
	Severity string // warn or crit
	Label    string // the rule, and the series when there is one
}

// bandColors are the fills of a band by severity.
var bandColors = map[string]string{
	"warn": "rgba(255,179,0,0.18)",
	"crit": "rgba(230,81,0,0.22)",
}

// bandAreas returns the bands of o for the chart id within its range, as
// markArea data (after the outages, which they may overlap).
func bandAreas(o lineOpts, id string) []any {
	var areas []any
	for _, b := range o.Bands {
		from, to := max(b.From, o.From), min(b.To, o.To)
		if b.Chart != id || to <= from {
			continue
		}
		color, ok := bandColors[b.Severity]
		if !ok {
			color = bandColors["warn"]
		}
		areas = append(areas, []opts.MarkAreaData{
			{Name: b.Label, XAxis: from / 1000, MarkAreaStyle: opts.MarkAreaStyle{
				ItemStyle: &opts.ItemStyle{Color: color}, Label: &opts.Label{Show: opts.Bool(false)}}},
			{XAxis: to / 1000},
		})
	}
	return areas
}

// bandChart returns the id of the chart that shows a rule's metric
// ("table.column" or a derived value), "" when no chart does (events:
// their instants are marked on the time axis already).
func bandChart(metric string) string {
	table, column, _ := strings.Cut(metric, ".")
	switch table {
	case "filesystem":
		if strings.Contains(column, "inode") {
			return "fs-inodes"
		}
		return "fs-space"
	case "memory":
		switch {
		case strings.HasPrefix(column, "swap_in"), strings.HasPrefix(column, "swap_out"):
			return "swap-io"
		case strings.HasPrefix(column, "swap"):
			return "swap"
		case strings.Contains(column, "fault"):
			return "faults"
		case column == "oom_kills":
			return "oom"
		}
		return "memory"
	case "swap":
		return "swap"
	case "system":
		switch {
		case strings.HasPrefix(column, "load"):
			return "load"
		case strings.HasPrefix(column, "procs"):
			return "procs"
		}
		return "kernel"
	case "cpu":
		return "cpu"
	case "pressure":
		return "pressure"
	case "temperature":
		return "temperature"
	case "disk":
		switch {
		case strings.Contains(column, "bytes"):
			return "disk-bytes"
		case strings.Contains(column, "await"):
			return "disk-await"
		case strings.HasSuffix(column, "_per_s"):
			return "disk-iops"
		}
		return "disk-busy"
	case "network":
		switch {
		case strings.Contains(column, "error"):
			return "net-errors"
		case strings.Contains(column, "drop"):
			return "net-drops"
		case strings.Contains(column, "packet"):
			return "net-packets"
		}
		return "net-bytes"
	case "proc_count":
		return "proc-states"
	case "proc_user":
		return "user-procs"
	}
	return ""
}

// bandsOf returns the bands of a host's incidents: those of the rules
// (by name) whose metric a chart shows; events and unknown rules have
// none.
func bandsOf(incs []IncidentRow, rules []alert.Rule) []Band {
	metric := map[string]string{}
	for _, r := range rules {
		if r.Event == "" {
			metric[r.Name] = r.Metric
		}
	}
	var out []Band
	for _, in := range incs {
		chart := bandChart(metric[in.Rule])
		if chart == "" || in.Event {
			continue
		}
		label := in.Rule
		if in.Series != "" {
			label += " (" + in.Series + ")"
		}
		out = append(out, Band{Chart: chart, From: in.From, To: in.To, Severity: in.Severity, Label: label})
	}
	return out
}
