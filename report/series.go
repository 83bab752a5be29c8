package report

import (
	"math"
	"slices"
	"strings"
	"time"
)

// series describes a section that is the mean of some columns of a table,
// per step and per series (a device, an interface), with printed columns
// derived from those means.
type series struct {
	name    string
	table   string
	keys    []string            // string columns naming a series (none: one per host)
	labels  []string            // their headers
	keep    func([]string) bool // which series to report (nil: all)
	nums    []string            // the columns averaged
	columns []string            // the printed columns
	dec     []int               // their decimals
	derive  func(m []float64) []float64
}

// build reads the series section of host.
func (s *series) build(r *reader, host string) ([]Section, error) {
	sec := Section{Name: s.name, Labels: s.labels, Columns: s.columns, Decimals: s.dec}
	frames, err := r.read(s.table, host, s.keys, nil, s.nums)
	if err != nil {
		return nil, err
	}
	type key struct {
		step int64
		id   string
	}
	steps := map[key]*means{}
	total := map[string]*means{}
	labels := map[string][]string{}
	for _, f := range frames {
		strs := make([][]string, len(s.keys))
		for i, k := range s.keys {
			strs[i] = f.Str[k]
		}
		nums := make([][]float64, len(s.nums))
		for i, c := range s.nums {
			nums[i] = f.num(c)
		}
		lab := make([]string, len(s.keys))
		vals := make([]float64, len(s.nums))
		for i := range f.Len() {
			for j := range s.keys {
				lab[j] = strs[j][i]
			}
			if s.keep != nil && !s.keep(lab) {
				continue
			}
			w := f.weight(i)
			if w == 0 {
				continue
			}
			for j := range s.nums {
				vals[j] = nums[j][i]
			}
			id := strings.Join(lab, "\x00")
			if _, ok := labels[id]; !ok {
				labels[id] = slices.Clone(lab)
			}
			k := key{r.step(f.Time[i]), id}
			m := steps[k]
			if m == nil {
				m = newMeans(len(s.nums))
				steps[k] = m
			}
			m.add(w, vals)
			t := total[id]
			if t == nil {
				t = newMeans(len(s.nums))
				total[id] = t
			}
			t.add(w, vals)
		}
	}
	ks := make([]key, 0, len(steps))
	for k := range steps {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b key) int {
		if a.step != b.step {
			return cmpInt(a.step, b.step)
		}
		return strings.Compare(a.id, b.id)
	})
	for _, k := range ks {
		sec.Rows = append(sec.Rows, Row{Time: time.UnixMicro(k.step).In(r.o.TZ), Labels: labels[k.id], Values: s.derive(steps[k].mean())})
	}
	ids := make([]string, 0, len(total))
	for id := range total {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		sec.Average = append(sec.Average, Row{Labels: labels[id], Values: s.derive(total[id].mean())})
	}
	return []Section{sec}, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// means accumulates weighted means of some columns; a NaN value leaves
// its column out for that row.
type means struct {
	sum, w []float64
}

func newMeans(n int) *means { return &means{sum: make([]float64, n), w: make([]float64, n)} }

func (m *means) add(w float64, vals []float64) {
	for i, v := range vals {
		if math.IsNaN(v) {
			continue
		}
		m.sum[i] += w * v
		m.w[i] += w
	}
}

func (m *means) mean() []float64 {
	out := make([]float64, len(m.sum))
	for i := range out {
		if m.w[i] == 0 {
			out[i] = math.NaN()
			continue
		}
		out[i] = m.sum[i] / m.w[i]
	}
	return out
}

// ratio returns 100*a/b, NaN when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return 100 * a / b
}

// same returns the means as they are.
func same(m []float64) []float64 { return m }
