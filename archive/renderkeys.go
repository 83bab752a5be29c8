package archive

import (
	"path"
	"strings"
	"time"
)

// RenderKeys returns the keys among keys (relative paths of an archive's
// closed files, as almanac ship stores them) that a render of the site at
// now reads, as the read planner tells (PlanDay, ReadsRaw): everything but
// the raw rows of the days the render reads from rollups only. Which days
// those are depends on how often a host was sampled, which keys do not
// tell, so the raw rows of the last 31 days are kept (a render's 7- and
// 30-day ranges draw every sample of a host sampled seldom). The system
// table (availability needs every sample time) and the host table (facts)
// are always kept, and so are every rollup and keys that are not data
// files. It is what render fetches from object storage.
func RenderKeys(keys []string, now time.Time) []string {
	byDir := map[string][]string{}
	for _, k := range keys {
		dir, name := path.Split(k)
		dir = strings.TrimSuffix(dir, "/")
		byDir[dir] = append(byDir[dir], name)
	}
	rawAfter := Day(now).AddDate(0, 0, -fetchRawDays)
	drop := map[string]bool{}
	for dir, names := range byDir {
		p, err := ParsePartition(dir)
		if err != nil {
			continue // a rollup folder, or not archive data
		}
		rollups := map[Resolution][]string{}
		for _, res := range resolutions {
			rollups[res] = byDir[rollupPath(res, p)]
		}
		current := currentRollups(names, rollups)
		if !ReadsRaw(now, p.Day, p.Table) && PlanDay(now, p.Day, p.Table, current, rawAfter) != Raw {
			drop[dir] = true
		}
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if !drop[strings.TrimSuffix(path.Dir(k), "/")] {
			out = append(out, k)
		}
	}
	return out
}
