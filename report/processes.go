package report

import (
	"cmp"

	"math"
	"slices"
	"strconv"
	"time"
)

// processesSection is the processes by state (proc_count), then the top
// processes of each step by CPU (process): "processes" and "top".
var processesSection = section{name: "processes", aliases: []string{"procs", "top"}, tables: []string{"proc_count", "process"},
	build: func(r *reader, host string) ([]Section, error) {
		counts, err := countsSeries.build(r, host)
		if err != nil {
			return nil, err
		}
		top, err := topProcesses(r, host)
		if err != nil {
			return nil, err
		}
		return append(counts, top), nil
	}}

// countsSeries is the processes by state.
var countsSeries = &series{
	name: "processes", table: "proc_count",
	nums:    []string{"total", "threads", "running", "sleeping", "disk_sleep", "zombie", "stopped", "idle"},
	columns: []string{"total", "threads", "R", "S", "D", "Z", "T", "I"},
	dec:     []int{2, 2, 2, 2, 2, 2, 2, 2},
	derive:  same,
}

// topProcesses lists the Options.Top processes of each step that used the
// most CPU: a process's %usr, %system and RSS are its means over the
// samples of the step it was seen in (as top shows a process while it
// runs), %CPU their sum. It has no Average rows.
func topProcesses(r *reader, host string) (Section, error) {
	sec := Section{Name: "top", Labels: []string{"PID", "USER", "COMMAND"},
		Columns: []string{"%usr", "%system", "%CPU", "RSS-MB"}, Decimals: []int{2, 2, 2, 1}}
	frames, err := r.read("process", host, []string{"user", "comm"}, []string{"pid", "start_time"},
		[]string{"cpu_user_pct", "cpu_system_pct", "rss_bytes"})
	if err != nil {
		return sec, err
	}
	type key struct {
		step, start int64
		pid         int64
	}
	type proc struct {
		key
		user, comm string
		seen       int64 // time of the newest row, for the labels
		m          *means
	}
	procs := map[key]*proc{}
	for _, f := range frames {
		pid, start := f.Num["pid"], f.Num["start_time"]
		usr, sys, rss := f.num("cpu_user_pct"), f.num("cpu_system_pct"), f.num("rss_bytes")
		user, comm := f.Str["user"], f.Str["comm"]
		vals := make([]float64, 3)
		for i := range f.Len() {
			w := f.weight(i)
			if w == 0 || math.IsNaN(pid[i]) {
				continue
			}
			k := key{step: r.step(f.Time[i]), pid: int64(pid[i]), start: int64(start[i])}
			p := procs[k]
			if p == nil {
				p = &proc{key: k, m: newMeans(3)}
				procs[k] = p
			}
			if f.Time[i] >= p.seen {
				p.seen, p.user, p.comm = f.Time[i], user[i], comm[i]
			}
			vals[0], vals[1], vals[2] = usr[i], sys[i], rss[i]
			p.m.add(w, vals)
		}
	}
	byStep := map[int64][]Row{}
	for _, p := range procs {
		m := p.m.mean()
		cpu := m[0] + m[1]
		byStep[p.step] = append(byStep[p.step], Row{Time: time.UnixMicro(p.step).In(r.o.TZ),
			Labels: []string{strconv.FormatInt(p.pid, 10), p.user, p.comm},
			Values: []float64{m[0], m[1], cpu, m[2] / MB}})
	}
	steps := make([]int64, 0, len(byStep))
	for s := range byStep {
		steps = append(steps, s)
	}
	slices.Sort(steps)
	for _, s := range steps {
		rows := byStep[s]
		slices.SortFunc(rows, func(a, b Row) int {
			if c := cmp.Compare(b.Values[2], a.Values[2]); c != 0 {
				return c
			}
			if c := cmp.Compare(b.Values[3], a.Values[3]); c != 0 {
				return c
			}
			return cmp.Compare(pidOf(a), pidOf(b))
		})
		sec.Rows = append(sec.Rows, rows[:min(len(rows), r.o.Top)]...)
	}
	return sec, nil
}

func pidOf(r Row) int64 {
	n, _ := strconv.ParseInt(r.Labels[0], 10, 64)
	return n
}
