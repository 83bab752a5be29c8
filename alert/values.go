package alert

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"almanac/schema"
)

// Extractor takes from each sample's batch the values its rules watch,
// and nothing else: its cost is per rule, not per table. It remembers the
// previous boot time, to tell a reboot. It is not safe for concurrent use.
type Extractor struct {
	metrics  []string     // the distinct metrics of the rules
	columns  []columnPlan // for each metric that is a table.column, where to find it
	lastBoot int64
	buf      []Value
	scoped   map[string]bool      // metrics a rule scopes: their Values carry Labels
	fsSeries map[[2]string]string // filesystem series names, by mount point and type
}

// columnPlan says where a table.column metric is and which columns label
// its series, worked out once.
type columnPlan struct {
	metric string
	table  schema.Table
	col    schema.Column
	labels []schema.Column      // identity and string label columns, by name
	scoped bool                 // a rule scopes the metric: Values fill Labels
	series map[[4]string]string // series names by label values (up to 4 labels)
}

// NewExtractor returns an Extractor of the values rules watch.
func NewExtractor(rules []Rule) *Extractor {
	x := &Extractor{scoped: map[string]bool{}, fsSeries: map[[2]string]string{}}
	for _, r := range rules {
		m := r.Metric
		if r.Event != "" {
			m = "event:" + r.Event
		}
		if slices.Contains(x.metrics, m) {
			continue
		}
		x.metrics = append(x.metrics, m)
		scoped := false
		for _, o := range rules {
			scoped = scoped || o.Metric == m && len(o.Scope) > 0
		}
		x.scoped[m] = scoped
		table, column, _ := strings.Cut(m, ".")
		t, ok := schema.Lookup(table)
		if !ok {
			continue
		}
		c, ok := t.Column(column)
		if !ok {
			continue
		}
		p := columnPlan{metric: m, table: t, col: c, scoped: scoped, series: map[[4]string]string{}}
		for _, lc := range t.Columns() {
			if lc.Kind == schema.KindIdentity || lc.Kind == schema.KindLabel && lc.Type == "VARCHAR" {
				p.labels = append(p.labels, lc)
			}
		}
		slices.SortFunc(p.labels, func(a, b schema.Column) int { return strings.Compare(a.Name, b.Name) })
		x.columns = append(x.columns, p)
	}
	return x
}

// LastBoot returns the boot time (µs) of the newest system row seen, 0
// before any; SetLastBoot sets it, so that a sampler started after a
// reboot sees the reboot.
func (x *Extractor) LastBoot() int64 { return x.lastBoot }

// SetLastBoot sets the boot time a reboot is told against.
func (x *Extractor) SetLastBoot(us int64) { x.lastBoot = us }

// Values returns the watched values of b, in a slice that the next call
// reuses. The event archive_write is not in a batch: the caller adds it.
func (x *Extractor) Values(b *schema.Batch) []Value {
	out := x.buf[:0]
	for _, m := range x.metrics {
		switch m {
		case "event:oom_kill":
			var n float64
			for _, r := range b.Memory {
				n += float64(r.OOMKills)
			}
			out = append(out, Value{Metric: m, V: n})
		case "event:reboot":
			for _, r := range b.System {
				if d := r.BootTime - x.lastBoot; x.lastBoot != 0 && (d > 5e6 || d < -5e6) {
					out = append(out, Value{Metric: m, V: 1})
				}
				x.lastBoot = r.BootTime
			}
		case "memory.available_pct":
			for _, r := range b.Memory {
				if r.TotalBytes > 0 {
					out = append(out, Value{Metric: m, V: 100 * float64(r.AvailableBytes) / float64(r.TotalBytes)})
				}
			}
		case "swap.used_pct":
			for _, r := range b.Memory {
				if r.SwapTotalBytes > 0 {
					out = append(out, Value{Metric: m, V: 100 * float64(r.SwapTotalBytes-r.SwapFreeBytes) / float64(r.SwapTotalBytes)})
				}
			}
		case "filesystem.used_pct", "filesystem.inodes_pct":
			for _, r := range b.Filesystem {
				v, ok := 0.0, false
				if m == "filesystem.used_pct" && r.UsedBytes+r.AvailBytes > 0 {
					v, ok = 100*float64(r.UsedBytes)/float64(r.UsedBytes+r.AvailBytes), true
				}
				if m == "filesystem.inodes_pct" && r.InodesTotal > 0 {
					v, ok = 100*float64(r.InodesUsed)/float64(r.InodesTotal), true
				}
				if !ok {
					continue
				}
				key := [2]string{r.Mountpoint, r.FSType}
				series, seen := x.fsSeries[key]
				if !seen {
					series = "fstype=" + r.FSType + ",mountpoint=" + r.Mountpoint
					x.fsSeries[key] = series
				}
				val := Value{Metric: m, Series: series, V: v}
				if x.scoped[m] {
					val.Labels = map[string]string{"mountpoint": r.Mountpoint, "fstype": r.FSType}
				}
				out = append(out, val)
			}
		case "system.load_per_core":
			cores := 0
			for _, r := range b.CPU {
				if r.CPU != "all" {
					cores++
				}
			}
			for _, r := range b.System {
				if cores > 0 {
					out = append(out, Value{Metric: m, V: r.Load1.Float() / float64(cores)})
				}
			}
		default:
			for i := range x.columns {
				if x.columns[i].metric == m {
					out = x.columns[i].appendValues(out, b)
				}
			}
		}
	}
	x.buf = out[:0]
	return out
}

// appendValues appends the values of p's column in b, one per row,
// labelled with the row's identity and string label columns (an empty or
// NULL one is no label).
func (p *columnPlan) appendValues(out []Value, b *schema.Batch) []Value {
	rows := reflect.ValueOf(p.table.Slice(b))
	c, labels, metric := p.col, p.labels, p.metric
	for i := range rows.Len() {
		row := rows.Index(i)
		v, ok := number(row.Field(c.Index), c)
		if !ok {
			continue
		}
		var l map[string]string
		if p.scoped {
			l = make(map[string]string, len(labels))
		}
		// The label values; a row's series name is made once per
		// distinct values (rows repeat the same few every sample).
		var key [4]string
		cacheable := len(labels) <= len(key)
		var vals []string
		if !cacheable {
			vals = make([]string, len(labels))
		}
		for j, lc := range labels {
			f := row.Field(lc.Index)
			val := ""
			switch {
			case f.Kind() == reflect.Pointer && f.IsNil():
			case f.Kind() == reflect.Pointer:
				val = f.Elem().String()
			case f.Kind() == reflect.String:
				val = f.String()
			default:
				val = strconv.FormatInt(f.Int(), 10)
			}
			if cacheable {
				key[j] = val
			} else {
				vals[j] = val
			}
			if l != nil && val != "" {
				l[lc.Name] = val
			}
		}
		series, ok := "", false
		if cacheable {
			series, ok = p.series[key]
		}
		if !ok {
			var b strings.Builder
			for j, lc := range labels { // in name order, as Value.series sorts them
				val := ""
				if cacheable {
					val = key[j]
				} else {
					val = vals[j]
				}
				if val == "" {
					continue // an empty or NULL label is no label
				}
				if b.Len() > 0 {
					b.WriteByte(',')
				}
				b.WriteString(lc.Name)
				b.WriteByte('=')
				b.WriteString(val)
			}
			series = b.String()
			if cacheable && len(p.series) < 4096 {
				p.series[key] = series
			}
		}
		out = append(out, Value{Metric: metric, Labels: l, Series: series, V: v})
	}
	return out
}

// number returns the value of field f of column c as a float64 (a
// DECIMAL(18,2) scaled down), false for a NULL or a non-number.
func number(f reflect.Value, c schema.Column) (float64, bool) {
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return 0, false
		}
		f = f.Elem()
	}
	switch f.Kind() {
	case reflect.Int64, reflect.Int32:
		if c.Type == "DECIMAL(18,2)" {
			return float64(f.Int()) / 100, true
		}
		return float64(f.Int()), true
	case reflect.Float64:
		return f.Float(), true
	case reflect.Bool:
		if f.Bool() {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Rows turns transitions into rows of the alert table.
func Rows(trs []Transition) []schema.AlertRow {
	out := make([]schema.AlertRow, 0, len(trs))
	for _, tr := range trs {
		out = append(out, schema.AlertRow{Time: tr.At.UnixMicro(), Rule: tr.Rule, Series: tr.Series,
			State: tr.Kind.String(), Severity: tr.Severity.String(), Since: tr.Since.UnixMicro(),
			Value: tr.Value, Peak: tr.Peak})
	}
	return out
}
