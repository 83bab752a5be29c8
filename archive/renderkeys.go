package archive

import (
	"almanac/schema"
	"path"
	"strings"
	"time"
)

// rawDaysForRender is how many recent days of raw rows a render reads
// whatever the rollups: the 24 h views, and the 7 and 30 day views of a
// host sampled so seldom that they draw every sample.
const rawDaysForRender = 31

// RenderKeys returns the keys among keys (relative paths of an archive's
// closed files, as almanac ship stores them) that a render of the site at
// now reads: everything but the raw rows of days older than 31 days whose
// table has current rollups among keys, since the site's long ranges read
// those. The system table (availability needs every sample time) and the
// host table (facts) are always kept. Keys that are not data files are
// kept too. It is what render fetches from object storage.
func RenderKeys(keys []string, now time.Time) []string {
	have := make(map[string]bool, len(keys))
	byDir := map[string][]string{}
	for _, k := range keys {
		have[k] = true
		dir, name := path.Split(k)
		byDir[strings.TrimSuffix(dir, "/")] = append(byDir[strings.TrimSuffix(dir, "/")], name)
	}
	cut := Day(now).AddDate(0, 0, -rawDaysForRender)
	drop := map[string]bool{}
	for dir, names := range byDir {
		p, err := ParsePartition(dir)
		if err != nil || !p.Day.Before(cut) || !HasRollups(p.Table) ||
			p.Table == schema.TableSystem || p.Table == schema.TableHost {
			continue
		}
		live, _ := liveFiles(names)
		if len(live) != 1 || live[0].kind != kindDay {
			continue // parts not yet compacted: the render reads them raw
		}
		current := true
		for _, res := range tableResolutions(p.Table) {
			current = current && have[rollupPath(res, p)+"/"+rollupName(live[0])]
		}
		if current {
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
