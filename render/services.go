package render

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/schema"
)

// Services, groups and OOM victims.
//
// A host's charts pages draw the CPU and memory of its services (the
// cgroup table: one series per systemd unit or container, the first
// topServices by CPU or memory over the range, the rest summed as
// "other") stacked. Its processes pages rank the groups of the proc_group
// table (service, container, user, command name) by CPU time over the
// range, with their lines; the long ranges read the tables' rollups as the
// charts do. The OOM marks of every chart name the victims of the
// oom_kill table.

// topServices is how many services, and groups, get a series of their own.
const topServices = 8

func init() {
	// Stacked series are reduced to means: from rollups, read the means.
	for _, c := range []string{"cpu_pct", "memory_bytes"} {
		stackColumns[schema.TableCgroup+"."+c] = true
	}
	stackColumns[schema.TableProcGroup+".cpu_pct"] = true
}

// serviceName names a cgroup on the site: its container id (short, as
// docker ps shows it), else its systemd unit, else its path; "" for the
// root cgroup, which is the whole host.
func serviceName(cgroup, unit, container string) string {
	switch {
	case container != "":
		return "container " + container[:min(12, len(container))]
	case unit != "":
		return unit
	case cgroup == "/" || cgroup == "":
		return ""
	}
	return cgroup
}

// services adds the Services section to the charts pages: CPU and memory
// per service, stacked; and reads the OOM victims for the marks.
func (g *gatherer) services() error {
	var err error
	if g.victims, err = g.oomVictims(); err != nil {
		return err
	}
	cpu, mem := g.newStack(1), g.newStack(1)
	err = g.eachWith(schema.TableCgroup, []string{"cgroup", "unit", "container", "cpu_pct", "memory_bytes"}, []dayAcc{cpu, mem}, func(c chunk) {
		cg, unit, ctr := c.str("cgroup"), c.str("unit"), c.str("container")
		keys := make([]string, len(cg))
		for i := range cg {
			keys[i] = serviceName(cg[i], unit[i], ctr[i])
		}
		cpu.addChunk(c.f.Time, c.res, keys, c.num("cpu_pct"))
		mem.addChunk(c.f.Time, c.res, keys, c.num("memory_bytes"))
	})
	if err != nil {
		return err
	}
	for r := range ranges {
		var charts []Chart
		if ch, ok := g.topStack(r, "svc-cpu", "CPU by service (% of one core)", unitPct, cpu, ""); ok {
			charts = append(charts, ch)
		}
		if ch, ok := g.topStack(r, "svc-mem", "Memory by service", unitBytes, mem, ""); ok {
			charts = append(charts, ch)
		}
		g.add(r, Section{Title: "Services", Charts: charts})
	}
	return nil
}

// topStack draws the series of set whose key starts with prefix (the
// prefix cut from their names) in range r stacked: the topServices first
// by their sum over the range, then the others summed as "other". The
// empty key (the root cgroup) is left out. ok is false when no series has
// a value.
func (g *gatherer) topStack(r int, id, title, unit string, set *seriesSet, prefix string) (Chart, bool) {
	var keys []string
	for _, k := range set.keys() {
		if k != prefix && strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 || !set.has(r) {
		return Chart{}, false
	}
	gr := set.grid(r, keys)
	type ranked struct {
		i   int
		sum float64
	}
	var order []ranked
	for i, c := range gr.Cols {
		s := 0.0
		for _, v := range c {
			if !math.IsNaN(v) {
				s += v
			}
		}
		if s > 0 {
			order = append(order, ranked{i, s})
		}
	}
	if len(order) == 0 {
		return Chart{}, false
	}
	slices.SortStableFunc(order, func(a, b ranked) int { return cmp.Compare(b.sum, a.sum) })
	out := grid{T: gr.T}
	var names []string
	for _, o := range order[:min(topServices, len(order))] {
		out.Cols = append(out.Cols, gr.Cols[o.i])
		names = append(names, strings.TrimPrefix(keys[o.i], prefix))
	}
	if rest := order[min(topServices, len(order)):]; len(rest) > 0 {
		other := nanRow(len(gr.T))
		for _, o := range rest {
			for j, v := range gr.Cols[o.i] {
				if !math.IsNaN(v) {
					other[j] = nz(other[j]) + v
				}
			}
		}
		out.Cols = append(out.Cols, other)
		names = append(names, "other")
	}
	o := lineOpts{Stack: true, Reboots: g.d.tl.Reboots, Outages: g.d.tl.Outages, Gap: g.gap()}
	o.From, o.To = g.rangeWindow(r)
	o.DataFrom, o.DataTo = g.dataExtent(r)
	return lineChart(id, title, unit, out, names, o), true
}

// GroupTable is one table of the processes pages' groups: the first
// groups of one kind (services, containers, users, command names) by CPU
// time over the range. Their CPU stacked over time is a chart of the
// page's "Over time" section. A click on a group shows only its processes
// in the page's process tables, whose rows carry the same four names
// (ProcRow's Unit, Container, User and Comm; the site script matches the
// row's data-<ID> attribute with the group's name).
type GroupTable struct {
	ID    string // the kind: unit, container, user or comm
	Title string
	What  string // the column title of the names
	Noun  string // what one group is, in a sentence ("unit", "command")
	Rows  []GroupRow
}

// GroupRow is one group over a range.
type GroupRow struct {
	Name              string // as the process rows name it
	Label             string // as shown: a container id shortened as docker ps shows it
	CPUTime, CPU      string
	RSSMax, Processes string
	CPUSort, CPUAvg   float64
	RSSSort, ProcSort float64
}

// groupKinds are the groupings of the proc_group table the pages show, in
// order, with their titles.
var groupKinds = []struct{ by, title, what, noun string }{
	{"unit", "Services (systemd units)", "Unit", "unit"},
	{"container", "Containers", "Container", "container"},
	{"user", "Users", "User", "user"},
	{"comm", "Command names", "Command", "command"},
}

// groupAcc sums one group over each range.
type groupAcc struct {
	cpuMs, rss, procs []float64 // per range
}

// groupDays feeds the groups' sums a day at a time (dayAcc): each day's
// own, then added to the days before.
type groupDays struct {
	m      *map[string]*groupAcc
	before map[string]*groupAcc
}

func (a *groupDays) begin() { a.before, *a.m = *a.m, map[string]*groupAcc{} }

func (a *groupDays) end(b *memoBuf, cut rangeSet, only bool) {
	day := *a.m
	if b != nil {
		putKeyed(b, day, func(b *memoBuf, g *groupAcc) {
			kept := g.without(cut, false)
			b.floats(kept.cpuMs)
			b.floats(kept.rss)
			b.floats(kept.procs)
		})
	}
	*a.m = a.before
	a.before = nil
	if only {
		for k, d := range day {
			day[k] = d.without(cut, true)
		}
	}
	a.add(day)
}

// without returns the sums of g with those of the ranges of cut as
// zeros, or with in, those of the other ranges.
func (g *groupAcc) without(cut rangeSet, in bool) *groupAcc {
	out := &groupAcc{cpuMs: slices.Clone(g.cpuMs), rss: slices.Clone(g.rss), procs: slices.Clone(g.procs)}
	for r := range out.cpuMs {
		if cut.has(r) != in {
			out.cpuMs[r], out.rss[r], out.procs[r] = 0, 0, 0
		}
	}
	return out
}

// add adds the sums of a day.
func (a *groupDays) add(day map[string]*groupAcc) {
	for k, d := range day {
		acc := (*a.m)[k]
		if acc == nil {
			(*a.m)[k] = d
			continue
		}
		for r := range acc.cpuMs {
			acc.cpuMs[r] += d.cpuMs[r]
			acc.rss[r] = max(acc.rss[r], d.rss[r])
			acc.procs[r] = max(acc.procs[r], d.procs[r])
		}
	}
}

func (a *groupDays) decode(r *memoReader) func() {
	day := getKeyed(r, func(r *memoReader) *groupAcc {
		g := &groupAcc{cpuMs: r.floats(), rss: r.floats(), procs: r.floats()}
		if len(g.cpuMs) != len(ranges) || len(g.rss) != len(ranges) || len(g.procs) != len(ranges) {
			r.fail("group sums")
		}
		return g
	})
	return func() { a.add(day) }
}

// groups adds the group tables to the processes page of every range.
func (g *gatherer) groups() error {
	accs := map[string]*groupAcc{} // by "by\x00name"
	cpu := g.newStack(1)
	days := []dayAcc{cpu, &groupDays{m: &accs}}
	err := g.eachWith(schema.TableProcGroup, []string{"kind", "name", "processes", "cpu_pct", "cpu_ms", "max_rss_bytes"}, days, func(c chunk) {
		by, name := c.str("kind"), c.str("name")
		keys := make([]string, len(by))
		for i := range by {
			keys[i] = by[i] + "\x00" + name[i]
		}
		cpu.addChunk(c.f.Time, c.res, keys, c.num("cpu_pct"))
		ms, rss, procs := c.num("cpu_ms").V, c.num("max_rss_bytes").Hi, c.num("processes").Hi
		for i, t := range c.f.Time {
			a := accs[keys[i]]
			if a == nil {
				n := len(ranges)
				a = &groupAcc{cpuMs: make([]float64, n), rss: make([]float64, n), procs: make([]float64, n)}
				accs[keys[i]] = a
			}
			for r := range ranges {
				if from, to := g.rangeWindow(r); t < from || t >= to {
					continue
				}
				a.cpuMs[r] += nz(ms[i])
				a.rss[r] = max(a.rss[r], nz(rss[i]))
				a.procs[r] = max(a.procs[r], nz(procs[i]))
			}
		}
	})
	if err != nil {
		return err
	}
	for r := range ranges {
		first, last := g.dataExtent(r)
		span := float64(last-first) / 1000 // ms
		for _, k := range groupKinds {
			t := GroupTable{ID: k.by, Title: k.title, What: k.what, Noun: k.noun}
			prefix := k.by + "\x00"
			for key, a := range accs {
				name, ok := strings.CutPrefix(key, prefix)
				if !ok || a.cpuMs[r] == 0 && a.rss[r] == 0 && a.procs[r] == 0 {
					continue
				}
				row := GroupRow{Name: name, Label: name, CPUTime: fmtCPUTime(time.Duration(a.cpuMs[r]) * time.Millisecond),
					RSSMax: fmtBytes(a.rss[r]), Processes: strconv.FormatFloat(a.procs[r], 'f', 0, 64),
					CPUSort: a.cpuMs[r], RSSSort: a.rss[r], ProcSort: a.procs[r]}
				if span > 0 {
					row.CPUAvg = a.cpuMs[r] / span * 100
				}
				row.CPU = fmtPct(row.CPUAvg)
				if k.by == "container" {
					row.Label = name[:min(12, len(name))]
				}
				t.Rows = append(t.Rows, row)
			}
			if len(t.Rows) == 0 {
				continue
			}
			slices.SortFunc(t.Rows, func(a, b GroupRow) int {
				return cmp.Or(cmp.Compare(b.CPUSort, a.CPUSort), cmp.Compare(b.RSSSort, a.RSSSort), strings.Compare(a.Name, b.Name))
			})
			t.Rows = t.Rows[:min(topN, len(t.Rows))]
			// The lines join the page's other charts ("Over time"), whose
			// options the page carries.
			if ch, ok := g.topStack(r, "group-"+k.by+"-cpu", "CPU by "+strings.ToLower(k.what)+" (% of one core)", unitPct, cpu, prefix); ok {
				g.d.procs[r].Charts = append(g.d.procs[r].Charts, ch)
			}
			g.d.procs[r].Groups = append(g.d.procs[r].Groups, t)
		}
	}
	return nil
}

// oomVictim is one row of the oom_kill table, as the OOM marks name it.
type oomVictim struct {
	t             int64
	pid           int32
	comm, service string
	how           string
}

// oomVictims reads the oom_kill table over the longest range.
func (g *gatherer) oomVictims() ([]oomVictim, error) {
	f, err := g.scan(schema.TableOOMKill, "pid", "comm", "cgroup", "unit", "container", "how")
	if err != nil {
		return nil, err
	}
	pid := col(f, "pid")
	comm, cg, unit, ctr, how := strCol(f, "comm"), strCol(f, "cgroup"), strCol(f, "unit"), strCol(f, "container"), strCol(f, "how")
	out := make([]oomVictim, f.Len())
	for i, t := range f.Time {
		out[i] = oomVictim{t: t, pid: int32(nz(pid[i])), comm: comm[i], how: how[i],
			service: serviceName(cg[i], unit[i], ctr[i])}
	}
	return out, nil
}

// nameOOMs names, in the marks of a chart (timeMarks), each OOM kill
// mark after its victims: those of the oom_kill table from the mark's time
// (a sample, or the start of a rollup bucket) to the next mark, within an
// hour. ooms are the marks' times (µs), ascending.
func nameOOMs(marks []any, ooms []int64, victims []oomVictim) {
	if len(victims) == 0 {
		return
	}
	labels := map[int64][]string{} // by mark time (µs)
	for _, v := range victims {
		i, found := slices.BinarySearch(ooms, v.t)
		if !found {
			i--
		}
		if i < 0 || v.t-ooms[i] >= time.Hour.Microseconds() {
			continue
		}
		what := v.comm
		if what == "" {
			what = "unseen victim"
		}
		if v.service != "" {
			what += " (" + v.service + ")"
		}
		labels[ooms[i]] = append(labels[ooms[i]], what)
	}
	for i, m := range marks {
		tm, ok := m.(timeMark)
		if !ok || tm.Name != "OOM kill" {
			continue
		}
		// The mark's time in ms: find its µs time among ooms.
		for t, l := range labels {
			if t/1000 != tm.XAxis {
				continue
			}
			tm.Name = "OOM kill: " + l[0]
			if len(l) > 1 {
				tm.Name += " +" + strconv.Itoa(len(l)-1)
			}
			marks[i] = tm
		}
	}
}
