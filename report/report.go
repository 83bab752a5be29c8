package report

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// Options say what a report covers.
type Options struct {
	Hosts    []string       // one block each, in this order
	From, To time.Time      // the range: From <= time < To
	Every    time.Duration  // the step
	Sections []string       // section names (Names); empty means all
	TZ       *time.Location // the zone times are shown in; nil is UTC
	Top      int            // processes listed per step (default 5)
}

// Report is a report's numbers, ready to print.
type Report struct {
	From, To time.Time
	Every    time.Duration
	TZ       *time.Location
	Hosts    []HostReport
	// Skipped names the files that could not be read (corrupt); the
	// report holds the rest.
	Skipped []error
}

// HostReport is the sections of one host.
type HostReport struct {
	Host     string
	Sections []Section
}

// Section is one table of the report.
type Section struct {
	Name     string   // as in Names
	Labels   []string // headers of the text columns after the time (DEV, IFACE)
	Columns  []string // headers of the number columns
	Decimals []int    // decimals of each number column
	Rows     []Row    // one per step and series, in time then series order
	Average  []Row    // one per series over the whole range (Time is zero)
}

// Row is one line of a section.
type Row struct {
	Time   time.Time // the start of the step; zero on an Average row
	Labels []string
	Values []float64 // NaN where nothing was sampled
}

// section is how one section is read and computed.
type section struct {
	name    string
	aliases []string
	tables  []string // the tables it reads
	build   func(r *reader, host string) ([]Section, error)
}

// sections lists every section, in report order.
var sections = []section{cpuSection, loadSection, memorySection, diskSection,
	networkSection, filesystemSection, pressureSection, processesSection, selfSection}

// Names returns the section names, in report order.
func Names() []string {
	var out []string
	for _, s := range sections {
		out = append(out, s.name)
	}
	return out
}

// SectionList returns the section names as a comma-separated list.
func SectionList() string { return strings.Join(Names(), ", ") }

// lookup returns the section called name (or one of its aliases).
func lookup(name string) (section, bool) {
	for _, s := range sections {
		if s.name == name || slices.Contains(s.aliases, name) {
			return s, true
		}
	}
	return section{}, false
}

// Tables returns the tables of the archive that the sections names (all
// when empty) read.
func Tables(names []string) []string {
	if len(names) == 0 {
		names = Names()
	}
	var out []string
	for _, n := range names {
		s, _ := lookup(n)
		for _, t := range s.tables {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// CheckSections reports whether every name is a section (or an alias of
// one, as disks for disk).
func CheckSections(names []string) error {
	for _, n := range names {
		if _, ok := lookup(n); !ok {
			return fmt.Errorf("report: no section %q: want %s", n, strings.Join(Names(), ", "))
		}
	}
	return nil
}

// Build reads the report's numbers from st.
func Build(st *archive.Store, o Options) (*Report, error) {
	if o.Every <= 0 {
		return nil, fmt.Errorf("report: step %v: want a positive duration", o.Every)
	}
	if !o.To.After(o.From) {
		return nil, fmt.Errorf("report: range %s to %s: the end is not after the start", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
	}
	if o.TZ == nil {
		o.TZ = time.UTC
	}
	if o.Top <= 0 {
		o.Top = 5
	}
	names := o.Sections
	if len(names) == 0 {
		names = Names()
	}
	if err := CheckSections(names); err != nil {
		return nil, err
	}
	rep := &Report{From: o.From, To: o.To, Every: o.Every, TZ: o.TZ}
	r := &reader{st: st, o: o, rep: rep}
	for _, host := range o.Hosts {
		hr := HostReport{Host: host}
		var done []string
		for _, n := range names {
			s, _ := lookup(n)
			if slices.Contains(done, s.name) {
				continue
			}
			done = append(done, s.name)
			secs, err := s.build(r, host)
			if err != nil {
				return nil, err
			}
			hr.Sections = append(hr.Sections, secs...)
		}
		rep.Hosts = append(rep.Hosts, hr)
	}
	return rep, nil
}

// reader reads the rows of a report's range from the archive.
type reader struct {
	st  *archive.Store
	o   Options
	rep *Report
}

// Resolution returns what a report with step every reads of table: the
// per-hour rollups for a whole number of hours, the per-minute ones for a
// whole number of minutes (where the table has them), else raw rows.
func Resolution(table string, every time.Duration) archive.Resolution {
	for _, res := range []archive.Resolution{archive.PerHour, archive.PerMinute} {
		d := time.Duration(res)
		if every >= d && every%d == 0 && archive.HasResolution(table, res) {
			return res
		}
	}
	return archive.Raw
}

// frame is the rows of one read: a frame, and whether it is a rollup
// (then numeric columns are named c_avg and rows weigh their samples).
type frame struct {
	*archive.Frame
	rollup bool
}

// num returns the numeric column c of f: c itself in raw rows, c_avg in
// a rollup, or for a count (events in the interval) c_sum over the
// samples of each row.
func (f frame) num(c string) []float64 {
	if !f.rollup {
		return f.Num[c]
	}
	if v, ok := f.Num[c+"_avg"]; ok {
		return v
	}
	sum, n := f.Num[c+"_sum"], f.Num[archive.SamplesColumn]
	out := make([]float64, len(sum))
	for i := range out {
		out[i] = sum[i] / n[i]
	}
	return out
}

// rollupColumn returns the rollup column holding the mean of column c of
// table: c_avg, or c_sum for a count.
func rollupColumn(table, c string) string {
	for _, t := range schema.Tables {
		if t.Name() != table {
			continue
		}
		if col, ok := t.Column(c); ok && col.Kind == schema.KindCount {
			return c + "_sum"
		}
	}
	return c + "_avg"
}

// weight returns how many samples row i stands for.
func (f frame) weight(i int) float64 {
	if !f.rollup {
		return 1
	}
	w := f.Num[archive.SamplesColumn][i]
	if math.IsNaN(w) || w <= 0 {
		return 0
	}
	return w
}

// read returns the rows of table for host in the report's range: the
// current rollups at the step's resolution where days have them, raw rows
// elsewhere. strs are string columns (identities, labels), ids numeric
// identity columns (read as they are in rollups too), nums the numeric
// columns averaged, by their raw names.
func (r *reader) read(table, host string, strs, ids, nums []string) ([]frame, error) {
	from, to := r.o.From, r.o.To
	res := Resolution(table, r.o.Every)
	var out []frame
	var covered []time.Time
	if res != archive.Raw {
		days, err := r.st.RollupDays(res, table, host)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		for _, d := range days {
			if d.Before(to) && d.AddDate(0, 0, 1).After(from) {
				covered = append(covered, d)
			}
		}
		if len(covered) > 0 {
			cols := append(slices.Clone(strs), ids...)
			for _, c := range nums {
				cols = append(cols, rollupColumn(table, c))
			}
			cols = append(cols, archive.SamplesColumn)
			f, err := r.st.ScanRollup(res, table, host, from, to, cols...)
			if err = r.keep(err); err != nil {
				return nil, err
			}
			out = append(out, frame{Frame: f, rollup: true})
		}
	}
	cols := append(append(slices.Clone(strs), ids...), nums...)
	// Raw rows of the stretches of days without a current rollup.
	start := from
	for _, d := range append(covered, archive.Day(to).AddDate(0, 0, 1)) {
		end := d
		if end.After(to) {
			end = to
		}
		if end.After(start) {
			f, err := r.st.Scan(table, host, start, end, cols...)
			if errors.Is(err, archive.ErrNoData) {
				return out, nil
			}
			if err = r.keep(err); err != nil {
				return nil, err
			}
			out = append(out, frame{Frame: f})
		}
		if next := d.AddDate(0, 0, 1); next.After(start) {
			start = next
		}
	}
	return out, nil
}

// keep returns err unless it only names corrupt files, which it records
// in the report's Skipped.
func (r *reader) keep(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, archive.ErrCorrupt) {
		r.rep.Skipped = append(r.rep.Skipped, err)
		return nil
	}
	return fmt.Errorf("report: %w", err)
}

// step returns the start of the step holding us (microseconds).
func (r *reader) step(us int64) int64 {
	from, every := r.o.From.UnixMicro(), r.o.Every.Microseconds()
	d := us - from
	if d < 0 {
		return from - ((-d+every-1)/every)*every
	}
	return from + d/every*every
}
