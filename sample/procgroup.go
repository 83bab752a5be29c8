//go:build linux

package sample

import (
	"almanac/schema"
	"cmp"
	"math"
	"slices"
	"time"
)

// procGroupCollector fills the proc_group table from the process rows of
// the sample (the process collector must run first): the processes summed
// per command name, user, systemd unit and container. It reads no file.
type procGroupCollector struct {
	idx map[groupKey]int // scratch: index in the batch's rows of each group
}

// groupKey is a group: what it groups by and its name.
type groupKey struct{ by, name string }

// The groupings of the proc_group table, in the order of its rows.
var groupBys = []string{"comm", "container", "unit", "user"}

// Collect appends one ProcGroupRow per group of the sample's process rows.
func (c *procGroupCollector) Collect(_ Source, t Tick, b *schema.Batch) error {
	if t.First || len(b.Process) == 0 {
		return nil
	}
	if c.idx == nil {
		c.idx = map[groupKey]int{}
	}
	clear(c.idx)
	b.ProcGroup = appendProcGroups(b.ProcGroup, b.Process, t.Time, t.Interval, c.idx)
	return nil
}

// appendProcGroups appends to out the groups of rows, sorted by grouping
// then name; interval is the length of the sample's interval, for CPU
// time. idx is scratch space, empty.
func appendProcGroups(out []schema.ProcGroupRow, rows []schema.ProcessRow, time int64, interval time.Duration, idx map[groupKey]int) []schema.ProcGroupRow {
	first := len(out)
	ms := float64(interval) / 1e6 / 100 // CPU % × ms/% = CPU ms
	for i := range rows {
		r := &rows[i]
		cpu := r.CPUUserPct + r.CPUSystemPct
		for gi, name := range [4]string{r.Comm, r.Container, r.Unit, r.User} {
			if name == "" {
				continue
			}
			k := groupKey{groupBys[gi], name}
			j, ok := idx[k]
			if !ok {
				j = len(out)
				idx[k] = j
				out = append(out, schema.ProcGroupRow{Time: time, By: k.by, Name: name})
			}
			g := &out[j]
			g.Processes++
			g.Threads += r.Threads
			g.CPUPct += cpu
			g.CPUMs += int64(math.Round(cpu.Float() * ms))
			g.RSSBytes += r.RSSBytes
			g.MaxRSS = max(g.MaxRSS, r.RSSBytes)
		}
	}
	slices.SortFunc(out[first:], func(a, b schema.ProcGroupRow) int {
		return cmp.Or(cmp.Compare(a.By, b.By), cmp.Compare(a.Name, b.Name))
	})
	return out
}
