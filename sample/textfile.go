//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The default limits of the textfile collector.
const (
	// DefaultTextfileMaxSeries is the most series one file may hold.
	DefaultTextfileMaxSeries = 1000
	// DefaultTextfileMaxTotal is the most series of all files together,
	// per sample.
	DefaultTextfileMaxTotal = 10000
)

// textfileCollector fills the custom table from the *.prom files of a
// directory, in the Prometheus text exposition format, as node_exporter's
// textfile collector reads them. Files whose name starts with a dot or
// does not end in .prom are ignored (a writer writes foo.prom.tmp or
// .foo.prom, then renames it to foo.prom: a rename is atomic, so a file is
// never seen half written). A file is parsed again only when it changed
// (its inode, size or modification time); otherwise its last series are
// used again with the sample's time.
//
// A file that does not parse, holds client timestamps, does not end with a
// newline or holds more than maxSeries series is skipped, with one warning
// naming it (and the line) each time it changes. The files are taken in
// name order until maxTotal series; the files after that are skipped, with
// a warning. A missing directory is one warning, not an error.
type textfileCollector struct {
	dir                 string
	maxSeries, maxTotal int
	log                 *slog.Logger

	files      map[string]*textfileEntry
	keys       map[string]string // metric and series → file, this sample (kept to reuse)
	saidNoDir  bool
	overTotal  map[string]bool // files skipped for maxTotal, warned about
	duplicates map[string]bool // series seen twice, warned about
}

// textfileEntry is the last reading of one file.
type textfileEntry struct {
	ino, size, mtime int64
	rows             []textSeries
	err              error // why the file is skipped; nil when it is used
}

// textSeries is one series of a file: everything of its custom row but the
// time.
type textSeries struct {
	key                             string // metric and series, for duplicates
	metric, series, typ, help, unit string
	labels                          []schema.Label
	value                           float64
}

func newTextfileCollector(dir string, maxSeries, maxTotal int, log *slog.Logger) *textfileCollector {
	if maxSeries <= 0 {
		maxSeries = DefaultTextfileMaxSeries
	}
	if maxTotal <= 0 {
		maxTotal = DefaultTextfileMaxTotal
	}
	return &textfileCollector{dir: dir, maxSeries: maxSeries, maxTotal: maxTotal, log: log,
		files: map[string]*textfileEntry{}, overTotal: map[string]bool{}, duplicates: map[string]bool{}}
}

// Collect implements collector.
func (c *textfileCollector) Collect(_ Source, t Tick, b *schema.Batch) error {
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		if !c.saidNoDir {
			c.log.Warn("textfile directory unreadable: no custom metrics until it is", "dir", c.dir, "err", err)
			c.saidNoDir = true
		}
		clear(c.files)
		return nil
	}
	c.saidNoDir = false
	seen := make(map[string]bool, len(ents))
	total := 0
	if c.keys == nil {
		c.keys = map[string]string{}
	}
	keys := c.keys
	clear(keys)
	for _, e := range ents {
		name := e.Name()
		if !isTextfileName(name) {
			continue
		}
		seen[name] = true
		ent := c.read(name)
		if ent.err != nil {
			continue
		}
		if total+len(ent.rows) > c.maxTotal {
			if !c.overTotal[name] {
				c.log.Warn("textfile skipped: the files before it hold the most series a sample takes (--textfile-max-total)",
					"file", filepath.Join(c.dir, name), "series", len(ent.rows), "taken", total, "limit", c.maxTotal)
				c.overTotal[name] = true
			}
			continue
		}
		delete(c.overTotal, name)
		total += len(ent.rows)
		if t.First {
			continue
		}
		for _, s := range ent.rows {
			k := s.key
			if first, dup := keys[k]; dup {
				if !c.duplicates[k] {
					c.log.Warn("textfile series also in an earlier file: kept the first",
						"metric", s.metric, "series", s.series, "file", name, "first", first)
					c.duplicates[k] = true
				}
				continue
			}
			keys[k] = name
			b.Custom = append(b.Custom, schema.CustomRow{Time: t.Time, Metric: s.metric, Series: s.series,
				Labels: s.labels, Type: s.typ, Help: s.help, Unit: s.unit, Value: s.value, File: name})
		}
	}
	for name := range c.files {
		if !seen[name] {
			delete(c.files, name)
			delete(c.overTotal, name)
		}
	}
	return nil
}

// isTextfileName reports whether a directory entry is a textfile to read:
// *.prom, not hidden.
func isTextfileName(name string) bool {
	return !strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".prom") && len(name) > len(".prom")
}

// read returns the reading of the file name, parsing it again when it
// changed since the last one.
func (c *textfileCollector) read(name string) *textfileEntry {
	path := filepath.Join(c.dir, name)
	fi, err := os.Stat(path)
	if err != nil {
		// Renamed away between the listing and now: the next sample
		// sees what replaced it.
		return &textfileEntry{err: err}
	}
	if !fi.Mode().IsRegular() {
		return &textfileEntry{err: errors.New("not a regular file")}
	}
	var ino int64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = int64(st.Ino)
	}
	old := c.files[name]
	if old != nil && old.ino == ino && old.size == fi.Size() && old.mtime == fi.ModTime().UnixNano() {
		return old
	}
	ent := &textfileEntry{ino: ino, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	c.files[name] = ent
	data, err := os.ReadFile(path)
	if err == nil {
		ent.rows, err = parseTextfile(data, c.maxSeries)
	}
	if err != nil {
		ent.err = err
		c.log.Warn("textfile skipped: fix it and write it again (write to a temporary name, then rename)",
			"file", path, "err", err)
	}
	return ent
}

// errTooManySeries is returned for a file with more series than allowed.
var errTooManySeries = errors.New("too many series")

// parseTextfile parses the content of a .prom file, in the Prometheus
// text exposition format (version 0.0.4), with expfmt: one textSeries per
// sample line, histograms and summaries as their parts (name_bucket with
// le, name with quantile, name_sum, name_count), sorted by metric and
// series. It fails on a syntax error (naming the line), on a sample with a
// timestamp (the sampler's time is the sample's), on content that does
// not end with a newline (a file being written), and on more than
// maxSeries series.
func parseTextfile(data []byte, maxSeries int) ([]textSeries, error) {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, errors.New("no newline at the end: a file being written? (write it elsewhere, then rename it into the directory)")
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	n := 0
	for _, f := range fams {
		n += seriesOf(f)
	}
	if n > maxSeries {
		return nil, fmt.Errorf("%w: %d, more than the limit of %d per file (--textfile-max-series)", errTooManySeries, n, maxSeries)
	}
	out := make([]textSeries, 0, n)
	for _, f := range fams {
		fam := textFamily{name: f.GetName(), typ: typeName(f.GetType()), help: f.GetHelp(), unit: unitOf(f.GetName())}
		for _, m := range f.GetMetric() {
			if m.TimestampMs != nil {
				return nil, fmt.Errorf("metric %s: a timestamp: textfiles hold current values only (drop the timestamp)", f.GetName())
			}
			out = fam.series(out, m)
		}
	}
	slices.SortFunc(out, func(a, b textSeries) int {
		if c := strings.Compare(a.metric, b.metric); c != 0 {
			return c
		}
		return strings.Compare(a.series, b.series)
	})
	for i := 1; i < len(out); i++ {
		if out[i].metric == out[i-1].metric && out[i].series == out[i-1].series {
			return nil, fmt.Errorf("metric %s: series %s twice", out[i].metric, out[i].series)
		}
	}
	return out, nil
}

// seriesOf counts the series a family gives.
func seriesOf(f *dto.MetricFamily) int {
	n := 0
	for _, m := range f.GetMetric() {
		switch f.GetType() {
		case dto.MetricType_SUMMARY:
			n += 2 + len(m.GetSummary().GetQuantile())
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			n += 2 + len(m.GetHistogram().GetBucket())
		default:
			n++
		}
	}
	return n
}

// textFamily is what the series of one metric family share.
type textFamily struct{ name, typ, help, unit string }

// series appends the series of one metric of the family.
func (f textFamily) series(out []textSeries, m *dto.Metric) []textSeries {
	labels := make([]schema.Label, 0, len(m.GetLabel())+1)
	for _, l := range m.GetLabel() {
		labels = append(labels, schema.Label{Name: l.GetName(), Value: l.GetValue()})
	}
	add := func(suffix string, v float64, extra ...schema.Label) {
		ls := labels
		if len(extra) > 0 {
			ls = append(slices.Clip(labels), extra...)
		}
		slices.SortFunc(ls, func(a, b schema.Label) int { return strings.Compare(a.Name, b.Name) })
		metric, series := f.name+suffix, canonicalSeries(ls)
		out = append(out, textSeries{key: metric + "\x00" + series, metric: metric, series: series, labels: ls,
			typ: f.typ, help: f.help, unit: f.unit, value: v})
	}
	switch {
	case m.Counter != nil:
		add("", m.Counter.GetValue())
	case m.Gauge != nil:
		add("", m.Gauge.GetValue())
	case m.Untyped != nil:
		add("", m.Untyped.GetValue())
	case m.Summary != nil:
		for _, q := range m.Summary.GetQuantile() {
			add("", q.GetValue(), schema.Label{Name: "quantile", Value: formatFloat(q.GetQuantile())})
		}
		add("_sum", m.Summary.GetSampleSum())
		add("_count", float64(m.Summary.GetSampleCount()))
	case m.Histogram != nil:
		for _, b := range m.Histogram.GetBucket() {
			add("_bucket", float64(b.GetCumulativeCount()), schema.Label{Name: "le", Value: formatFloat(b.GetUpperBound())})
		}
		add("_sum", m.Histogram.GetSampleSum())
		add("_count", float64(m.Histogram.GetSampleCount()))
	}
	return out
}

// formatFloat formats a quantile or a bucket bound as Prometheus does
// ("0.5", "+Inf").
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// typeName is the custom table's name of a metric type.
func typeName(t dto.MetricType) string {
	switch t {
	case dto.MetricType_COUNTER:
		return "counter"
	case dto.MetricType_GAUGE:
		return "gauge"
	case dto.MetricType_SUMMARY:
		return "summary"
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return "histogram"
	}
	return "untyped"
}

// canonicalSeries writes sorted labels as {a="x",b="y"}, escaping values
// as the text format does; "" for none.
func canonicalSeries(ls []schema.Label) string {
	if len(ls) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(l.Name)
		sb.WriteString(`="`)
		for _, r := range l.Value {
			switch r {
			case '\\':
				sb.WriteString(`\\`)
			case '"':
				sb.WriteString(`\"`)
			case '\n':
				sb.WriteString(`\n`)
			default:
				sb.WriteRune(r)
			}
		}
		sb.WriteByte('"')
	}
	sb.WriteByte('}')
	return sb.String()
}

// baseUnits are the units Prometheus' naming conventions put at the end of
// a metric's name (before _total), as the custom table's unit column names
// them.
var baseUnits = []string{"seconds", "bytes", "celsius", "ratio", "percent", "volts", "amperes",
	"joules", "watts", "hertz", "meters", "grams", "bits", "packets", "errors"}

// unitOf returns the unit a metric's name ends with ("bytes" for
// backup_size_bytes and for written_bytes_total), or "".
func unitOf(name string) string {
	name = strings.TrimSuffix(name, "_total")
	i := strings.LastIndexByte(name, '_')
	if i < 0 {
		return ""
	}
	if u := name[i+1:]; slices.Contains(baseUnits, u) {
		return u
	}
	return ""
}
