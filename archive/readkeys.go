package archive

import (
	"path"
	"slices"
	"strings"
)

// ReadKeys returns the keys among keys (relative paths of an archive's
// closed files, as almanac ship stores them) that a reader of the
// partitions want picks reads when it reads each table at res(table): for
// a day whose rollup at that resolution is current, that rollup alone;
// for other days (and at Raw) the day's raw rows. It is what almanac
// report fetches from object storage. The store then holds days without
// raw rows, which RollupDays and ScanRollup read from their rollups.
func ReadKeys(keys []string, res func(table string) Resolution, want func(Partition) bool) []string {
	byDir := map[string][]string{}
	for _, k := range keys {
		dir, name := path.Split(k)
		dir = strings.TrimSuffix(dir, "/")
		byDir[dir] = append(byDir[dir], name)
	}
	keep := map[string]string{} // dir -> "" for every name, or the one name to keep
	for dir, names := range byDir {
		if p, err := ParsePartition(dir); err == nil {
			if !want(p) {
				continue
			}
			r := res(p.Table)
			if r != Raw && HasResolution(p.Table, r) {
				rdir := rollupPath(r, p)
				if name, ok := currentRollupName(names, byDir[rdir]); ok {
					keep[rdir] = name
					continue
				}
			}
			keep[dir] = ""
			continue
		}
		// A rollup folder whose day has no raw rows in keys.
		p, r, ok := parseRollupDir(dir)
		if !ok || !want(p) || res(p.Table) != r || byDir[p.Dir()] != nil {
			continue
		}
		if name, ok := newestRollup(names); ok {
			keep[dir] = name
		}
	}
	var out []string
	for _, k := range keys {
		dir, name := path.Split(k)
		dir = strings.TrimSuffix(dir, "/")
		if n, ok := keep[dir]; ok && (n == "" || n == name) {
			out = append(out, k)
		}
	}
	return out
}

// parseRollupDir parses rollup/<res>/<table>/host=<host>/date=<day>.
func parseRollupDir(dir string) (Partition, Resolution, bool) {
	rest, ok := strings.CutPrefix(dir, rollupDir+"/")
	if !ok {
		return Partition{}, 0, false
	}
	rs, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return Partition{}, 0, false
	}
	i := slices.IndexFunc(resolutions, func(r Resolution) bool { return r.String() == rs })
	if i < 0 {
		return Partition{}, 0, false
	}
	p, err := ParsePartition(rest)
	if err != nil {
		return Partition{}, 0, false
	}
	return p, resolutions[i], true
}
